//! Pictures out: sample grids as PNG and reverse trajectories as animated GIF.

use crate::data::image::unit_to_u8;
use crate::diffusion::Trajectory;
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, Rgb, RgbImage, RgbaImage};
use std::path::Path;

/// Lay out `n` CHW unit-space images of side `size` in a near-square grid, each scaled up
/// `scale` times (nearest neighbour), with a 1-pixel dark gutter.
pub fn grid(values: &[f32], n: usize, size: usize, scale: usize) -> RgbImage {
    let cols = (n.max(1) as f64).sqrt().ceil() as usize;
    grid_cols(values, n, cols, size, scale)
}

/// [`grid`] with `cols` images a row (one row: a strip).
pub fn grid_cols(values: &[f32], n: usize, cols: usize, size: usize, scale: usize) -> RgbImage {
    let n = n.max(1);
    let cols = cols.clamp(1, n);
    let rows = n.div_ceil(cols);
    let cell = size * scale + 1;
    let mut img = RgbImage::from_pixel(
        (cols * cell + 1) as u32,
        (rows * cell + 1) as u32,
        Rgb([24, 24, 24]),
    );
    let dim = 3 * size * size;
    let plane = size * size;
    for i in 0..n {
        let Some(chw) = values.get(i * dim..(i + 1) * dim) else {
            break;
        };
        let (ox, oy) = ((i % cols) * cell + 1, (i / cols) * cell + 1);
        for y in 0..size * scale {
            for x in 0..size * scale {
                let p = (y / scale) * size + x / scale;
                let px = Rgb([
                    unit_to_u8(chw[p]),
                    unit_to_u8(chw[plane + p]),
                    unit_to_u8(chw[2 * plane + p]),
                ]);
                img.put_pixel((ox + x) as u32, (oy + y) as u32, px);
            }
        }
    }
    img
}

/// One GIF frame per kept step: the grid of x_t on the left and of x̂_0 on the right.
pub fn trajectory_frames(traj: &Trajectory, size: usize, scale: usize) -> Vec<RgbImage> {
    traj.frames
        .iter()
        .map(|f| {
            let left = grid(&f.x_t, traj.n, size, scale);
            let right = grid(&f.x0_hat, traj.n, size, scale);
            let mut both =
                RgbImage::from_pixel(left.width() * 2 + 4, left.height(), Rgb([24, 24, 24]));
            image::imageops::overlay(&mut both, &left, 0, 0);
            image::imageops::overlay(&mut both, &right, (left.width() + 4) as i64, 0);
            both
        })
        .collect()
}

/// Write frames as a looping GIF, `delay_ms` per frame, holding the last one for a second.
pub fn write_gif(frames: &[RgbImage], delay_ms: u32, path: &Path) -> Result<(), image::ImageError> {
    let file = std::fs::File::create(path).map_err(image::ImageError::IoError)?;
    let mut enc = GifEncoder::new_with_speed(std::io::BufWriter::new(file), 10);
    enc.set_repeat(Repeat::Infinite)?;
    let last = frames.len().saturating_sub(1);
    for (i, f) in frames.iter().enumerate() {
        let rgba: RgbaImage = image::DynamicImage::ImageRgb8(f.clone()).to_rgba8();
        let ms = if i == last { 1000 } else { delay_ms };
        enc.encode_frame(Frame::from_parts(
            rgba,
            0,
            0,
            Delay::from_numer_denom_ms(ms, 1),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_images() {
        // two 1×1 images: white and black
        let v = [1.0, 1.0, 1.0, -1.0, -1.0, -1.0];
        let g = grid(&v, 2, 1, 2);
        assert_eq!(g.dimensions(), (7, 4));
        assert_eq!(g.get_pixel(1, 1), &Rgb([255, 255, 255]));
        assert_eq!(g.get_pixel(4, 2), &Rgb([0, 0, 0]));
    }
}

/// Save a screenshot of the window (egui's RGBA image) as a PNG.
pub fn save_color_image(image: &egui::ColorImage, path: &Path) -> Result<(), String> {
    let rgba: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    RgbaImage::from_raw(image.size[0] as u32, image.size[1] as u32, rgba)
        .ok_or_else(|| "bad screenshot size".to_owned())?
        .save(path)
        .map_err(|e| e.to_string())
}
