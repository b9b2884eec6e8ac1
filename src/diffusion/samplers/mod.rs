//! Samplers beyond DDPM and DDIM, over any denoiser, in f64 host math: Euler and Heun on the
//! Karras σ schedule (ρ = 7), and DPM-Solver++(2M). Each counts its network calls (NFE).
//!
//! They work in the variance-exploding form of Karras et al. (2022): x = x₀ + σ·ε, and the
//! probability-flow ODE dx/dσ = (x − D(x, σ))/σ, where D(x, σ) = E[x₀ | x] is the denoiser.
//! Any model gives D through [`super::objective::Target::x0_eps`]: a variance-preserving
//! x_vp = a·x₀ + s·ε is x = x_vp / a at σ = s / a; a flow-matching x_t = (1 − t)x₀ + tε is
//! x = x_t / (1 − t) at σ = t / (1 − t).

use serde::{Deserialize, Serialize};

/// A sampler of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OdeSampler {
    /// Euler on the Karras grid: one call a step
    Euler,
    /// Heun (Karras et al. 2022, Algorithm 1): two calls a step, one on the last
    Heun,
    /// DPM-Solver++(2M) (Lu et al. 2022): one call a step, second order from the previous one
    DpmPp2m,
}

impl OdeSampler {
    /// Every sampler.
    pub const ALL: [OdeSampler; 3] = [Self::Euler, Self::Heun, Self::DpmPp2m];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Euler => "euler",
            Self::Heun => "heun",
            Self::DpmPp2m => "dpmpp2m",
        }
    }

    /// `euler`, `heun` or `dpmpp2m`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The most steps whose calls fit in `nfe` (at least one step).
    pub fn steps_for_nfe(self, nfe: usize) -> usize {
        match self {
            // n steps cost 2n − 1 calls (the last step is Euler)
            Self::Heun => nfe.div_ceil(2).max(1),
            Self::Euler | Self::DpmPp2m => nfe.max(1),
        }
    }
}

/// The Karras et al. (2022) noise levels: σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) −
/// σ_max^(1/ρ)))^ρ for i = 0 … n − 1, then 0. n + 1 values, decreasing.
pub fn karras_sigmas(n: usize, sigma_min: f64, sigma_max: f64, rho: f64) -> Vec<f64> {
    let n = n.max(1);
    let (lo, hi) = (sigma_min.powf(1.0 / rho), sigma_max.powf(1.0 / rho));
    let mut out: Vec<f64> = (0..n)
        .map(|i| {
            let f = if n == 1 {
                0.0
            } else {
                i as f64 / (n - 1) as f64
            };
            (hi + f * (lo - hi)).powf(rho)
        })
        .collect();
    out.push(0.0);
    out
}

/// Samples and the network calls they took.
#[derive(Clone, Debug, PartialEq)]
pub struct OdeSamples {
    /// the final x₀, [n·dim]
    pub x0: Vec<f64>,
    /// network calls (each on the whole batch)
    pub nfe: usize,
}

/// Run `sampler` over `sigmas` (decreasing, ending at 0) from x = σ₀·z, with
/// `denoise(x, σ) = D(x, σ)` on the whole batch.
pub fn sample_ode(
    sampler: OdeSampler,
    sigmas: &[f64],
    z: &[f64],
    mut denoise: impl FnMut(&[f64], f64) -> Vec<f64>,
) -> OdeSamples {
    let mut x: Vec<f64> = z.iter().map(|v| v * sigmas[0]).collect();
    let mut nfe = 0;
    let mut old_denoised: Option<Vec<f64>> = None;
    for i in 0..sigmas.len().saturating_sub(1) {
        let (s, s_next) = (sigmas[i], sigmas[i + 1]);
        let d = denoise(&x, s);
        nfe += 1;
        match sampler {
            OdeSampler::Euler | OdeSampler::Heun => {
                // dx/dσ = (x − D)/σ
                let slope: Vec<f64> = x.iter().zip(&d).map(|(x, d)| (x - d) / s).collect();
                let euler: Vec<f64> = x
                    .iter()
                    .zip(&slope)
                    .map(|(x, k)| x + (s_next - s) * k)
                    .collect();
                if sampler == OdeSampler::Heun && s_next > 0.0 {
                    let d2 = denoise(&euler, s_next);
                    nfe += 1;
                    x = x
                        .iter()
                        .zip(&slope)
                        .zip(euler.iter().zip(&d2))
                        .map(|((x, k1), (e, d2))| {
                            let k2 = (e - d2) / s_next;
                            x + (s_next - s) * 0.5 * (k1 + k2)
                        })
                        .collect();
                } else {
                    x = euler;
                }
            }
            OdeSampler::DpmPp2m => {
                // in λ = −log σ: x_next = (σ_next/σ)·x − (e^(−h) − 1)·D̃, D̃ the data
                // prediction extrapolated from the previous step (first order on the first
                // step and into σ = 0)
                if s_next == 0.0 {
                    x = d.clone();
                } else {
                    let (t, t_next) = (-s.ln(), -s_next.ln());
                    let h = t_next - t;
                    let d_eff: Vec<f64> = match (&old_denoised, i) {
                        (Some(old), i) if i > 0 => {
                            let h_last = t - (-sigmas[i - 1].ln());
                            let r = h_last / h;
                            d.iter()
                                .zip(old)
                                .map(|(d, o)| (1.0 + 1.0 / (2.0 * r)) * d - o / (2.0 * r))
                                .collect()
                        }
                        _ => d.clone(),
                    };
                    let ratio = s_next / s;
                    let coef = -(-h).exp_m1();
                    x = x
                        .iter()
                        .zip(&d_eff)
                        .map(|(x, d)| ratio * x + coef * d)
                        .collect();
                }
                old_denoised = Some(d);
            }
        }
    }
    OdeSamples { x0: x, nfe }
}

#[cfg(test)]
mod tests;
