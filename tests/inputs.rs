//! A generated corpus of awkward inputs through the same loader the app and the CLI use:
//! each must give a typed error or a correct image, never a panic.

use diffusion_playground::data::image::{ImageError, decode_dynamic, load_image};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use std::io::Cursor;
use std::path::Path;

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `w`×`h` pixels and that holds no pixel data.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32(&ihdr).to_be_bytes());
    out
}

/// An 8-bit palette PNG (colour type 3) of `w`×`h` pixels, all palette entry 1, written by
/// hand with stored (uncompressed) deflate blocks.
fn png_palette(w: u32, h: u32, palette: &[[u8; 3]]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for _ in 0..h {
        raw.push(0); // filter: none
        raw.extend(std::iter::repeat_n(1u8, w as usize));
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    let len = raw.len() as u16;
    zlib.extend(len.to_le_bytes());
    zlib.extend((!len).to_le_bytes());
    zlib.extend(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + byte as u32) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 3, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"PLTE", &palette.concat());
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG of a 4×2 image (left half red) with an EXIF orientation tag.
fn jpeg_with_orientation(orientation: u16) -> Vec<u8> {
    let img = RgbImage::from_fn(8, 4, |x, _| {
        if x < 4 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let jpeg = encode(&DynamicImage::ImageRgb8(img), ImageFormat::Jpeg);
    // APP1: "Exif\0\0" + little-endian TIFF header + one IFD entry (0x0112, SHORT, 1, value).
    let mut tiff = b"II*\x00\x08\x00\x00\x00".to_vec();
    tiff.extend(1u16.to_le_bytes());
    tiff.extend(0x0112u16.to_le_bytes());
    tiff.extend(3u16.to_le_bytes());
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(orientation.to_le_bytes());
    tiff.extend([0, 0]);
    tiff.extend(0u32.to_le_bytes());
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn animated_gif() -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        for color in [[255u8, 255, 255, 255], [0, 0, 0, 255]] {
            let frame = image::RgbaImage::from_pixel(6, 6, image::Rgba(color));
            enc.encode_frame(image::Frame::new(frame)).unwrap();
        }
    }
    out
}

#[derive(Debug, PartialEq)]
enum Expect {
    /// decodes; the (r, g, b) of the pixel at (0, 0) of the preprocessed image
    Image(Option<[u8; 3]>),
    /// an image whose first pixel is within 16 levels of this (lossy colour conversions)
    Near([u8; 3]),
    Error,
}

fn check(
    name: &str,
    result: std::thread::Result<Result<diffusion_playground::data::ImageRgb, ImageError>>,
    expect: &Expect,
) {
    let result = result.unwrap_or_else(|_| panic!("{name}: the loader panicked"));
    match (result, expect) {
        (Ok(img), Expect::Near(px)) => {
            let got = img.to_rgb8().get_pixel(0, 0).0;
            assert!(
                got.iter().zip(px).all(|(a, b)| a.abs_diff(*b) <= 16),
                "{name}: first pixel {got:?}, expected about {px:?}"
            );
        }
        (Ok(img), Expect::Image(px)) => {
            assert_eq!(img.size, 8, "{name}");
            assert!(
                img.data
                    .iter()
                    .all(|v| v.is_finite() && (-1.0..=1.0).contains(v)),
                "{name}"
            );
            if let Some(px) = px {
                assert_eq!(img.to_rgb8().get_pixel(0, 0).0, *px, "{name}");
            }
        }
        (Err(e), Expect::Error) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "{name}: {msg:?}");
        }
        (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
    }
}

#[test]
fn every_awkward_input_gives_a_typed_error_or_a_correct_image() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rgb = DynamicImage::ImageRgb8(RgbImage::from_pixel(16, 16, Rgb([200, 100, 50])));
    let png = encode(&rgb, ImageFormat::Png);
    let jpeg = encode(&rgb, ImageFormat::Jpeg);
    let gray16 = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
        16,
        16,
        image::Luma([65535u16]),
    ));
    let rgb16 = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(
        16,
        16,
        image::Rgb([65535u16, 0, 0]),
    ));
    let gray = DynamicImage::ImageLuma8(image::ImageBuffer::from_pixel(16, 16, image::Luma([0u8])));
    let gray_alpha = DynamicImage::ImageLumaA8(image::ImageBuffer::from_pixel(
        16,
        16,
        image::LumaA([255u8, 128]),
    ));
    let rgba = DynamicImage::ImageRgba8(image::ImageBuffer::from_pixel(
        16,
        16,
        image::Rgba([0u8, 255, 0, 10]),
    ));
    let one = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb([0, 0, 255])));

    let files: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty.png", vec![], Expect::Error),
        (
            "truncated.png",
            png[..png.len() / 2].to_vec(),
            Expect::Error,
        ),
        (
            "truncated.jpg",
            jpeg[..jpeg.len() / 2].to_vec(),
            Expect::Error,
        ),
        ("header-only.png", png_header_only(16, 16), Expect::Error),
        ("huge.png", png_header_only(20_000, 20_000), Expect::Error),
        ("zero-width.png", png_header_only(0, 16), Expect::Error),
        ("notes.png", b"just some text\n".to_vec(), Expect::Error),
        (
            "random.bin",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            Expect::Error,
        ),
        (
            "png-named.jpg",
            png.clone(),
            Expect::Image(Some([200, 100, 50])),
        ),
        (
            "gray16.png",
            encode(&gray16, ImageFormat::Png),
            Expect::Image(Some([255, 255, 255])),
        ),
        (
            "rgb16.png",
            encode(&rgb16, ImageFormat::Png),
            Expect::Image(Some([255, 0, 0])),
        ),
        (
            "gray.png",
            encode(&gray, ImageFormat::Png),
            Expect::Image(Some([0, 0, 0])),
        ),
        (
            "gray-alpha.png",
            encode(&gray_alpha, ImageFormat::Png),
            Expect::Image(None),
        ),
        (
            "rgba.png",
            encode(&rgba, ImageFormat::Png),
            Expect::Image(None),
        ),
        (
            "one-pixel.png",
            encode(&one, ImageFormat::Png),
            Expect::Image(Some([0, 0, 255])),
        ),
        (
            "animated.gif",
            animated_gif(),
            Expect::Image(Some([255, 255, 255])),
        ),
        (
            "palette.png",
            png_palette(16, 16, &[[0, 0, 0], [10, 200, 30]]),
            Expect::Image(Some([10, 200, 30])),
        ),
        (
            "cmyk.jpg",
            include_bytes!("fixtures/cmyk-8x8.jpg").to_vec(),
            Expect::Near([200, 100, 50]),
        ),
        (
            "bmp.bmp",
            encode(&rgb, ImageFormat::Bmp),
            Expect::Image(Some([200, 100, 50])),
        ),
        (
            "tiff.tif",
            encode(&rgb, ImageFormat::Tiff),
            Expect::Image(Some([200, 100, 50])),
        ),
    ];
    let mut errors = 0;
    let mut images = 0;
    for (name, bytes, expect) in &files {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        check(
            name,
            std::panic::catch_unwind(|| load_image(&path, 8)),
            expect,
        );
        match expect {
            Expect::Error => errors += 1,
            Expect::Image(_) | Expect::Near(_) => images += 1,
        }
    }
    assert_eq!((errors, images), (8, 12));

    // Not files at all: a directory, a missing path, a symlink loop.
    std::fs::create_dir(d.join("folder.png")).unwrap();
    check(
        "directory",
        std::panic::catch_unwind(|| load_image(&d.join("folder.png"), 8)),
        &Expect::Error,
    );
    check(
        "missing",
        std::panic::catch_unwind(|| load_image(&d.join("nope.png"), 8)),
        &Expect::Error,
    );
    // A file that cannot be read: mode 000 (root reads those anyway, so on Linux also
    // /proc/self/mem, whose read fails with an I/O error).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = d.join("locked.png");
        std::fs::write(&locked, &png).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let result = std::panic::catch_unwind(|| load_image(&locked, 8));
        if std::fs::read(&locked).is_err() {
            check("unreadable (mode 000)", result, &Expect::Error);
        }
        if Path::new("/proc/self/mem").exists() {
            check(
                "unreadable (/proc/self/mem)",
                std::panic::catch_unwind(|| load_image(Path::new("/proc/self/mem"), 8)),
                &Expect::Error,
            );
        }
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("loop-b"), d.join("loop-a")).unwrap();
        std::os::unix::fs::symlink(d.join("loop-a"), d.join("loop-b")).unwrap();
        check(
            "symlink loop",
            std::panic::catch_unwind(|| load_image(&d.join("loop-a"), 8)),
            &Expect::Error,
        );
    }
}

#[test]
fn exif_orientation_is_applied() {
    // 8×4, red on the left. Orientation 6 ("rotate 90° clockwise to view") turns it 4×8 with red on top.
    let upright = decode_dynamic(&jpeg_with_orientation(1)).unwrap().to_rgb8();
    assert_eq!(upright.dimensions(), (8, 4));
    let rotated = decode_dynamic(&jpeg_with_orientation(6)).unwrap().to_rgb8();
    assert_eq!(rotated.dimensions(), (4, 8));
    let top = rotated.get_pixel(2, 1).0;
    let bottom = rotated.get_pixel(2, 6).0;
    assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
}

#[test]
fn a_folder_with_some_bad_files_trains_on_the_good_ones() {
    use diffusion_playground::data::dataset::load_folder;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rgb = DynamicImage::ImageRgb8(RgbImage::from_pixel(12, 12, Rgb([10, 20, 30])));
    for i in 0..3 {
        std::fs::write(
            d.join(format!("good{i}.png")),
            encode(&rgb, ImageFormat::Png),
        )
        .unwrap();
    }
    std::fs::write(d.join("bad.png"), b"nope").unwrap();
    std::fs::write(d.join("empty.jpg"), b"").unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d, d.join("sub").join("loop")).unwrap();
    let (images, report) = load_folder(d, 8).unwrap();
    assert_eq!(images.len(), 3);
    assert_eq!(report.loaded, 3);
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(
        report.summary().starts_with("3 images; 2 skipped"),
        "{}",
        report.summary()
    );
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("x.txt"), b"text").unwrap();
    let err = load_folder(empty.path(), 8).err().unwrap();
    assert!(err.to_string().contains("no usable images"), "{err}");
    assert!(Path::new(d).exists());
}
