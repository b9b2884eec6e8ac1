//! The training loop, single-threaded: one [`Trainer`] owns the model, its EMA, the Adam
//! state, the schedule and the data. The CLI drives it directly; the app drives it from the
//! worker thread in [`super::worker`].

use super::clip::clip_global_norm;
use super::data_parallel::{self, shard_ranges};
use super::device::DeviceInfo;
use super::phases::{Phase, PhaseClock, PhaseTimes};
use super::whole_adam::{Update, WholeAdam};
use crate::data::{DataSource, Dataset};
use crate::diffusion::objective::{FlowTime, Target};
use crate::diffusion::process::{fill_standard_normal, q_sample};
use crate::diffusion::{
    SampleError, SampleRequest, Schedule, ScheduleConfig, ScheduleError, Start, TimestepPlan,
    Trajectory, VlbEstimate, estimate_vlb, sample,
};
use crate::model::{ConfigError, UNet, UNetConfig, kernels};
use crate::tr;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::ControlFlow;

/// Everything that defines a run besides the device. Saved in every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// the network
    pub model: UNetConfig,
    /// β schedule and T
    pub schedule: ScheduleConfig,
    /// images per step
    pub batch: usize,
    /// Adam learning rate
    pub lr: f64,
    /// EMA decay (with the usual warm-up min(decay, (1+n)/(10+n)))
    pub ema_decay: f64,
    /// seed of the initial weights and of every batch
    pub seed: u64,
    /// training data
    pub data: DataSource,
    /// a class-conditional model's class names, in label order (empty: unconditional);
    /// `model.classes` counts them
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// probability that a training image's class is replaced by the null class ∅, so that
    /// one network learns ε(x, c) and ε(x, ∅) (classifier-free guidance)
    #[serde(default = "default_p_uncond")]
    pub p_uncond: f64,
    /// what the network predicts (checkpoints before #25 predicted ε)
    #[serde(default = "default_objective", skip_serializing_if = "is_eps")]
    pub objective: Target,
    /// flow matching: how t is drawn
    #[serde(default, skip_serializing_if = "is_uniform")]
    pub flow_time: FlowTime,
}

fn default_objective() -> Target {
    Target::Eps
}

fn is_eps(t: &Target) -> bool {
    *t == Target::Eps
}

fn is_uniform(t: &FlowTime) -> bool {
    *t == FlowTime::Uniform
}

/// Ho & Salimans (2022) train with p_uncond = 0.1 or 0.2.
pub const DEFAULT_P_UNCOND: f64 = 0.1;

fn default_p_uncond() -> f64 {
    DEFAULT_P_UNCOND
}

impl TrainConfig {
    /// Make the run class-conditional on `classes` (empty: unconditional again).
    pub fn with_classes(mut self, classes: Vec<String>) -> Self {
        self.model.classes = (!classes.is_empty()).then_some(classes.len());
        self.classes = classes;
        self
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            model: UNetConfig::default_32(),
            schedule: ScheduleConfig::default(),
            batch: 32,
            lr: 2e-4,
            ema_decay: 0.999,
            seed: 0,
            data: DataSource::Builtin(crate::data::Builtin::Shapes),
            classes: Vec::new(),
            p_uncond: DEFAULT_P_UNCOND,
            objective: Target::Eps,
            flow_time: FlowTime::Uniform,
        }
    }
}

/// What went wrong in training.
#[derive(Debug)]
pub enum TrainError {
    /// the model config is invalid
    Config(ConfigError),
    /// the schedule config is invalid
    Schedule(ScheduleError),
    /// a setting is out of range
    Invalid(String),
    /// the loss was NaN or infinite; the trainer rolled back to the last good state
    NonFinite {
        /// the bad loss
        loss: f32,
        /// the step that produced it
        step: u64,
        /// the step now restored
        rolled_back_to: u64,
    },
    /// the device failed during a computation
    Device(String),
    /// the caller cancelled a long computation
    Cancelled,
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(e) => write!(f, "{e}"),
            Self::Schedule(e) => write!(f, "{e}"),
            Self::Invalid(m) => f.write_str(m),
            Self::NonFinite {
                loss,
                step,
                rolled_back_to,
            } => f.write_str(&tr!(
                "train-err-non-finite",
                loss = loss,
                step = step,
                rolled_back_to = rolled_back_to
            )),
            Self::Device(m) => f.write_str(&tr!("train-err-device", error = m)),
            Self::Cancelled => f.write_str(&tr!("train-err-cancelled")),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Schedule(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<ScheduleError> for TrainError {
    fn from(e: ScheduleError) -> Self {
        Self::Schedule(e)
    }
}

/// One step's figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// the step just finished (1-based)
    pub step: u64,
    /// L_simple on this batch
    pub loss: f32,
}

/// Which weights sample: the exponential moving average (smooth, the default) or the raw
/// weights of the last step (they follow the data at once, noisily).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    /// θ_ema
    #[default]
    Ema,
    /// θ
    Raw,
}

/// A snapshot to roll back to.
#[derive(Clone)]
struct GoodState {
    model: UNet,
    ema: UNet,
    optim: ModuleOptimizer,
    whole: Option<WholeAdam>,
    step: u64,
    ema_steps: u64,
}

/// The training state.
pub struct Trainer {
    config: TrainConfig,
    device_info: DeviceInfo,
    /// the autodiff device the model trains on
    device: Device,
    model: UNet,
    /// exponential moving average of the weights, on the plain device; used for sampling
    ema: UNet,
    optim: ModuleOptimizer,
    /// Adam's state on the CPU, where the step after the backward pass updates the whole model
    /// at once ([`super::whole_adam`]); while it is Some, it is the state and `optim` is stale
    whole: Option<WholeAdam>,
    schedule: Schedule,
    dataset: Dataset,
    step: u64,
    /// EMA updates since the EMA last (re)started: its warm-up counts these, not `step`
    ema_steps: u64,
    last_good: GoodState,
    /// where the steps' time went (summed only with `DIFFUSION_PLAYGROUND_PHASES=1`)
    phases: PhaseTimes,
}

/// The gradients' global L2 norm is clipped to this before each Adam step
/// (see [`super::clip`]).
const MAX_GRAD_NORM: f64 = 1.0;

fn adam() -> ModuleOptimizer {
    super::adam::module_adam()
}

impl TrainConfig {
    /// Whether a trainer could be built from these settings (checked without a device).
    pub fn validate(&self) -> Result<(), TrainError> {
        check(self).map(|_| ())
    }
}

fn check(config: &TrainConfig) -> Result<Schedule, TrainError> {
    config.model.validate()?;
    if !(1..=1024).contains(&config.batch) {
        return Err(TrainError::Invalid(format!(
            "batch must be 1 to 1024, got {}",
            config.batch
        )));
    }
    if !(config.lr.is_finite() && config.lr > 0.0 && config.lr <= 10.0) {
        return Err(TrainError::Invalid(format!(
            "learning rate must be in (0, 10], got {}",
            config.lr
        )));
    }
    if !(0.0..1.0).contains(&config.ema_decay) {
        return Err(TrainError::Invalid(format!(
            "EMA decay must be in [0, 1), got {}",
            config.ema_decay
        )));
    }
    if config.model.class_count() != config.classes.len() {
        return Err(TrainError::Invalid(format!(
            "the model has {} classes but {} class names are given",
            config.model.class_count(),
            config.classes.len()
        )));
    }
    if !(0.0..1.0).contains(&config.p_uncond) {
        return Err(TrainError::Invalid(format!(
            "p_uncond must be in [0, 1), got {}",
            config.p_uncond
        )));
    }
    Ok(config.schedule.build()?)
}

/// The per-step random source: a pure function of (seed, step), so a resumed run draws the
/// same batches, timesteps and noise as one that never stopped.
pub fn step_rng(seed: u64, step: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(step);
    rng
}

impl Trainer {
    /// Fresh weights from `config.seed` on `device_info`'s device.
    pub fn new(
        config: TrainConfig,
        device_info: DeviceInfo,
        dataset: Dataset,
    ) -> Result<Self, TrainError> {
        let schedule = check(&config)?;
        let device = device_info.device().autodiff();
        device.seed(config.seed);
        let model = config.model.init(&device)?;
        Ok(Self::assemble(
            config,
            device_info,
            device,
            model,
            None,
            adam(),
            schedule,
            dataset,
            0,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        config: TrainConfig,
        device_info: DeviceInfo,
        device: Device,
        model: UNet,
        ema: Option<UNet>,
        optim: ModuleOptimizer,
        schedule: Schedule,
        dataset: Dataset,
        step: u64,
    ) -> Self {
        let ema = ema.unwrap_or_else(|| model.valid());
        let last_good = GoodState {
            model: model.clone(),
            ema: ema.clone(),
            optim: optim.clone(),
            whole: None,
            step,
            ema_steps: step,
        };
        Self {
            config,
            device_info,
            device,
            model,
            ema,
            optim,
            whole: None,
            schedule,
            dataset,
            step,
            ema_steps: step,
            last_good,
            phases: PhaseTimes::default(),
        }
    }

    /// Rebuild from checkpoint parts (see [`super::checkpoint`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        config: TrainConfig,
        device_info: DeviceInfo,
        model: UNet,
        ema: UNet,
        optim_bytes: Option<burn::tensor::Bytes>,
        dataset: Dataset,
        step: u64,
    ) -> Result<Self, TrainError> {
        let schedule = check(&config)?;
        let device = device_info.device().autodiff();
        let model = model.to_device(&device).train();
        let ema = ema.to_device(&device_info.device());
        let optim = match optim_bytes {
            // burn's decoder panics on some malformed records (a tensor without its parameter
            // id, found by tests/fuzz.rs): a damaged file is an error, never a crash.
            Some(bytes) => {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| adam().from_bytes(bytes)))
                    .map_err(|_| TrainError::Invalid("optimizer state: a malformed record".into()))?
                    .map_err(|e| TrainError::Invalid(format!("optimizer state: {e}")))?
            }
            None => adam(),
        };
        Ok(Self::assemble(
            config,
            device_info,
            device,
            model,
            Some(ema),
            optim,
            schedule,
            dataset,
            step,
        ))
    }

    /// The run's settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The device in use.
    pub fn device_info(&self) -> &DeviceInfo {
        &self.device_info
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// The schedule (host, f64).
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// Parameters of the model.
    pub fn num_params(&self) -> usize {
        self.model.num_params()
    }

    /// The trained weights and the EMA, for checkpoints.
    pub(crate) fn parts(&self) -> (&UNet, &UNet) {
        (&self.model, &self.ema)
    }

    /// The optimizer's state as a record of burn's Adam, for checkpoints.
    pub(crate) fn optimizer_bytes(&self) -> Result<burn::tensor::Bytes, burn::store::RecordError> {
        match &self.whole {
            Some(whole) => whole.to_bytes(&self.model),
            None => self.optim.into_bytes(),
        }
    }

    /// Change the learning rate from the next step on.
    pub fn set_lr(&mut self, lr: f64) -> Result<(), TrainError> {
        self.change_config(|c| c.lr = lr)
    }

    /// Take a resumed run's batch, learning rate and seed from `config` (the settings a
    /// resume may change; the model's shape and schedule stay the checkpoint's).
    pub fn apply_settings(&mut self, config: &TrainConfig) -> Result<(), TrainError> {
        self.change_config(|c| {
            c.batch = config.batch;
            c.lr = config.lr;
            c.seed = config.seed;
            c.p_uncond = config.p_uncond;
        })
    }

    /// Change the batch size from the next step on.
    pub fn set_batch(&mut self, batch: usize) -> Result<(), TrainError> {
        self.change_config(|c| c.batch = batch)
    }

    /// Apply `change` to the run's settings if the result is valid; else keep them.
    fn change_config(&mut self, change: impl FnOnce(&mut TrainConfig)) -> Result<(), TrainError> {
        let mut c = self.config.clone();
        change(&mut c);
        check(&c)?;
        self.config = c;
        Ok(())
    }

    /// Change the dataset from the next step on. The EMA restarts from the current weights
    /// with its warm-up: an average over the old data would hide the new data for about
    /// 1/(1 − decay) steps.
    pub fn set_dataset(&mut self, source: DataSource, dataset: Dataset) {
        self.config.data = source;
        self.dataset = dataset;
        self.restart_ema();
    }

    /// θ_ema ← θ, and the warm-up decay min(decay, (1+n)/(10+n)) counts n from here.
    pub fn restart_ema(&mut self) {
        self.ema = self.model.valid();
        self.ema_steps = 0;
    }

    /// EMA updates since the EMA (re)started.
    pub fn ema_steps(&self) -> u64 {
        self.ema_steps
    }

    /// Build (x_t, ε, t) for a batch of clean images, drawing t and ε from `rng`.
    fn noisy_batch(
        &self,
        x0_unit: &[f32],
        n: usize,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<f32>, Vec<f32>, Vec<usize>) {
        let dim = x0_unit.len() / n.max(1);
        let t_max = self.schedule.timesteps();
        let ts: Vec<usize> = (0..n).map(|_| rng.random_range(1..=t_max)).collect();
        let mut eps = vec![0.0f32; x0_unit.len()];
        fill_standard_normal(rng, &mut eps);
        let mut x_t = Vec::with_capacity(x0_unit.len());
        for (i, &t) in ts.iter().enumerate() {
            let r = i * dim..(i + 1) * dim;
            x_t.extend(q_sample(&self.schedule, &x0_unit[r.clone()], t, &eps[r]));
        }
        (x_t, eps, ts)
    }

    /// [C, H, W] of one image.
    pub fn image_shape(&self) -> [usize; 3] {
        let s = self.config.model.image_size;
        [self.config.model.image_channels, s, s]
    }

    /// The EMA on the autodiff device with its parameters frozen: gradients reach the input,
    /// never the weights (for the ODE's vector–Jacobian products).
    pub(crate) fn ema_for_gradients(&self) -> UNet {
        self.ema.clone().freeze().train()
    }

    fn tensor4(&self, values: Vec<f32>, n: usize, device: &Device) -> Tensor<4> {
        let c = self.config.model.image_channels;
        let s = self.config.model.image_size;
        Tensor::from_data(TensorData::new(values, [n, c, s, s]), device)
    }

    /// One optimisation step of L_simple = E‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖², or of the
    /// run's other objective (x₀, v, flow matching: [`Trainer::objective_batch`]).
    ///
    /// A NaN or infinite loss is caught before the update: the trainer rolls back to the last
    /// good state and returns [`TrainError::NonFinite`].
    pub fn train_step(&mut self) -> Result<StepStats, TrainError> {
        let mut clock = PhaseClock::start();
        let n = self.config.batch;
        let size = self.config.model.image_size;
        let mut rng = step_rng(self.config.seed, self.step);
        let (x0, labels) = self.dataset.batch_labelled(&mut rng, n, size);
        // ε: the original batch (bit for bit as before #25); other objectives their own
        let (x_t, target, time) = if self.config.objective == Target::Eps {
            let (x_t, eps, ts) = self.noisy_batch(&x0, n, &mut rng);
            (x_t, eps, ts.iter().map(|&t| t as f64).collect::<Vec<f64>>())
        } else {
            let b = self.objective_batch(&x0, n, &mut rng);
            (b.x_t, b.target, b.labels)
        };
        // A conditional model: each image's class, or ∅ with probability p_uncond.
        let classes = self.training_classes(&labels, &mut rng);
        let x_t = self.tensor4(x_t, n, &self.device); // [n, 3, s, s]
        let target = self.tensor4(target, n, &self.device);
        clock.lap(Phase::Data, &mut self.phases);
        // On the CPU the batch splits into shards that run on the cores at once.
        let ranges = shard_ranges(n, kernels::shards::batch_shards(&x_t));
        let values = (self.image_dim() * n) as f64;
        let shards = data_parallel::forward(&self.model, &ranges, |model: &UNet, images| {
            let pred = model.forward_conditional_at_labels(
                x_t.clone().narrow(0, images.start, images.len()),
                &time[images.clone()],
                classes.as_deref().map(|c| &c[images.clone()]),
            );
            let target = target.clone().narrow(0, images.start, images.len());
            // this shard's part of the batch's mean squared error
            (pred - target).powi_scalar(2).sum().div_scalar(values) // [1]
        });
        clock.lap(Phase::Forward, &mut self.phases);
        let loss_value: f32 = shards
            .iter()
            .map(|s| s.loss.clone().into_scalar::<f32>())
            .sum();
        clock.lap(Phase::LossReadBack, &mut self.phases);
        if !loss_value.is_finite() {
            let bad_step = self.step + 1;
            self.rollback();
            return Err(TrainError::NonFinite {
                loss: loss_value,
                step: bad_step,
                rolled_back_to: self.step,
            });
        }
        if let Some(mut whole) = self.whole_adam() {
            // On the CPU: the shards' sum, clipping, Adam and the EMA in one update.
            let parts = data_parallel::backward_parts(shards);
            clock.lap(Phase::Backward, &mut self.phases);
            let update = Update {
                lr: self.config.lr,
                max_norm: MAX_GRAD_NORM,
                ema_decay: ema_decay(self.config.ema_decay, self.ema_steps + 1),
            };
            let model = std::mem::replace(&mut self.model, self.last_good.model.clone());
            let ema = std::mem::replace(&mut self.ema, self.last_good.ema.clone());
            (self.model, self.ema) = whole.step(model, ema, parts, &update);
            self.whole = Some(whole);
            clock.lap(Phase::Optimizer, &mut self.phases);
            self.step += 1;
            self.ema_steps += 1;
        } else {
            let mut grads = data_parallel::backward(shards, &self.model);
            clock.lap(Phase::Backward, &mut self.phases);
            clip_global_norm(&mut grads, &self.model, MAX_GRAD_NORM);
            clock.lap(Phase::GradientsOut, &mut self.phases);
            let model = std::mem::replace(&mut self.model, self.last_good.model.clone());
            self.model = self.optim.step(self.config.lr, model, grads);
            clock.lap(Phase::Optimizer, &mut self.phases);
            self.step += 1;
            self.ema_steps += 1;
            self.update_ema();
        }
        // Keep a rollback point every 25 steps (module clones share their tensors).
        if self.step % 25 == 0 {
            self.mark_good();
        }
        clock.lap(Phase::Ema, &mut self.phases);
        Ok(StepStats {
            step: self.step,
            loss: loss_value,
        })
    }

    /// Where the steps' time went, summed since the trainer was built; all zero unless
    /// `DIFFUSION_PLAYGROUND_PHASES=1` (see [`super::phases`]).
    pub fn phase_times(&self) -> &PhaseTimes {
        &self.phases
    }

    /// [`Self::phase_times`], and start summing again from zero.
    pub fn take_phase_times(&mut self) -> PhaseTimes {
        std::mem::take(&mut self.phases)
    }

    /// The whole-model update's Adam state, taken out (from `optim` the first time), where it
    /// applies: the fused kernels on the flex device, and a state it can hold.
    fn whole_adam(&mut self) -> Option<WholeAdam> {
        if !kernels::fused_on(&self.device_info.device()) {
            // burn's optimiser continues from the whole update's state (a step taken inside
            // `with_burn_ops`, say); were its record unreadable, Adam would go on from the
            // state it had before the whole updates.
            if let Some(whole) = self.whole.take() {
                match whole.to_module(&self.model) {
                    Ok(optim) => self.optim = optim,
                    Err(e) => log::warn!("Adam's state not carried over: {e}"),
                }
            }
            return None;
        }
        if let Some(whole) = self.whole.take() {
            return Some(whole);
        }
        WholeAdam::from_module(&self.optim, &self.model)
    }

    fn mark_good(&mut self) {
        self.last_good = GoodState {
            model: self.model.clone(),
            ema: self.ema.clone(),
            optim: self.optim.clone(),
            whole: self.whole.clone(),
            step: self.step,
            ema_steps: self.ema_steps,
        };
    }

    fn rollback(&mut self) {
        let good = self.last_good.clone();
        self.model = good.model;
        self.ema = good.ema;
        self.optim = good.optim;
        self.whole = good.whole;
        self.step = good.step;
        self.ema_steps = good.ema_steps;
    }

    /// θ_ema ← d·θ_ema + (1−d)·θ, d = min(decay, (1+n)/(10+n)), n the EMA's own steps.
    fn update_ema(&mut self) {
        let ema = std::mem::replace(&mut self.ema, self.last_good.ema.clone());
        self.ema = ema_step(ema, &self.model, self.config.ema_decay, self.ema_steps);
    }

    /// ε̂ from the EMA weights (or the raw weights) for host x_t at one timestep t (a
    /// conditional model: for the null class ∅).
    pub fn predict_eps(
        &self,
        use_ema: bool,
        x_t_unit: &[f32],
        t: usize,
    ) -> Result<Vec<f32>, TrainError> {
        let n = x_t_unit.len() / self.image_dim().max(1);
        let weights = if use_ema { Weights::Ema } else { Weights::Raw };
        self.forward_eps(weights, x_t_unit, &vec![t; n], None)
    }

    /// ε̂(x_t, t_i, c_i) of `weights` for host x_t, row i at timestep ts[i] with class
    /// classes[i] (None, or an index ≥ the class count: ∅).
    pub(crate) fn forward_eps(
        &self,
        weights: Weights,
        x_t_unit: &[f32],
        ts: &[usize],
        classes: Option<&[usize]>,
    ) -> Result<Vec<f32>, TrainError> {
        if self.config.objective != Target::Eps {
            return self.eps_at_timesteps(weights, x_t_unit, ts, classes);
        }
        let labels: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
        self.raw(weights, x_t_unit.to_vec(), &labels, classes)
    }

    /// The EMA or the raw weights (plain device).
    pub(crate) fn weights(&self, weights: Weights) -> UNet {
        match weights {
            Weights::Ema => self.ema.clone(),
            Weights::Raw => self.model.valid(),
        }
    }

    /// ε̂ from the EMA weights for host x_t where image i is at timestep ts[i], in chunks of
    /// at most 64 images.
    pub fn predict_eps_at(&self, x_t_unit: &[f32], ts: &[usize]) -> Result<Vec<f32>, TrainError> {
        let dim = self.image_dim().max(1);
        let device = self.device_info.device();
        let mut out = Vec::with_capacity(x_t_unit.len());
        for (x, ts) in x_t_unit.chunks(64 * dim).zip(ts.chunks(64)) {
            if self.config.objective != Target::Eps {
                out.extend(self.eps_at_timesteps(Weights::Ema, x, ts, None)?);
                continue;
            }
            let x = self.tensor4(x.to_vec(), ts.len(), &device);
            out.extend(
                self.ema
                    .forward(x, ts)
                    .into_data()
                    .try_into_vec::<f32>()
                    .map_err(|e| TrainError::Device(format!("{e:?}")))?,
            );
        }
        Ok(out)
    }

    /// L_simple of the EMA on a fixed batch with fixed noise (from `seed`): a held-out loss.
    pub fn eval_loss(&self, x0_unit: &[f32], n: usize, seed: u64) -> Result<f32, TrainError> {
        self.fixed_batch_loss(Weights::Ema, x0_unit, n, seed)
    }

    /// L_simple of the raw (non-EMA) weights on a fixed batch and noise, for exact comparisons.
    pub fn eval_loss_raw(&self, x0_unit: &[f32], n: usize, seed: u64) -> Result<f32, TrainError> {
        self.fixed_batch_loss(Weights::Raw, x0_unit, n, seed)
    }

    /// L_simple of `weights` on `x0_unit` with t and ε drawn from `seed`.
    fn fixed_batch_loss(
        &self,
        weights: Weights,
        x0_unit: &[f32],
        n: usize,
        seed: u64,
    ) -> Result<f32, TrainError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (x_t, eps, ts) = self.noisy_batch(x0_unit, n, &mut rng);
        if self.config.objective != Target::Eps {
            // L_simple of the ε̂ the network implies
            let eps_hat = self.eps_at_timesteps(weights, &x_t, &ts, None)?;
            let sum: f64 = eps_hat
                .iter()
                .zip(&eps)
                .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
                .sum();
            return Ok((sum / eps.len().max(1) as f64) as f32);
        }
        let device = self.device_info.device();
        let x_t = self.tensor4(x_t, n, &device);
        let eps = self.tensor4(eps, n, &device);
        Ok((self.weights(weights).forward(x_t, &ts) - eps)
            .powi_scalar(2)
            .mean()
            .into_scalar())
    }

    /// Run a sampler with the EMA weights.
    pub fn sample(
        &self,
        request: &SampleRequest,
        start: Start,
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Trajectory, SampleError<TrainError>> {
        self.sample_with(Weights::Ema, request, start, progress)
    }

    /// Run a sampler with the given weights.
    pub fn sample_with(
        &self,
        weights: Weights,
        request: &SampleRequest,
        start: Start,
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Trajectory, SampleError<TrainError>> {
        let s = self.config.model.image_size;
        let dim = self.config.model.image_channels * s * s;
        let use_ema = weights == Weights::Ema;
        sample(
            &self.schedule,
            request,
            dim,
            start,
            |x, t| self.predict_eps(use_ema, x, t),
            progress,
        )
    }

    /// Estimate −ELBO of the EMA on a fixed batch with the timesteps of `plan`.
    pub fn vlb(
        &self,
        x0_unit: &[f32],
        plan: TimestepPlan,
        seed: u64,
    ) -> Result<VlbEstimate, TrainError> {
        let dim = self.image_dim();
        estimate_vlb(&self.schedule, x0_unit, dim, plan, seed, |x, ts| {
            self.predict_eps_at(x, ts)
        })
    }

    /// Values per image: C·H·W.
    pub fn image_dim(&self) -> usize {
        let s = self.config.model.image_size;
        self.config.model.image_channels * s * s
    }
}

/// One EMA update of `ema` (plain device) toward `model` (the trained copy, same structure):
/// θ_ema ← d·θ_ema + (1−d)·θ with d = min(decay, (1+n)/(10+n)) after n steps.
pub(crate) fn ema_step<M: Module>(ema: M, model: &M, decay: f64, steps: u64) -> M {
    let decay = ema_decay(decay, steps);
    let mut collect = Collect::default();
    model.visit(&mut collect);
    let mut mapper = EmaMapper {
        current: collect.params,
        decay,
    };
    ema.map(&mut mapper)
}

/// The EMA's decay after n steps: min(decay, (1+n)/(10+n)).
fn ema_decay(decay: f64, steps: u64) -> f64 {
    let n = steps as f64;
    decay.min((1.0 + n) / (10.0 + n))
}

/// Collects every float parameter, flattened, by id (autodiff stripped).
#[derive(Default)]
struct Collect {
    params: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let n = value.shape().num_elements();
        self.params.insert(param.id, value.reshape([n]));
    }
}

/// Moves each EMA parameter toward the collected current value.
struct EmaMapper {
    current: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for EmaMapper {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(current) = self.current.remove(&param.id) else {
            return param;
        };
        let decay = self.decay;
        param.map(|ema| {
            let shape = ema.shape();
            let device = ema.device();
            let current: Tensor<D> = current.to_device(&device).reshape(shape);
            crate::model::kernels::ema::ema_step(ema, current, decay)
        })
    }
}
