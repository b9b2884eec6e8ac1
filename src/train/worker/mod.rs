//! The training worker: a named thread that owns the [`Trainer`], takes [`Command`]s and
//! reports [`Event`]s. The UI never waits on it.
//!
//! Two channels carry its reports: `progress` is bounded and the worker drops a progress
//! report when it is full (the next one supersedes it), so a stalled UI never grows a backlog;
//! `events` carries results (samples, ELBO snapshots, saves, notices, the end of the stream),
//! which are rare and never dropped. The stream always ends with [`Event::Stopped`].

use super::checkpoint;
use super::device::{DeviceChoice, DeviceInfo, choose_device};
use super::history::History;
use super::trainer::{StepStats, TrainConfig, TrainError, Trainer};
use crate::data::dataset::EvalBatch;
use crate::data::{DataSource, Dataset, ImageRgb};
use crate::diffusion::process::{q_sample, standard_normal_vec};
use crate::diffusion::{
    DEFAULT_STRATA, SampleError, SampleRequest, Start, TimestepPlan, Trajectory, VlbEstimate,
};
use crate::tr;
use rand::SeedableRng;
use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod devices;
mod estimates;
mod sampling;
use devices::{fall_back_to_cpu, guarded, panic_message, switch_device};
use estimates::{advance_guidance, advance_ode, held_out_batch, send_vlb};
pub use sampling::MAX_QUEUED_JOBS;
use sampling::{cancel_all, enqueue, run_sample};

/// The reason of a [`Event::SampleFailed`] for a job the user cancelled (not an error).
pub const CANCELLED: &str = "cancelled";
/// The reason of a [`Event::SampleFailed`] for a waiting job that newer ones pushed out of
/// the queue (not an error: the newer result replaces it).
pub const SUPERSEDED: &str = "superseded";

/// Progress reports kept at most, before the worker starts dropping them.
pub const PROGRESS_CAPACITY: usize = 64;

/// What a sampling run starts from.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleFrom {
    /// pure noise x_T
    Noise,
    /// the given image noised to t with noise from the request's seed
    Image {
        /// the clean image
        image: ImageRgb,
        /// the timestep to noise to
        t: usize,
    },
}

/// A sampling job; `id` comes back with its results.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleJob {
    /// caller's id
    pub id: u64,
    /// sampler, n, seed, frames
    pub request: SampleRequest,
    /// start point
    pub from: SampleFrom,
    /// the EMA or the raw weights
    pub weights: super::trainer::Weights,
    /// a conditional model: the class and guidance scale (None: unguided, the null class)
    pub guidance: Option<SampleGuidance>,
}

/// What a sampling job of a class-conditional model guides toward.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleGuidance {
    /// image i toward `classes[i % classes.len()]`, at scale w
    Guided {
        /// the classes, cycled over the images
        classes: Vec<usize>,
        /// the guidance scale
        w: f64,
    },
    /// one image per w, all from the same x_T: the sweep strip (the request's n is ignored)
    Sweep {
        /// the class
        class: usize,
        /// the guidance scales, one image each
        ws: Vec<f64>,
    },
    /// not guidance itself but ②'s budget strip: one image per budget of network calls, all
    /// from the same x_T, by an ODE sampler (a conditional model guided as given)
    NfeStrip {
        /// the sampler
        sampler: crate::diffusion::samplers::OdeSampler,
        /// the budgets, one image each
        nfes: Vec<usize>,
        /// a conditional model's class and scale
        guidance: Option<crate::diffusion::guidance::Guidance>,
    },
}

/// Orders for the worker.
#[derive(Clone, Debug)]
pub enum Command {
    /// train continuously
    Start,
    /// stop training (the model stays)
    Pause,
    /// train exactly this many steps, then pause
    TrainSteps(u64),
    /// fresh weights from this seed, at step 0, paused
    Reset {
        /// new seed
        seed: u64,
    },
    /// replace the whole configuration (a new model), paused
    Configure(Box<TrainConfig>),
    /// new learning rate
    SetLr(f64),
    /// new data
    SetData(DataSource),
    /// train on these images (a dropped handful)
    SetImages(Vec<ImageRgb>),
    /// train on this image alone, with the settings of [`super::one_image`]
    TrainOnImage(ImageRgb),
    /// run a sampler
    Sample(SampleJob),
    /// cancel the running sampler
    CancelSample,
    /// estimate −ELBO on the evaluation batch now, with these timesteps
    Vlb(TimestepPlan),
    /// measure what guidance does to a class-conditional model's samples (training waits
    /// meanwhile)
    MeasureGuidance(super::guidance_job::GuidanceRequest),
    /// stop the guidance measurement
    CancelGuidance,
    /// estimate the probability-flow ODE's exact likelihood on the evaluation batch, with
    /// the EMA as it is now, and −ELBO at the same step (one image per turn of the loop)
    OdeNll,
    /// write a checkpoint
    Save(PathBuf),
    /// read a checkpoint (keeps the current state if it fails)
    Load(PathBuf),
    /// estimate the VLB every this many steps (0: never)
    SetVlbEvery(u64),
    /// save a checkpoint into this folder every this many steps (None: off)
    SetAutosave(Option<(PathBuf, u64)>),
    /// make the next training step fail as if the device were lost (for tests and demos);
    /// with `weights_lost` the weights cannot be copied off the device either
    SimulateDeviceLoss {
        /// the device's memory is gone too
        weights_lost: bool,
    },
    /// move the run to another device (GPU or CPU), carrying the weights, the optimizer state
    /// and the step over; training goes on if it was running
    SetDevice(DeviceChoice),
    /// the language of notices from now on
    SetLanguage(crate::i18n::Lang),
    /// end the thread
    Shutdown,
}

/// A progress report; may be dropped.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// training steps not yet reported, oldest first (coalesced while the UI is busy, never dropped)
    Steps(Vec<StepReport>),
    /// a sampler's progress
    Sampling {
        /// job id
        id: u64,
        /// steps done
        done: usize,
        /// steps in all
        total: usize,
    },
}

/// One training step, as reported to the UI.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// step number
    pub step: u64,
    /// L_simple of the batch
    pub loss: f32,
    /// throughput over the last second
    pub images_per_s: f64,
}

/// Most step reports held back while the UI is not draining; past this the older half is thinned.
pub const MAX_UNSENT_STEPS: usize = 100_000;

/// How loud a notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// information
    Info,
    /// something was refused or changed
    Warning,
    /// something failed
    Error,
}

/// A result; never dropped.
#[derive(Clone, Debug)]
pub enum Event {
    /// the device and the model are ready
    Ready {
        /// the device in use
        device: DeviceInfo,
        /// the run's settings
        config: Box<TrainConfig>,
        /// parameters
        params: usize,
        /// current step
        step: u64,
    },
    /// the run's settings changed (batch, learning rate, data) on the same model
    Configured(Box<TrainConfig>),
    /// training started (true) or paused (false)
    Running(bool),
    /// a −ELBO estimate for the evaluation batch
    Elbo {
        /// step it was taken at
        step: u64,
        /// the terms
        estimate: VlbEstimate,
        /// L_simple of the EMA on the same batch
        held_out_loss: f32,
        /// what the batch is
        batch: EvalBatch,
    },
    /// a −ELBO estimate could not be made (why, for the user)
    ElboFailed(String),
    /// the ODE likelihood job has scored this many of the evaluation images
    OdeNllProgress {
        /// images done
        done: usize,
        /// images in all
        total: usize,
        /// the step of the weights being scored
        step: u64,
    },
    /// the probability-flow ODE's bits/dim of the evaluation batch
    OdeNll {
        /// the step of the weights scored (a −ELBO estimate of the same step was sent first)
        step: u64,
        /// the estimate
        estimate: super::ode_nll::NllEstimate,
    },
    /// the ODE likelihood could not be estimated (why, for the user)
    OdeNllFailed(String),
    /// the guidance measurement's share done, in [0, 1]
    GuidanceProgress {
        /// share done
        fraction: f32,
        /// the step of the weights being measured
        step: u64,
    },
    /// what guidance does to the model's samples, judged by a classifier
    GuidanceMeasured(super::guidance_job::GuidanceResult),
    /// the guidance measurement ended without a result (why, for the user; [`CANCELLED`]
    /// when asked to stop)
    GuidanceFailed(String),
    /// the loss history of an opened checkpoint, oldest first (replaces the curves)
    History(Vec<StepReport>),
    /// a sampling result
    Trajectory {
        /// job id
        id: u64,
        /// the step of the weights used
        step: u64,
        /// frames
        trajectory: Trajectory,
    },
    /// a sampling job ended without a result
    SampleFailed {
        /// job id
        id: u64,
        /// why
        reason: String,
    },
    /// a checkpoint was written
    Saved(PathBuf),
    /// a checkpoint was read
    Loaded {
        /// where from
        path: PathBuf,
        /// its step
        step: u64,
    },
    /// the training step counter went back (reset, load, NaN rollback)
    Rewound {
        /// the step now
        step: u64,
    },
    /// something the user should read
    Notice(Level, String),
    /// the end of the stream, with the worker's error if it failed
    Stopped(Result<(), String>),
}

/// The UI's side of the worker.
pub struct WorkerHandle {
    commands: Sender<Command>,
    /// progress reports (bounded; dropped when full)
    pub progress: Receiver<Progress>,
    /// results (never dropped)
    pub events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Start the worker. It picks the device, builds the model (from `checkpoint` if given and
    /// loadable, else fresh from `config`) and waits, paused. `repaint` is called after each
    /// report so a UI can wake up.
    pub fn spawn(
        config: TrainConfig,
        device: DeviceChoice,
        checkpoint: Option<PathBuf>,
        repaint: Box<dyn Fn() + Send>,
    ) -> std::io::Result<Self> {
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (prog_tx, prog_rx) = mpsc::sync_channel(PROGRESS_CAPACITY);
        let (ev_tx, ev_rx) = mpsc::channel();
        let lang = crate::i18n::lang();
        let thread = std::thread::Builder::new()
            .name("trainer".into())
            .spawn(move || {
                crate::i18n::set_lang(lang);
                // Training must never take the UI's cycles: compute at a lower priority.
                super::threads::lower_this_thread();
                super::threads::lower_compute_pool();
                let out = Outbox {
                    progress: prog_tx,
                    events: ev_tx,
                    repaint,
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(config, device, checkpoint, cmd_rx, &out)
                }));
                let end = result.unwrap_or_else(|panic| Err(panic_message(panic.as_ref())));
                out.event(Event::Stopped(end));
            })?;
        Ok(Self {
            commands: cmd_tx,
            progress: prog_rx,
            events: ev_rx,
            thread: Some(thread),
        })
    }

    /// Send a command; returns false if the worker has ended.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Outbox {
    progress: SyncSender<Progress>,
    events: Sender<Event>,
    repaint: Box<dyn Fn() + Send>,
}

impl Outbox {
    /// Send a progress report that a newer one supersedes (sampling progress): dropped when full.
    fn progress(&self, p: Progress) {
        match self.progress.try_send(p) {
            Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
        (self.repaint)();
    }
    /// Send a progress report, handing it back if the channel is full.
    fn try_progress(&self, p: Progress) -> Result<(), Progress> {
        let r = match self.progress.try_send(p) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => Ok(()),
            Err(TrySendError::Full(p)) => Err(p),
        };
        (self.repaint)();
        r
    }
    fn event(&self, e: Event) {
        let _ = self.events.send(e);
        (self.repaint)();
    }
    fn notice(&self, level: Level, text: impl Into<String>) {
        self.event(Event::Notice(level, text.into()));
    }
}

/// Size of the fixed evaluation batch used for ELBO curves.
pub const HELD_OUT: usize = 8;
const HELD_OUT_SEED: u64 = 0x5EED_0F_E1B0;

struct State {
    trainer: Trainer,
    running: bool,
    held_out: (Vec<f32>, EvalBatch),
    vlb_every: u64,
    vlb_plan: TimestepPlan,
    /// the run's losses, saved beside its checkpoints
    history: History,
    rate_window: (Instant, u64),
    images_per_s: f64,
    /// steps left before pausing, for [`Command::TrainSteps`]
    remaining: Option<u64>,
    /// autosave folder and interval
    autosave: Option<(PathBuf, u64)>,
    /// step reports the progress channel had no room for yet
    unsent: Vec<StepReport>,
    /// a simulated device loss for the next step: Some(weights_lost)
    fault: Option<bool>,
    /// the ODE likelihood estimate in progress
    ode: Option<super::ode_job::OdeJob>,
    /// a guidance measurement in progress (training waits while it runs)
    guidance: Option<super::guidance_job::GuidanceJob>,
}

impl State {
    /// Swap in a new trainer (reset, new config, loaded checkpoint): paused, with its own
    /// held-out batch and no step reports left over from the old one.
    fn replace_trainer(&mut self, trainer: Trainer, out: &Outbox) {
        self.trainer = trainer;
        self.history.truncate_after(self.trainer.step_count());
        self.held_out = held_out_batch(&self.trainer);
        self.running = false;
        self.remaining = None;
        self.unsent.clear();
        if self.ode.take().is_some() {
            out.event(Event::OdeNllFailed(tr!("worker-ode-model-changed").into()));
        }
        out.event(Event::Running(false));
    }

    /// Train from now on, measuring the rate from this step.
    fn start_running(&mut self, out: &Outbox) {
        self.running = true;
        self.rate_window = (Instant::now(), self.trainer.step_count());
        out.event(Event::Running(true));
    }
}

/// Read the history saved beside the checkpoint in `dir` and send it.
fn load_history(dir: &std::path::Path, step: u64, out: &Outbox) -> History {
    let h = History::load(dir, step);
    out.event(Event::History(h.steps.clone()));
    h
}

/// Write a checkpoint and the history beside it.
fn save_run(state: &State, dir: &std::path::Path) -> Result<(), String> {
    checkpoint::save(&state.trainer, dir).map_err(|e| e.to_string())?;
    state.history.save(dir).map_err(|e| e.to_string())
}

fn ready(out: &Outbox, trainer: &Trainer) {
    out.event(Event::Ready {
        device: trainer.device_info().clone(),
        config: Box::new(trainer.config().clone()),
        params: trainer.num_params(),
        step: trainer.step_count(),
    });
}

fn run(
    config: TrainConfig,
    choice: DeviceChoice,
    checkpoint: Option<PathBuf>,
    commands: Receiver<Command>,
    out: &Outbox,
) -> Result<(), String> {
    let device = choose_device(choice);
    log::info!("device: {} ({})", device.label(), device.reason);
    let fresh = |config: TrainConfig, device: DeviceInfo| -> Result<Trainer, String> {
        let (dataset, _) =
            Dataset::open(&config.data, config.model.image_size).map_err(|e| e.to_string())?;
        Trainer::new(config, device, dataset).map_err(|e| e.to_string())
    };
    let mut history = History::default();
    let trainer = match checkpoint {
        Some(path) => match checkpoint::load(&path, device.clone(), None) {
            Ok(t) => {
                out.event(Event::Loaded {
                    path: path.clone(),
                    step: t.step_count(),
                });
                history = load_history(&path, t.step_count(), out);
                t
            }
            Err(e) => {
                out.notice(
                    Level::Warning,
                    tr!("worker-open-failed", path = path.display(), error = e),
                );
                fresh(config, device)?
            }
        },
        None => fresh(config, device)?,
    };
    let mut state = State {
        held_out: held_out_batch(&trainer),
        trainer,
        running: false,
        vlb_every: 200,
        vlb_plan: TimestepPlan::Stratified {
            strata: DEFAULT_STRATA,
        },
        history,
        rate_window: (Instant::now(), 0),
        images_per_s: 0.0,
        remaining: None,
        autosave: None,
        unsent: Vec::new(),
        fault: None,
        ode: None,
        guidance: None,
    };
    ready(out, &state.trainer);
    let mut pending: VecDeque<SampleJob> = VecDeque::new();
    loop {
        // Drain commands; block only while idle.
        let busy = state.ode.is_some() || state.guidance.is_some();
        let next = if state.running || !pending.is_empty() || busy {
            match commands.try_recv() {
                Ok(c) => Some(c),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return Ok(()),
            }
        } else {
            match commands.recv_timeout(Duration::from_millis(200)) {
                Ok(c) => Some(c),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
        };
        if let Some(command) = next {
            match command {
                Command::Shutdown => return Ok(()),
                Command::Sample(job) => enqueue(&mut pending, job, out),
                Command::CancelSample => cancel_all(&mut pending, out),
                other => handle(&mut state, other, out),
            }
            continue;
        }
        if let Some(job) = pending.pop_front() {
            if run_sample(&mut state, job, &commands, &mut pending, out) {
                return Ok(());
            }
            continue;
        }
        if state.guidance.is_some() {
            advance_guidance(&mut state, out);
            continue;
        }
        advance_ode(&mut state, out);
        if state.running {
            train_once(&mut state, out);
        }
    }
}

fn handle(state: &mut State, command: Command, out: &Outbox) {
    match command {
        Command::Start => state.start_running(out),
        Command::Pause => {
            state.running = false;
            state.remaining = None;
            out.event(Event::Running(false));
        }
        Command::TrainSteps(n) => {
            if n > 0 {
                state.remaining = Some(n);
                state.start_running(out);
            }
        }
        Command::Reset { seed } => {
            let mut config = state.trainer.config().clone();
            config.seed = seed;
            rebuild(state, config, out);
        }
        Command::Configure(config) => rebuild(state, *config, out),
        Command::SetLr(lr) => {
            if let Err(e) = state.trainer.set_lr(lr) {
                out.notice(Level::Warning, e.to_string());
            }
        }
        Command::SetData(source) => {
            match Dataset::open(&source, state.trainer.config().model.image_size) {
                Ok((ds, report)) => {
                    state.trainer.set_dataset(source.clone(), ds);
                    state.held_out = held_out_batch(&state.trainer);
                    let note = if report.loaded > 0 {
                        tr!("worker-data-note", summary = report.summary())
                    } else {
                        String::new()
                    };
                    out.notice(
                        Level::Info,
                        tr!("worker-training-on", source = source, note = note),
                    );
                }
                Err(e) => out.notice(Level::Warning, tr!("notice-kept-data", error = e)),
            }
        }
        Command::SetImages(images) => {
            if images.is_empty() {
                out.notice(Level::Warning, tr!("worker-no-images"));
            } else {
                let n = images.len();
                state
                    .trainer
                    .set_dataset(DataSource::dropped(n), Dataset::Images(images));
                state.held_out = held_out_batch(&state.trainer);
                let note = if n == 1 {
                    tr!("worker-training-on-one-image").to_owned()
                } else {
                    tr!("worker-training-on-dropped", n = n)
                };
                out.notice(Level::Info, note);
            }
        }
        Command::TrainOnImage(image) => match super::one_image::apply(&mut state.trainer, image) {
            Ok(was) => {
                state.held_out = held_out_batch(&state.trainer);
                out.event(Event::Configured(Box::new(state.trainer.config().clone())));
                out.notice(
                    Level::Info,
                    tr!(
                        "worker-training-on-this-image",
                        batch = super::one_image::BATCH,
                        lr = format!("{:.0e}", super::one_image::LR),
                        was_batch = was.was_batch,
                        was_lr = format!("{:.0e}", was.was_lr)
                    ),
                );
            }
            Err(e) => out.notice(Level::Warning, tr!("notice-kept-data", error = e)),
        },
        Command::Vlb(plan) => send_vlb(state, plan, out),
        Command::OdeNll => {
            if state.ode.is_none() {
                // −ELBO at the same step and on the same images, for the gap between them
                send_vlb(state, state.vlb_plan, out);
                let seed = HELD_OUT_SEED ^ state.trainer.step_count();
                let job = super::ode_job::OdeJob::new(&state.trainer, &state.held_out.0, seed);
                let (done, total) = job.progress(&state.trainer);
                out.event(Event::OdeNllProgress {
                    done,
                    total,
                    step: job.step(),
                });
                state.ode = Some(job);
            }
        }
        Command::MeasureGuidance(request) => {
            if state.guidance.is_none() {
                match super::guidance_job::GuidanceJob::new(&state.trainer, request) {
                    Ok(job) => {
                        out.event(Event::GuidanceProgress {
                            fraction: 0.0,
                            step: job.step(),
                        });
                        state.guidance = Some(job);
                    }
                    Err(e) => out.event(Event::GuidanceFailed(e.to_string())),
                }
            }
        }
        Command::CancelGuidance => {
            if state.guidance.take().is_some() {
                out.event(Event::GuidanceFailed(CANCELLED.into()));
            }
        }
        Command::SetVlbEvery(n) => state.vlb_every = n,
        Command::SetAutosave(a) => state.autosave = a.filter(|(_, every)| *every > 0),
        Command::SimulateDeviceLoss { weights_lost } => state.fault = Some(weights_lost),
        Command::SetLanguage(lang) => crate::i18n::set_lang(lang),
        Command::SetDevice(choice) => switch_device(state, choice, out),
        Command::Save(path) => match save_run(state, &path) {
            Ok(()) => out.event(Event::Saved(path)),
            Err(e) => out.notice(Level::Error, tr!("worker-save-failed", error = e)),
        },
        Command::Load(path) => {
            let device = state.trainer.device_info().clone();
            match checkpoint::load(&path, device, None) {
                Ok(t) => {
                    state.replace_trainer(t, out);
                    out.event(Event::Loaded {
                        path: path.clone(),
                        step: state.trainer.step_count(),
                    });
                    state.history = load_history(&path, state.trainer.step_count(), out);
                    ready(out, &state.trainer);
                }
                Err(e) => out.notice(Level::Warning, tr!("worker-kept-model", error = e)),
            }
        }
        Command::Shutdown | Command::Sample(_) | Command::CancelSample => {}
    }
}

fn rebuild(state: &mut State, config: TrainConfig, out: &Outbox) {
    let device = state.trainer.device_info().clone();
    let dataset = match Dataset::open(&config.data, config.model.image_size) {
        Ok((d, _)) => d,
        Err(_) => state.trainer.dataset().clone(),
    };
    match Trainer::new(config, device, dataset) {
        Ok(t) => {
            state.replace_trainer(t, out);
            out.event(Event::Rewound { step: 0 });
            ready(out, &state.trainer);
        }
        Err(e) => out.notice(Level::Warning, tr!("worker-kept-model", error = e)),
    }
}

fn train_once(state: &mut State, out: &Outbox) {
    let simulated = state.fault.is_some();
    let result = match state.fault.take() {
        Some(weights_lost) => Err((
            TrainError::Device("simulated device loss".into()),
            weights_lost,
        )),
        None => guarded(|| state.trainer.train_step()).map_err(|e| (e, false)),
    };
    // A failing GPU falls back to the CPU. A failure on the CPU itself has nowhere to go:
    // it pauses training below (falling back again would only repeat it).
    let on_gpu = state.trainer.device_info().backend == super::device::BackendKind::Wgpu;
    let result = match result {
        Err((TrainError::Device(reason), weights_lost)) if on_gpu || simulated => {
            return fall_back_to_cpu(state, out, &reason, weights_lost);
        }
        other => other.map_err(|(e, _)| e),
    };
    match result {
        Ok(StepStats { step, loss }) => {
            let (since, at) = state.rate_window;
            let elapsed = since.elapsed().as_secs_f64();
            if elapsed >= 1.0 {
                let images = (step - at) as f64 * state.trainer.config().batch as f64;
                state.images_per_s = images / elapsed;
                state.rate_window = (Instant::now(), step);
            }
            let report = StepReport {
                step,
                loss,
                images_per_s: state.images_per_s,
            };
            state.history.push(report);
            state.unsent.push(report);
            if state.unsent.len() > MAX_UNSENT_STEPS {
                let mut i = 0;
                state.unsent.retain(|_| {
                    i += 1;
                    i % 2 == 0 || i > MAX_UNSENT_STEPS / 2
                });
            }
            if let Err(Progress::Steps(back)) =
                out.try_progress(Progress::Steps(std::mem::take(&mut state.unsent)))
            {
                state.unsent = back;
            }
            if state.vlb_every > 0 && step % state.vlb_every == 0 {
                send_vlb(state, state.vlb_plan, out);
            }
            if let Some((dir, every)) = &state.autosave {
                if step % every == 0 {
                    if let Err(e) = save_run(state, dir) {
                        out.notice(Level::Error, tr!("worker-autosave-failed", error = e));
                        state.autosave = None;
                    }
                }
            }
            if let Some(left) = state.remaining.as_mut() {
                *left -= 1;
                if *left == 0 {
                    state.remaining = None;
                    state.running = false;
                    out.event(Event::Running(false));
                }
            }
        }
        Err(e @ TrainError::NonFinite { .. }) => {
            state.history.truncate_after(state.trainer.step_count());
            state.running = false;
            out.event(Event::Running(false));
            out.event(Event::Rewound {
                step: state.trainer.step_count(),
            });
            out.notice(Level::Error, tr!("worker-training-paused", error = e));
        }
        Err(e) => {
            state.running = false;
            out.event(Event::Running(false));
            out.notice(Level::Error, tr!("worker-training-paused", error = e));
        }
    }
}
