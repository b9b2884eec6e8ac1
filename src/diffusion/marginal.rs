//! The study note's integral P(x) = ∫ P(z) P(x|z) dz, with z ~ N(0, I) and a generator G,
//! estimated by Monte Carlo over prior draws zᵢ:
//!
//! - Gaussian likelihood y ~ N(G(z), σ²I) over all d values of the image, read as the
//!   probability of x's 8-bit bins, the same convention as the −ELBO's L₀: each value's bin is
//!   [x − 1/255, x + 1/255], open at the edges (x = −1 owns (−∞, −1 + 1/255], x = 1 owns
//!   [1 − 1/255, ∞)), so
//!   log P(x|z) = Σⱼ log P(yⱼ ∈ binⱼ) and P(x) ≈ (1/N) Σᵢ P(x|zᵢ), computed as
//!   logsumexp(log P(x|zᵢ)) − log N. A probability, so −log₂ P(x)/d (bits/dim) is never below 0.
//!   Its standard error in log space is the delta method's SE(mean)/mean of the weights
//!   wᵢ = P(x|zᵢ), and the effective number of draws (Σw)²/Σw² says how far to trust it: with
//!   one draw dominating (≈ 1), the estimate is biased low whatever its standard error says.
//!   The continuous density N(x; G(z), σ²I) on ℝ^d is kept beside it, clearly named
//!   (`log_p_x_density_nats`).
//! - Indicator likelihood p(x|z) = 1[G(z) = x]: G(z) = x only where every value lands on the
//!   same 8-bit level, so P(x) ≈ hits/N, and for a continuous G the true P(x) is exactly 0.
//! - The collapse curve: on the first d values, the probability that y lands in x's 8-bit
//!   bins (the same bins, open at ±1), for y ~ N(G(z), σ²) (computed in log space with a
//!   log-CDF, so it never underflows), and for the indicator (hits on the first d values / N).
//!
//! Everything is in unit space ([-1, 1]) and in nats unless a name says otherwise.

use super::gaussian::discretized_gaussian_log_likelihood;
use std::f64::consts::{LN_2, LN_10, PI};

/// Half the width of one 8-bit level in unit space: 1/255.
pub const HALF_LEVEL: f64 = 1.0 / 255.0;

/// Smallest and largest σ the estimators accept.
pub const SIGMA_RANGE: (f64, f64) = (0.001, 10.0);

/// The 8-bit level (0..=255) of a unit-space value.
pub fn level(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// log P(y ∈ x's 8-bit bins) for y ~ N(g, σ² I), summed over every value, in nats (bins open
/// at ±1, as the −ELBO's decoder).
pub fn bin_log_probability(x_unit: &[f32], g_unit: &[f32], sigma: f64) -> f64 {
    let logvar = 2.0 * sigma.ln();
    x_unit
        .iter()
        .zip(g_unit)
        .map(|(&x, &g)| discretized_gaussian_log_likelihood(snap(x), g as f64, logvar))
        .sum()
}

/// The 8-bit level's value in unit space: −1 + 2k/255.
fn snap(v: f32) -> f64 {
    -1.0 + 2.0 * level(v) as f64 / 255.0
}

/// (Σw)²/Σw² of the weights wᵢ = exp(lᵢ): how many draws carry the average (N when all are
/// equal, 1 when one dominates).
pub fn effective_draws(logs: &[f64]) -> f64 {
    let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return 0.0;
    }
    let (s1, s2) = logs.iter().fold((0.0, 0.0), |(a, b), l| {
        let w = (l - m).exp();
        (a + w, b + w * w)
    });
    s1 * s1 / s2
}

/// Below this many effective draws the estimate of log P(x) is dominated by one draw.
pub const FEW_EFFECTIVE_DRAWS: f64 = 2.0;

/// log N(x; g, σ² I) summed over every value, in nats.
pub fn gaussian_log_likelihood(x_unit: &[f32], g_unit: &[f32], sigma: f64) -> f64 {
    let var = sigma * sigma;
    let sq: f64 = x_unit
        .iter()
        .zip(g_unit)
        .map(|(&x, &g)| (x as f64 - g as f64).powi(2))
        .sum();
    -0.5 * (sq / var + x_unit.len() as f64 * (2.0 * PI * var).ln())
}

/// log((1/N) Σ exp(lᵢ)) and its delta-method standard error, stable for any lᵢ.
pub fn log_mean_exp(logs: &[f64]) -> (f64, f64) {
    let n = logs.len();
    if n == 0 {
        return (f64::NEG_INFINITY, f64::NAN);
    }
    let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, f64::NAN);
    }
    let w: Vec<f64> = logs.iter().map(|l| (l - m).exp()).collect();
    let mean = w.iter().sum::<f64>() / n as f64;
    let se = if n > 1 {
        let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt() / mean
    } else {
        f64::NAN
    };
    (m + mean.ln(), se)
}

/// The Monte Carlo estimate of P(x) for one image over N prior draws.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MarginalEstimate {
    /// log P(x) ≈ log (1/N) Σᵢ P(y ∈ x's 8-bit bins | zᵢ), y ~ N(G(zᵢ), σ²I), whole image,
    /// nats: a probability
    pub log_p_x_nats: f64,
    /// its standard error (delta method), nats
    pub log_p_x_stderr_nats: f64,
    /// −log P(x) / (d ln 2), bits/dim of the 8-bit bins: ≥ 0, the −ELBO's unit
    pub bits_per_dim: f64,
    /// (Σw)²/Σw² of the draws' weights P(x|zᵢ); below 2 one draw dominates and log P(x) is
    /// biased low
    pub effective_draws: f64,
    /// log (1/N) Σᵢ N(x; G(zᵢ), σ²I), the continuous density on ℝ^d at x, nats (not
    /// comparable with bits of bins: it differs by about d·log(2/255))
    pub log_p_x_density_nats: f64,
    /// its standard error (delta method), nats
    pub log_p_x_density_stderr_nats: f64,
    /// draws zᵢ with G(zᵢ) = x on every value (same 8-bit level)
    pub indicator_hits: usize,
    /// N
    pub draws: usize,
    /// d, values per image
    pub dims: usize,
    /// σ of p(x|z)
    pub sigma: f64,
    /// log P(x|zᵢ) per draw (bins), nats
    #[serde(skip)]
    pub log_p_given_z: Vec<f64>,
    /// the draw with the largest P(x|zᵢ): the z that explains x best
    #[serde(skip)]
    pub best_draw: usize,
}

/// Estimate P(x) from `g_draws` = [N, d] values of G(zᵢ) for zᵢ ~ N(0, I).
pub fn estimate_marginal(x_unit: &[f32], g_draws: &[f32], sigma: f64) -> MarginalEstimate {
    let dims = x_unit.len().max(1);
    let rows: Vec<&[f32]> = g_draws.chunks(dims).filter(|r| r.len() == dims).collect();
    let log_p_given_z: Vec<f64> = rows
        .iter()
        .map(|g| bin_log_probability(x_unit, g, sigma))
        .collect();
    let (log_p, se) = log_mean_exp(&log_p_given_z);
    let density: Vec<f64> = rows
        .iter()
        .map(|g| gaussian_log_likelihood(x_unit, g, sigma))
        .collect();
    let (log_density, density_se) = log_mean_exp(&density);
    let indicator_hits = rows
        .iter()
        .filter(|g| g.iter().zip(x_unit).all(|(&a, &b)| level(a) == level(b)))
        .count();
    let best_draw = log_p_given_z
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    MarginalEstimate {
        log_p_x_nats: log_p,
        log_p_x_stderr_nats: se,
        bits_per_dim: -log_p / (dims as f64 * LN_2),
        effective_draws: effective_draws(&log_p_given_z),
        log_p_x_density_nats: log_density,
        log_p_x_density_stderr_nats: density_se,
        indicator_hits,
        draws: rows.len(),
        dims,
        sigma,
        log_p_given_z,
        best_draw,
    }
}

/// One point of the collapse curve.
#[derive(Clone, Debug, PartialEq)]
pub struct CollapsePoint {
    /// number of values d
    pub d: usize,
    /// draws whose G(z) hits x's level on all of the first d values
    pub hits: usize,
    /// log₁₀ (hits/N); −∞ for zero hits
    pub log10_indicator: f64,
    /// log₁₀ of (1/N) Σᵢ P(yⱼ ∈ xⱼ's bin ∀ j ≤ d), y ~ N(G(zᵢ), σ²), bins open at ±1
    pub log10_gaussian: f64,
}

/// d = 1, 2, 4, … and the whole image, over the values in `order` (a permutation of
/// 0..dims that starts with the value under study).
pub fn collapse_curve(
    x_unit: &[f32],
    g_draws: &[f32],
    sigma: f64,
    order: &[usize],
) -> Vec<CollapsePoint> {
    let dims = x_unit.len().max(1);
    let rows: Vec<&[f32]> = g_draws.chunks(dims).filter(|r| r.len() == dims).collect();
    let n = rows.len().max(1) as f64;
    let mut ds = vec![];
    let mut d = 1;
    while d < order.len() {
        ds.push(d);
        d *= 2;
    }
    ds.push(order.len());
    // Running sums over the order, one per draw.
    let mut log_box = vec![0.0f64; rows.len()];
    let mut all_hit = vec![true; rows.len()];
    let mut done = 0;
    let mut out = Vec::with_capacity(ds.len());
    for d in ds {
        for &j in &order[done..d] {
            let x = snap(x_unit[j]);
            let logvar = 2.0 * sigma.ln();
            for (k, g) in rows.iter().enumerate() {
                log_box[k] += discretized_gaussian_log_likelihood(x, g[j] as f64, logvar);
                all_hit[k] &= level(g[j]) == level(x_unit[j]);
            }
        }
        done = d;
        let hits = all_hit.iter().filter(|&&h| h).count();
        let (lg, _) = log_mean_exp(&log_box);
        out.push(CollapsePoint {
            d,
            hits,
            log10_indicator: if hits > 0 {
                (hits as f64 / n).log10()
            } else {
                f64::NEG_INFINITY
            },
            log10_gaussian: lg / LN_10,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::process::fill_standard_normal;
    use rand::{Rng, SeedableRng};

    /// Φ(b) − Φ(a), plainly (for the closed forms here, far from the tails).
    fn interval(a: f64, b: f64) -> f64 {
        crate::diffusion::gaussian::standard_normal_cdf(b)
            - crate::diffusion::gaussian::standard_normal_cdf(a)
    }

    /// A linear generator G(z) = μ + s·z makes y = G(z) + σε ~ N(μ, (s² + σ²) I) exactly, so
    /// P(x's bins) = Πⱼ [Φ((xⱼ + 1/255 − μⱼ)/v) − Φ((xⱼ − 1/255 − μⱼ)/v)], v = √(s² + σ²),
    /// and the density is N(x; μ, v² I). The estimator must match both within its own
    /// standard error.
    #[test]
    fn linear_generator_matches_the_closed_form() {
        let dims = 4;
        let mu: Vec<f32> = vec![0.2, -0.5, 0.0, 0.7];
        let (s, sigma) = (0.3f64, 0.2f64);
        // on 8-bit levels: k = 160, 89, 115, 204
        let x: Vec<f32> = [160, 89, 115, 204]
            .iter()
            .map(|&k| -1.0 + 2.0 * k as f32 / 255.0)
            .collect();
        let v = (s * s + sigma * sigma).sqrt();
        let exact_bins: f64 = x
            .iter()
            .zip(&mu)
            .map(|(&x, &m)| {
                let (x, m) = (snap(x), m as f64);
                interval((x - HALF_LEVEL - m) / v, (x + HALF_LEVEL - m) / v).ln()
            })
            .sum();
        let exact_density: f64 = x
            .iter()
            .zip(&mu)
            .map(|(&x, &m)| {
                -0.5 * ((x as f64 - m as f64).powi(2) / (v * v) + (2.0 * PI * v * v).ln())
            })
            .sum();
        for seed in 0..5 {
            let n = 20_000;
            let mut z = vec![0.0f32; n * dims];
            fill_standard_normal(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), &mut z);
            let g: Vec<f32> = z
                .chunks(dims)
                .flat_map(|row| row.iter().zip(&mu).map(|(&z, &m)| m + s as f32 * z))
                .collect();
            let est = estimate_marginal(&x, &g, sigma);
            assert_eq!(est.draws, n);
            assert!(est.log_p_x_stderr_nats > 0.0 && est.log_p_x_stderr_nats < 0.05);
            assert!(
                (est.log_p_x_nats - exact_bins).abs() < 3.0 * est.log_p_x_stderr_nats,
                "seed {seed}: {} ± {} vs {exact_bins}",
                est.log_p_x_nats,
                est.log_p_x_stderr_nats
            );
            assert!(
                (est.log_p_x_density_nats - exact_density).abs()
                    < 3.0 * est.log_p_x_density_stderr_nats,
                "seed {seed}: density {} vs {exact_density}",
                est.log_p_x_density_nats
            );
            assert!((est.bits_per_dim + est.log_p_x_nats / (4.0 * LN_2)).abs() < 1e-12);
            assert!(est.effective_draws > 1000.0, "{}", est.effective_draws);
            // A continuous G never lands on x's levels in all four values at once here.
            assert!(est.indicator_hits < n / 100);
        }
    }

    /// A G that is x itself hits every time, and P(x|z) is each value's bin under N(x, σ²):
    /// 2Φ(1/(255σ)) − 1 inside, Φ(1/(255σ)) at the edge −1, whose bin is open.
    #[test]
    fn a_generator_that_returns_x_hits_every_time() {
        let x: Vec<f32> = (0..12).map(|i| i as f32 / 127.5 - 1.0).collect();
        let g: Vec<f32> = x.iter().cycle().take(12 * 5).cloned().collect();
        let sigma = 0.1;
        let est = estimate_marginal(&x, &g, sigma);
        assert_eq!(est.indicator_hits, 5);
        let h = HALF_LEVEL / sigma;
        let inside = interval(-h, h).ln();
        let edge = crate::diffusion::gaussian::standard_normal_cdf(h).ln();
        let expect = edge + 11.0 * inside;
        assert!(
            (est.log_p_x_nats - expect).abs() < 1e-9,
            "{} vs {expect}",
            est.log_p_x_nats
        );
        assert!(est.log_p_x_stderr_nats.abs() < 1e-12);
        assert!((est.effective_draws - 5.0).abs() < 1e-9);
        let density = -0.5 * 12.0 * (2.0 * PI * sigma * sigma).ln();
        assert!((est.log_p_x_density_nats - density).abs() < 1e-9);
    }

    /// bits/dim of bins are ≥ 0 whatever σ; at σ = 1 no bin of width 2/255 holds more than
    /// (2/255)·φ(0), so an image with no saturated value reads above log₂(255/(2φ(0))) ≈ 8.3.
    #[test]
    fn bits_of_bins_are_never_negative_and_above_8_at_sigma_1() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let x: Vec<f32> = (0..48)
            .map(|_| -1.0 + 2.0 * rng.random_range(1..255) as f32 / 255.0)
            .collect();
        let mut g = vec![0.0f32; 48 * 16];
        fill_standard_normal(&mut rng, &mut g);
        for sigma in [0.001, 0.01, 0.1, 1.0, 10.0] {
            let est = estimate_marginal(&x, &g, sigma);
            assert!(est.bits_per_dim >= 0.0, "σ {sigma}: {}", est.bits_per_dim);
        }
        // G = x exactly and σ tiny: the bins hold everything, 0 bits, while the density is huge.
        let exact = estimate_marginal(&x, &x, 0.001);
        assert!(exact.bits_per_dim >= 0.0 && exact.bits_per_dim < 1e-3);
        assert!(exact.log_p_x_density_nats > 0.0);
        let est = estimate_marginal(&x, &g, 1.0);
        assert!(est.bits_per_dim > 8.0, "{}", est.bits_per_dim);
    }

    /// A black (−1) value with G(z) at −1.2: its open bin (−∞, −1 + 1/255] holds most of
    /// N(−1.2, σ²), where a symmetric bin [−1 − 1/255, −1 + 1/255] would hold almost nothing
    /// (the 2.8-nat error per value of a digit's background).
    #[test]
    fn saturated_values_use_the_open_edge_bins_in_the_curve_too() {
        let x = vec![-1.0f32; 4];
        let g = vec![-1.2f32; 4];
        let order: Vec<usize> = (0..4).collect();
        let sigma = 0.1;
        let c = collapse_curve(&x, &g, sigma, &order);
        let open =
            crate::diffusion::gaussian::standard_normal_cdf((-1.0 + HALF_LEVEL + 1.2) / sigma);
        assert!(
            (c[0].log10_gaussian - open.log10()).abs() < 1e-6,
            "{}",
            c[0].log10_gaussian
        );
        let est = estimate_marginal(&x, &g, sigma);
        assert!((est.log_p_x_nats - 4.0 * open.ln()).abs() < 1e-5);
    }

    #[test]
    fn effective_draws_count_the_draws_that_matter() {
        assert!((effective_draws(&[0.0; 8]) - 8.0).abs() < 1e-12);
        assert!((effective_draws(&[0.0, -50.0, -60.0, -70.0]) - 1.0).abs() < 1e-9);
        assert!((effective_draws(&[0.0, 0.0, -80.0]) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn log_mean_exp_is_stable() {
        let (l, _) = log_mean_exp(&[-1e5, -1e5]);
        assert!((l + 1e5).abs() < 1e-9);
        let (l, _) = log_mean_exp(&[0.0, 2f64.ln()]);
        assert!((l - 1.5f64.ln()).abs() < 1e-12);
        assert_eq!(log_mean_exp(&[]).0, f64::NEG_INFINITY);
    }

    /// σ = 0.01 and |G − x| = 0.1 on one value: P(y in x's bin) = Φ(−9.608) − Φ(−10.39),
    /// log₁₀ ≈ −21.4 (the old 1+erf form returned −300). Zero indicator hits are −∞, and the
    /// Gaussian curve falls as d grows.
    #[test]
    fn collapse_curve_in_log_space() {
        // level 128, and G 0.1 above it
        let v = -1.0 + 2.0 * 128.0 / 255.0;
        let x = vec![v as f32; 8];
        let g = vec![(v + 0.1) as f32; 8];
        let order: Vec<usize> = (0..8).collect();
        let c = collapse_curve(&x, &g, 0.01, &order);
        assert_eq!(c.iter().map(|p| p.d).collect::<Vec<_>>(), vec![1, 2, 4, 8]);
        assert!(
            (c[0].log10_gaussian + 21.4).abs() < 0.05,
            "{}",
            c[0].log10_gaussian
        );
        assert!((c[3].log10_gaussian - 8.0 * c[0].log10_gaussian).abs() < 1e-6);
        assert!(
            c.iter()
                .all(|p| p.hits == 0 && p.log10_indicator == f64::NEG_INFINITY)
        );
        // Two draws, one exact: the indicator is log₁₀ ½ on every d.
        let mut g2 = x.clone();
        g2.extend(vec![0.1f32; 8]);
        let c = collapse_curve(&x, &g2, 0.01, &order);
        assert!(
            c.iter()
                .all(|p| p.hits == 1 && (p.log10_indicator - 0.5f64.log10()).abs() < 1e-12)
        );
    }
}
