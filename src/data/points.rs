//! The 1-D and 2-D worlds' data, drawn by the program: an editable 1-D Gaussian mixture, the
//! pixel values of an image (1-D), and in 2-D the two moons, a spiral, three rings, a 4×4 grid
//! of Gaussians and the dark (or bright) pixels of an image as a point cloud. Every set lives
//! roughly in [-2, 2]^dim, where N(0, I) can reach it.

use super::image::ImageRgb;
use crate::diffusion::guidance::LabelledMixture2d;
use crate::diffusion::toy::GaussianMixture1d;
use crate::tr;
use rand::Rng;
use std::f64::consts::PI;

/// Why a toy dataset cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointsError {
    /// the image has no pixels
    #[error("{}", tr!("points-err-empty-image"))]
    EmptyImage,
    /// no pixel is dark (or bright) enough
    #[error("{}", if *bright { tr!("points-err-no-bright") } else { tr!("points-err-no-dark") })]
    NoPixels {
        /// bright pixels were asked for
        bright: bool,
    },
    /// a mixture without a usable component
    #[error("{}", tr!("points-err-no-components"))]
    NoComponents,
    /// an unknown name
    #[error("{}", tr!("points-err-unknown", name = name))]
    Unknown {
        /// what was asked for
        name: String,
    },
}

/// A toy dataset.
#[derive(Clone, Debug, PartialEq)]
pub enum ToyData {
    /// two interleaved half circles (2-D)
    Moons,
    /// a two-armed spiral (2-D)
    Spiral,
    /// three concentric rings (2-D)
    Rings,
    /// a 4×4 grid of small Gaussians (2-D)
    Grid,
    /// a 1-D Gaussian mixture
    Mixture(GaussianMixture1d),
    /// a 2-D Gaussian mixture whose overlapping components are the classes
    Overlap(LabelledMixture2d),
    /// the values of an image's pixels, in unit space (1-D)
    Pixels(Vec<f32>),
    /// points of an image (2-D), one per chosen pixel centre, in [-1.6, 1.6]²
    Cloud {
        /// pixel centres
        points: Vec<[f32; 2]>,
        /// half a pixel, for jitter inside the pixel
        half_pixel: f32,
        /// each point's class (dark 0, bright 1), or empty for an unlabelled cloud
        labels: Vec<usize>,
    },
}

impl ToyData {
    /// The named sets of the CLI and the panel's menu.
    pub const NAMES: [&'static str; 6] = ["moons", "spiral", "rings", "grid", "mixture", "overlap"];

    /// `moons`, `spiral`, `rings`, `grid`, `mixture` (the default three-bump mixture) or
    /// `overlap` (three overlapping labelled classes in 2-D).
    pub fn parse(name: &str) -> Result<Self, PointsError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "moons" => Ok(Self::Moons),
            "spiral" => Ok(Self::Spiral),
            "rings" => Ok(Self::Rings),
            "grid" => Ok(Self::Grid),
            "mixture" => Ok(Self::Mixture(default_mixture())),
            "overlap" => Ok(Self::Overlap(LabelledMixture2d::overlap())),
            other => Err(PointsError::Unknown {
                name: other.to_owned(),
            }),
        }
    }

    /// 1 or 2.
    pub fn dim(&self) -> usize {
        match self {
            Self::Mixture(_) | Self::Pixels(_) => 1,
            _ => 2,
        }
    }

    /// A short name for labels.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Moons => "moons",
            Self::Spiral => "spiral",
            Self::Rings => "rings",
            Self::Grid => "grid",
            Self::Mixture(_) => "mixture",
            Self::Overlap(_) => "overlap",
            Self::Pixels(_) => "pixels",
            Self::Cloud { .. } => "image",
        }
    }

    /// Classes of a labelled set: the moons' two branches, the spiral's two arms, the
    /// overlapping mixture's components; 0 for an unlabelled set.
    pub fn classes(&self) -> usize {
        match self {
            Self::Moons | Self::Spiral => 2,
            Self::Overlap(m) => m.classes(),
            // an image's dark and bright pixels
            Self::Cloud { labels, .. } if !labels.is_empty() => 2,
            _ => 0,
        }
    }

    /// `n` points, [n, dim] flattened, and their classes (all 0 for an unlabelled set).
    pub fn sample_labelled(&self, rng: &mut impl Rng, n: usize) -> (Vec<f32>, Vec<usize>) {
        let normal = |rng: &mut dyn rand::RngCore| -> f64 {
            rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng)
        };
        match self {
            Self::Overlap(m) => m.sample(rng, n),
            Self::Moons => {
                let mut out = Vec::with_capacity(2 * n);
                let mut labels = Vec::with_capacity(n);
                for _ in 0..n {
                    let u = rng.random::<f64>() * PI;
                    let upper = rng.random::<bool>();
                    let (x, y) = if upper {
                        (u.cos(), u.sin())
                    } else {
                        (1.0 - u.cos(), 0.5 - u.sin())
                    };
                    out.push(((x - 0.5) * 1.3 + 0.06 * normal(rng)) as f32);
                    out.push(((y - 0.25) * 1.3 + 0.06 * normal(rng)) as f32);
                    labels.push(usize::from(!upper));
                }
                (out, labels)
            }
            Self::Spiral => {
                let mut out = Vec::with_capacity(2 * n);
                let mut labels = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = rng.random::<f64>().sqrt();
                    let second = rng.random::<bool>();
                    let arm = if second { PI } else { 0.0 };
                    let angle = 3.0 * PI * s + arm;
                    let r = 1.8 * s;
                    out.push((r * angle.cos() + 0.05 * normal(rng)) as f32);
                    out.push((r * angle.sin() + 0.05 * normal(rng)) as f32);
                    labels.push(usize::from(second));
                }
                (out, labels)
            }
            Self::Cloud {
                points,
                half_pixel,
                labels,
            } if !labels.is_empty() => {
                let mut out = Vec::with_capacity(2 * n);
                let mut classes = Vec::with_capacity(n);
                for _ in 0..n {
                    let i = rng.random_range(0..points.len());
                    out.push(points[i][0] + (rng.random::<f32>() * 2.0 - 1.0) * half_pixel);
                    out.push(points[i][1] + (rng.random::<f32>() * 2.0 - 1.0) * half_pixel);
                    classes.push(labels[i]);
                }
                (out, classes)
            }
            _ => (self.sample(rng, n), vec![0; n]),
        }
    }

    /// `n` points, [n, dim] flattened.
    pub fn sample(&self, rng: &mut impl Rng, n: usize) -> Vec<f32> {
        let normal = |rng: &mut dyn rand::RngCore| -> f64 {
            rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng)
        };
        let mut out = Vec::with_capacity(n * self.dim());
        match self {
            Self::Mixture(m) => return m.sample(rng, n),
            Self::Overlap(_) | Self::Moons | Self::Spiral => {
                return self.sample_labelled(rng, n).0;
            }
            Self::Pixels(values) => {
                for _ in 0..n {
                    let v = values[rng.random_range(0..values.len())] as f64;
                    // a little width inside the 8-bit level, so the data has a density
                    out.push((v + (rng.random::<f64>() - 0.5) * 2.0 / 255.0) as f32);
                }
            }
            Self::Rings => {
                for _ in 0..n {
                    let r = [0.6, 1.2, 1.8][rng.random_range(0..3)];
                    let a = rng.random::<f64>() * 2.0 * PI;
                    out.push((r * a.cos() + 0.05 * normal(rng)) as f32);
                    out.push((r * a.sin() + 0.05 * normal(rng)) as f32);
                }
            }
            Self::Grid => {
                for _ in 0..n {
                    let (i, j) = (rng.random_range(0..4), rng.random_range(0..4));
                    out.push((-1.5 + i as f64 + 0.1 * normal(rng)) as f32);
                    out.push((-1.5 + j as f64 + 0.1 * normal(rng)) as f32);
                }
            }
            Self::Cloud {
                points, half_pixel, ..
            } => {
                for _ in 0..n {
                    let p = points[rng.random_range(0..points.len())];
                    out.push(p[0] + (rng.random::<f32>() * 2.0 - 1.0) * half_pixel);
                    out.push(p[1] + (rng.random::<f32>() * 2.0 - 1.0) * half_pixel);
                }
            }
        }
        out
    }
}

/// Three bumps of different widths, the 1-D world's starting mixture.
pub fn default_mixture() -> GaussianMixture1d {
    GaussianMixture1d::new(vec![(0.3, -1.2, 0.25), (0.5, 0.4, 0.35), (0.2, 1.6, 0.15)])
        .expect("three valid components")
}

/// A mixture from the student's components (weight, mean, sd).
pub fn mixture(components: Vec<(f64, f64, f64)>) -> Result<ToyData, PointsError> {
    GaussianMixture1d::new(components)
        .map(ToyData::Mixture)
        .ok_or(PointsError::NoComponents)
}

/// The pixel values of an image (all channels), as a 1-D dataset.
pub fn pixel_values(image: &ImageRgb) -> Result<ToyData, PointsError> {
    if image.data.is_empty() {
        return Err(PointsError::EmptyImage);
    }
    Ok(ToyData::Pixels(image.data.clone()))
}

/// The dark pixels (luminance below the middle grey), or with `bright` the bright ones, of an
/// image as a 2-D point cloud: x to the right, y up, the image's square mapped onto
/// [-1.6, 1.6]².
pub fn image_cloud(image: &ImageRgb, bright: bool) -> Result<ToyData, PointsError> {
    let s = image.size;
    if s == 0 || image.data.len() < 3 * s * s {
        return Err(PointsError::EmptyImage);
    }
    let plane = s * s;
    let mut points = Vec::new();
    for y in 0..s {
        for x in 0..s {
            let i = y * s + x;
            let lum = 0.299 * image.data[i]
                + 0.587 * image.data[plane + i]
                + 0.114 * image.data[2 * plane + i];
            if (lum > 0.0) == bright {
                let u = (x as f32 + 0.5) / s as f32;
                let v = (y as f32 + 0.5) / s as f32;
                points.push([(u - 0.5) * 3.2, (0.5 - v) * 3.2]);
            }
        }
    }
    if points.is_empty() {
        return Err(PointsError::NoPixels { bright });
    }
    Ok(ToyData::Cloud {
        points,
        half_pixel: 1.6 / s as f32,
        labels: Vec::new(),
    })
}

/// Every pixel of an image as a labelled 2-D point cloud: class 0 the dark pixels, class 1 the
/// bright ones (the split of [`image_cloud`]), for a conditional model. Both must be present.
pub fn image_classes(image: &ImageRgb) -> Result<ToyData, PointsError> {
    let mut points = Vec::new();
    let mut labels = Vec::new();
    let mut half_pixel = 0.0;
    for (class, bright) in [(0, false), (1, true)] {
        let ToyData::Cloud {
            points: p,
            half_pixel: h,
            ..
        } = image_cloud(image, bright)?
        else {
            return Err(PointsError::EmptyImage);
        };
        labels.extend(std::iter::repeat_n(class, p.len()));
        points.extend(p);
        half_pixel = h;
    }
    Ok(ToyData::Cloud {
        points,
        half_pixel,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn disc_image(size: usize) -> ImageRgb {
        // a black disc of radius size/4 in the middle of a white square
        let mut data = vec![1.0f32; 3 * size * size];
        for y in 0..size {
            for x in 0..size {
                let (dx, dy) = (
                    x as f32 + 0.5 - size as f32 / 2.0,
                    y as f32 + 0.5 - size as f32 / 2.0,
                );
                if (dx * dx + dy * dy).sqrt() < size as f32 / 4.0 {
                    for c in 0..3 {
                        data[c * size * size + y * size + x] = -1.0;
                    }
                }
            }
        }
        ImageRgb { size, data }
    }

    #[test]
    fn a_black_disc_gives_a_cloud_inside_the_disc() {
        let img = disc_image(32);
        let cloud = image_cloud(&img, false).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let pts = cloud.sample(&mut rng, 2000);
        // radius size/4 of a side mapped to 3.2: 0.8, plus half a pixel of jitter
        for p in pts.chunks(2) {
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!(r < 0.8 + 0.15, "{p:?} outside the disc");
        }
        // and the bright pixels are outside it
        let bright = image_cloud(&img, true).unwrap().sample(&mut rng, 2000);
        assert!(
            bright
                .chunks(2)
                .all(|p| (p[0] * p[0] + p[1] * p[1]).sqrt() > 0.8 - 0.15)
        );
    }

    #[test]
    fn an_image_gives_two_classes_dark_inside_the_disc_and_bright_outside() {
        let img = disc_image(32);
        let data = image_classes(&img).unwrap();
        assert_eq!(data.classes(), 2);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (pts, labels) = data.sample_labelled(&mut rng, 3000);
        let mut seen = [0; 2];
        for (p, &c) in pts.chunks(2).zip(&labels) {
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            seen[c] += 1;
            if c == 0 {
                assert!(r < 0.8 + 0.15, "dark {p:?} outside the disc");
            } else {
                assert!(r > 0.8 - 0.15, "bright {p:?} inside the disc");
            }
        }
        // π·0.8² of 3.2² is dark: about a fifth.
        assert!((400..900).contains(&seen[0]), "{seen:?}");
        assert_eq!(image_cloud(&img, false).unwrap().classes(), 0);
        let white = ImageRgb {
            size: 4,
            data: vec![1.0; 48],
        };
        assert_eq!(
            image_classes(&white),
            Err(PointsError::NoPixels { bright: false })
        );
    }

    #[test]
    fn bad_toy_input_is_refused_with_a_reason() {
        let white = ImageRgb {
            size: 4,
            data: vec![1.0; 48],
        };
        assert_eq!(
            image_cloud(&white, false),
            Err(PointsError::NoPixels { bright: false })
        );
        let empty = ImageRgb {
            size: 0,
            data: vec![],
        };
        assert_eq!(image_cloud(&empty, false), Err(PointsError::EmptyImage));
        assert_eq!(pixel_values(&empty), Err(PointsError::EmptyImage));
        assert_eq!(mixture(vec![]), Err(PointsError::NoComponents));
        assert_eq!(
            mixture(vec![(1.0, 0.0, 0.0)]),
            Err(PointsError::NoComponents)
        );
        assert!(matches!(
            ToyData::parse("circles"),
            Err(PointsError::Unknown { .. })
        ));
        for e in [PointsError::EmptyImage, PointsError::NoComponents] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn every_named_set_has_its_dimension_and_stays_in_reach() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for name in ToyData::NAMES {
            let d = ToyData::parse(name).unwrap();
            let pts = d.sample(&mut rng, 500);
            assert_eq!(pts.len(), 500 * d.dim());
            assert!(pts.iter().all(|v| v.is_finite() && v.abs() < 3.0), "{name}");
        }
    }
}
