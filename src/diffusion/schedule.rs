//! Noise schedules: β_t, α_t = 1-β_t, ᾱ_t = ∏_{s≤t} α_s, kept on the host in f64.
//!
//! Convention: timesteps run over `t ∈ 1..=T`. Index 0 of every table is the
//! clean image, with β_0 = 0 and ᾱ_0 = 1, so `alpha_bar(t - 1)` is always defined.

use serde::{Deserialize, Serialize};
use std::f64::consts::FRAC_PI_2;
use std::fmt;
use std::str::FromStr;

/// Smallest number of timesteps a schedule accepts.
pub const MIN_TIMESTEPS: usize = 2;
/// Largest number of timesteps a schedule accepts.
pub const MAX_TIMESTEPS: usize = 4000;
/// Upper clip for β_t, as in Nichol & Dhariwal (2021): keeps 1-β_t > 0.
pub const MAX_BETA: f64 = 0.999;

/// Which family of β_t to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// β_t linear from 1e-4 to 0.02 at T = 1000 (Ho et al. 2020), scaled by 1000/T for other T.
    Linear,
    /// ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T)+s)/(1+s) · π/2), s = 0.008 (Nichol & Dhariwal 2021).
    Cosine,
    /// ᾱ(t) from a sigmoid ramp, v(u) = σ(u), u = -3 + 6 t/T, τ = 1 (Chen 2023, "On the importance of noise scheduling").
    Sigmoid,
}

impl ScheduleKind {
    /// All kinds, in the order the UI lists them.
    pub const ALL: [ScheduleKind; 3] = [Self::Linear, Self::Cosine, Self::Sigmoid];

    /// The lowercase name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Cosine => "cosine",
            Self::Sigmoid => "sigmoid",
        }
    }
}

impl fmt::Display for ScheduleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A schedule name or a number of timesteps was not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// The name is none of linear, cosine, sigmoid.
    #[error("unknown schedule '{0}': expected linear, cosine or sigmoid")]
    UnknownKind(String),
    /// T is outside 2..=4000.
    #[error("timesteps must be between {MIN_TIMESTEPS} and {MAX_TIMESTEPS}, got {0}")]
    Timesteps(usize),
    /// t is outside 0..=T (or 1..=T where the clean image makes no sense).
    #[error("timestep t must be between {min} and {max}, got {t}")]
    OutOfRange {
        /// the t asked for
        t: usize,
        /// smallest allowed
        min: usize,
        /// largest allowed
        max: usize,
    },
}

impl FromStr for ScheduleKind {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linear" => Ok(Self::Linear),
            "cosine" => Ok(Self::Cosine),
            "sigmoid" => Ok(Self::Sigmoid),
            _ => Err(ScheduleError::UnknownKind(s.to_owned())),
        }
    }
}

/// The serialisable description of a schedule: enough to rebuild it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleConfig {
    /// β family
    pub kind: ScheduleKind,
    /// number of diffusion steps T
    pub timesteps: usize,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            kind: ScheduleKind::Linear,
            timesteps: 1000,
        }
    }
}

impl ScheduleConfig {
    /// Build the tables.
    pub fn build(&self) -> Result<Schedule, ScheduleError> {
        Schedule::new(self.kind, self.timesteps)
    }
}

/// A built schedule. Every table has length T+1 and index `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    kind: ScheduleKind,
    /// β_t, with β_0 = 0.
    betas: Vec<f64>,
    /// ᾱ_t, with ᾱ_0 = 1.
    alpha_bars: Vec<f64>,
}

/// ᾱ as a continuous function of u = t/T ∈ [0, 1], for the ᾱ-defined schedules.
fn alpha_bar_continuous(kind: ScheduleKind, u: f64) -> f64 {
    match kind {
        ScheduleKind::Cosine => {
            const S: f64 = 0.008;
            let f = |u: f64| ((u + S) / (1.0 + S) * FRAC_PI_2).cos().powi(2);
            f(u) / f(0.0)
        }
        ScheduleKind::Sigmoid => {
            const START: f64 = -3.0;
            const END: f64 = 3.0;
            const TAU: f64 = 1.0;
            let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
            let v_start = sigmoid(START / TAU);
            let v_end = sigmoid(END / TAU);
            let v = sigmoid((u * (END - START) + START) / TAU);
            (v_end - v) / (v_end - v_start)
        }
        // The linear schedule is defined by its β, not by a continuous ᾱ.
        ScheduleKind::Linear => f64::NAN,
    }
}

impl Schedule {
    /// Build a schedule of `timesteps` steps.
    ///
    /// - linear: β_t = s·(1e-4 + (t-1)/(T-1)·(0.02-1e-4)), s = 1000/T, clipped at 0.999;
    /// - cosine and sigmoid: β_t = min(1 - ᾱ(t/T)/ᾱ((t-1)/T), 0.999);
    ///
    /// then ᾱ_t = ∏_{s≤t} (1-β_s) for all three.
    pub fn new(kind: ScheduleKind, timesteps: usize) -> Result<Self, ScheduleError> {
        if !(MIN_TIMESTEPS..=MAX_TIMESTEPS).contains(&timesteps) {
            return Err(ScheduleError::Timesteps(timesteps));
        }
        let t_max = timesteps as f64;
        let mut betas = Vec::with_capacity(timesteps + 1);
        betas.push(0.0);
        for t in 1..=timesteps {
            let beta = match kind {
                ScheduleKind::Linear => {
                    let scale = 1000.0 / t_max;
                    let (start, end) = (scale * 1e-4, scale * 0.02);
                    start + (end - start) * (t - 1) as f64 / (t_max - 1.0)
                }
                ScheduleKind::Cosine | ScheduleKind::Sigmoid => {
                    let now = alpha_bar_continuous(kind, t as f64 / t_max);
                    let before = alpha_bar_continuous(kind, (t - 1) as f64 / t_max);
                    1.0 - now / before
                }
            };
            betas.push(beta.clamp(0.0, MAX_BETA));
        }
        let mut alpha_bars = Vec::with_capacity(timesteps + 1);
        let mut acc = 1.0;
        alpha_bars.push(acc);
        for &beta in &betas[1..] {
            acc *= 1.0 - beta;
            alpha_bars.push(acc);
        }
        Ok(Self {
            kind,
            betas,
            alpha_bars,
        })
    }

    /// The family.
    pub fn kind(&self) -> ScheduleKind {
        self.kind
    }

    /// The description that rebuilds this schedule.
    pub fn config(&self) -> ScheduleConfig {
        ScheduleConfig {
            kind: self.kind,
            timesteps: self.timesteps(),
        }
    }

    /// T.
    pub fn timesteps(&self) -> usize {
        self.betas.len() - 1
    }

    /// Check `t ∈ min..=T`.
    pub fn check_t(&self, t: usize, min: usize) -> Result<(), ScheduleError> {
        let max = self.timesteps();
        if t < min || t > max {
            return Err(ScheduleError::OutOfRange { t, min, max });
        }
        Ok(())
    }

    /// β_t (β_0 = 0). Panics on t > T, like slice indexing: callers check with [`Self::check_t`].
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t]
    }

    /// α_t = 1 - β_t.
    pub fn alpha(&self, t: usize) -> f64 {
        1.0 - self.betas[t]
    }

    /// ᾱ_t = ∏_{s≤t} α_s (ᾱ_0 = 1).
    pub fn alpha_bar(&self, t: usize) -> f64 {
        self.alpha_bars[t]
    }

    /// Signal-to-noise ratio SNR(t) = ᾱ_t / (1 - ᾱ_t) (infinite at t = 0).
    pub fn snr(&self, t: usize) -> f64 {
        let ab = self.alpha_bars[t];
        ab / (1.0 - ab)
    }

    /// Posterior variance β̃_t = β_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t), for t ≥ 1 (β̃_1 = 0).
    pub fn posterior_variance(&self, t: usize) -> f64 {
        let ab = self.alpha_bars[t];
        let ab_prev = self.alpha_bars[t - 1];
        self.betas[t] * (1.0 - ab_prev) / (1.0 - ab)
    }

    /// Coefficients of the posterior mean μ̃_t(x_t, x_0) = c0·x_0 + ct·x_t, for t ≥ 1:
    /// c0 = √ᾱ_{t-1} β_t / (1-ᾱ_t), ct = √α_t (1-ᾱ_{t-1}) / (1-ᾱ_t).
    pub fn posterior_mean_coefs(&self, t: usize) -> (f64, f64) {
        let ab = self.alpha_bars[t];
        let ab_prev = self.alpha_bars[t - 1];
        let beta = self.betas[t];
        let c0 = ab_prev.sqrt() * beta / (1.0 - ab);
        let ct = (1.0 - beta).sqrt() * (1.0 - ab_prev) / (1.0 - ab);
        (c0, ct)
    }

    /// All β_t for t in 0..=T.
    pub fn betas(&self) -> &[f64] {
        &self.betas
    }

    /// All ᾱ_t for t in 0..=T.
    pub fn alpha_bars(&self) -> &[f64] {
        &self.alpha_bars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_1000_alpha_bar_t_matches_ho_et_al() {
        let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
        // Closed form in f64: ∏ (1 - β_t), β_t = 1e-4 + (t-1)/999·(0.02-1e-4).
        let log_ab: f64 = (1..=1000)
            .map(|t| (1.0 - (1e-4 + (t - 1) as f64 / 999.0 * (0.02 - 1e-4))).ln())
            .sum();
        assert!((s.alpha_bar(1000) - log_ab.exp()).abs() < 1e-15);
        assert!(
            (s.alpha_bar(1000) - 4.04e-5).abs() < 0.01e-5,
            "{}",
            s.alpha_bar(1000)
        );
        assert_eq!(s.beta(1), 1e-4);
        assert!((s.beta(1000) - 0.02).abs() < 1e-15);
    }

    #[test]
    fn cosine_alpha_bar_follows_the_cosine_law_until_the_clip() {
        let s = Schedule::new(ScheduleKind::Cosine, 1000).unwrap();
        let f = |t: f64| ((t / 1000.0 + 0.008) / 1.008 * FRAC_PI_2).cos().powi(2);
        for t in [1usize, 10, 250, 500, 900, 990] {
            let expect = f(t as f64) / f(0.0);
            let rel = (s.alpha_bar(t) - expect).abs() / expect;
            assert!(rel < 1e-12, "t={t}: {} vs {expect}", s.alpha_bar(t));
        }
        assert_eq!(s.beta(1000), MAX_BETA);
    }

    #[test]
    fn sigmoid_alpha_bar_is_monotone_from_one_to_zero() {
        let s = Schedule::new(ScheduleKind::Sigmoid, 200).unwrap();
        assert!(s.alpha_bars().windows(2).all(|w| w[1] < w[0]));
        assert!(s.alpha_bar(1) > 0.99);
        assert!(s.alpha_bar(200) < 1e-3);
    }

    #[test]
    fn every_kind_builds_for_small_and_large_t() {
        for kind in ScheduleKind::ALL {
            for t in [2, 3, 50, 1000, 4000] {
                let s = Schedule::new(kind, t).unwrap();
                assert_eq!(s.timesteps(), t);
                assert!(
                    s.betas()[1..].iter().all(|b| *b > 0.0 && *b <= MAX_BETA),
                    "{kind} {t}"
                );
                assert!(
                    s.alpha_bars()
                        .iter()
                        .all(|a| a.is_finite() && *a >= 0.0 && *a <= 1.0)
                );
            }
        }
        assert_eq!(
            Schedule::new(ScheduleKind::Linear, 1),
            Err(ScheduleError::Timesteps(1))
        );
        assert_eq!(
            Schedule::new(ScheduleKind::Linear, 4001),
            Err(ScheduleError::Timesteps(4001))
        );
    }

    #[test]
    fn posterior_variance_and_mean_match_bayes_rule() {
        // Bayes: q(x_{t-1}|x_t,x_0) ∝ N(x_t; √α_t x_{t-1}, β_t) N(x_{t-1}; √ᾱ_{t-1} x_0, 1-ᾱ_{t-1}).
        // Precision 1/β̃ = α_t/β_t + 1/(1-ᾱ_{t-1}); mean = β̃ (√α_t x_t/β_t + √ᾱ_{t-1} x_0/(1-ᾱ_{t-1})).
        let s = Schedule::new(ScheduleKind::Cosine, 100).unwrap();
        for t in 2..=100 {
            let (a, b, ab_prev) = (s.alpha(t), s.beta(t), s.alpha_bar(t - 1));
            let var = 1.0 / (a / b + 1.0 / (1.0 - ab_prev));
            assert!((s.posterior_variance(t) - var).abs() / var < 1e-10, "t={t}");
            let (c0, ct) = s.posterior_mean_coefs(t);
            assert!((c0 - var * ab_prev.sqrt() / (1.0 - ab_prev)).abs() < 1e-10);
            assert!((ct - var * a.sqrt() / b).abs() < 1e-10);
        }
        assert_eq!(s.posterior_variance(1), 0.0);
    }

    #[test]
    fn parse_names() {
        assert_eq!("Cosine".parse::<ScheduleKind>(), Ok(ScheduleKind::Cosine));
        assert!(matches!(
            "foo".parse::<ScheduleKind>(),
            Err(ScheduleError::UnknownKind(_))
        ));
    }
}
