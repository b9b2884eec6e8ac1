//! Reverse-process samplers: DDPM ancestral sampling and DDIM, over any noise predictor.
//!
//! The predictor is a closure `ε̂ = f(x_t, t)` on a host batch, so the same code runs with the
//! burn U-Net on the worker thread, with an analytic oracle in the tests, and with nothing
//! but f64 schedule scalars in the loop (no host↔device read of β or ᾱ per step).

use super::process::{
    eps_from_x0, fill_standard_normal, posterior_log_variance_clipped, x0_from_eps,
};
use super::schedule::Schedule;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;

/// Which reverse process to run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum SamplerKind {
    /// Ancestral sampling through every t = T … 1, with variance β̃_t (Ho et al. 2020).
    Ddpm,
    /// DDIM (Song et al. 2021) over `steps` evenly spaced timesteps with stochasticity η.
    Ddim {
        /// number of denoising steps K ≤ T
        steps: usize,
        /// η = 0 is deterministic; η = 1 matches DDPM's variance
        eta: f64,
    },
}

impl SamplerKind {
    /// Short name for labels and files.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ddpm => "ddpm",
            Self::Ddim { .. } => "ddim",
        }
    }
}

/// What to sample and how much of the path to keep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRequest {
    /// DDPM or DDIM
    pub sampler: SamplerKind,
    /// number of images
    pub n: usize,
    /// seed of the start noise and of every step's noise
    pub seed: u64,
    /// keep at most this many frames of the path (first and last are always kept)
    pub max_frames: usize,
    /// clip x̂_0 to [-1, 1] at each step (the usual choice for images)
    pub clip_x0: bool,
}

/// Where the reverse process starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// x_T ~ N(0, I)
    Noise,
    /// a given x_t (for "noise my image to t, then denoise"), [n·dim] values
    From {
        /// the start timestep
        t: usize,
        /// x_t in unit space
        x_t: Vec<f32>,
    },
}

/// One kept moment of the reverse path.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// the timestep of `x_t` (0 for the final image)
    pub t: usize,
    /// x_t, [n, dim] flattened, unit space
    pub x_t: Vec<f32>,
    /// the model's x̂_0 at this step (equal to x_0 at the final frame)
    pub x0_hat: Vec<f32>,
}

/// The kept frames of one reverse run, from the noisiest to x_0.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// number of images
    pub n: usize,
    /// values per image (C·H·W)
    pub dim: usize,
    /// frames in order of the run, ending with t = 0
    pub frames: Vec<Frame>,
}

impl Trajectory {
    /// The final samples x_0.
    pub fn final_x0(&self) -> &[f32] {
        self.frames.last().map(|f| f.x_t.as_slice()).unwrap_or(&[])
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SampleError<E> {
    /// the predictor failed
    #[error("noise predictor failed: {0}")]
    Model(E),
    /// the caller asked to stop
    #[error("sampling cancelled")]
    Cancelled,
    /// the request does not fit the schedule
    #[error("{0}")]
    Invalid(String),
}

/// The timesteps visited by a sampler, from the start t down to 1.
pub fn timesteps_for(kind: SamplerKind, start_t: usize) -> Vec<usize> {
    match kind {
        SamplerKind::Ddpm => (1..=start_t).rev().collect(),
        SamplerKind::Ddim { steps, .. } => {
            let k = steps.clamp(1, start_t);
            // τ_i = round(i·t_start/K), i = K … 1: evenly spaced from t_start down to
            // τ₁ = round(t_start/K) (not 1: the last jump goes from τ₁ straight to x₀).
            let mut ts: Vec<usize> = (1..=k)
                .rev()
                .map(|i| ((i as f64 * start_t as f64 / k as f64).round() as usize).max(1))
                .collect();
            ts.dedup();
            ts
        }
    }
}

/// Run the reverse process. `predict(x_t, t)` returns ε̂ for the whole batch at one t.
/// `progress(done, total)` may break to cancel.
pub fn sample<E>(
    schedule: &Schedule,
    request: &SampleRequest,
    dim: usize,
    start: Start,
    mut predict: impl FnMut(&[f32], usize) -> Result<Vec<f32>, E>,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<Trajectory, SampleError<E>> {
    let n = request.n;
    let len = n * dim;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(request.seed);
    let (start_t, mut x) = match start {
        Start::Noise => {
            let mut x = vec![0.0; len];
            fill_standard_normal(&mut rng, &mut x);
            (schedule.timesteps(), x)
        }
        Start::From { t, x_t } => {
            if x_t.len() != len {
                return Err(SampleError::Invalid(format!(
                    "start image has {} values, expected {len}",
                    x_t.len()
                )));
            }
            (t, x_t)
        }
    };
    schedule
        .check_t(start_t, 1)
        .map_err(|e| SampleError::Invalid(e.to_string()))?;
    let ts = timesteps_for(request.sampler, start_t);
    // Keep at most max_frames − 1 steps, plus the final x_0.
    let keep_every = ts.len().div_ceil(request.max_frames.max(2) - 1).max(1);
    let mut frames = Vec::new();
    let mut noise = vec![0.0f32; len];
    for (i, &t) in ts.iter().enumerate() {
        let eps_raw = predict(&x, t).map_err(SampleError::Model)?;
        if eps_raw.len() != len {
            return Err(SampleError::Invalid(format!(
                "predictor returned {} values, expected {len}",
                eps_raw.len()
            )));
        }
        let mut x0_hat = x0_from_eps(schedule, &x, t, &eps_raw);
        let eps = if request.clip_x0 {
            x0_hat.iter_mut().for_each(|v| *v = v.clamp(-1.0, 1.0));
            eps_from_x0(schedule, &x, t, &x0_hat)
        } else {
            eps_raw
        };
        let t_prev = ts.get(i + 1).copied().unwrap_or(0);
        let next = match request.sampler {
            SamplerKind::Ddpm => {
                // x_{t-1} = μ̃(x_t, x̂_0) + σ_t z, σ_t² = β̃_t, no noise at t = 1.
                let (c0, ct) = schedule.posterior_mean_coefs(t);
                let sigma = if t > 1 {
                    (0.5 * posterior_log_variance_clipped(schedule, t)).exp()
                } else {
                    0.0
                };
                if sigma > 0.0 {
                    fill_standard_normal(&mut rng, &mut noise);
                }
                let (c0, ct, sigma) = (c0 as f32, ct as f32, sigma as f32);
                x.iter()
                    .zip(&x0_hat)
                    .zip(&noise)
                    .map(|((xt, x0), z)| {
                        c0 * x0 + ct * xt + if sigma > 0.0 { sigma * z } else { 0.0 }
                    })
                    .collect::<Vec<f32>>()
            }
            SamplerKind::Ddim { eta, .. } => {
                // x_s = √ᾱ_s x̂_0 + √(1−ᾱ_s−σ²) ε̂ + σ z,
                // σ = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_s).
                let ab_t = schedule.alpha_bar(t);
                let ab_s = schedule.alpha_bar(t_prev);
                let sigma = eta
                    * ((1.0 - ab_s) / (1.0 - ab_t)).sqrt()
                    * (1.0 - ab_t / ab_s).max(0.0).sqrt();
                let dir = (1.0 - ab_s - sigma * sigma).max(0.0).sqrt();
                if sigma > 0.0 {
                    fill_standard_normal(&mut rng, &mut noise);
                }
                let (a, d, sigma) = (ab_s.sqrt() as f32, dir as f32, sigma as f32);
                x0_hat
                    .iter()
                    .zip(&eps)
                    .zip(&noise)
                    .map(|((x0, e), z)| a * x0 + d * e + if sigma > 0.0 { sigma * z } else { 0.0 })
                    .collect::<Vec<f32>>()
            }
        };
        if i % keep_every == 0 {
            frames.push(Frame {
                t,
                x_t: std::mem::take(&mut x),
                x0_hat,
            });
        }
        x = next;
        if progress(i + 1, ts.len()).is_break() {
            return Err(SampleError::Cancelled);
        }
    }
    frames.push(Frame {
        t: 0,
        x_t: x.clone(),
        x0_hat: x,
    });
    Ok(Trajectory { n, dim, frames })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::schedule::ScheduleKind;
    use std::convert::Infallible;

    fn req(sampler: SamplerKind, n: usize) -> SampleRequest {
        SampleRequest {
            sampler,
            n,
            seed: 3,
            max_frames: 20,
            clip_x0: false,
        }
    }

    /// The exact ε-predictor for data that is one fixed point x*: ε = (x_t − √ᾱ x*)/√(1−ᾱ).
    fn point_oracle<'a>(
        s: &'a Schedule,
        target: &'a [f32],
    ) -> impl FnMut(&[f32], usize) -> Result<Vec<f32>, Infallible> + 'a {
        move |x, t| {
            let x0: Vec<f32> = target.iter().cycle().take(x.len()).copied().collect();
            Ok(eps_from_x0(s, x, t, &x0))
        }
    }

    #[test]
    fn ddpm_and_ddim_recover_a_point_mass() {
        let s = Schedule::new(ScheduleKind::Cosine, 200).unwrap();
        let target = [0.5f32, -0.25, 0.9];
        for kind in [
            SamplerKind::Ddpm,
            SamplerKind::Ddim {
                steps: 10,
                eta: 0.0,
            },
            SamplerKind::Ddim {
                steps: 25,
                eta: 1.0,
            },
        ] {
            let traj = sample(
                &s,
                &req(kind, 4),
                3,
                Start::Noise,
                point_oracle(&s, &target),
                |_, _| ControlFlow::Continue(()),
            )
            .unwrap();
            for (i, v) in traj.final_x0().iter().enumerate() {
                assert!((v - target[i % 3]).abs() < 1e-3, "{kind:?}: {v}");
            }
            assert!(traj.frames.len() <= 22);
            assert_eq!(traj.frames.last().unwrap().t, 0);
        }
    }

    /// For Gaussian data N(0, s²), E[ε|x_t] = √(1−ᾱ) x_t / (ᾱ s² + 1 − ᾱ), so ε̂ = k_t x_t and every
    /// step is linear: Var(x_prev) = m_t² Var(x_t) + σ_t². The samplers' empirical variance must
    /// match that f64 recursion, and land near s².
    #[test]
    fn samplers_match_the_closed_form_variance_for_gaussian_data() {
        let s = Schedule::new(ScheduleKind::Linear, 300).unwrap();
        let data_var = 0.3f64 * 0.3;
        let k = |t: usize| {
            let ab = s.alpha_bar(t);
            (1.0 - ab).sqrt() / (ab * data_var + 1.0 - ab)
        };
        let oracle = |x: &[f32], t: usize| -> Result<Vec<f32>, Infallible> {
            Ok(x.iter().map(|v| k(t) as f32 * v).collect())
        };
        for kind in [
            SamplerKind::Ddpm,
            SamplerKind::Ddim {
                steps: 50,
                eta: 0.0,
            },
        ] {
            // closed form in f64
            let ts = timesteps_for(kind, 300);
            let mut var = 1.0f64;
            for (i, &t) in ts.iter().enumerate() {
                let ab = s.alpha_bar(t);
                let a = (1.0 - (1.0 - ab).sqrt() * k(t)) / ab.sqrt(); // x̂_0 = a·x_t
                match kind {
                    SamplerKind::Ddpm => {
                        let (c0, ct) = s.posterior_mean_coefs(t);
                        let sigma2 = if t > 1 { s.posterior_variance(t) } else { 0.0 };
                        var = (c0 * a + ct).powi(2) * var + sigma2;
                    }
                    SamplerKind::Ddim { .. } => {
                        let ab_s = s.alpha_bar(ts.get(i + 1).copied().unwrap_or(0));
                        var *= (ab_s.sqrt() * a + (1.0 - ab_s).sqrt() * k(t)).powi(2);
                    }
                }
            }
            // The fixed β̃ variance (DDPM) and few large steps (DDIM) are approximations of the
            // true reverse process, so the chain's variance is near, not at, s².
            assert!(
                (var - data_var).abs() < 0.2 * data_var,
                "{kind:?}: closed form {var}"
            );
            let n = 40_000;
            let traj = sample(&s, &req(kind, n), 1, Start::Noise, oracle, |_, _| {
                ControlFlow::Continue(())
            })
            .unwrap();
            let x = traj.final_x0();
            let emp = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n as f64;
            // standard error of a variance estimate: var·√(2/n) ≈ 0.7 %
            assert!(
                (emp - var).abs() < 0.03 * var,
                "{kind:?}: empirical {emp} vs closed form {var}"
            );
        }
    }

    #[test]
    fn ddim_timesteps_are_even_and_end_at_one() {
        let ts = timesteps_for(SamplerKind::Ddim { steps: 4, eta: 0.0 }, 1000);
        assert_eq!(ts, vec![1000, 750, 500, 250]);
        let ts = timesteps_for(
            SamplerKind::Ddim {
                steps: 50,
                eta: 0.0,
            },
            20,
        );
        assert_eq!(ts, (1..=20).rev().collect::<Vec<_>>());
        assert_eq!(timesteps_for(SamplerKind::Ddpm, 3), vec![3, 2, 1]);
    }

    #[test]
    fn cancel_and_bad_start_are_reported() {
        let s = Schedule::new(ScheduleKind::Linear, 50).unwrap();
        let r = sample(
            &s,
            &req(SamplerKind::Ddpm, 1),
            3,
            Start::Noise,
            point_oracle(&s, &[0.0]),
            |done, _| {
                if done == 5 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert!(matches!(r, Err(SampleError::Cancelled)));
        let r = sample(
            &s,
            &req(SamplerKind::Ddpm, 1),
            3,
            Start::From {
                t: 60,
                x_t: vec![0.0; 3],
            },
            point_oracle(&s, &[0.0]),
            |_, _| ControlFlow::Continue(()),
        );
        assert!(matches!(r, Err(SampleError::Invalid(_))));
    }
}
