//! The variational bound (Ho et al. 2020, eq. 5), per dimension and in bits:
//!
//! L = L_T + Σ_{t=2}^{T} L_{t-1} + L_0, with
//! - L_T = KL(q(x_T|x_0) ‖ N(0, I)) (no parameters),
//! - L_{t-1} = KL(q(x_{t-1}|x_t,x_0) ‖ p_θ(x_{t-1}|x_t)) = ‖μ̃_t − μ_θ‖² / (2β̃_t) per dimension when
//!   both have variance β̃_t,
//! - L_0 = −log p_θ(x_0|x_1), the discretised Gaussian decoder over 256 levels.

use super::gaussian::{discretized_gaussian_log_likelihood, nats_to_bits, normal_kl};
use super::process::{
    fill_standard_normal, posterior_log_variance_clipped, posterior_mean, prior_kl_bits_per_dim,
    q_sample, x0_from_eps,
};
use super::schedule::Schedule;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// One estimate of the bound on a fixed batch, every term in bits/dim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VlbEstimate {
    /// L_T
    pub prior_bpd: f64,
    /// L_0
    pub decoder_bpd: f64,
    /// Σ_{t=2}^{T} L_{t-1}, estimated from the evaluated t (stratified: mean × (T−1))
    pub diffusion_bpd: f64,
    /// (t, L_{t-1}) for every evaluated t ≥ 2
    pub per_t: Vec<(usize, f64)>,
}

impl VlbEstimate {
    /// The whole bound L_T + Σ L_{t-1} + L_0 in bits/dim.
    pub fn total_bpd(&self) -> f64 {
        self.prior_bpd + self.decoder_bpd + self.diffusion_bpd
    }
}

/// `count` timesteps from 2..=T, evenly spaced (all of them when count ≥ T−1).
pub fn vlb_timesteps(schedule: &Schedule, count: usize) -> Vec<usize> {
    let t_max = schedule.timesteps();
    let span = t_max - 1; // number of t in 2..=T
    let k = count.clamp(1, span);
    (0..k)
        .map(|i| 2 + (i * span) / k + (span / k) / 2)
        .map(|t| t.min(t_max))
        .collect()
}

/// Estimate the bound for the batch `x0_unit` ([n·dim] on the 8-bit grid in [-1,1]) at the
/// timesteps `ts ⊂ 2..=T`, with noise drawn from `seed`. `predict(x_t, t)` returns ε̂.
pub fn estimate_vlb<E>(
    schedule: &Schedule,
    x0_unit: &[f32],
    ts: &[usize],
    seed: u64,
    mut predict: impl FnMut(&[f32], usize) -> Result<Vec<f32>, E>,
) -> Result<VlbEstimate, E> {
    let len = x0_unit.len().max(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut eps = vec![0.0f32; x0_unit.len()];

    let mut per_t = Vec::with_capacity(ts.len());
    for &t in ts {
        fill_standard_normal(&mut rng, &mut eps);
        let x_t = q_sample(schedule, x0_unit, t, &eps);
        let eps_hat = predict(&x_t, t)?;
        let mu_true = posterior_mean(schedule, &x_t, t, x0_unit);
        let mu_model = posterior_mean(schedule, &x_t, t, &x0_from_eps(schedule, &x_t, t, &eps_hat));
        let logvar = posterior_log_variance_clipped(schedule, t);
        let kl: f64 = mu_true
            .iter()
            .zip(&mu_model)
            .map(|(&a, &b)| normal_kl(a as f64, logvar, b as f64, logvar))
            .sum();
        per_t.push((t, nats_to_bits(kl / len as f64)));
    }

    fill_standard_normal(&mut rng, &mut eps);
    let x_1 = q_sample(schedule, x0_unit, 1, &eps);
    let eps_hat = predict(&x_1, 1)?;
    let mu_model = posterior_mean(schedule, &x_1, 1, &x0_from_eps(schedule, &x_1, 1, &eps_hat));
    let logvar = posterior_log_variance_clipped(schedule, 1);
    let nll: f64 = x0_unit
        .iter()
        .zip(&mu_model)
        .map(|(&x, &m)| -discretized_gaussian_log_likelihood(x as f64, m as f64, logvar))
        .sum();

    let mean_lt = per_t.iter().map(|(_, v)| v).sum::<f64>() / per_t.len().max(1) as f64;
    Ok(VlbEstimate {
        prior_bpd: prior_kl_bits_per_dim(schedule, x0_unit),
        decoder_bpd: nats_to_bits(nll / len as f64),
        diffusion_bpd: mean_lt * (schedule.timesteps() - 1) as f64,
        per_t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::process::eps_from_x0;
    use crate::diffusion::schedule::ScheduleKind;
    use std::convert::Infallible;

    #[test]
    fn perfect_predictor_of_a_point_mass_has_zero_diffusion_terms() {
        let s = Schedule::new(ScheduleKind::Linear, 100).unwrap();
        let x0: Vec<f32> = (0..48).map(|i| (i % 256) as f32 / 127.5 - 1.0).collect();
        let x0c = x0.clone();
        let est = estimate_vlb(
            &s,
            &x0,
            &vlb_timesteps(&s, 99),
            5,
            |x, t| -> Result<_, Infallible> { Ok(eps_from_x0(&s, x, t, &x0c)) },
        )
        .unwrap();
        assert_eq!(est.per_t.len(), 99);
        assert!(
            est.per_t.iter().all(|(_, v)| v.abs() < 1e-6),
            "{:?}",
            &est.per_t[..3]
        );
        // L_0 with μ = x_0 exactly and σ² = β̃_2: the bin of width 2/255 centred on the mean.
        let sigma = s.posterior_variance(2).sqrt();
        let p = |x: f64| {
            if x < -0.999 || x > 0.999 {
                crate::diffusion::gaussian::standard_normal_cdf(1.0 / 255.0 / sigma)
            } else {
                2.0 * crate::diffusion::gaussian::standard_normal_cdf(1.0 / 255.0 / sigma) - 1.0
            }
        };
        let expect: f64 =
            x0.iter().map(|&x| -p(x as f64).ln()).sum::<f64>() / 48.0 / std::f64::consts::LN_2;
        assert!(
            (est.decoder_bpd - expect).abs() < 1e-3,
            "{} vs {expect}",
            est.decoder_bpd
        );
        assert!((est.prior_bpd - prior_kl_bits_per_dim(&s, &x0)).abs() < 1e-15);
    }

    #[test]
    fn diffusion_term_matches_closed_form_kl_for_a_zero_predictor() {
        // With ε̂ = 0, μ_θ = μ̃(x_t, x_t/√ᾱ_t); compare each term with the f64 KL.
        let s = Schedule::new(ScheduleKind::Cosine, 40).unwrap();
        let x0 = vec![0.2f32, -0.6, 1.0, -1.0];
        let ts = vlb_timesteps(&s, 39);
        let est = estimate_vlb(&s, &x0, &ts, 9, |x, _| -> Result<_, Infallible> {
            Ok(vec![0.0; x.len()])
        })
        .unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut eps = vec![0.0f32; 4];
        for (t, got) in est.per_t {
            fill_standard_normal(&mut rng, &mut eps);
            let ab = s.alpha_bar(t);
            let ab_prev = s.alpha_bar(t - 1);
            let b = s.beta(t);
            let var = b * (1.0 - ab_prev) / (1.0 - ab);
            let mut kl = 0.0;
            for i in 0..4 {
                let x_t =
                    (ab.sqrt() * x0[i] as f64 + (1.0 - ab).sqrt() * eps[i] as f64) as f32 as f64;
                let c0 = ab_prev.sqrt() * b / (1.0 - ab);
                let ct = (1.0 - b).sqrt() * (1.0 - ab_prev) / (1.0 - ab);
                let mu = c0 * x0[i] as f64 + ct * x_t;
                let mu_model = c0 * (x_t / ab.sqrt()).clamp(-1e30, 1e30) + ct * x_t;
                kl += (mu - mu_model).powi(2) / (2.0 * var);
            }
            let expect = kl / 4.0 / std::f64::consts::LN_2;
            assert!(
                (got - expect).abs() <= 1e-4 * expect.max(1.0),
                "t={t}: {got} vs {expect}"
            );
        }
    }

    #[test]
    fn timesteps_cover_the_range() {
        let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
        let ts = vlb_timesteps(&s, 10);
        assert_eq!(ts.len(), 10);
        assert!(ts.iter().all(|&t| (2..=1000).contains(&t)));
        assert!(ts.windows(2).all(|w| w[1] > w[0]));
        let all = vlb_timesteps(&s, 5000);
        assert_eq!(all, (2..=1000).collect::<Vec<_>>());
    }
}
