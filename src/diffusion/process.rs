//! The forward process q(x_t|x_0), its posterior q(x_{t-1}|x_t,x_0), and the
//! conversions between ε, x̂_0 and μ. Values live in "unit" space: pixels scaled to [-1, 1].

use super::gaussian::{nats_to_bits, normal_kl};
use super::schedule::Schedule;
use rand::Rng;
use rand_distr::StandardNormal;

/// Fill `out` with i.i.d. N(0, 1) draws.
pub fn fill_standard_normal(rng: &mut impl Rng, out: &mut [f32]) {
    for v in out.iter_mut() {
        *v = rng.sample::<f32, _>(StandardNormal);
    }
}

/// A fresh vector of `len` N(0, 1) draws.
pub fn standard_normal_vec(rng: &mut impl Rng, len: usize) -> Vec<f32> {
    let mut v = vec![0.0; len];
    fill_standard_normal(rng, &mut v);
    v
}

/// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, the closed form of q(x_t|x_0) = N(√ᾱ_t x_0, (1−ᾱ_t) I).
/// `t = 0` returns x_0.
pub fn q_sample(schedule: &Schedule, x0_unit: &[f32], t: usize, eps: &[f32]) -> Vec<f32> {
    let ab = schedule.alpha_bar(t);
    let (a, b) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
    x0_unit
        .iter()
        .zip(eps)
        .map(|(x, e)| a * x + b * e)
        .collect()
}

/// x̂_0 = (x_t − √(1−ᾱ_t) ε̂) / √ᾱ_t: the clean image implied by a noise prediction.
pub fn x0_from_eps(schedule: &Schedule, x_t: &[f32], t: usize, eps: &[f32]) -> Vec<f32> {
    let ab = schedule.alpha_bar(t);
    let (inv_a, b) = ((1.0 / ab.sqrt()) as f32, (1.0 - ab).sqrt() as f32);
    x_t.iter()
        .zip(eps)
        .map(|(x, e)| (x - b * e) * inv_a)
        .collect()
}

/// ε = (x_t − √ᾱ_t x_0) / √(1−ᾱ_t): the noise implied by a clean image.
pub fn eps_from_x0(schedule: &Schedule, x_t: &[f32], t: usize, x0: &[f32]) -> Vec<f32> {
    let ab = schedule.alpha_bar(t);
    let (a, inv_b) = (ab.sqrt() as f32, (1.0 / (1.0 - ab).sqrt()) as f32);
    x_t.iter()
        .zip(x0)
        .map(|(x, x0)| (x - a * x0) * inv_b)
        .collect()
}

/// μ̃_t(x_t, x_0) = √ᾱ_{t-1} β_t/(1−ᾱ_t) · x_0 + √α_t (1−ᾱ_{t-1})/(1−ᾱ_t) · x_t, for t ≥ 1.
pub fn posterior_mean(schedule: &Schedule, x_t: &[f32], t: usize, x0: &[f32]) -> Vec<f32> {
    let (c0, ct) = schedule.posterior_mean_coefs(t);
    let (c0, ct) = (c0 as f32, ct as f32);
    x_t.iter().zip(x0).map(|(x, x0)| c0 * x0 + ct * x).collect()
}

/// μ_θ from ε̂ directly: μ = (x_t − β_t/√(1−ᾱ_t) ε̂) / √α_t (Ho et al. eq. 11).
pub fn mean_from_eps(schedule: &Schedule, x_t: &[f32], t: usize, eps: &[f32]) -> Vec<f32> {
    let ab = schedule.alpha_bar(t);
    let k = (schedule.beta(t) / (1.0 - ab).sqrt()) as f32;
    let inv_sqrt_alpha = (1.0 / schedule.alpha(t).sqrt()) as f32;
    x_t.iter()
        .zip(eps)
        .map(|(x, e)| (x - k * e) * inv_sqrt_alpha)
        .collect()
}

/// log β̃_t with β̃_1 replaced by β̃_2 (Nichol & Dhariwal's "clipped" log-variance), so the
/// decoder at t = 1 has a finite variance. For T = 2 … t ≥ 1 this is always finite.
pub fn posterior_log_variance_clipped(schedule: &Schedule, t: usize) -> f64 {
    let t_eff = if t == 1 && schedule.timesteps() >= 2 {
        2
    } else {
        t
    };
    schedule.posterior_variance(t_eff).ln()
}

/// KL(q(x_T|x_0) ‖ N(0, I)) averaged over dimensions, in bits:
/// ½ (−log(1−ᾱ_T) + (1−ᾱ_T) + ᾱ_T x_0² − 1), averaged over the values of x_0.
pub fn prior_kl_bits_per_dim(schedule: &Schedule, x0_unit: &[f32]) -> f64 {
    let t = schedule.timesteps();
    let ab = schedule.alpha_bar(t);
    let logvar = (1.0 - ab).ln();
    let total: f64 = x0_unit
        .iter()
        .map(|&x| normal_kl(ab.sqrt() * x as f64, logvar, 0.0, 0.0))
        .sum();
    nats_to_bits(total / x0_unit.len().max(1) as f64)
}

/// Mean of x² over all values: the second moment that ties x_0 to the prior KL.
pub fn mean_sq(values: &[f32]) -> f64 {
    values.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / values.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::schedule::ScheduleKind;
    use rand::SeedableRng;

    fn sched() -> Schedule {
        Schedule::new(ScheduleKind::Linear, 1000).unwrap()
    }

    #[test]
    fn q_sample_has_the_closed_form_moments() {
        let s = sched();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let n = 200_000;
        let x0 = vec![0.6f32; n];
        let eps = standard_normal_vec(&mut rng, n);
        for t in [1usize, 100, 500, 1000] {
            let x_t = q_sample(&s, &x0, t, &eps);
            let mean = x_t.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            let var = x_t.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
            let ab = s.alpha_bar(t);
            assert!((mean - ab.sqrt() * 0.6).abs() < 0.01, "t={t} mean {mean}");
            assert!(
                (var - (1.0 - ab)).abs() < 0.01 * (1.0 - ab) + 1e-6,
                "t={t} var {var}"
            );
        }
        assert_eq!(q_sample(&s, &x0[..4], 0, &eps[..4]), x0[..4].to_vec());
    }

    #[test]
    fn eps_x0_mean_conversions_are_consistent() {
        let s = sched();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let x0: Vec<f32> = standard_normal_vec(&mut rng, 64)
            .iter()
            .map(|v| v.tanh())
            .collect();
        let eps = standard_normal_vec(&mut rng, 64);
        for t in [1usize, 2, 37, 999, 1000] {
            let x_t = q_sample(&s, &x0, t, &eps);
            let x0_back = x0_from_eps(&s, &x_t, t, &eps);
            let tol = if t > 900 { 5e-2 } else { 1e-4 };
            for (a, b) in x0.iter().zip(&x0_back) {
                assert!((a - b).abs() < tol, "t={t}");
            }
            let eps_back = eps_from_x0(&s, &x_t, t, &x0);
            for (a, b) in eps.iter().zip(&eps_back) {
                assert!((a - b).abs() < 2e-3, "t={t}");
            }
            // μ̃(x_t, x̂_0(ε)) == μ(x_t, ε)
            let m1 = posterior_mean(&s, &x_t, t, &x0_from_eps(&s, &x_t, t, &eps));
            let m2 = mean_from_eps(&s, &x_t, t, &eps);
            for (a, b) in m1.iter().zip(&m2) {
                assert!((a - b).abs() < 1e-3, "t={t}: {a} {b}");
            }
        }
    }

    #[test]
    fn prior_kl_matches_closed_form() {
        let s = Schedule::new(ScheduleKind::Linear, 50).unwrap();
        let x0 = [0.5f32, -1.0, 0.0, 1.0];
        let ab = s.alpha_bar(50);
        let m2 = (0.25 + 1.0 + 0.0 + 1.0) / 4.0;
        let expect = 0.5 * (-(1.0 - ab).ln() + (1.0 - ab) + ab * m2 - 1.0) / std::f64::consts::LN_2;
        assert!((prior_kl_bits_per_dim(&s, &x0) - expect).abs() < 1e-12);
        assert!((mean_sq(&x0) - m2).abs() < 1e-15);
    }

    #[test]
    fn clipped_log_variance_is_finite_at_t1() {
        let s = sched();
        assert!(posterior_log_variance_clipped(&s, 1).is_finite());
        assert_eq!(
            posterior_log_variance_clipped(&s, 1),
            s.posterior_variance(2).ln()
        );
    }
}
