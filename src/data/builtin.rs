//! Built-in datasets, drawn by the program itself: nothing is downloaded or read from disk.
//!
//! - `shapes`: a filled circle, square or triangle in a random colour, size and place, on a
//!   contrasting plain background;
//! - `digits`: the digits 0–9 from a built-in 5×7 bitmap font, jittered in scale, slant,
//!   position and stroke width, light on dark.
//!
//! Both are rendered with 4×4 supersampling, so edges are anti-aliased at any size.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A built-in dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Builtin {
    /// coloured circles, squares and triangles
    Shapes,
    /// jittered font digits 0–9
    Digits,
}

impl Builtin {
    /// All built-in datasets.
    pub const ALL: [Builtin; 2] = [Self::Shapes, Self::Digits];

    /// The name after `builtin:`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Shapes => "shapes",
            Self::Digits => "digits",
        }
    }

    /// The class names, in label order: the shapes' kinds, or the digits 0–9.
    pub fn classes(self) -> Vec<String> {
        match self {
            Self::Shapes => SHAPE_CLASSES.iter().map(|s| s.to_string()).collect(),
            Self::Digits => (0..10).map(|d| d.to_string()).collect(),
        }
    }

    /// Draw one image of side `size` into `out` ([3, size, size], unit space, 8-bit grid)
    /// and return its class (an index into [`Self::classes`]).
    pub fn draw(self, rng: &mut impl Rng, size: usize, out: &mut [f32]) -> usize {
        match self {
            Self::Shapes => draw_shape(rng, size, out),
            Self::Digits => draw_digit(rng, size, out),
        }
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not a built-in dataset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown built-in dataset '{0}': expected shapes or digits")]
pub struct UnknownBuiltin(pub String);

impl FromStr for Builtin {
    type Err = UnknownBuiltin;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shapes" => Ok(Self::Shapes),
            "digits" => Ok(Self::Digits),
            _ => Err(UnknownBuiltin(s.to_owned())),
        }
    }
}

/// The classes of `shapes`, in label order.
pub const SHAPE_CLASSES: [&str; 3] = ["circle", "square", "triangle"];

const SUPERSAMPLE: usize = 4;

/// Render a coverage mask with `SUPERSAMPLE²` samples per pixel and blend `fg` over `bg`.
/// `inside(x, y)` takes coordinates in [0, 1]².
fn render(
    size: usize,
    out: &mut [f32],
    bg: [f32; 3],
    fg: [f32; 3],
    inside: impl Fn(f32, f32) -> bool,
) {
    let plane = size * size;
    let n = (SUPERSAMPLE * SUPERSAMPLE) as f32;
    for py in 0..size {
        for px in 0..size {
            let mut hits = 0usize;
            for sy in 0..SUPERSAMPLE {
                for sx in 0..SUPERSAMPLE {
                    let x = (px as f32 + (sx as f32 + 0.5) / SUPERSAMPLE as f32) / size as f32;
                    let y = (py as f32 + (sy as f32 + 0.5) / SUPERSAMPLE as f32) / size as f32;
                    hits += inside(x, y) as usize;
                }
            }
            let a = hits as f32 / n;
            for c in 0..3 {
                let v = bg[c] * (1.0 - a) + fg[c] * a; // in [0, 1]
                // Quantise to the 8-bit grid, then to unit space.
                out[c * plane + py * size + px] = (v * 255.0).round() / 127.5 - 1.0;
            }
        }
    }
}

fn hsv_to_rgb(h: f32, s: f32, v: f32) -> [f32; 3] {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    match (i as i32).rem_euclid(6) {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    }
}

fn draw_shape(rng: &mut impl Rng, size: usize, out: &mut [f32]) -> usize {
    let fg = hsv_to_rgb(
        rng.random(),
        rng.random_range(0.6..1.0),
        rng.random_range(0.75..1.0),
    );
    let grey = rng.random_range(0.05..0.25);
    let bg = [grey, grey, grey];
    let r = rng.random_range(0.18..0.32f32);
    let cx = rng.random_range(r..1.0 - r);
    let cy = rng.random_range(r..1.0 - r);
    let class = rng.random_range(0..3);
    match class {
        0 => render(size, out, bg, fg, |x, y| {
            (x - cx).powi(2) + (y - cy).powi(2) <= r * r
        }),
        1 => {
            let h = r * 0.85;
            render(size, out, bg, fg, |x, y| {
                (x - cx).abs() <= h && (y - cy).abs() <= h
            })
        }
        _ => {
            // An upright triangle inscribed in the circle of radius r.
            let (ax, ay) = (cx, cy - r);
            let (bx, by) = (cx - r * 0.866, cy + r * 0.5);
            let (qx, qy) = (cx + r * 0.866, cy + r * 0.5);
            let edge = |x0: f32, y0: f32, x1: f32, y1: f32, x: f32, y: f32| {
                (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)
            };
            render(size, out, bg, fg, |x, y| {
                let e0 = edge(ax, ay, bx, by, x, y);
                let e1 = edge(bx, by, qx, qy, x, y);
                let e2 = edge(qx, qy, ax, ay, x, y);
                (e0 >= 0.0 && e1 >= 0.0 && e2 >= 0.0) || (e0 <= 0.0 && e1 <= 0.0 && e2 <= 0.0)
            })
        }
    }
    class
}

/// A 5×7 bitmap font for 0–9: each row is 5 bits, most significant on the left.
const FONT_5X7: [[u8; 7]; 10] = [
    [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], // 0
    [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E], // 1
    [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], // 2
    [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E], // 3
    [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], // 4
    [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E], // 5
    [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], // 6
    [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08], // 7
    [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], // 8
    [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C], // 9
];

fn font_pixel(digit: usize, col: i32, row: i32) -> bool {
    (0..5).contains(&col)
        && (0..7).contains(&row)
        && FONT_5X7[digit][row as usize] & (0x10 >> col) != 0
}

fn draw_digit(rng: &mut impl Rng, size: usize, out: &mut [f32]) -> usize {
    let digit = rng.random_range(0..10usize);
    let height = rng.random_range(0.6..0.8f32); // glyph height as a share of the image
    let width = height * 5.0 / 7.0;
    let slant = rng.random_range(-0.2..0.2f32);
    let cx = 0.5 + rng.random_range(-0.08..0.08f32);
    let cy = 0.5 + rng.random_range(-0.06..0.06f32);
    let grow = rng.random_range(0.0..0.18f32); // stroke thickening, in font cells
    let ink = hsv_to_rgb(rng.random(), rng.random_range(0.0..0.5), 1.0);
    render(size, out, [0.0, 0.0, 0.0], ink, |x, y| {
        // image → font coordinates (cells), undoing slant and placement
        let v = (y - cy) / height + 0.5;
        let u = (x - cx + slant * (y - cy)) / width + 0.5;
        let (fx, fy) = (u * 5.0, v * 7.0);
        let (col, row) = (fx.floor() as i32, fy.floor() as i32);
        if font_pixel(digit, col, row) {
            return true;
        }
        // thicken: inside if within `grow` of an inked neighbour cell
        let near = |c: i32, r: i32| {
            let dx = (fx - fx.clamp(c as f32, c as f32 + 1.0)).abs();
            let dy = (fy - fy.clamp(r as f32, r as f32 + 1.0)).abs();
            font_pixel(digit, c, r) && dx.max(dy) <= grow
        };
        (-1..=1).any(|dr| (-1..=1).any(|dc| near(col + dc, row + dr)))
    });
    digit
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn images_are_on_the_grid_and_vary() {
        for kind in Builtin::ALL {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let mut a = vec![0.0; 3 * 32 * 32];
            let mut b = a.clone();
            kind.draw(&mut rng, 32, &mut a);
            kind.draw(&mut rng, 32, &mut b);
            assert_ne!(a, b, "{kind}");
            for v in &a {
                assert!((-1.0..=1.0).contains(v));
                let k = (v + 1.0) * 127.5;
                assert!(
                    (k - k.round()).abs() < 1e-3,
                    "{kind}: {v} not on the 8-bit grid"
                );
            }
            // Something is drawn: the image is not flat.
            let mean = a.iter().sum::<f32>() / a.len() as f32;
            let var = a.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / a.len() as f32;
            assert!(var > 0.01, "{kind}: variance {var}");
        }
    }

    #[test]
    fn draws_return_their_class() {
        // Every class is drawn, in about equal shares.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut out = vec![0.0; 3 * 16 * 16];
        let mut seen = [0usize; 10];
        for _ in 0..300 {
            let c = Builtin::Digits.draw(&mut rng, 16, &mut out);
            seen[c] += 1;
        }
        assert!(seen.iter().all(|&n| n > 10), "{seen:?}");
        let mut shapes = [0usize; 3];
        for _ in 0..300 {
            shapes[Builtin::Shapes.draw(&mut rng, 16, &mut out)] += 1;
        }
        assert!(shapes.iter().all(|&n| n > 60), "{shapes:?}");
        assert_eq!(Builtin::Shapes.classes(), ["circle", "square", "triangle"]);
        assert_eq!(Builtin::Digits.classes().len(), 10);
    }

    #[test]
    fn digit_font_has_ten_distinct_glyphs() {
        for i in 0..10 {
            for j in 0..i {
                assert_ne!(FONT_5X7[i], FONT_5X7[j]);
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in Builtin::ALL {
            assert_eq!(kind.name().parse::<Builtin>(), Ok(kind));
        }
        assert!("cats".parse::<Builtin>().is_err());
    }
}
