//! The study note's integral P(x) = ∫ P(z) P(x|z) dz, with z ~ N(0, I) and a generator G,
//! estimated by Monte Carlo over prior draws zᵢ:
//!
//! - Gaussian likelihood p(x|z) = N(x; G(z), σ²I) over all d values of the image:
//!   log p(x|z) = −½ Σⱼ ((xⱼ − Gⱼ(z))²/σ² + log 2πσ²), and
//!   P(x) ≈ (1/N) Σᵢ p(x|zᵢ), computed as logsumexp(log p(x|zᵢ)) − log N. Its standard error in
//!   log space is the delta method's SE(mean)/mean of the weights wᵢ = p(x|zᵢ).
//! - Indicator likelihood p(x|z) = 1[G(z) = x]: G(z) = x only where every value lands on the
//!   same 8-bit level, so P(x) ≈ hits/N, and for a continuous G the true P(x) is exactly 0.
//! - The collapse curve: on the first d values, the probability that y lands in x's 8-bit
//!   bin (|yⱼ − xⱼ| < 1/255 for all j ≤ d), for y ~ N(G(z), σ²) (computed in log space with a
//!   log-CDF, so it never underflows), and for the indicator (hits on the first d values / N).
//!
//! Everything is in unit space ([-1, 1]) and in nats unless a name says otherwise.

use super::gaussian::log_normal_interval;
use std::f64::consts::{LN_2, LN_10, PI};

/// Half the width of one 8-bit level in unit space: 1/255.
pub const HALF_LEVEL: f64 = 1.0 / 255.0;

/// Smallest and largest σ the estimators accept.
pub const SIGMA_RANGE: (f64, f64) = (0.001, 10.0);

/// The 8-bit level (0..=255) of a unit-space value.
pub fn level(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

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
    /// log P(x) ≈ log (1/N) Σᵢ N(x; G(zᵢ), σ²I), whole image, nats
    pub log_p_x_nats: f64,
    /// its standard error (delta method), nats
    pub log_p_x_stderr_nats: f64,
    /// −log P(x) / (d ln 2)
    pub bits_per_dim: f64,
    /// draws zᵢ with G(zᵢ) = x on every value (same 8-bit level)
    pub indicator_hits: usize,
    /// N
    pub draws: usize,
    /// d, values per image
    pub dims: usize,
    /// σ of p(x|z)
    pub sigma: f64,
    /// log p(x|zᵢ) per draw, nats
    #[serde(skip)]
    pub log_p_given_z: Vec<f64>,
    /// the draw with the largest p(x|zᵢ): the z that explains x best
    #[serde(skip)]
    pub best_draw: usize,
}

/// Estimate P(x) from `g_draws` = [N, d] values of G(zᵢ) for zᵢ ~ N(0, I).
pub fn estimate_marginal(x_unit: &[f32], g_draws: &[f32], sigma: f64) -> MarginalEstimate {
    let dims = x_unit.len().max(1);
    let rows: Vec<&[f32]> = g_draws.chunks(dims).filter(|r| r.len() == dims).collect();
    let log_p_given_z: Vec<f64> = rows
        .iter()
        .map(|g| gaussian_log_likelihood(x_unit, g, sigma))
        .collect();
    let (log_p, se) = log_mean_exp(&log_p_given_z);
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
    /// log₁₀ of (1/N) Σᵢ P(|yⱼ − xⱼ| < 1/255 ∀ j ≤ d), y ~ N(G(zᵢ), σ²)
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
            let x = x_unit[j] as f64;
            for (k, g) in rows.iter().enumerate() {
                let gj = g[j] as f64;
                log_box[k] += log_normal_interval(
                    (x - HALF_LEVEL - gj) / sigma,
                    (x + HALF_LEVEL - gj) / sigma,
                );
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
    use rand::SeedableRng;

    /// A linear generator G(z) = μ + s·z gives P(x) = N(x; μ, (s² + σ²) I) exactly; the
    /// estimator must match it within its own standard error.
    #[test]
    fn linear_generator_matches_the_closed_form() {
        let dims = 4;
        let mu: Vec<f32> = vec![0.2, -0.5, 0.0, 0.7];
        let (s, sigma) = (0.3f64, 0.2f64);
        let x: Vec<f32> = vec![0.25, -0.3, -0.1, 0.6];
        let var = s * s + sigma * sigma;
        let exact: f64 = x
            .iter()
            .zip(&mu)
            .map(|(&x, &m)| -0.5 * ((x as f64 - m as f64).powi(2) / var + (2.0 * PI * var).ln()))
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
                (est.log_p_x_nats - exact).abs() < 3.0 * est.log_p_x_stderr_nats,
                "seed {seed}: {} ± {} vs {exact}",
                est.log_p_x_nats,
                est.log_p_x_stderr_nats
            );
            assert!((est.bits_per_dim + est.log_p_x_nats / (4.0 * LN_2)).abs() < 1e-12);
            // A continuous G never lands on x's levels in all four values at once here.
            assert!(est.indicator_hits < n / 100);
        }
    }

    /// The old panel drew z from q(z|x) (x noised to t), which estimates something else; the
    /// prior-draw estimator is what the closed form checks. Also: a G that is x itself gives
    /// hits = N and log P = log N(0; 0, σ²) per value.
    #[test]
    fn a_generator_that_returns_x_hits_every_time() {
        let x: Vec<f32> = (0..12).map(|i| i as f32 / 127.5 - 1.0).collect();
        let g: Vec<f32> = x.iter().cycle().take(12 * 5).cloned().collect();
        let est = estimate_marginal(&x, &g, 0.1);
        assert_eq!(est.indicator_hits, 5);
        let expect = -0.5 * 12.0 * (2.0 * PI * 0.01f64).ln();
        assert!((est.log_p_x_nats - expect).abs() < 1e-9);
        assert!(est.log_p_x_stderr_nats.abs() < 1e-12);
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
        let x = vec![0.0f32; 8];
        let g = vec![0.1f32; 8];
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
