//! The worlds' training objectives beyond ε: what the MLP predicts ([`Target`]), how a flow
//! model's t is drawn ([`FlowTime`]), optimal-transport pairing and reflow ([`Coupling`]),
//! and the one conversion every sampler goes through: x̂₀ and ε̂ of the network at any point
//! of any path, evaluated at the point of the network's own path with the same σ.

use super::objective::start_noise;
use super::toy::{ToyTrainer, X0_CLIP};
pub use crate::diffusion::objective::FlowTime;
use crate::diffusion::objective::{PathKind, PathPoint, Target, model_point};
use crate::diffusion::ot::ot_pairing;
use crate::diffusion::samplers::{
    Denoised, OdeSampler, Path, denoised_from_x0, flow_times, sample_ode,
};
use burn::tensor::{Tensor, TensorData};
use rand::Rng;

/// The noise rows of `eps` reordered so that row i is paired with data row i by the exact
/// optimal transport plan of the batch (squared distance).
pub fn pair_by_ot(x0: &[f32], eps: &[f32], dim: usize) -> Vec<f32> {
    ot_pairing(x0, eps, dim)
        .iter()
        .flat_map(|&j| eps[j * dim..(j + 1) * dim].iter().copied())
        .collect()
}

/// The (noise, sample) pairs of a reflow (Liu et al. 2023): the model's own ODE from each
/// noise to its sample, which the next round of flow matching trains on as its coupling.
#[derive(Clone, Debug)]
pub struct Coupling {
    /// [pairs, dim]
    noise: Vec<f32>,
    /// [pairs, dim]
    x0: Vec<f32>,
    dim: usize,
}

impl Coupling {
    /// Overwrite the batch's data and noise with random pairs of the coupling.
    pub fn draw(&self, rng: &mut impl Rng, x0: &mut [f32], eps: &mut [f32]) {
        let pairs = self.x0.len() / self.dim;
        for (x_row, e_row) in x0.chunks_mut(self.dim).zip(eps.chunks_mut(self.dim)) {
            let k = rng.random_range(0..pairs);
            x_row.copy_from_slice(&self.x0[k * self.dim..(k + 1) * self.dim]);
            e_row.copy_from_slice(&self.noise[k * self.dim..(k + 1) * self.dim]);
        }
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.x0.len() / self.dim
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.x0.is_empty()
    }
}

/// Heun steps of the ODE that makes a reflow's pairs.
pub const REFLOW_STEPS: usize = 32;
/// Pairs a reflow draws.
pub const REFLOW_PAIRS: usize = 20_000;

impl ToyTrainer {
    /// [`model_point`] for this run's objective and schedule.
    pub(crate) fn model_point(
        &self,
        p: PathPoint,
        timestep: Option<usize>,
    ) -> (PathPoint, f64, f64) {
        model_point(
            self.config().objective,
            self.schedule(),
            &self.flow,
            p,
            timestep,
        )
    }

    /// The EMA's raw output (its target) for rows already on its own path.
    pub(crate) fn raw_output(
        &self,
        x_model: Vec<f32>,
        labels: &[f64],
        classes: Option<&[usize]>,
    ) -> Vec<f32> {
        let dim = self.config().data.dim();
        let n = x_model.len() / dim;
        let x = Tensor::<2>::from_data(TensorData::new(x_model, [n, dim]), &self.plain_device());
        self.ema()
            .forward_conditional(x, labels, classes)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_else(|_| vec![0.0; n * dim])
    }

    /// The network's inputs for diffusion points x_t (VP, [b, dim]) at timesteps `ts`:
    /// (x on the model's path, labels, the model's points).
    pub(crate) fn inputs_at_timesteps(
        &self,
        x_t: &[f32],
        ts: &[usize],
    ) -> (Vec<f32>, Vec<f64>, Vec<PathPoint>) {
        let dim = self.config().data.dim();
        let mut x_model = Vec::with_capacity(x_t.len());
        let mut labels = Vec::with_capacity(ts.len());
        let mut points = Vec::with_capacity(ts.len());
        for (row, &t) in x_t.chunks(dim).zip(ts) {
            let p = PathPoint::diffusion(self.schedule().alpha_bar(t));
            let (q, scale, label) = self.model_point(p, Some(t));
            if scale == 1.0 {
                x_model.extend_from_slice(row);
            } else {
                x_model.extend(row.iter().map(|&v| (v as f64 * scale) as f32));
            }
            labels.push(label);
            points.push(q);
        }
        (x_model, labels, points)
    }

    /// ε̂ from the network's raw output at its own points.
    pub(crate) fn eps_from_raw(
        &self,
        x_model: &[f32],
        raw: Vec<f32>,
        points: &[PathPoint],
    ) -> Vec<f32> {
        let objective = self.config().objective;
        if objective == Target::Eps {
            return raw;
        }
        let dim = self.config().data.dim();
        raw.iter()
            .zip(x_model)
            .enumerate()
            .map(|(i, (&pred, &x))| {
                objective.x0_eps(x as f64, pred as f64, points[i / dim]).1 as f32
            })
            .collect()
    }

    /// ε̂ of the EMA weights for host points x_t ([b, dim], the diffusion path) with row i at
    /// timestep ts[i], whatever the network predicts.
    pub fn predict_eps(&self, x_t: &[f32], ts: &[usize]) -> Vec<f32> {
        let (x_model, labels, points) = self.inputs_at_timesteps(x_t, ts);
        let raw = self.raw_output(x_model.clone(), &labels, None);
        self.eps_from_raw(&x_model, raw, &points)
    }

    /// (x̂₀, ε̂) of the EMA for rows x at τ of a sampler's `path`, x̂₀ clipped to ±X0_CLIP as
    /// the other samplers clip (and ε̂ the one the clipped x̂₀ implies, where s > 0).
    pub fn denoise_on(&self, path: Path, x: &[f64], tau: f64) -> Denoised {
        let dim = self.config().data.dim();
        let n = x.len() / dim;
        let p = path.point(tau);
        let (q, scale, label) = self.model_point(p, None);
        let x_model: Vec<f32> = x.iter().map(|v| (v * scale) as f32).collect();
        let raw = self.raw_output(x_model.clone(), &vec![label; n], None);
        let objective = self.config().objective;
        let (x0, eps): (Vec<f64>, Vec<f64>) = raw
            .iter()
            .zip(&x_model)
            .map(|(&pred, &x)| {
                let (x0, eps) = objective.x0_eps(x as f64, pred as f64, q);
                (x0.clamp(-X0_CLIP as f64, X0_CLIP as f64), eps)
            })
            .unzip();
        if p.s > 0.0 {
            denoised_from_x0(p, x, x0)
        } else {
            (x0, eps)
        }
    }

    /// `n` noise draws from `seed` and the model's deterministic ODE from each to its sample:
    /// Heun on the flow line, `steps` uniform steps in t (the same path for every objective,
    /// each through its conversion).
    pub fn ode_pairs(&self, n: usize, steps: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let dim = self.config().data.dim();
        let z = start_noise(n, dim, seed);
        let out = sample_ode(
            OdeSampler::Heun,
            Path::Flow,
            &flow_times(steps),
            true,
            &z,
            |x, t| self.denoise_on(Path::Flow, x, t),
        );
        (z, out.x0)
    }

    /// Straightness of the learned paths, S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1 (0 for straight lines),
    /// over `n` paths from noise drawn from `seed`, each followed on the flow line with
    /// `steps` Euler steps (= DDIM: the same points for every objective's network).
    pub fn straightness(&self, n: usize, steps: usize, seed: u64) -> f64 {
        let dim = self.config().data.dim();
        let z = start_noise(n, dim, seed);
        let ts = flow_times(steps);
        let mut x = z.clone();
        let mut length = 0.0;
        let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
        for w in ts.windows(2) {
            let (d, eps) = self.denoise_on(Path::Flow, &x, w[0]);
            // one Euler step on the flow line from t to t′: x′ = x + (t′ − t)(ε̂ − x̂₀)
            let next: Vec<f64> = x
                .iter()
                .zip(d.iter().zip(&eps))
                .map(|(x, (d, e))| x + (w[1] - w[0]) * (e - d))
                .collect();
            length += next
                .chunks(dim)
                .zip(x.chunks(dim))
                .map(|(a, b)| {
                    let diff: Vec<f64> = a.iter().zip(b).map(|(a, b)| a - b).collect();
                    norm(&diff)
                })
                .sum::<f64>();
            x = next;
        }
        let chord: f64 = x
            .chunks(dim)
            .zip(z.chunks(dim))
            .map(|(a, b)| {
                let diff: Vec<f64> = a.iter().zip(b).map(|(a, b)| a - b).collect();
                norm(&diff)
            })
            .sum();
        if chord > 0.0 {
            length / chord - 1.0
        } else {
            0.0
        }
    }

    /// The SWD to the data of one Euler step from pure noise on the flow line (x̂₀ of the
    /// network at t = 1): what a perfectly straight model would get right in one call.
    pub fn one_step_swd(&self, n: usize, seed: u64) -> f64 {
        let dim = self.config().data.dim();
        let z = start_noise(n, dim, seed);
        let out = sample_ode(
            OdeSampler::Euler,
            Path::Flow,
            &flow_times(1),
            false,
            &z,
            |x, t| self.denoise_on(Path::Flow, x, t),
        );
        let x: Vec<f32> = out.x0.iter().map(|&v| v as f32).collect();
        super::toy::swd(&self.config().data, &x, seed).model
    }

    /// Reflow: from now on train on `pairs` of the current model's own (noise, sample) pairs
    /// (Heun, [`REFLOW_STEPS`] steps) instead of independent data and noise.
    pub fn reflow(&mut self, pairs: usize, seed: u64) {
        let (z, x0) = self.ode_pairs(pairs, REFLOW_STEPS, seed);
        let dim = self.config().data.dim();
        self.coupling = Some(Coupling {
            noise: z.iter().map(|&v| v as f32).collect(),
            x0: x0.iter().map(|&v| v as f32).collect(),
            dim,
        });
    }

    /// Reflows done (0 or 1: a second one replaces the first's pairs).
    pub fn reflowed(&self) -> bool {
        self.coupling.as_ref().is_some_and(|c| !c.is_empty())
    }

    /// ε̂ as a tensor of points on the diffusion path at continuous labels `labels` (for the
    /// divergence of the probability-flow ODE), whatever the network predicts; `forward` is
    /// the network.
    pub(crate) fn eps_tensor(
        &self,
        x_vp: Tensor<2>,
        labels: &[f64],
        forward: impl Fn(Tensor<2>, &[f64]) -> Tensor<2>,
    ) -> Tensor<2> {
        let objective = self.config().objective;
        if objective == Target::Eps {
            return forward(x_vp, labels);
        }
        let device = x_vp.device();
        let n = labels.len();
        let column = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [n, 1]), &device);
        // the diffusion point of each row
        let points: Vec<PathPoint> = labels
            .iter()
            .map(|&s| PathPoint::diffusion(self.flow.alpha_bar(s)))
            .collect();
        let coef =
            |f: &dyn Fn(PathPoint) -> f64| column(points.iter().map(|&p| f(p) as f32).collect());
        match objective {
            Target::Eps => unreachable!("returned above"),
            // ε = (x − a·x̂₀)/s
            Target::X0 => {
                let pred = forward(x_vp.clone(), labels);
                (x_vp - pred * coef(&|p| p.a)) * coef(&|p| 1.0 / p.s)
            }
            // ε = s·x + a·v
            Target::V => {
                let pred = forward(x_vp.clone(), labels);
                x_vp * coef(&|p| p.s) + pred * coef(&|p| p.a)
            }
            // on the flow line at the same σ: x_f = x·scale, ε = x_f + (1 − t)·u
            Target::Flow => {
                let t_max = self.schedule().timesteps() as f64;
                let flow_points: Vec<PathPoint> = points
                    .iter()
                    .map(|p| p.same_sigma(PathKind::Flow))
                    .collect();
                let scale = column(
                    points
                        .iter()
                        .zip(&flow_points)
                        .map(|(p, q)| p.scale_to(*q) as f32)
                        .collect(),
                );
                let flow_labels: Vec<f64> = flow_points.iter().map(|q| q.s * t_max).collect();
                let x_f = x_vp * scale;
                let pred = forward(x_f.clone(), &flow_labels);
                x_f + pred * column(flow_points.iter().map(|q| q.a as f32).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::points::ToyData;
    use crate::train::DeviceInfo;
    use crate::train::toy::ToyConfig;

    fn trained(objective: Target, ot: bool, steps: usize) -> ToyTrainer {
        let config = ToyConfig {
            objective,
            ot,
            ..ToyConfig::new(ToyData::Moons, 0)
        };
        let mut t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        for _ in 0..steps {
            t.train_step();
        }
        t
    }

    /// Every objective learns moons: its DDPM samples (through the conversion to ε̂) come
    /// within 3× the floor, far from where they started.
    #[test]
    fn every_objective_learns_moons_through_the_conversion() {
        for objective in Target::ALL {
            let t = trained(objective, false, 1500);
            let s = crate::train::toy::view(&t).swd;
            assert!(
                s.model < 3.0 * s.floor && s.model < s.start / 2.0,
                "{objective:?}: {s:?}"
            );
        }
    }

    /// The ε̂ of the tensor path (the ODE likelihood's) equals the host conversion's, for
    /// every objective.
    #[test]
    fn the_tensor_conversion_matches_the_host_one() {
        for objective in Target::ALL {
            let t = trained(objective, false, 20);
            let x: Vec<f32> = vec![0.3, -1.2, 1.5, 0.4, -0.7, 0.9];
            let ts = [5usize, 40, 90];
            let host = t.predict_eps(&x, &ts);
            let device = t.plain_device();
            let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [3, 2]), &device);
            let labels: Vec<f64> = ts.iter().map(|&v| v as f64).collect();
            let ema = t.ema().clone();
            let tensor = t
                .eps_tensor(xt, &labels, |x, l| ema.forward_at_labels(x, l))
                .into_data()
                .try_into_vec::<f32>()
                .unwrap();
            for (a, b) in host.iter().zip(&tensor) {
                assert!(
                    (a - b).abs() < 1e-4 * (1.0 + a.abs()),
                    "{objective:?}: {a} vs {b}"
                );
            }
        }
    }

    /// Flow matching with optimal-transport pairing learns straighter paths than plain flow
    /// matching, and reflow straightens a plain flow model's paths: straightness halves (or
    /// better) and one Euler step from noise lands at least twice as close to the data.
    #[test]
    fn ot_pairing_and_reflow_straighten_the_paths() {
        let plain = trained(Target::Flow, false, 1500);
        let ot = trained(Target::Flow, true, 1500);
        let (s_plain, s_ot) = (plain.straightness(500, 32, 3), ot.straightness(500, 32, 3));
        assert!(s_ot < 0.5 * s_plain, "OT {s_ot} vs plain {s_plain}");
        let mut re = trained(Target::Flow, false, 1500);
        re.reflow(5000, 9);
        assert!(re.reflowed());
        for _ in 0..1500 {
            re.train_step();
        }
        let s_re = re.straightness(500, 32, 3);
        assert!(s_re < 0.5 * s_plain, "reflow {s_re} vs plain {s_plain}");
        // one Euler step: the straighter model's single step lands nearer the data
        let one_step = |t: &ToyTrainer| t.one_step_swd(2000, 4);
        let (p1, o1, r1) = (one_step(&plain), one_step(&ot), one_step(&re));
        assert!(
            o1 < p1 / 2.0 && r1 < p1 / 2.0,
            "one step: OT {o1}, reflow {r1} vs plain {p1}"
        );
    }
}
