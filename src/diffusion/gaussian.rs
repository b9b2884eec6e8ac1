//! Gaussian divergences and likelihoods, in nats, with bits/dim helpers.

use std::f64::consts::{LN_2, PI, SQRT_2};

/// KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) for one dimension, in nats, from log-variances:
/// ½ (log σ₂² − log σ₁² + (σ₁² + (μ₁−μ₂)²)/σ₂² − 1).
pub fn normal_kl(mean1: f64, logvar1: f64, mean2: f64, logvar2: f64) -> f64 {
    0.5 * (logvar2 - logvar1
        + (logvar1 - logvar2).exp()
        + (mean1 - mean2).powi(2) * (-logvar2).exp()
        - 1.0)
}

/// Standard normal CDF Φ(x) = ½ (1 + erf(x/√2)).
pub fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / SQRT_2))
}

/// log N(x; μ, σ²) = −½ (log 2π + log σ² + (x−μ)²/σ²).
pub fn normal_log_pdf(x: f64, mean: f64, logvar: f64) -> f64 {
    -0.5 * ((2.0 * PI).ln() + logvar + (x - mean).powi(2) * (-logvar).exp())
}

/// log-likelihood of one 8-bit value x ∈ {-1, -1+2/255, …, 1} under the discretised Gaussian
/// decoder of Ho et al. (2020), eq. 13:
/// p(x|μ,σ) = ∫_{δ₋(x)}^{δ₊(x)} N(y; μ, σ²) dy with bins of width 2/255,
/// δ₋(−1) = −∞ and δ₊(1) = +∞ at the edges. In nats.
pub fn discretized_gaussian_log_likelihood(x: f64, mean: f64, logvar: f64) -> f64 {
    let inv_std = (-0.5 * logvar).exp();
    let half_bin = 1.0 / 255.0;
    let upper = (x + half_bin - mean) * inv_std;
    let lower = (x - half_bin - mean) * inv_std;
    if x < -0.999 {
        // left edge: Φ(upper); log via erfc for a stable tail
        log_phi(upper)
    } else if x > 0.999 {
        // right edge: 1 − Φ(lower) = Φ(−lower)
        log_phi(-lower)
    } else {
        log_normal_interval(lower, upper)
    }
}

/// log(Φ(b) − Φ(a)) for a < b: the log-probability that a standard normal lands in [a, b],
/// stable far in either tail (log-CDFs and expm1 instead of a difference of CDFs).
pub fn log_normal_interval(a: f64, b: f64) -> f64 {
    if a >= b {
        return f64::NEG_INFINITY;
    }
    if a > 0.0 {
        // the right tail mirrors the left one
        return log_normal_interval(-b, -a);
    }
    if b > 0.0 {
        // [a, b] straddles 0: the difference is at least of the order of (b − a)·φ(max)
        return (0.5 * (libm::erf(b / SQRT_2) - libm::erf(a / SQRT_2))).ln();
    }
    let (la, lb) = (log_phi(a), log_phi(b));
    lb + (-(la - lb).exp_m1()).ln()
}

/// log Φ(z), computed with erfc so the far left tail does not underflow to log 0 early.
pub fn log_phi(z: f64) -> f64 {
    let p = 0.5 * libm::erfc(-z / SQRT_2);
    if p > 0.0 {
        p.ln()
    } else {
        // Mills-ratio asymptote for z ≪ 0: log Φ(z) ≈ −z²/2 − log(−z √(2π)).
        -0.5 * z * z - (-z * (2.0 * PI).sqrt()).ln()
    }
}

/// Nats per dimension → bits per dimension.
pub fn nats_to_bits(nats: f64) -> f64 {
    nats / LN_2
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};

    #[test]
    fn kl_is_zero_for_equal_gaussians_and_matches_closed_form() {
        assert!(normal_kl(0.3, -1.2, 0.3, -1.2).abs() < 1e-15);
        // KL(N(1, 4) ‖ N(0, 1)) = ½(4 + 1 − 1 − ln 4)
        let expect = 0.5 * (4.0 + 1.0 - 1.0 - 4f64.ln());
        assert!((normal_kl(1.0, 4f64.ln(), 0.0, 0.0) - expect).abs() < 1e-14);
    }

    #[test]
    fn kl_monte_carlo_matches_closed_form() {
        // E_{x~p}[log p(x) − log q(x)] with p = N(0.7, 0.5²), q = N(-0.2, 1.3²).
        let (m1, s1, m2, s2) = (0.7f64, 0.5f64, -0.2f64, 1.3f64);
        let closed = normal_kl(m1, (s1 * s1).ln(), m2, (s2 * s2).ln());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let p = Normal::new(m1, s1).unwrap();
        let n = 400_000;
        let mc: f64 = (0..n)
            .map(|_| {
                let x = p.sample(&mut rng);
                normal_log_pdf(x, m1, (s1 * s1).ln()) - normal_log_pdf(x, m2, (s2 * s2).ln())
            })
            .sum::<f64>()
            / n as f64;
        // The estimator's standard error is about 0.002 here.
        assert!((mc - closed).abs() < 0.01, "mc {mc} closed {closed}");
        let _ = rng.random::<u8>();
    }

    #[test]
    fn discretized_likelihood_sums_to_one_over_all_256_values() {
        for (mean, logvar) in [(0.0, -2.0), (0.93, -6.0), (-0.4, 1.0), (1.0, -12.0)] {
            let total: f64 = (0..256)
                .map(|k| {
                    discretized_gaussian_log_likelihood(k as f64 / 127.5 - 1.0, mean, logvar).exp()
                })
                .sum();
            assert!((total - 1.0).abs() < 1e-9, "mean {mean}: {total}");
        }
    }

    #[test]
    fn discretized_likelihood_of_a_narrow_gaussian_matches_the_density_times_bin_width() {
        // σ much wider than a bin: P(bin) ≈ (2/255) N(x; μ, σ²)
        let (x, mean, logvar) = (0.1, 0.0, 0.0);
        let approx = (2.0f64 / 255.0).ln() + normal_log_pdf(x, mean, logvar);
        assert!((discretized_gaussian_log_likelihood(x, mean, logvar) - approx).abs() < 1e-4);
    }

    #[test]
    fn far_tails_stay_finite() {
        let v = discretized_gaussian_log_likelihood(-1.0, 1.0, -14.0);
        assert!(v.is_finite() && v < -1000.0);
        let v = discretized_gaussian_log_likelihood(0.5, -1.0, -14.0);
        assert!(v.is_finite() && v < -1000.0);
    }

    #[test]
    fn interval_log_probability_in_the_tails() {
        // central: matches the plain difference
        let (a, b) = (-0.3, 0.8);
        let plain = standard_normal_cdf(b) - standard_normal_cdf(a);
        assert!((log_normal_interval(a, b) - plain.ln()).abs() < 1e-12);
        // left tail, both below 0
        let (a, b) = (-2.5, -1.0);
        let plain = standard_normal_cdf(b) - standard_normal_cdf(a);
        assert!((log_normal_interval(a, b) - plain.ln()).abs() < 1e-12);
        // far tail: Mills ratio, log φ(a)/|a| for a narrow-enough gap relative to 1/|a|
        let v = log_normal_interval(-40.5, -39.5);
        let approx = normal_log_pdf(39.5, 0.0, 0.0) - 39.5f64.ln();
        assert!(
            v.is_finite() && (v - approx).abs() < 0.05,
            "{v} vs {approx}"
        );
        // symmetry
        assert!((log_normal_interval(9.6, 10.4) - log_normal_interval(-10.4, -9.6)).abs() < 1e-12);
        assert_eq!(log_normal_interval(1.0, 1.0), f64::NEG_INFINITY);
    }

    #[test]
    fn bits() {
        assert!((nats_to_bits(LN_2) - 1.0).abs() < 1e-15);
    }
}
