//! The image model's training objectives beyond ε (x₀, v, flow matching) and the samplers of
//! [`crate::diffusion::samplers`] on images: every prediction reaches the samplers as ε̂ (or
//! x̂₀) through [`Target::x0_eps`] at the point of the model's own path with the same σ.

use super::trainer::{TrainError, Trainer, Weights};
use crate::diffusion::flow_ode::FlowSchedule;
use crate::diffusion::objective::{PathKind, PathPoint, Target, model_point};
use crate::diffusion::process::fill_standard_normal;
use crate::diffusion::samplers::{
    Denoised, OdeSampler, Path, denoised_from_x0, flow_times, karras_sigmas, sample_ode,
};
use crate::diffusion::{Frame, Trajectory};
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The Karras grid's ρ.
const RHO: f64 = 7.0;

/// One noisy batch for any objective.
pub(crate) struct ObjectiveBatch {
    /// x_t on the model's path, [n·dim]
    pub x_t: Vec<f32>,
    /// what the network should output, [n·dim]
    pub target: Vec<f32>,
    /// the network's time label per image
    pub labels: Vec<f64>,
}

impl Trainer {
    /// What the network predicts.
    pub fn objective(&self) -> Target {
        self.config().objective
    }

    /// A batch for the objective: diffusion objectives draw t from 1 … T (labels t), flow
    /// matching draws t by the run's [`crate::diffusion::objective::FlowTime`] (labels t·T).
    pub(crate) fn objective_batch(
        &self,
        x0_unit: &[f32],
        n: usize,
        rng: &mut ChaCha8Rng,
    ) -> ObjectiveBatch {
        use rand::Rng;
        let dim = x0_unit.len() / n.max(1);
        let objective = self.objective();
        let t_max = self.schedule().timesteps();
        let points: Vec<(PathPoint, f64)> = match objective {
            Target::Flow => (0..n)
                .map(|_| {
                    let t = self.config().flow_time.draw(rng);
                    (PathPoint::flow(t), t * t_max as f64)
                })
                .collect(),
            _ => (0..n)
                .map(|_| {
                    let t = rng.random_range(1..=t_max);
                    (PathPoint::diffusion(self.schedule().alpha_bar(t)), t as f64)
                })
                .collect(),
        };
        let mut eps = vec![0.0f32; x0_unit.len()];
        fill_standard_normal(rng, &mut eps);
        let mut x_t = Vec::with_capacity(x0_unit.len());
        let mut target = Vec::with_capacity(x0_unit.len());
        for (i, (&x0, &e)) in x0_unit.iter().zip(&eps).enumerate() {
            let p = points[i / dim.max(1)].0;
            x_t.push((p.a * x0 as f64 + p.s * e as f64) as f32);
            target.push(objective.from_x0_eps(x0 as f64, e as f64, p) as f32);
        }
        ObjectiveBatch {
            x_t,
            target,
            labels: points.iter().map(|p| p.1).collect(),
        }
    }

    /// [`model_point`] for this model's objective and schedule.
    fn model_point(
        &self,
        flow: &FlowSchedule,
        p: PathPoint,
        timestep: Option<usize>,
    ) -> (PathPoint, f64, f64) {
        model_point(self.objective(), self.schedule(), flow, p, timestep)
    }

    /// The network's raw output for images on its own path (an ε model's ε̂).
    pub(crate) fn raw(
        &self,
        weights: Weights,
        x_model: Vec<f32>,
        labels: &[f64],
        classes: Option<&[usize]>,
    ) -> Result<Vec<f32>, TrainError> {
        let device = self.device_info().device();
        let model = self.weights(weights);
        let [c, h, w] = self.image_shape();
        let x = Tensor::<4>::from_data(TensorData::new(x_model, [labels.len(), c, h, w]), &device);
        model
            .forward_conditional_at_labels(x, labels, classes)
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| TrainError::Device(format!("{e:?}")))
    }

    /// ε̂ of `weights` for diffusion x_t (row i at timestep ts[i]) whatever the network
    /// predicts: an ε model's output as it is, others through the conversion.
    pub(crate) fn eps_at_timesteps(
        &self,
        weights: Weights,
        x_t_unit: &[f32],
        ts: &[usize],
        classes: Option<&[usize]>,
    ) -> Result<Vec<f32>, TrainError> {
        let objective = self.objective();
        let dim = self.image_dim().max(1);
        let flow = FlowSchedule::new(self.schedule());
        let mut x_model = Vec::with_capacity(x_t_unit.len());
        let mut labels = Vec::with_capacity(ts.len());
        let mut points = Vec::with_capacity(ts.len());
        for (row, &t) in x_t_unit.chunks(dim).zip(ts) {
            let (q, scale, label) = self.model_point(
                &flow,
                PathPoint::diffusion(self.schedule().alpha_bar(t)),
                Some(t),
            );
            x_model.extend(row.iter().map(|&v| (v as f64 * scale) as f32));
            labels.push(label);
            points.push(q);
        }
        let raw = self.raw(weights, x_model.clone(), &labels, classes)?;
        Ok(raw
            .iter()
            .zip(&x_model)
            .enumerate()
            .map(|(i, (&pred, &x))| {
                objective.x0_eps(x as f64, pred as f64, points[i / dim]).1 as f32
            })
            .collect())
    }

    /// (x̂₀, ε̂) of `weights` at τ of a sampler's `path` for images x (f64), x̂₀ clipped to
    /// [−1, 1]; with `guidance`, ε̃ = (1 − w)·ε(x, ∅) + w·ε(x, c) mixed in the network's output.
    pub fn denoise_images(
        &self,
        weights: Weights,
        flow: &FlowSchedule,
        path: Path,
        x: &[f64],
        tau: f64,
        guidance: Option<crate::diffusion::guidance::Guidance>,
    ) -> Result<Denoised, TrainError> {
        let dim = self.image_dim().max(1);
        let n = x.len() / dim;
        let p = path.point(tau);
        let (q, scale, label) = self.model_point(flow, p, None);
        let x_model: Vec<f32> = x.iter().map(|v| (v * scale) as f32).collect();
        let raw = match guidance {
            Some(g) if !self.classes().is_empty() => {
                let mut both = x_model.clone();
                both.extend_from_slice(&x_model);
                let null = self.classes().len();
                let rows: Vec<usize> = (0..2 * n)
                    .map(|i| if i < n { g.class } else { null })
                    .collect();
                let out = self.raw(weights, both, &vec![label; 2 * n], Some(&rows))?;
                let (cond, uncond) = out.split_at(n * dim);
                crate::diffusion::guidance::guide(uncond, cond, g.w)
            }
            _ => self.raw(weights, x_model.clone(), &vec![label; n], None)?,
        };
        let objective = self.objective();
        let (x0, eps): (Vec<f64>, Vec<f64>) = raw
            .iter()
            .zip(&x_model)
            .map(|(&pred, &x)| {
                let (x0, eps) = objective.x0_eps(x as f64, pred as f64, q);
                (x0.clamp(-1.0, 1.0), eps)
            })
            .unzip();
        Ok(if p.s > 0.0 {
            denoised_from_x0(p, x, x0)
        } else {
            (x0, eps)
        })
    }

    /// `n` images by an ODE sampler at a budget of `nfe` network calls from x_T drawn from
    /// `seed` (as `sample` draws it): a flow model on its own line, uniform in t; a diffusion
    /// model on the Karras σ grid (ρ = 7) between σ at t = 1 and t = T. `progress(calls, of)`
    /// after every call. The trajectory keeps every step, x in diffusion coordinates.
    pub fn sample_ode_images(
        &self,
        weights: Weights,
        sampler: OdeSampler,
        nfe: usize,
        n: usize,
        seed: u64,
        guidance: Option<crate::diffusion::guidance::Guidance>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Trajectory, TrainError> {
        let dim = self.image_dim();
        let z = start_noise(n, dim, seed);
        let flow = FlowSchedule::new(self.schedule());
        let t_max = self.schedule().timesteps();
        let (path, taus, last) = match self.objective().path() {
            PathKind::Flow => {
                let (steps, last) = sampler.plan(Path::Flow, nfe);
                (Path::Flow, flow_times(steps), last)
            }
            PathKind::Vp => {
                let ve = |s: f64| {
                    let ab = flow.alpha_bar(s);
                    ((1.0 - ab) / ab).sqrt()
                };
                let (steps, last) = sampler.plan(Path::Ve, nfe);
                (
                    Path::Ve,
                    karras_sigmas(steps, ve(1.0), ve(t_max as f64), RHO),
                    last,
                )
            }
        };
        let mut frames = Vec::new();
        let mut calls = 0;
        let mut failure = None;
        let out = sample_ode(sampler, path, &taus, last, &z, |x, tau| {
            calls += 1;
            progress(calls, nfe);
            match self.denoise_images(weights, &flow, path, x, tau, guidance) {
                Ok((x0, eps)) => {
                    // the frame in diffusion coordinates, at the nearest timestep
                    let p = path.point(tau);
                    let vp = p.same_sigma(PathKind::Vp);
                    let scale = p.scale_to(vp);
                    let t = if vp.a == 0.0 {
                        t_max
                    } else {
                        flow.s_for_log_snr(2.0 * (vp.a / vp.s).ln(), 1.0).round() as usize
                    };
                    frames.push(Frame {
                        t: t.clamp(1, t_max),
                        x_t: x.iter().map(|v| (v * scale) as f32).collect(),
                        x0_hat: x0.iter().map(|&v| v as f32).collect(),
                    });
                    (x0, eps)
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    (vec![0.0; x.len()], vec![0.0; x.len()])
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let x0: Vec<f32> = out.x0.iter().map(|v| v.clamp(-1.0, 1.0) as f32).collect();
        frames.push(Frame {
            t: 0,
            x_t: x0.clone(),
            x0_hat: x0,
        });
        Ok(Trajectory { n, dim, frames })
    }
}

impl Trainer {
    /// One image per budget of `nfes` by `sampler`, all from the x_T that `sample` draws for
    /// one image from `seed`: ②'s strip. `progress(calls done, calls in all)` after each call
    /// may break to cancel (between images).
    pub fn sample_nfe_strip(
        &self,
        weights: Weights,
        sampler: OdeSampler,
        nfes: &[usize],
        seed: u64,
        guidance: Option<crate::diffusion::guidance::Guidance>,
        mut progress: impl FnMut(usize, usize) -> std::ops::ControlFlow<()>,
    ) -> Result<Trajectory, crate::diffusion::SampleError<TrainError>> {
        use crate::diffusion::SampleError;
        let dim = self.image_dim();
        let total: usize = nfes.iter().sum();
        let mut done = 0;
        let mut images = Vec::with_capacity(nfes.len() * dim);
        for &nfe in nfes {
            let mut cancelled = false;
            let traj = self
                .sample_ode_images(weights, sampler, nfe, 1, seed, guidance, |calls, _| {
                    cancelled |= progress(done + calls, total).is_break();
                })
                .map_err(SampleError::Model)?;
            if cancelled {
                return Err(SampleError::Cancelled);
            }
            done += nfe;
            images.extend_from_slice(traj.final_x0());
        }
        Ok(Trajectory {
            n: nfes.len(),
            dim,
            frames: vec![Frame {
                t: 0,
                x_t: images.clone(),
                x0_hat: images,
            }],
        })
    }
}

/// x_T for `n` rows of `dim` values from `seed`, as the DDPM/DDIM samplers draw it (f64).
pub(crate) fn start_noise(n: usize, dim: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut z = vec![0.0f32; n * dim];
    fill_standard_normal(&mut rng, &mut z);
    z.iter().map(|&v| v as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Builtin, Dataset};
    use crate::diffusion::{SampleRequest, SamplerKind, ScheduleConfig, ScheduleKind, Start};
    use crate::model::UNetConfig;
    use crate::train::{DeviceChoice, TrainConfig, choose_device};

    /// A tiny model of `objective`, trained a few steps so that its output is not trivial.
    fn tiny(objective: Target) -> Trainer {
        let config = TrainConfig {
            model: UNetConfig::new()
                .with_image_size(8)
                .with_base_channels(8)
                .with_channel_mults(vec![1, 2])
                .with_attention(false),
            schedule: ScheduleConfig {
                kind: ScheduleKind::Linear,
                timesteps: 40,
            },
            batch: 8,
            lr: 1e-2,
            ema_decay: 0.0,
            objective,
            ..TrainConfig::default()
        };
        let mut t = Trainer::new(
            config,
            choose_device(DeviceChoice::Cpu),
            Dataset::Builtin(Builtin::Shapes),
        )
        .unwrap();
        for _ in 0..6 {
            let loss = t.train_step().unwrap().loss;
            assert!(loss.is_finite(), "{objective:?}");
        }
        t
    }

    /// Euler on the Karras-form σ grid made of DDIM's own timesteps is DDIM (η = 0, x̂₀
    /// clipped), for every objective: the conversions, the continuous time labels and the
    /// path change agree with the discrete sampler to float precision.
    #[test]
    fn euler_on_the_ddim_grid_is_ddim_for_every_objective() {
        for objective in Target::ALL {
            let t = tiny(objective);
            let steps = 5;
            let request = SampleRequest {
                sampler: SamplerKind::Ddim { steps, eta: 0.0 },
                n: 2,
                seed: 3,
                max_frames: 2,
                clip_x0: true,
            };
            let ddim = t
                .sample(&request, Start::Noise, |_, _| {
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
            let taus = crate::diffusion::sampler::timesteps_for(request.sampler, 40);
            let mut sigmas: Vec<f64> = taus
                .iter()
                .map(|&k| {
                    let ab = t.schedule().alpha_bar(k);
                    ((1.0 - ab) / ab).sqrt()
                })
                .collect();
            sigmas.push(0.0);
            // the same x_T, in variance-exploding coordinates x_T/a_T = z·σ_T/s_T
            let s_t = (1.0 - t.schedule().alpha_bar(40)).sqrt();
            let z: Vec<f64> = start_noise(2, t.image_dim(), 3)
                .iter()
                .map(|v| v / s_t)
                .collect();
            let flow = FlowSchedule::new(t.schedule());
            let euler = sample_ode(
                OdeSampler::Euler,
                Path::Ve,
                &sigmas,
                false,
                &z,
                |x, sigma| {
                    t.denoise_images(Weights::Ema, &flow, Path::Ve, x, sigma, None)
                        .unwrap()
                },
            );
            assert_eq!(euler.nfe, steps);
            let worst = euler
                .x0
                .iter()
                .zip(ddim.final_x0())
                .map(|(a, b)| (a - *b as f64).abs())
                .fold(0.0, f64::max);
            assert!(worst < 2e-4, "{objective:?}: {worst}");
        }
    }

    /// Every ODE sampler keeps its budget on images, for a diffusion and a flow model, and
    /// its samples stay in [−1, 1].
    #[test]
    fn ode_samplers_on_images_keep_their_budget() {
        for objective in [Target::V, Target::Flow] {
            let t = tiny(objective);
            for kind in OdeSampler::ALL {
                let mut calls = 0;
                let traj = t
                    .sample_ode_images(Weights::Ema, kind, 6, 2, 1, None, |done, _| calls = done)
                    .unwrap();
                // Heun on the diffusion grid: 3 steps, 5 calls (σ = 0 takes none)
                let expected = if kind == OdeSampler::Heun && objective != Target::Flow {
                    5
                } else {
                    6
                };
                assert_eq!(calls, expected, "{objective:?} {kind:?}");
                assert_eq!(traj.frames.len(), calls + 1, "a frame a call, then x₀");
                assert!(traj.final_x0().iter().all(|v| (-1.0..=1.0).contains(v)));
            }
        }
    }
}
