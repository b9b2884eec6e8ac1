//! Samplers beyond DDPM and DDIM, over any denoiser, in f64 host math: Euler and Heun on the
//! Karras σ schedule (ρ = 7) or on the flow-matching ODE, DPM-Solver++(2M), and DDIM with η
//! on any path. Each counts its network calls (NFE).
//!
//! A sampler steps along a path x = a(τ)·x₀ + s(τ)·ε ([`Path`]): the variance-exploding form
//! of Karras et al. (2022), a = 1, s = σ, or the flow-matching line a = 1 − t, s = t. The
//! probability-flow ODE is then dx/dτ = a′(τ)·D + s′(τ)·ε̂ with D(x, τ) = E[x₀ | x] the
//! denoiser and ε̂ = (x − a·D)/s: dx/dσ = (x − D)/σ in the first, the velocity ε̂ − D in the
//! second. Any model gives D through [`super::objective::Target::x0_eps`] at the point of its
//! own path with the same σ = s/a ([`super::objective::PathPoint::same_sigma`]).

use super::objective::PathPoint;
use serde::{Deserialize, Serialize};

/// The coordinates a sampler steps in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Path {
    /// x = x₀ + σ·ε, τ = σ (grids from [`karras_sigmas`])
    Ve,
    /// x = (1 − t)·x₀ + t·ε, τ = t (grids from [`flow_times`])
    Flow,
}

impl Path {
    /// The coefficients (a, s) at τ.
    pub fn point(self, tau: f64) -> PathPoint {
        match self {
            Self::Ve => PathPoint { a: 1.0, s: tau },
            Self::Flow => PathPoint::flow(tau),
        }
    }

    /// (da/dτ, ds/dτ): constant on both paths.
    fn rates(self) -> (f64, f64) {
        match self {
            Self::Ve => (0.0, 1.0),
            Self::Flow => (-1.0, 1.0),
        }
    }
}

/// n uniform flow times from t = 1 (pure noise) to 0: n + 1 values, decreasing.
pub fn flow_times(n: usize) -> Vec<f64> {
    let n = n.max(1);
    (0..=n).map(|i| 1.0 - i as f64 / n as f64).collect()
}

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

    /// The most steps whose calls fit in `nfe` (at least one step), and whether Heun's last
    /// step may take its second call too. On the variance-exploding path σ = 0 is singular, so
    /// n Heun steps cost 2n − 1 calls; the flow line's t = 0 is an ordinary point (the
    /// velocity there is the network's), so n steps cost 2n, or 2n − 1 when the last one is
    /// Euler to keep an odd budget.
    pub fn plan(self, path: Path, nfe: usize) -> (usize, bool) {
        match (self, path) {
            (Self::Heun, Path::Ve) => (nfe.div_ceil(2).max(1), false),
            (Self::Heun, Path::Flow) => (nfe.div_ceil(2).max(1), nfe.is_multiple_of(2) && nfe > 0),
            (Self::Euler | Self::DpmPp2m, _) => (nfe.max(1), false),
        }
    }

    /// The steps of [`Self::plan`] on the variance-exploding path.
    pub fn steps_for_nfe(self, nfe: usize) -> usize {
        self.plan(Path::Ve, nfe).0
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

/// A denoiser's answer at one point: (x̂₀, ε̂), each [n·dim]. Where s > 0 they satisfy
/// x = a·x̂₀ + s·ε̂; at the flow line's t = 0 (x = x₀) ε̂ is the model's own.
pub type Denoised = (Vec<f64>, Vec<f64>);

/// ε̂ = (x − a·D)/s at a point with s > 0: the ε̂ a denoiser that gives only x̂₀ implies.
pub fn eps_of(x: &[f64], d: &[f64], p: PathPoint) -> Vec<f64> {
    x.iter().zip(d).map(|(x, d)| (x - p.a * d) / p.s).collect()
}

/// (x̂₀, ε̂) at the point `p` from x̂₀ alone: ε̂ = (x − a·x̂₀)/s, and at s = 0 (x = x₀) ε̂ = 0,
/// its mean when the noise is drawn independently of the data.
pub fn denoised_from_x0(p: PathPoint, x: &[f64], x0: Vec<f64>) -> Denoised {
    let eps = if p.s > 0.0 {
        eps_of(x, &x0, p)
    } else {
        vec![0.0; x.len()]
    };
    (x0, eps)
}

/// Run `sampler` along `path` over the grid `taus` (decreasing, ending where s = 0) from
/// x = s(τ₀)·z, with `denoise(x, τ) = (D(x, τ), ε̂)` on the whole batch. `correct_last`:
/// Heun also corrects its last step (the flow line only, see [`OdeSampler::plan`]).
pub fn sample_ode(
    sampler: OdeSampler,
    path: Path,
    taus: &[f64],
    correct_last: bool,
    z: &[f64],
    mut denoise: impl FnMut(&[f64], f64) -> Denoised,
) -> OdeSamples {
    let (da, ds) = path.rates();
    let mut x: Vec<f64> = z.iter().map(|v| v * path.point(taus[0]).s).collect();
    let mut nfe = 0;
    let mut old_denoised: Option<Vec<f64>> = None;
    // dx/dτ = a′·D + s′·ε̂
    let slope =
        |(d, e): &Denoised| -> Vec<f64> { e.iter().zip(d).map(|(e, d)| da * d + ds * e).collect() };
    for i in 0..taus.len().saturating_sub(1) {
        let (tau, tau_next) = (taus[i], taus[i + 1]);
        let (p, p_next) = (path.point(tau), path.point(tau_next));
        let answer = denoise(&x, tau);
        nfe += 1;
        match sampler {
            OdeSampler::Euler | OdeSampler::Heun => {
                let k1 = slope(&answer);
                let euler: Vec<f64> = x
                    .iter()
                    .zip(&k1)
                    .map(|(x, k)| x + (tau_next - tau) * k)
                    .collect();
                let last = i + 2 == taus.len();
                let corrector = p_next.s > 0.0 || (path == Path::Flow && last && correct_last);
                if sampler == OdeSampler::Heun && corrector {
                    let k2 = slope(&denoise(&euler, tau_next));
                    nfe += 1;
                    x = x
                        .iter()
                        .zip(k1.iter().zip(&k2))
                        .map(|(x, (k1, k2))| x + (tau_next - tau) * 0.5 * (k1 + k2))
                        .collect();
                } else {
                    x = euler;
                }
            }
            OdeSampler::DpmPp2m => {
                let d = answer.0;
                // in λ = log(a/s): x_next = (s_next/s)·x + a_next·(1 − e^(−h))·D̃, D̃ the data
                // prediction extrapolated from the previous step (first order on the first
                // step, after a step from pure noise where h is infinite, and into s = 0)
                if p_next.s == 0.0 {
                    x = d.iter().map(|d| p_next.a * d).collect();
                } else {
                    let lambda = |p: PathPoint| (p.a / p.s).ln();
                    let h = lambda(p_next) - lambda(p);
                    let d_eff: Vec<f64> = match &old_denoised {
                        Some(old) if i > 0 => {
                            let h_last = lambda(p) - lambda(path.point(taus[i - 1]));
                            let r = h_last / h;
                            d.iter()
                                .zip(old)
                                .map(|(d, o)| (1.0 + 1.0 / (2.0 * r)) * d - o / (2.0 * r))
                                .collect()
                        }
                        _ => d.clone(),
                    };
                    let ratio = p_next.s / p.s;
                    let coef = p_next.a * -(-h).exp_m1();
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

/// DDIM with η (Song et al. 2021) along any path, over the grid `taus`: x_next =
/// a_next·D + s_next·(√(1 − c²)·ε̂ + c·ξ) with c = η·√(1 − (σ_next/σ)²), ξ ~ N(0, I) from
/// `noise`. η = 0 is deterministic (and the same map as Euler on either path); η = 1 is
/// ancestral sampling (DDPM's posterior on a variance-preserving grid).
pub fn sample_ddim(
    path: Path,
    taus: &[f64],
    eta: f64,
    z: &[f64],
    mut noise: impl FnMut(usize) -> Vec<f64>,
    mut denoise: impl FnMut(&[f64], f64) -> Denoised,
) -> OdeSamples {
    let mut x: Vec<f64> = z.iter().map(|v| v * path.point(taus[0]).s).collect();
    let mut nfe = 0;
    for i in 0..taus.len().saturating_sub(1) {
        let (p, p_next) = (path.point(taus[i]), path.point(taus[i + 1]));
        let (d, eps) = denoise(&x, taus[i]);
        nfe += 1;
        // σ_next/σ = (s_next·a)/(a_next·s): 0 from pure noise (a = 0)
        let ratio = if p_next.s == 0.0 {
            0.0
        } else {
            (p_next.s * p.a) / (p_next.a * p.s)
        };
        let c = eta * (1.0 - ratio * ratio).max(0.0).sqrt();
        let xi = if c > 0.0 && p_next.s > 0.0 {
            noise(x.len())
        } else {
            vec![0.0; x.len()]
        };
        let keep = (1.0 - c * c).max(0.0).sqrt();
        x = d
            .iter()
            .zip(eps.iter().zip(&xi))
            .map(|(d, (e, xi))| p_next.a * d + p_next.s * (keep * e + c * xi))
            .collect();
    }
    OdeSamples { x0: x, nfe }
}

#[cfg(test)]
mod tests;
