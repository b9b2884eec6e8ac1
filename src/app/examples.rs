//! Built-in example images, drawn by the program (no files needed).

use super::forward::{FORWARD_SIZE, SourceImage};
use crate::data::ImageRgb;
use crate::data::builtin::Builtin;
use rand::SeedableRng;

/// The examples' names, in menu order.
pub const COUNT: usize = 5;
/// The example drawn from `builtin:shapes` (the bundled model's training data).
pub const SHAPE: usize = 2;
/// The example drawn from `builtin:digits`.
pub const DIGIT: usize = 3;

/// The name of example `index`, in the current language.
pub fn name(index: usize) -> &'static str {
    match index % COUNT {
        0 => crate::tr!("example-sunset"),
        1 => crate::tr!("example-checkerboard"),
        2 => crate::tr!("example-shape"),
        3 => crate::tr!("example-digit"),
        _ => crate::tr!("example-rings"),
    }
}

/// Draw example `index` at side `size` in unit space.
pub fn draw(index: usize, size: usize) -> ImageRgb {
    let plane = size * size;
    let mut data = vec![0.0f32; 3 * plane];
    let mut put = |x: usize, y: usize, rgb: [f32; 3]| {
        for c in 0..3 {
            data[c * plane + y * size + x] =
                ((rgb[c].clamp(0.0, 1.0) * 255.0).round() / 127.5) - 1.0;
        }
    };
    let s = size as f32;
    match index % COUNT {
        0 => {
            for y in 0..size {
                for x in 0..size {
                    let (u, v) = (x as f32 / s, y as f32 / s);
                    let sky = [0.98 - 0.3 * v, 0.55 - 0.35 * v, 0.35 + 0.3 * v];
                    let sun = ((u - 0.5).powi(2) + (v - 0.55).powi(2)).sqrt() < 0.18;
                    let sea = v > 0.68;
                    let rgb = if sea {
                        [0.1, 0.2 + 0.1 * ((u * 40.0).sin() * 0.5 + 0.5), 0.45]
                    } else if sun {
                        [1.0, 0.9, 0.5]
                    } else {
                        sky
                    };
                    put(x, y, rgb);
                }
            }
        }
        1 => {
            for y in 0..size {
                for x in 0..size {
                    let on = ((x * 8 / size) + (y * 8 / size)) % 2 == 0;
                    put(
                        x,
                        y,
                        if on {
                            [0.95, 0.95, 0.95]
                        } else {
                            [0.1, 0.1, 0.15]
                        },
                    );
                }
            }
        }
        2 | 3 => {
            let kind = if index % COUNT == 2 {
                Builtin::Shapes
            } else {
                Builtin::Digits
            };
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(index as u64 + 11);
            kind.draw(&mut rng, size, &mut data);
        }
        _ => {
            for y in 0..size {
                for x in 0..size {
                    let r = (((x as f32 / s - 0.5).powi(2) + (y as f32 / s - 0.5).powi(2)).sqrt()
                        * 18.0)
                        .sin();
                    put(x, y, [0.5 + 0.5 * r, 0.3, 0.5 - 0.5 * r]);
                }
            }
        }
    }
    ImageRgb { size, data }
}

/// Example `index` at the display and model sizes.
pub fn source(index: usize, model_size: usize) -> SourceImage {
    SourceImage {
        name: name(index).to_owned(),
        example: Some(index % COUNT),
        display: draw(index, FORWARD_SIZE),
        model: draw(index, model_size),
    }
}
