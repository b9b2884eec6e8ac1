//! Classifier-free guidance (Ho & Salimans 2022) and an exact measure of what it does, in f64
//! where it is math.
//!
//! One network predicts ε(x, c) for a class c and ε(x, ∅) for the "null" class it was trained
//! on with probability p_uncond. The guided prediction is
//!
//! ε̃ = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)) = (1 − w)·ε(x, ∅) + w·ε(x, c),
//!
//! computed in the second form, so that w = 1 gives ε(x, c) and w = 0 gives ε(x, ∅) bit for
//! bit: plain conditional and unconditional sampling. (Some papers write 1 + w for this w.)
//!
//! In 2-D the data can be a Gaussian mixture whose components are the classes
//! ([`LabelledMixture2d`]), so p(c | x) is known exactly: a sample counts as precise for its
//! class when p(c | x) > [`PRECISE`], and its spread is its distance to the class mean.

use rand::Rng;

/// A sample is precise for class c where the data's p(c | x) exceeds this.
pub const PRECISE: f64 = 0.9;

/// The largest guidance scale the app and the command line accept.
pub const MAX_W: f64 = 50.0;

/// The guidance scales of a sweep strip: unconditional, conditional, then ever stronger.
pub const SWEEP_WS: [f64; 5] = [0.0, 1.0, 2.0, 4.0, 8.0];

/// What to guide toward: a class, at scale w (1: plain conditional, 0: unconditional).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Guidance {
    /// the class index
    pub class: usize,
    /// the guidance scale
    pub w: f64,
}

/// Why a guidance scale is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the guidance scale w must be a number from 0 to {MAX_W}, got {0}")]
pub struct BadScale(pub f64);

/// Check a guidance scale: finite, 0 ≤ w ≤ [`MAX_W`].
pub fn check_scale(w: f64) -> Result<f64, BadScale> {
    if w.is_finite() && (0.0..=MAX_W).contains(&w) {
        Ok(w)
    } else {
        Err(BadScale(w))
    }
}

/// ε̃ = (1 − w)·ε_uncond + w·ε_cond, value by value.
pub fn guide(eps_uncond: &[f32], eps_cond: &[f32], w: f64) -> Vec<f32> {
    let w = w as f32;
    eps_uncond
        .iter()
        .zip(eps_cond)
        .map(|(&u, &c)| (1.0 - w) * u + w * c)
        .collect()
}

/// [`guide`] with a scale per row: `ws[i]` for the i-th `dim` values.
pub fn guide_rows(eps_uncond: &[f32], eps_cond: &[f32], ws: &[f64], dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(eps_cond.len());
    for ((u, c), &w) in eps_uncond
        .chunks(dim.max(1))
        .zip(eps_cond.chunks(dim.max(1)))
        .zip(ws.iter().cycle())
    {
        out.extend(guide(u, c, w));
    }
    out
}

/// One class of a [`LabelledMixture2d`]: weight, mean and isotropic standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component2d {
    /// mixture weight (normalised by the sum)
    pub weight: f64,
    /// mean
    pub mean: [f64; 2],
    /// standard deviation in each direction
    pub sd: f64,
}

/// A 2-D Gaussian mixture whose components are the classes.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledMixture2d {
    /// the classes
    pub components: Vec<Component2d>,
}

impl LabelledMixture2d {
    /// Three classes on a triangle of radius 0.8, sd 0.45 each: they overlap, so an
    /// unguided sample is often ambiguous.
    pub fn overlap() -> Self {
        let at = |k: f64| {
            let a = std::f64::consts::FRAC_PI_2 + k * 2.0 * std::f64::consts::PI / 3.0;
            Component2d {
                weight: 1.0,
                mean: [0.8 * a.cos(), 0.8 * a.sin() - 0.1],
                sd: 0.45,
            }
        };
        Self {
            components: vec![at(0.0), at(1.0), at(2.0)],
        }
    }

    /// The classes.
    pub fn classes(&self) -> usize {
        self.components.len()
    }

    /// `n` points and their classes.
    pub fn sample(&self, rng: &mut impl Rng, n: usize) -> (Vec<f32>, Vec<usize>) {
        let total: f64 = self.components.iter().map(|c| c.weight).sum();
        let mut points = Vec::with_capacity(2 * n);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let mut u = rng.random::<f64>() * total;
            let mut k = self.components.len() - 1;
            for (i, c) in self.components.iter().enumerate() {
                if u < c.weight {
                    k = i;
                    break;
                }
                u -= c.weight;
            }
            let c = self.components[k];
            for d in 0..2 {
                let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
                points.push((c.mean[d] + c.sd * z) as f32);
            }
            labels.push(k);
        }
        (points, labels)
    }

    /// The exact ε-prediction E[ε | x_t] of the data noised to ᾱ, for `class` (None: the
    /// whole mixture, the null class's target). Noised, class k is N(√ᾱ μ_k, s_k² I) with
    /// s_k² = ᾱ sd_k² + 1 − ᾱ, so ∇log p_t(x | k) = −(x − √ᾱ μ_k)/s_k²; the mixture's score is
    /// the responsibilities' average of those; and ε = −√(1 − ᾱ)·∇log p_t.
    pub fn eps_exact(&self, x: [f64; 2], alpha_bar: f64, class: Option<usize>) -> [f64; 2] {
        let a = alpha_bar.sqrt();
        let var = |c: &Component2d| alpha_bar * c.sd * c.sd + 1.0 - alpha_bar;
        let score = |c: &Component2d| {
            let v = var(c);
            [-(x[0] - a * c.mean[0]) / v, -(x[1] - a * c.mean[1]) / v]
        };
        let total: f64 = self.components.iter().map(|c| c.weight).sum();
        let s = match class {
            Some(k) => score(&self.components[k.min(self.components.len() - 1)]),
            None => {
                // responsibilities under the noised components, in logs for stability
                let logs: Vec<f64> = self
                    .components
                    .iter()
                    .map(|c| {
                        let v = var(c);
                        let d2 = (x[0] - a * c.mean[0]).powi(2) + (x[1] - a * c.mean[1]).powi(2);
                        (c.weight / total).ln() - v.ln() - d2 / (2.0 * v)
                    })
                    .collect();
                let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let r: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
                let sum: f64 = r.iter().sum();
                let mut s = [0.0; 2];
                for (c, r) in self.components.iter().zip(&r) {
                    let g = score(c);
                    s[0] += r / sum * g[0];
                    s[1] += r / sum * g[1];
                }
                s
            }
        };
        let k = (1.0 - alpha_bar).sqrt();
        [-k * s[0], -k * s[1]]
    }

    /// The exact denoiser D(x, σ) = E[x₀ | x] for x = x₀ + σ·ε (the variance-exploding form
    /// of the samplers in [`super::samplers`]): each class's posterior mean
    /// (sd²·x + σ²·μ)/(sd² + σ²), weighted by the responsibilities under N(μ, (sd² + σ²)I).
    pub fn denoise_exact(&self, x: [f64; 2], sigma: f64) -> [f64; 2] {
        let s2 = sigma * sigma;
        let logs: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let v = c.sd * c.sd + s2;
                let d2 = (x[0] - c.mean[0]).powi(2) + (x[1] - c.mean[1]).powi(2);
                c.weight.ln() - v.ln() - d2 / (2.0 * v)
            })
            .collect();
        let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let r: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
        let sum: f64 = r.iter().sum();
        let mut out = [0.0; 2];
        for (c, r) in self.components.iter().zip(&r) {
            let v = c.sd * c.sd + s2;
            for d in 0..2 {
                out[d] += r / sum * (c.sd * c.sd * x[d] + s2 * c.mean[d]) / v;
            }
        }
        out
    }

    /// p(c | x) for every class.
    pub fn posterior(&self, x: [f64; 2]) -> Vec<f64> {
        let logs: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let d2 = (x[0] - c.mean[0]).powi(2) + (x[1] - c.mean[1]).powi(2);
                c.weight.ln() - 2.0 * c.sd.ln() - d2 / (2.0 * c.sd * c.sd)
            })
            .collect();
        let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
        let s: f64 = w.iter().sum();
        w.iter().map(|v| v / s).collect()
    }
}

/// What guidance did to samples meant for one class.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ClassMetrics {
    /// share of samples with p(class | x) > [`PRECISE`]
    pub precision: f64,
    /// mean distance of the samples to the class mean
    pub spread: f64,
    /// mean distance between two of the samples (every pair): how varied they are
    pub diversity: f64,
}

/// Precision and spread of `samples` ([n, 2]) meant for `class` of `mix`.
pub fn class_metrics(mix: &LabelledMixture2d, samples: &[f32], class: usize) -> ClassMetrics {
    let n = (samples.len() / 2).max(1) as f64;
    let m = mix.components[class].mean;
    let (mut precise, mut dist) = (0usize, 0.0f64);
    for p in samples.chunks(2) {
        let x = [p[0] as f64, p[1] as f64];
        if mix.posterior(x)[class] > PRECISE {
            precise += 1;
        }
        dist += ((x[0] - m[0]).powi(2) + (x[1] - m[1]).powi(2)).sqrt();
    }
    let pts: Vec<[f64; 2]> = samples
        .chunks(2)
        .map(|p| [p[0] as f64, p[1] as f64])
        .collect();
    let (mut pair_sum, mut pairs) = (0.0f64, 0usize);
    for (i, a) in pts.iter().enumerate() {
        for b in &pts[i + 1..] {
            pair_sum += ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            pairs += 1;
        }
    }
    ClassMetrics {
        precision: precise as f64 / n,
        spread: dist / n,
        diversity: pair_sum / pairs.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn guidance_at_one_and_zero_is_the_conditional_and_the_unconditional_bit_for_bit() {
        let u = [0.1f32, -2.5, 3.3e-8, 1.0e6, -0.7];
        let c = [0.3f32, 7.25, -1.1e-7, -4.0e5, 0.7000001];
        assert_eq!(guide(&u, &c, 1.0), c.to_vec());
        assert_eq!(guide(&u, &c, 0.0), u.to_vec());
        let g = guide(&u, &c, 3.0);
        assert!((g[0] - (0.1 + 3.0 * 0.2)).abs() < 1e-6);
    }

    /// Samples drawn from class c itself: their precision is the class's share of mass
    /// where p(c | x) > 0.9 (computed by a fine grid), and their mean distance to the mean is
    /// sd·√(π/2) for an isotropic 2-D Gaussian.
    #[test]
    fn class_metrics_match_the_closed_forms() {
        let mix = LabelledMixture2d::overlap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (pts, labels) = mix.sample(&mut rng, 60_000);
        let of_class: Vec<f32> = pts
            .chunks(2)
            .zip(&labels)
            .filter(|(_, l)| **l == 0)
            .flat_map(|(p, _)| p.to_vec())
            .collect();
        let m = class_metrics(&mix, &of_class, 0);
        let c = mix.components[0];
        let expect_spread = c.sd * (std::f64::consts::PI / 2.0).sqrt();
        assert!(
            (m.spread - expect_spread).abs() < 0.01,
            "{} vs {expect_spread}",
            m.spread
        );
        // the precise share by a grid integral of N(μ₀, sd²) over {p(0|x) > 0.9}
        let h = 0.01;
        let mut mass = 0.0;
        for i in 0..600 {
            for j in 0..600 {
                let x = [-3.0 + (i as f64 + 0.5) * h, -3.0 + (j as f64 + 0.5) * h];
                if mix.posterior(x)[0] > PRECISE {
                    let d2 = (x[0] - c.mean[0]).powi(2) + (x[1] - c.mean[1]).powi(2);
                    mass += (-d2 / (2.0 * c.sd * c.sd)).exp()
                        / (2.0 * std::f64::consts::PI * c.sd * c.sd)
                        * h
                        * h;
                }
            }
        }
        assert!(
            (m.precision - mass).abs() < 0.01,
            "{} vs {mass}",
            m.precision
        );
        // The classes overlap: a plain sample of class 0 is precise only part of the time.
        assert!(mass > 0.2 && mass < 0.8, "{mass}");
        let total: f64 = mix.posterior([0.3, -0.2]).iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
    }
}
