//! Classifier-free guidance for the image model (Ho & Salimans 2022; the math in
//! [`crate::diffusion::guidance`]).
//!
//! A conditional run trains one U-Net on (image, class) with the class replaced by the null
//! class ∅ with probability p_uncond. Sampling then mixes its two predictions,
//! ε̃ = (1 − w)·ε(x, ∅) + w·ε(x, c), with both halves in one batch of 2n images. At w = 1 only
//! ε(x, c) is computed and at w = 0 only ε(x, ∅), so those two are conditional and
//! unconditional sampling bit for bit, at the cost of one network call per step.

use super::trainer::{TrainError, Trainer, Weights};
use crate::diffusion::guidance::guide_rows;
use crate::diffusion::{SampleError, SampleRequest, Start, Trajectory, sample};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::ops::ControlFlow;

impl Trainer {
    /// The class names of a conditional run, in label order (empty: unconditional).
    pub fn classes(&self) -> &[String] {
        &self.config().classes
    }

    /// The class index of `name`: a class name, or a number below the class count.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        class_index(self.classes(), name)
    }

    /// Each training image's class for a conditional model: its label mapped by name onto
    /// the run's classes, or ∅ (the index `classes.len()`) for an unlabelled image, a class
    /// the run does not know, and with probability p_uncond. None for an unconditional model,
    /// which draws nothing from `rng`.
    pub(crate) fn training_classes(
        &self,
        labels: &[Option<usize>],
        rng: &mut ChaCha8Rng,
    ) -> Option<Vec<usize>> {
        let run = self.classes();
        if run.is_empty() {
            return None;
        }
        let to_run = self.dataset().class_map(run);
        let null = run.len();
        let p_uncond = self.config().p_uncond;
        Some(
            labels
                .iter()
                .map(|label| {
                    let dropped = rng.random::<f64>() < p_uncond;
                    match label.and_then(|l| to_run.get(l).copied().flatten()) {
                        Some(c) if !dropped => c,
                        _ => null,
                    }
                })
                .collect(),
        )
    }

    /// ε̃ = (1 − w_i)·ε(x, ∅) + w_i·ε(x, c_i) for every row i of host x_t at timestep t, with
    /// `classes[i]` and `ws[i]` (each cycled: one value serves every row). Both halves run in
    /// one batch of 2n unless every w is 1 (only ε(x, c)) or every w is 0 (only ε(x, ∅)). An
    /// unconditional model gives its plain ε̂.
    pub fn predict_eps_guided(
        &self,
        weights: Weights,
        x_t_unit: &[f32],
        t: usize,
        classes: &[usize],
        ws: &[f64],
    ) -> Result<Vec<f32>, TrainError> {
        let dim = self.image_dim().max(1);
        let n = x_t_unit.len() / dim;
        let count = self.classes().len();
        let ts = vec![t; n];
        if count == 0 || classes.is_empty() || ws.iter().all(|&w| w == 0.0) {
            return self.forward_eps(weights, x_t_unit, &ts, None);
        }
        let rows: Vec<usize> = classes
            .iter()
            .cycle()
            .take(n)
            .map(|&c| c.min(count - 1))
            .collect();
        if ws.iter().all(|&w| w == 1.0) {
            return self.forward_eps(weights, x_t_unit, &ts, Some(&rows));
        }
        let mut both = Vec::with_capacity(2 * x_t_unit.len());
        both.extend_from_slice(x_t_unit);
        both.extend_from_slice(x_t_unit);
        let labels: Vec<usize> = rows
            .iter()
            .copied()
            .chain(std::iter::repeat_n(count, n))
            .collect();
        let out = self.forward_eps(weights, &both, &vec![t; 2 * n], Some(&labels))?; // [2n·dim]: c, then ∅
        let (cond, uncond) = out.split_at(n * dim);
        Ok(guide_rows(uncond, cond, ws, dim))
    }

    /// Run a sampler guided toward `classes` with scales `ws` (each one value, or one per
    /// image, cycled).
    pub fn sample_guided(
        &self,
        weights: Weights,
        request: &SampleRequest,
        start: Start,
        classes: &[usize],
        ws: &[f64],
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Trajectory, SampleError<TrainError>> {
        sample(
            self.schedule(),
            request,
            self.image_dim(),
            start,
            |x, t| self.predict_eps_guided(weights, x, t, classes, ws),
            progress,
        )
    }

    /// The same x_T, sampled toward `class` at every w of `ws`: one image per w, all in one
    /// batch (`request.n` is ignored; its seed draws x_T, and a stochastic sampler's noise
    /// per image).
    pub fn sample_guidance_sweep(
        &self,
        weights: Weights,
        request: &SampleRequest,
        class: usize,
        ws: &[f64],
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Trajectory, SampleError<TrainError>> {
        let dim = self.image_dim();
        // x_T as `sample` draws one image from the seed, repeated for every w.
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(request.seed);
        let mut x_t = vec![0.0f32; dim];
        crate::diffusion::process::fill_standard_normal(&mut rng, &mut x_t);
        let x_t: Vec<f32> = x_t.iter().cycle().take(dim * ws.len()).copied().collect();
        let many = SampleRequest {
            n: ws.len(),
            ..request.clone()
        };
        let start = Start::From {
            t: self.schedule().timesteps(),
            x_t,
        };
        self.sample_guided(weights, &many, start, &[class], ws, progress)
    }
}

/// The index of `name` among `classes`: its name, or a number below their count.
pub fn class_index(classes: &[String], name: &str) -> Option<usize> {
    let name = name.trim();
    classes
        .iter()
        .position(|c| c == name)
        .or_else(|| name.parse::<usize>().ok().filter(|&i| i < classes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Builtin, Dataset};
    use crate::diffusion::{SamplerKind, ScheduleConfig, ScheduleKind};
    use crate::model::UNetConfig;
    use crate::train::{DeviceChoice, TrainConfig, choose_device};

    /// A tiny conditional model on shapes, trained a few steps so that its output (zero at
    /// initialisation) and its class embedding are not trivial.
    fn conditional_trainer() -> Trainer {
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
            ..TrainConfig::default()
        }
        .with_classes(Builtin::Shapes.classes());
        let mut t = Trainer::new(
            config,
            choose_device(DeviceChoice::Cpu),
            Dataset::Builtin(Builtin::Shapes),
        )
        .unwrap();
        for _ in 0..6 {
            t.train_step().unwrap();
        }
        t
    }

    fn request() -> SampleRequest {
        SampleRequest {
            sampler: SamplerKind::Ddim { steps: 6, eta: 0.0 },
            n: 3,
            seed: 5,
            max_frames: 3,
            clip_x0: true,
        }
    }

    /// Sample with the network's own ε(x, c) (`classes`: one per row) or ε(x, ∅) (None),
    /// without the guidance code.
    fn plain(t: &Trainer, classes: Option<&[usize]>) -> Vec<f32> {
        let n = request().n;
        sample(
            t.schedule(),
            &request(),
            t.image_dim(),
            Start::Noise,
            |x, step| t.forward_eps(Weights::Ema, x, &vec![step; n], classes),
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap()
        .final_x0()
        .to_vec()
    }

    fn guided(t: &Trainer, classes: &[usize], w: f64) -> Vec<f32> {
        t.sample_guided(
            Weights::Ema,
            &request(),
            Start::Noise,
            classes,
            &[w],
            |_, _| ControlFlow::Continue(()),
        )
        .unwrap()
        .final_x0()
        .to_vec()
    }

    #[test]
    fn w_one_is_conditional_and_w_zero_unconditional_sampling_bit_for_bit() {
        let t = conditional_trainer();
        let cond = plain(&t, Some(&[1, 1, 1]));
        let uncond = plain(&t, None);
        assert_ne!(cond, uncond, "the class must matter");
        assert_eq!(guided(&t, &[1], 1.0), cond);
        assert_eq!(guided(&t, &[1], 0.0), uncond);
        // Classes cycle over the rows.
        assert_eq!(guided(&t, &[0, 1, 2], 1.0), plain(&t, Some(&[0, 1, 2])));
        // In between and beyond, ε̃ = (1 − w) ε∅ + w ε_c from one batch of 2n.
        let x = vec![0.3f32; 3 * t.image_dim()];
        let c = t
            .forward_eps(Weights::Ema, &x, &[20; 3], Some(&[2, 2, 2]))
            .unwrap();
        let u = t.forward_eps(Weights::Ema, &x, &[20; 3], None).unwrap();
        let g = t
            .predict_eps_guided(Weights::Ema, &x, 20, &[2], &[3.0])
            .unwrap();
        for ((g, c), u) in g.iter().zip(&c).zip(&u) {
            assert!((g - (-2.0 * u + 3.0 * c)).abs() < 1e-4, "{g} vs {c} {u}");
        }
        // Per-row scales: the sweep's rows at w = 0 and 1 are the unconditional and
        // conditional predictions.
        let rows = t
            .predict_eps_guided(Weights::Ema, &x, 20, &[2], &[0.0, 1.0, 3.0])
            .unwrap();
        let d = t.image_dim();
        for i in 0..d {
            assert!((rows[i] - u[i]).abs() < 1e-5);
            assert!((rows[d + i] - c[d + i]).abs() < 1e-5);
            assert!((rows[2 * d + i] - g[2 * d + i]).abs() < 1e-5);
        }
    }

    #[test]
    fn the_sweep_starts_every_w_from_the_same_noise() {
        let t = conditional_trainer();
        let traj = t
            .sample_guidance_sweep(Weights::Ema, &request(), 0, &[0.0, 1.0], |_, _| {
                ControlFlow::Continue(())
            })
            .unwrap();
        let d = t.image_dim();
        let x_t = &traj.frames[0].x_t;
        assert_eq!(traj.n, 2);
        assert_eq!(&x_t[..d], &x_t[d..]);
        // … and the x_T of a one-image request with the same seed.
        let one = SampleRequest { n: 1, ..request() };
        let single = t
            .sample_guided(Weights::Ema, &one, Start::Noise, &[0], &[1.0], |_, _| {
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(&single.frames[0].x_t[..], &x_t[..d]);
        assert_eq!(single.final_x0(), &traj.final_x0()[d..]);
    }

    #[test]
    fn training_drops_classes_at_p_uncond_and_unknown_labels_to_null() {
        let t = conditional_trainer();
        let mut rng = crate::train::trainer::step_rng(1, 1);
        let labels: Vec<Option<usize>> = (0..4000).map(|i| Some(i % 3)).collect();
        let classes = t.training_classes(&labels, &mut rng).unwrap();
        let null = classes.iter().filter(|&&c| c == 3).count() as f64 / 4000.0;
        assert!((null - 0.1).abs() < 0.02, "{null}");
        for (c, l) in classes.iter().zip(&labels) {
            assert!(*c == 3 || Some(*c) == *l);
        }
        let none = t.training_classes(&[None, None], &mut rng).unwrap();
        assert_eq!(none, [3, 3]);
        assert_eq!(class_index(t.classes(), "square"), Some(1));
        assert_eq!(class_index(t.classes(), "2"), Some(2));
        assert_eq!(class_index(t.classes(), "3"), None);
    }
}
