//! The 1-D and 2-D worlds' training: [`ToyTrainer`] fits the MLP ε-predictor with the same
//! schedule code, loss and samplers as the image model, and [`ToyWorker`] runs it on its own
//! thread with the same protocol shape as the image worker (commands in, coalesced progress
//! and results out, the UI never waits), sending a [`ToyView`] of the whole distribution a
//! few times a second while it trains.

use super::device::DeviceInfo;
pub use super::toy_objective::FlowTime;
use super::trainer::{ema_step, step_rng};
use crate::data::points::ToyData;
use crate::diffusion::objective::{PathPoint, Target};
use crate::diffusion::process::{eps_from_x0, fill_standard_normal, x0_from_eps};
use crate::diffusion::toy::sliced_wasserstein;
use crate::diffusion::{
    SampleRequest, SamplerKind, Schedule, ScheduleKind, Start, Trajectory, sample,
};
use crate::model::mlp::{Mlp, MlpConfig};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Points compared by the sliced Wasserstein distance (model samples and data alike).
pub const SWD_POINTS: usize = 2000;
/// Random directions of the sliced Wasserstein distance.
pub const SWD_PROJECTIONS: usize = 64;
/// EMA decay of the worlds' weights (a few hundred steps of memory: the worlds train fast).
pub const EMA_DECAY: f64 = 0.995;
/// The worlds' data lie within ±2; samplers clip x̂₀ to ±3.
pub const X0_CLIP: f32 = 3.0;
/// DDIM steps of the generator G in the worlds.
pub const G_STEPS: usize = 25;

/// A toy run's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyConfig {
    /// the data
    pub data: ToyData,
    /// T (linear schedule, β scaled by 1000/T)
    pub timesteps: usize,
    /// points per step
    pub batch: usize,
    /// Adam's learning rate
    pub lr: f64,
    /// seed of the weights, batches and noise
    pub seed: u64,
    /// a class-conditional model of a labelled set, trained for classifier-free guidance
    pub conditional: bool,
    /// the probability that a training point's class is replaced by the null class ∅
    pub p_uncond: f64,
    /// what the network predicts (ε, x₀, v, or the flow-matching velocity)
    pub objective: Target,
    /// flow matching: how t is drawn
    pub flow_time: FlowTime,
    /// flow matching: pair each batch's data with its noise by exact optimal transport
    pub ot: bool,
}

impl ToyConfig {
    /// The default learning rate.
    pub const DEFAULT_LR: f64 = 2e-3;
    /// The default batch.
    pub const DEFAULT_BATCH: usize = 256;
    /// The default p_uncond (Ho & Salimans use 0.1–0.2).
    pub const DEFAULT_P_UNCOND: f64 = 0.1;

    /// The defaults for `data`: T = 100, batch 256, lr 2·10⁻³.
    pub fn new(data: ToyData, seed: u64) -> Self {
        Self {
            data,
            timesteps: 100,
            batch: Self::DEFAULT_BATCH,
            lr: Self::DEFAULT_LR,
            seed,
            conditional: false,
            p_uncond: Self::DEFAULT_P_UNCOND,
            objective: Target::Eps,
            flow_time: FlowTime::Uniform,
            ot: false,
        }
    }

    /// Classes the model is conditioned on (0: unconditional).
    pub fn classes(&self) -> usize {
        if self.conditional {
            self.data.classes()
        } else {
            0
        }
    }
}

/// The training state of a world.
pub struct ToyTrainer {
    config: ToyConfig,
    /// the autodiff device the model trains on
    device: Device,
    /// the plain device of the same backend, for predictions
    plain: Device,
    model: Mlp,
    /// exponential moving average of the weights (plain device): what samples use
    ema: Mlp,
    optim: ModuleOptimizer,
    schedule: Schedule,
    /// the continuous version of `schedule` (labels of any σ for ε, x₀ and v models)
    pub(crate) flow: crate::diffusion::flow_ode::FlowSchedule,
    step: u64,
    /// after a reflow: the (noise, sample) pairs the model now trains on
    pub(crate) coupling: Option<super::toy_objective::Coupling>,
}

impl ToyTrainer {
    /// Fresh weights from the config's seed on `device`.
    pub fn new(config: ToyConfig, device: &DeviceInfo) -> Self {
        let plain = device.device();
        let device = plain.clone().autodiff();
        device.seed(config.seed);
        let model = MlpConfig::new()
            .with_dim(config.data.dim())
            .with_classes(config.classes())
            .init(&device);
        let ema = model.valid();
        let schedule = Schedule::new(ScheduleKind::Linear, config.timesteps.clamp(2, 4000))
            .expect("T is clamped into the schedule's range");
        Self {
            config,
            device,
            plain,
            model,
            ema,
            optim: super::adam::module_adam(),
            flow: crate::diffusion::flow_ode::FlowSchedule::new(&schedule),
            schedule,
            step: 0,
            coupling: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ToyConfig {
        &self.config
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The plain device of the backend (predictions, likelihoods).
    pub fn plain_device(&self) -> Device {
        self.plain.clone()
    }

    /// The EMA weights (plain device).
    pub fn ema(&self) -> &Mlp {
        &self.ema
    }

    /// Steps taken.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// One Adam step on mean ‖target − f_θ(x_t, t)‖², where x_t = a·x₀ + s·ε and the target
    /// is the objective's: ε (L_simple), x₀, v, or the flow velocity ε − x₀. Diffusion
    /// objectives draw t from 1 … T; flow matching draws t ∈ (0, 1) ([`FlowTime`]), its label
    /// t·T. Returns the loss.
    pub fn train_step(&mut self) -> f32 {
        let (n, dim) = (self.config.batch, self.config.data.dim());
        let mut rng = step_rng(self.config.seed, self.step);
        let classes = self.config.classes();
        let (mut x0, labels) = if classes > 0 {
            let (x0, mut labels) = self.config.data.sample_labelled(&mut rng, n);
            // classifier-free guidance: the null class ∅ (index `classes`) with p_uncond
            for l in labels.iter_mut() {
                if rng.random::<f64>() < self.config.p_uncond {
                    *l = classes;
                }
            }
            (x0, Some(labels))
        } else {
            (self.config.data.sample(&mut rng, n), None)
        };
        let objective = self.config.objective;
        let t_max = self.schedule.timesteps();
        // (the point on the model's path, its time label) per row
        let points: Vec<(PathPoint, f64)> = match objective {
            Target::Flow => (0..n)
                .map(|_| {
                    let t = self.config.flow_time.draw(&mut rng);
                    (PathPoint::flow(t), t * t_max as f64)
                })
                .collect(),
            _ => (0..n)
                .map(|_| {
                    let t = rng.random_range(1..=t_max);
                    (PathPoint::diffusion(self.schedule.alpha_bar(t)), t as f64)
                })
                .collect(),
        };
        let mut eps = vec![0.0f32; n * dim];
        fill_standard_normal(&mut rng, &mut eps);
        if let Some(coupling) = &self.coupling {
            coupling.draw(&mut rng, &mut x0, &mut eps);
        } else if self.config.ot && objective == Target::Flow {
            eps = super::toy_objective::pair_by_ot(&x0, &eps, dim);
        }
        let x_t: Vec<f32> = (0..n * dim)
            .map(|i| {
                let p = points[i / dim].0;
                (p.a * x0[i] as f64 + p.s * eps[i] as f64) as f32
            })
            .collect();
        let target: Vec<f32> = (0..n * dim)
            .map(|i| objective.from_x0_eps(x0[i] as f64, eps[i] as f64, points[i / dim].0) as f32)
            .collect();
        let x_t = Tensor::<2>::from_data(TensorData::new(x_t, [n, dim]), &self.device);
        let target = Tensor::<2>::from_data(TensorData::new(target, [n, dim]), &self.device);
        let time: Vec<f64> = points.iter().map(|p| p.1).collect();
        let pred = self
            .model
            .forward_conditional(x_t, &time, labels.as_deref()); // [n, dim]
        let loss = (pred - target).powi_scalar(2).mean(); // [1]
        let value: f32 = loss.clone().into_scalar();
        if value.is_finite() {
            let grads = GradientsParams::from_grads(loss.backward(), &self.model);
            let model = self.model.clone();
            self.model = self.optim.step(self.config.lr, model, grads);
        }
        self.step += 1;
        let ema = self.ema.clone();
        self.ema = ema_step(ema, &self.model, EMA_DECAY, self.step);
        value
    }

    /// Run the deterministic DDIM chain (the generator G) from the given x_T, keeping `frames`.
    pub fn generate(&self, z: Vec<f32>, frames: usize) -> Trajectory {
        self.reverse(
            SamplerKind::Ddim {
                steps: G_STEPS,
                eta: 0.0,
            },
            z,
            frames,
            0,
        )
    }

    /// Run `sampler` from the given x_T (noise from `seed`), keeping `frames`.
    pub fn reverse(
        &self,
        sampler: SamplerKind,
        z: Vec<f32>,
        frames: usize,
        seed: u64,
    ) -> Trajectory {
        self.reverse_with(sampler, z, frames, seed, |x, ts| self.predict_eps(x, ts))
    }

    /// [`Self::reverse`] with ε̂ from `predict(x_t, ts)`.
    pub(crate) fn reverse_with(
        &self,
        sampler: SamplerKind,
        z: Vec<f32>,
        frames: usize,
        seed: u64,
        predict: impl Fn(&[f32], &[usize]) -> Vec<f32>,
    ) -> Trajectory {
        let dim = self.config.data.dim();
        let request = SampleRequest {
            sampler,
            n: z.len() / dim,
            seed,
            max_frames: frames,
            clip_x0: false,
        };
        let t = self.schedule.timesteps();
        sample::<std::convert::Infallible>(
            &self.schedule,
            &request,
            dim,
            Start::From { t, x_t: z },
            |x, t| {
                // x̂₀ clipped to ±X0_CLIP, as the image model clips to [−1, 1]: an untrained
                // ε̂ divided by √ᾱ_T ≈ 0.007 would otherwise throw the particles far away.
                let eps = predict(x, &vec![t; x.len() / dim]);
                let x0 = x0_from_eps(&self.schedule, x, t, &eps);
                let clipped: Vec<f32> = x0.iter().map(|v| v.clamp(-X0_CLIP, X0_CLIP)).collect();
                Ok(eps_from_x0(&self.schedule, x, t, &clipped))
            },
            |_, _| std::ops::ControlFlow::Continue(()),
        )
        .unwrap_or(Trajectory {
            n: 0,
            dim,
            frames: vec![],
        })
    }
}

/// The sliced Wasserstein distances of a world: model samples against data, and for scale,
/// two independent data draws (the floor) and N(0, I) against the data (the start).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Swd {
    /// samples G(z) against the data
    pub model: f64,
    /// data against data
    pub floor: f64,
    /// N(0, I) against the data
    pub start: f64,
}

/// The distances for `samples` of a world with `data`, with draws from `seed`.
pub fn swd(data: &ToyData, samples: &[f32], seed: u64) -> Swd {
    let dim = data.dim();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5D);
    let a = data.sample(&mut rng, SWD_POINTS);
    let mut noise = vec![0.0f32; SWD_POINTS * dim];
    fill_standard_normal(&mut rng, &mut noise);
    let d = |x: &[f32], y: &[f32]| sliced_wasserstein(x, y, dim, SWD_PROJECTIONS, seed);
    // The floor is itself a random distance: the mean over four independent draws.
    let floor = (0..4)
        .map(|_| d(&data.sample(&mut rng, SWD_POINTS), &a))
        .sum::<f64>()
        / 4.0;
    Swd {
        model: d(samples, &a),
        floor,
        start: d(&noise, &a),
    }
}

/// ε̂ at points of the plane: (point, ε̂) pairs.
pub type Field = Vec<([f32; 2], [f32; 2])>;

/// Everything the panel draws of one moment of training.
#[derive(Clone, Debug)]
pub struct ToyView {
    /// the training step of the weights
    pub step: u64,
    /// 1 or 2
    pub dim: usize,
    /// T
    pub timesteps: usize,
    /// the particles' reverse paths: frames from x_T to x₀, each [n, dim]
    pub particles: Trajectory,
    /// 1-D: the z grid and G(z) on it
    pub g_curve: Vec<(f32, f32)>,
    /// 2-D: for each kept frame's t, ε̂ on a grid
    pub field: Vec<(usize, Field)>,
    /// sample quality
    pub swd: Swd,
    /// 1-D: held-out samples of the data (never trained on: their own seed)
    pub held_out: Vec<f32>,
    /// 1-D: the diffusion model's −ELBO over every t (Gaussian decoder) on `held_out`,
    /// nats per sample: (mean, standard error)
    pub neg_elbo_nats: Option<(f64, f64)>,
    /// a conditional model: each particle's class (particle i is class i mod classes);
    /// empty for an unconditional one
    pub particle_classes: Vec<usize>,
    /// the guidance the particles and the field were drawn with
    pub guidance: Option<Guidance>,
}

/// Classifier-free guidance for a world's view: the field's class and the scale w (the
/// particles take every class in turn, all at the same w).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Guidance {
    /// the class whose guided field −ε̃ is drawn
    pub class: usize,
    /// the guidance scale (1: plain conditional, 0: unconditional)
    pub w: f64,
}

/// Held-out samples in the 1-D view.
pub const HELD_OUT: usize = 256;

/// Particles drawn in a view.
pub const VIEW_PARTICLES: usize = 600;
/// Points of the z grid of G in 1-D.
pub const G_GRID: usize = 241;

/// The sampler of a run's view: DDPM through every t, or for flow matching its ODE.
pub fn view_sampler(trainer: &ToyTrainer) -> SamplerKind {
    match trainer.config.objective {
        Target::Flow => SamplerKind::Ddim {
            steps: trainer.schedule.timesteps(),
            eta: 0.0,
        },
        _ => SamplerKind::Ddpm,
    }
}

/// Compute the view of `trainer` now.
pub fn view(trainer: &ToyTrainer) -> ToyView {
    view_with(trainer, None)
}

/// The view, with a conditional model's particles and field guided by `guidance` (None: w = 1,
/// plain conditional, field of class 0).
pub fn view_with(trainer: &ToyTrainer, guidance: Option<Guidance>) -> ToyView {
    let dim = trainer.config.data.dim();
    let classes = trainer.config.classes();
    let guidance = (classes > 0).then(|| {
        let g = guidance.unwrap_or(Guidance { class: 0, w: 1.0 });
        Guidance {
            class: g.class.min(classes - 1),
            w: g.w,
        }
    });
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(trainer.config.seed ^ 0xF1E1D);
    // A flow-matching model's velocity is not a score once OT pairing or a reflow changes its
    // coupling, so its particles follow its ODE (DDIM at η = 0 through every t: Euler on its
    // line); the others sample ancestrally.
    let sampler = view_sampler(trainer);
    // Samples: ancestral DDPM (or the flow's ODE) through every t from SWD_POINTS draws of x_T (the first
    // VIEW_PARTICLES are drawn with their paths).
    let mut z = vec![0.0f32; SWD_POINTS * dim];
    fill_standard_normal(&mut rng, &mut z);
    let row_classes: Vec<usize> = (0..SWD_POINTS).map(|i| i % classes.max(1)).collect();
    let traj = match guidance {
        Some(g) => trainer.reverse_with(sampler, z, 21, trainer.config.seed ^ 0xDD, |x, ts| {
            trainer.predict_eps_guided_rows(x, ts, &row_classes[..ts.len()], g.w)
        }),
        None => trainer.reverse(sampler, z, 21, trainer.config.seed ^ 0xDD),
    };
    let samples = traj.final_x0();
    // In 1-D, the generator G (deterministic DDIM) on a grid of z.
    let g_curve = if dim == 1 {
        let grid: Vec<f32> = (0..G_GRID)
            .map(|i| -4.0 + 8.0 * i as f32 / (G_GRID - 1) as f32)
            .collect();
        let g = trainer.generate(grid.clone(), 2);
        grid.into_iter().zip(g.final_x0().iter().copied()).collect()
    } else {
        vec![]
    };
    let field = if dim == 2 {
        let pts: Vec<[f32; 2]> = (0..15 * 15)
            .map(|i| {
                [
                    -2.5 + 5.0 * (i % 15) as f32 / 14.0,
                    -2.5 + 5.0 * (i / 15) as f32 / 14.0,
                ]
            })
            .collect();
        let flat: Vec<f32> = pts.iter().flatten().copied().collect();
        traj.frames
            .iter()
            .filter(|f| f.t > 0)
            .map(|f| {
                let ts = vec![f.t; pts.len()];
                let eps = match guidance {
                    Some(g) => trainer.predict_eps_guided(&flat, &ts, g.class, g.w),
                    None => trainer.predict_eps(&flat, &ts),
                };
                (
                    f.t,
                    pts.iter()
                        .zip(eps.chunks(2))
                        .map(|(&p, e)| (p, [e[0], e[1]]))
                        .collect(),
                )
            })
            .collect()
    } else {
        vec![]
    };
    let particles = Trajectory {
        n: VIEW_PARTICLES,
        dim,
        frames: traj
            .frames
            .iter()
            .map(|f| crate::diffusion::Frame {
                t: f.t,
                x_t: f.x_t[..VIEW_PARTICLES * dim].to_vec(),
                x0_hat: f.x0_hat[..VIEW_PARTICLES * dim].to_vec(),
            })
            .collect(),
    };
    let (held_out, neg_elbo_nats) = if dim == 1 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x4E1D_0u64 ^ trainer.config.seed);
        let x = trainer.config.data.sample(&mut rng, HELD_OUT);
        let bound = crate::diffusion::toy::continuous_neg_elbo::<std::convert::Infallible>(
            &trainer.schedule,
            &x,
            1,
            trainer.step ^ 0xE1B0,
            |x, ts| Ok(trainer.predict_eps(x, ts)),
        )
        .unwrap_or_default();
        let stats = (!bound.is_empty()).then(|| {
            (
                crate::diffusion::elbo::mean(&bound),
                crate::diffusion::elbo::std_error(&bound),
            )
        });
        (x, stats)
    } else {
        (vec![], None)
    };
    ToyView {
        particle_classes: if classes > 0 {
            row_classes[..VIEW_PARTICLES].to_vec()
        } else {
            Vec::new()
        },
        guidance,
        held_out,
        neg_elbo_nats,
        step: trainer.step,
        dim,
        timesteps: trainer.schedule.timesteps(),
        particles,
        g_curve,
        field,
        swd: swd(&trainer.config.data, samples, trainer.config.seed),
    }
}

/// Orders for the toy worker.
#[derive(Clone, Debug)]
pub enum ToyCommand {
    /// train continuously
    Start,
    /// stop training
    Pause,
    /// train this many steps, then pause
    TrainSteps(u64),
    /// a new run from this config (fresh weights, step 0, paused)
    Reset(ToyConfig),
    /// send a view now
    View,
    /// compute the probability-flow ODE's density now (see [`super::toy_ode`])
    OdeDensity,
    /// draw a conditional model's views with this guidance, and send one now
    SetGuidance(Guidance),
    /// measure precision and spread over a sweep of w (the overlap set only)
    GuidanceSweep(Vec<f64>),
    /// measure every sampler at every budget and the paths' straightness (the lab)
    Measure,
    /// flow matching: retrain from now on on the model's own (noise, sample) pairs
    Reflow,
    /// end the thread
    Shutdown,
}

/// Reports of the toy worker.
#[derive(Clone, Debug)]
pub enum ToyEvent {
    /// training steps since the last report: (last step, mean loss, steps per second)
    Trained {
        /// the step reached
        step: u64,
        /// mean L_simple over the steps reported
        loss: f32,
        /// training speed
        steps_per_s: f64,
    },
    /// running (true) or paused
    Running(bool),
    /// a new view
    View(Box<ToyView>),
    /// the ODE's density, or why it failed
    OdeDensity(Box<Result<super::toy_ode::ToyOdeDensity, String>>),
    /// a guidance sweep's precision and spread per w (empty: not available for this run)
    GuidanceSweep(Vec<super::toy_guidance::GuidancePoint>),
    /// the lab's measurement
    Measured(Box<super::toy_samplers::LabMeasure>),
    /// a reflow happened: the paths' straightness just before it
    Reflowed(super::toy_samplers::PathStraightness),
}

/// The UI's side of the toy worker.
pub struct ToyWorker {
    commands: Sender<ToyCommand>,
    /// reports
    pub events: Receiver<ToyEvent>,
    thread: Option<JoinHandle<()>>,
}

impl ToyWorker {
    /// Start a paused worker for `config` on the CPU; `repaint` wakes the UI.
    pub fn spawn(config: ToyConfig, repaint: Box<dyn Fn() + Send>) -> std::io::Result<Self> {
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (ev_tx, ev_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("toy-trainer".into())
            .spawn(move || {
                super::threads::lower_this_thread();
                run(config, cmd_rx, ev_tx, repaint);
            })?;
        Ok(Self {
            commands: cmd_tx,
            events: ev_rx,
            thread: Some(thread),
        })
    }

    /// Send a command; false when the worker has ended.
    pub fn send(&self, command: ToyCommand) -> bool {
        self.commands.send(command).is_ok()
    }
}

impl Drop for ToyWorker {
    fn drop(&mut self) {
        let _ = self.commands.send(ToyCommand::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A training report at most this often.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Samples per class in the worker's guidance sweep.
const SWEEP_SAMPLES: usize = 200;

/// A view at most this often while training.
const VIEW_EVERY: Duration = Duration::from_millis(1500);

fn run(
    config: ToyConfig,
    commands: Receiver<ToyCommand>,
    out: Sender<ToyEvent>,
    repaint: Box<dyn Fn() + Send>,
) {
    // The worlds are small enough that the CPU backend is the fast one everywhere.
    let device = DeviceInfo::flex(String::new());
    let mut trainer = ToyTrainer::new(config, &device);
    let send = |e: ToyEvent| {
        let _ = out.send(e);
        repaint();
    };
    send(ToyEvent::View(Box::new(view(&trainer))));
    let (mut running, mut remaining) = (false, None::<u64>);
    let (mut losses, mut last_view) = (Vec::new(), Instant::now());
    let mut guidance: Option<Guidance> = None;
    loop {
        let next = if running {
            match commands.try_recv() {
                Ok(c) => Some(c),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            }
        } else {
            match commands.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            }
        };
        match next {
            Some(ToyCommand::Shutdown) => return,
            Some(ToyCommand::Start) => {
                running = true;
                remaining = None;
                send(ToyEvent::Running(true));
            }
            Some(ToyCommand::TrainSteps(n)) => {
                running = n > 0;
                remaining = Some(n);
                send(ToyEvent::Running(running));
            }
            Some(ToyCommand::Pause) => {
                running = false;
                send(ToyEvent::Running(false));
                send(ToyEvent::View(Box::new(view_with(&trainer, guidance))));
            }
            Some(ToyCommand::Reset(config)) => {
                trainer = ToyTrainer::new(config, &device);
                running = false;
                losses.clear();
                send(ToyEvent::Running(false));
                send(ToyEvent::View(Box::new(view_with(&trainer, guidance))));
            }
            Some(ToyCommand::View) => send(ToyEvent::View(Box::new(view_with(&trainer, guidance)))),
            Some(ToyCommand::SetGuidance(g)) => {
                guidance = Some(g);
                send(ToyEvent::View(Box::new(view_with(&trainer, guidance))));
            }
            Some(ToyCommand::GuidanceSweep(ws)) => {
                let points = trainer
                    .guidance_sweep(&ws, SWEEP_SAMPLES, trainer.config().seed ^ 0x6D1D)
                    .map(|(p, _)| p)
                    .unwrap_or_default();
                send(ToyEvent::GuidanceSweep(points));
            }
            Some(ToyCommand::Measure) => {
                send(ToyEvent::Measured(Box::new(trainer.lab_measure())));
            }
            Some(ToyCommand::Reflow) => {
                let before = trainer.path_straightness(trainer.config().seed);
                trainer.reflow(
                    super::toy_objective::REFLOW_PAIRS,
                    trainer.config().seed ^ trainer.step_count(),
                );
                send(ToyEvent::Reflowed(before));
            }
            Some(ToyCommand::OdeDensity) => {
                let result = super::toy_ode::toy_ode_density(&trainer).map_err(|e| e.to_string());
                send(ToyEvent::OdeDensity(Box::new(result)));
            }
            None => {}
        }
        if !running {
            continue;
        }
        // Train in slices of about 100 ms, then report: ten reports a second are plenty for a
        // loss curve, and each one costs the window a frame.
        let slice = Instant::now();
        while slice.elapsed() < REPORT_EVERY {
            losses.push(trainer.train_step());
            if let Some(left) = remaining.as_mut() {
                *left -= 1;
                if *left == 0 {
                    running = false;
                    remaining = None;
                    break;
                }
            }
        }
        // the speed of training itself (views and reports excluded)
        let elapsed = slice.elapsed().as_secs_f64().max(1e-9);
        send(ToyEvent::Trained {
            step: trainer.step_count(),
            loss: losses.iter().sum::<f32>() / losses.len().max(1) as f32,
            steps_per_s: losses.len() as f64 / elapsed,
        });
        losses.clear();
        if !running || last_view.elapsed() >= VIEW_EVERY {
            send(ToyEvent::View(Box::new(view_with(&trainer, guidance))));
            last_view = Instant::now();
        }
        if !running {
            send(ToyEvent::Running(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moons from scratch with a fixed seed: within a fixed number of steps the samples are
    /// within twice the data's own sampling floor of the data, from far above it.
    #[test]
    fn moons_from_scratch_reach_twice_the_floor() {
        let device = DeviceInfo::flex(String::new());
        let mut t = ToyTrainer::new(ToyConfig::new(ToyData::Moons, 3), &device);
        let before = view(&t).swd;
        assert!(before.model > 4.0 * before.floor, "{before:?}");
        for _ in 0..3000 {
            assert!(t.train_step().is_finite());
        }
        let after = view(&t).swd;
        assert!(after.model <= 2.0 * after.floor, "{after:?}");
    }
}

#[cfg(test)]
mod worker_tests {
    use super::*;

    #[test]
    fn the_worker_trains_pauses_and_reports() {
        let w = ToyWorker::spawn(ToyConfig::new(ToyData::Moons, 1), Box::new(|| {})).unwrap();
        assert!(w.send(ToyCommand::Reset(ToyConfig::new(ToyData::Moons, 2))));
        assert!(w.send(ToyCommand::Start));
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut running, mut trained, mut views) = (false, 0u64, 0);
        while Instant::now() < deadline && (trained < 50 || views < 2) {
            match w.events.recv_timeout(Duration::from_millis(100)) {
                Ok(ToyEvent::Running(r)) => running = r,
                Ok(ToyEvent::Trained { step, .. }) => trained = step,
                Ok(ToyEvent::View(_)) => views += 1,
                Ok(_) | Err(_) => {}
            }
        }
        assert!(
            running && trained >= 50 && views >= 2,
            "{running} {trained} {views}"
        );
        assert!(w.send(ToyCommand::Pause));
    }

    /// The lab's commands: a flow run measures every sampler at every budget and its paths,
    /// and reflows, reporting the straightness it had before.
    #[test]
    fn the_worker_measures_and_reflows_a_flow_run() {
        let config = ToyConfig {
            objective: crate::diffusion::objective::Target::Flow,
            ..ToyConfig::new(ToyData::Moons, 1)
        };
        let w = ToyWorker::spawn(config, Box::new(|| {})).unwrap();
        assert!(w.send(ToyCommand::TrainSteps(100)));
        assert!(w.send(ToyCommand::Measure));
        assert!(w.send(ToyCommand::Reflow));
        let deadline = Instant::now() + Duration::from_secs(600);
        let (mut measured, mut reflowed) = (None, None);
        while Instant::now() < deadline && (measured.is_none() || reflowed.is_none()) {
            match w.events.recv_timeout(Duration::from_millis(100)) {
                Ok(ToyEvent::Measured(m)) => measured = Some(m),
                Ok(ToyEvent::Reflowed(b)) => reflowed = Some(b),
                Ok(_) | Err(_) => {}
            }
        }
        let m = measured.expect("a measurement");
        assert_eq!(
            m.sweep.len(),
            5 * super::super::toy_samplers::LAB_NFES.len()
        );
        assert!(m.floor > 0.0 && m.paths.straightness >= 0.0, "{m:?}");
        let before = reflowed.expect("a reflow");
        assert!(
            before.straightness >= 0.0 && before.one_step_swd > 0.0,
            "{before:?}"
        );
    }
}
