//! Image input: decode anything the `image` crate reads, apply EXIF orientation, convert to RGB,
//! centre-crop, resize to the model size and scale to [-1, 1]. Every failure is a typed error.

use crate::tr;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, imageops::FilterType};
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// Largest side accepted before decoding, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Largest file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Largest decoder allocation, in bytes.
pub const MAX_DECODE_BYTES: u64 = 1024 * 1024 * 1024;

/// Why an image could not be used. Messages are written for the person who chose the file.
#[derive(Debug)]
pub enum ImageError {
    /// Could not open or read the file.
    Io {
        /// the file
        path: PathBuf,
        /// the OS error
        source: std::io::Error,
    },
    /// A directory or other non-file was given.
    NotAFile(PathBuf),
    /// The file is empty.
    Empty,
    /// The file is larger than [`MAX_FILE_BYTES`].
    FileTooLarge(u64),
    /// The bytes are not an image format we know.
    UnknownFormat,
    /// The dimensions are too large.
    TooLarge {
        /// width in pixels
        width: u32,
        /// height in pixels
        height: u32,
    },
    /// The dimensions are zero.
    NoPixels {
        /// width in pixels
        width: u32,
        /// height in pixels
        height: u32,
    },
    /// The decoder failed: truncated or corrupt data.
    Corrupt(String),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Self::Io { path, source } => {
                tr!("image-err-io", path = path.display(), error = source)
            }
            Self::NotAFile(path) => tr!("image-err-not-a-file", path = path.display()),
            Self::Empty => tr!("image-err-empty").to_owned(),
            Self::FileTooLarge(bytes) => {
                tr!(
                    "image-err-file-too-large",
                    bytes = bytes,
                    max = MAX_FILE_BYTES
                )
            }
            Self::UnknownFormat => tr!("image-err-unknown-format").to_owned(),
            Self::TooLarge { width, height } => tr!(
                "image-err-too-large",
                width = width,
                height = height,
                max = MAX_SIDE
            ),
            Self::NoPixels { width, height } => {
                tr!("image-err-no-pixels", width = width, height = height)
            }
            Self::Corrupt(detail) => tr!("image-err-corrupt", detail = detail),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for ImageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An RGB image in unit space: CHW order, f32 values in [-1, 1], on the 8-bit grid.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageRgb {
    /// side length (images are square after preprocessing)
    pub size: usize,
    /// [3, size, size] flattened
    pub data: Vec<f32>,
}

impl ImageRgb {
    /// Values per image: 3·size².
    pub fn dim(&self) -> usize {
        self.data.len()
    }

    /// Convert an 8-bit RGB image of side `size` to unit space.
    pub fn from_rgb8(img: &RgbImage) -> Self {
        let (w, h) = img.dimensions();
        let size = w.min(h) as usize;
        let plane = size * size;
        let mut data = vec![0.0f32; 3 * plane];
        for (x, y, px) in img.enumerate_pixels() {
            if (x as usize) < size && (y as usize) < size {
                let i = y as usize * size + x as usize;
                for c in 0..3 {
                    data[c * plane + i] = px.0[c] as f32 / 127.5 - 1.0;
                }
            }
        }
        Self { size, data }
    }

    /// Back to 8-bit RGB, mapping [-1, 1] to 0..=255 with clamping.
    pub fn to_rgb8(&self) -> RgbImage {
        chw_unit_to_rgb8(&self.data, self.size)
    }
}

/// Map one unit-space value to a byte: round((v+1)·127.5), clamped to 0..=255.
pub fn unit_to_u8(v: f32) -> u8 {
    if v.is_nan() {
        return 0;
    }
    ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8
}

/// CHW unit-space values of a square image of side `size` to an 8-bit RGB image.
pub fn chw_unit_to_rgb8(chw: &[f32], size: usize) -> RgbImage {
    let plane = size * size;
    RgbImage::from_fn(size as u32, size as u32, |x, y| {
        let i = y as usize * size + x as usize;
        image::Rgb([0, 1, 2].map(|c| chw.get(c * plane + i).copied().map(unit_to_u8).unwrap_or(0)))
    })
}

/// Read and preprocess an image file.
pub fn load_image(path: &Path, size: usize) -> Result<ImageRgb, ImageError> {
    let bytes = read_file_bounded(path)?;
    decode_image(&bytes, size)
}

/// Read a whole file, refusing directories, empty and huge files.
pub fn read_file_bounded(path: &Path) -> Result<Vec<u8>, ImageError> {
    let io = |source| ImageError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ImageError::NotAFile(path.to_owned()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImageError::FileTooLarge(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    BufReader::new(file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// Decode bytes (any supported format; the first frame of an animation), apply the EXIF
/// orientation, and return the full-size image.
pub fn decode_dynamic(bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Corrupt(one_line(&e.to_string())))?;
    if reader.format().is_none() {
        return Err(ImageError::UnknownFormat);
    }
    let mut decoder = reader.into_decoder().map_err(map_decode_error)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::NoPixels { width, height });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    decoder.set_limits(limits).map_err(map_decode_error)?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_decode_error)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Decoder messages can span lines; a notice or a CLI error is one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn map_decode_error(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Unsupported(_) => ImageError::UnknownFormat,
        image::ImageError::Limits(l) => {
            ImageError::Corrupt(one_line(&format!("too large to decode safely ({l})")))
        }
        other => ImageError::Corrupt(one_line(&other.to_string())),
    }
}

/// Decode bytes and preprocess to a `size`×`size` unit-space image.
pub fn decode_image(bytes: &[u8], size: usize) -> Result<ImageRgb, ImageError> {
    Ok(preprocess(&decode_dynamic(bytes)?, size))
}

/// Convert to RGB (dropping alpha over black, scaling 16-bit to 8-bit), centre-crop to a
/// square and resize to `size`×`size`, then scale to [-1, 1].
pub fn preprocess(img: &DynamicImage, size: usize) -> ImageRgb {
    let (w, h) = (img.width(), img.height());
    let side = w.min(h);
    let cropped = img.crop_imm((w - side) / 2, (h - side) / 2, side, side);
    let size32 = size.max(1) as u32;
    let resized = if side == size32 {
        cropped
    } else {
        // Triangle is a good, cheap anti-aliasing filter for the large shrinks that photos need.
        cropped.resize_exact(size32, size32, FilterType::Triangle)
    };
    ImageRgb::from_rgb8(&resized.to_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb};

    fn png_bytes(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decode_crop_resize_and_scale() {
        // 8×4: left half black, right half white. Centre crop keeps x = 2..6.
        let img = RgbImage::from_fn(8, 4, |x, _| {
            if x < 4 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        let out = decode_image(&png_bytes(&DynamicImage::ImageRgb8(img)), 4).unwrap();
        assert_eq!(out.size, 4);
        assert_eq!(out.dim(), 48);
        assert_eq!(out.data[0], -1.0); // (0,0) red: black
        assert_eq!(out.data[3], 1.0); // (3,0) red: white
        assert_eq!(out.to_rgb8().get_pixel(3, 3), &Rgb([255, 255, 255]));
    }

    #[test]
    fn bad_bytes_are_typed_errors() {
        assert!(matches!(decode_image(&[], 8), Err(ImageError::Empty)));
        assert!(matches!(
            decode_image(b"hello, this is text", 8),
            Err(ImageError::UnknownFormat)
        ));
        let full = png_bytes(&DynamicImage::ImageRgb8(RgbImage::new(16, 16)));
        let cut = &full[..full.len() / 2];
        assert!(
            matches!(decode_image(cut, 8), Err(ImageError::Corrupt(_))),
            "{:?}",
            decode_image(cut, 8)
        );
    }

    #[test]
    fn unit_mapping_rounds_and_clamps() {
        assert_eq!(unit_to_u8(-1.0), 0);
        assert_eq!(unit_to_u8(1.0), 255);
        assert_eq!(unit_to_u8(5.0), 255);
        assert_eq!(unit_to_u8(-5.0), 0);
        assert_eq!(unit_to_u8(f32::NAN), 0);
        for b in 0..=255u8 {
            assert_eq!(unit_to_u8(b as f32 / 127.5 - 1.0), b);
        }
    }
}
