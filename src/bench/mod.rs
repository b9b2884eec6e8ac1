//! `diffusion-playground bench`: how fast training, sampling and the UI are on this machine,
//! with a PyTorch reference timed in the same run where PyTorch is installed.
//!
//! Every figure comes from real timed runs after a warm-up; per-step figures are medians.

pub mod bundled_size;
pub mod guided;
pub mod load;
pub mod soak;
pub mod toy;
pub mod window;

pub use soak::{MAX_OUTSTANDING_JOBS, SoakReport, SoakUntil, soak, soak_problems};

use crate::app::frame_times::quantile;
use crate::app::{App, AppCommand, AppOptions};
use crate::data::{Builtin, Dataset};
use crate::diffusion::{SampleRequest, SamplerKind, Start};
use crate::train::{DeviceChoice, DeviceInfo, TrainConfig, Trainer, Weights, choose_device};
use burn::module::Module;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// where the model runs
    pub device: DeviceChoice,
    /// timed training steps and DDIM runs per figure (after the warm-up)
    pub repeats: usize,
    /// timesteps of the DDPM run that are timed (1000 = the whole run; fewer are
    /// extrapolated to 1000 and marked so)
    pub ddpm_steps: usize,
    /// frames of the app driven headless while it trains
    pub ui_frames: usize,
    /// the PyTorch reference script (None: look for benches/reference/unet_reference.py)
    pub reference: Option<PathBuf>,
    /// the Python interpreter for the reference
    pub python: String,
    /// show progress bars on stderr
    pub progress: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            device: DeviceChoice::Auto,
            repeats: 5,
            ddpm_steps: 1000,
            ui_frames: 600,
            reference: None,
            python: "python3".into(),
            progress: false,
        }
    }
}

/// One training figure.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TrainFigure {
    /// images per step
    pub batch: usize,
    /// median over the timed steps
    pub ms_per_step: f64,
    /// batch / median step time
    pub images_per_s: f64,
    /// timed steps
    pub timed_steps: usize,
    /// the process's CPU time over the wall time of the timed steps, in % (200 % = 2 cores
    /// busy); Linux only
    pub cpu_percent: Option<f64>,
    /// forward + backward FLOPs of one step, counted from the layer shapes
    pub flops_per_step: f64,
    /// flops_per_step / median step time, in TFLOP/s
    pub tflops: f64,
    /// where the timed steps' time went (with `DIFFUSION_PLAYGROUND_PHASES=1`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phases: Option<crate::train::phases::PhaseTimes>,
}

/// CPU time (user + system) this process has used: the phase timers' clock (getrusage).
pub(crate) use crate::train::phases::process_cpu_seconds;

/// This process's utime, stime, cutime and cstime from /proc/self/stat, in clock ticks.
pub(crate) fn self_stat_cpu_ticks() -> Option<[f64; 4]> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces: fields count from after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.try_into().ok()
}

/// One sampling figure (16 images).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SampleFigure {
    /// ddpm or ddim
    pub sampler: String,
    /// images
    pub n: usize,
    /// network evaluations of a whole run
    pub steps: usize,
    /// a whole run (median over runs; extrapolated from ms_per_step when `extrapolated`)
    pub total_ms: f64,
    /// median time of one step
    pub ms_per_step: f64,
    /// steps that were timed
    pub timed_steps: usize,
    /// total_ms = ms_per_step · steps instead of a timed whole run
    pub extrapolated: bool,
}

/// Frame times of the real app, driven headless, while the worker trains.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct UiFigure {
    /// frames measured
    pub frames: usize,
    /// median of logic() + ui(), ms
    pub p50_ms: f64,
    /// 99th percentile, ms
    pub p99_ms: f64,
    /// slowest frame, ms
    pub max_ms: f64,
    /// training steps the worker finished during the frames
    pub train_steps_during: u64,
    /// sampling jobs that finished during the frames
    pub samples_during: usize,
    /// resident memory when training started, MiB
    pub rss_start_mib: Option<f64>,
    /// resident memory after the frames, MiB
    pub rss_end_mib: Option<f64>,
    /// peak resident memory of the process, MiB
    pub rss_peak_mib: Option<f64>,
}

/// Start-up of a fresh process.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ColdStart {
    /// process spawn → first frame of the app (headless, no window)
    pub first_frame_ms: f64,
    /// process spawn → the bundled model is loaded and ready
    pub model_ready_ms: Option<f64>,
}

/// What the PyTorch reference measured (its own JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReferenceRun {
    /// torch version
    pub torch_version: String,
    /// torch device
    pub device: String,
    /// intra-op threads
    pub threads: usize,
    /// parameters of its U-Net (must equal ours)
    pub params: usize,
    /// training figures
    pub train: Vec<ReferenceTrain>,
    /// DDIM figure
    pub ddim: ReferenceDdim,
}

/// One reference training figure.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReferenceTrain {
    /// batch
    pub batch: usize,
    /// median ms per step
    pub ms_per_step: f64,
    /// images per second
    pub images_per_s: f64,
}

/// The reference DDIM figure.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReferenceDdim {
    /// images
    pub n: usize,
    /// steps
    pub steps: usize,
    /// median whole run, ms
    pub total_ms: f64,
    /// per step, ms
    pub ms_per_step: f64,
}

/// The reference, or why there is none.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Reference {
    /// measured in this run
    Measured {
        /// what PyTorch measured
        run: ReferenceRun,
        /// PyTorch ms / burn ms per training step, by batch (≥ 1: burn as fast or faster)
        train_speed_ratio: Vec<(usize, f64)>,
        /// PyTorch ms / burn ms for a whole DDIM-50 run
        ddim_speed_ratio: f64,
    },
    /// not measured
    Unavailable {
        /// why
        reason: String,
    },
}

/// Everything `bench` measures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BenchReport {
    /// the device used
    pub device: DeviceInfo,
    /// the CPU kernels (src/model/kernels): "fused, Winograd" or "fused, im2col" with the vector
    /// level of their loops, or "burn" (DIFFUSION_PLAYGROUND_KERNELS=burn)
    pub cpu_kernels: String,
    /// logical CPUs
    pub cpus: usize,
    /// parameters of the default U-Net
    pub params: usize,
    /// image side
    pub image_size: usize,
    /// training throughput at batch 32 and 64
    pub train: Vec<TrainFigure>,
    /// DDPM-1000 and DDIM-50 of 16 images
    pub sample: Vec<SampleFigure>,
    /// training and DDIM at the bundled model's size, beside PyTorch
    pub bundled_size: Option<bundled_size::BundledSizeFigure>,
    /// why the bundled model's size was not measured
    pub bundled_size_error: Option<String>,
    /// a guided DDIM step against an unguided one, at the bundled model's size
    pub guidance: Option<guided::GuidedFigure>,
    /// why guidance was not measured
    pub guidance_error: Option<String>,
    /// UI frame times while training
    pub ui: UiFigure,
    /// start-up
    pub cold_start: Option<ColdStart>,
    /// why cold start was not measured
    pub cold_start_error: Option<String>,
    /// the PyTorch reference
    pub reference: Reference,
    /// the 1-D/2-D world
    pub toy: Option<toy::ToyFigure>,
    /// why the world was not measured
    pub toy_error: Option<String>,
    /// how busy the machine was apart from the bench (with a warning when the figures may be
    /// off)
    pub load: load::MachineLoad,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// a run failed
    #[error("{0}")]
    Failed(String),
}

fn fail(e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(e.to_string())
}

fn median(values: &[f64]) -> f64 {
    quantile(values.to_vec(), 0.5).unwrap_or(f64::NAN)
}

fn spinner(show: bool, message: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {pos}/{len} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Resident memory (current, peak) of this process in MiB, from /proc (Linux only).
pub fn rss_mib() -> (Option<f64>, Option<f64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn default_config(batch: usize) -> TrainConfig {
    TrainConfig {
        batch,
        ..TrainConfig::default()
    }
}

/// Training throughput of the default U-Net at `batch`: 3 warm-up steps, then `repeats`
/// timed steps, or more where steps are short (see [`timed_training_steps`]).
pub fn train_throughput(
    device: &DeviceInfo,
    batch: usize,
    repeats: usize,
    progress: bool,
) -> Result<TrainFigure, BenchError> {
    train_throughput_of(device, default_config(batch), repeats, progress)
}

/// [`train_throughput`] for any training settings.
pub fn train_throughput_of(
    device: &DeviceInfo,
    config: TrainConfig,
    repeats: usize,
    progress: bool,
) -> Result<TrainFigure, BenchError> {
    let batch = config.batch;
    let mut trainer =
        Trainer::new(config, device.clone(), Dataset::Builtin(Builtin::Shapes)).map_err(fail)?;
    let bar = spinner(progress, &format!("training, batch {batch}"));
    bar.set_length((repeats + WARM_UP_STEPS) as u64);
    // The fastest warm-up step sets how many steps are timed: the first steps still fault in
    // fresh memory (the 16×16 model's second step took up to 0.25 s against 0.09 s later,
    // and a 5-repeat run timed 8 steps instead of 22).
    let mut warm_s = f64::INFINITY;
    for _ in 0..WARM_UP_STEPS {
        let start = Instant::now();
        trainer.train_step().map_err(fail)?;
        warm_s = warm_s.min(start.elapsed().as_secs_f64());
        bar.inc(1);
    }
    trainer.take_phase_times();
    let steps = timed_training_steps(repeats, warm_s);
    bar.set_length((steps + WARM_UP_STEPS) as u64);
    let mut times = Vec::with_capacity(steps);
    let (cpu_before, wall) = (process_cpu_seconds(), Instant::now());
    for _ in 0..steps {
        let start = Instant::now();
        trainer.train_step().map_err(fail)?;
        times.push(ms(start.elapsed()));
        bar.inc(1);
    }
    let cpu_percent = cpu_before
        .zip(process_cpu_seconds())
        .map(|(a, b)| 100.0 * (b - a) / wall.elapsed().as_secs_f64().max(1e-9));
    bar.finish_and_clear();
    let ms_per_step = median(&times);
    // Training: the forward, then the backward's two products per layer (input and weights).
    let flops_per_step = 3.0 * trainer.config().model.forward_flops() * batch as f64;
    Ok(TrainFigure {
        batch,
        ms_per_step,
        images_per_s: batch as f64 * 1000.0 / ms_per_step,
        timed_steps: times.len(),
        cpu_percent,
        flops_per_step,
        tflops: flops_per_step / (ms_per_step / 1000.0) / 1e12,
        phases: crate::train::phases::enabled().then(|| trainer.take_phase_times()),
    })
}

/// Training steps before the timed ones.
const WARM_UP_STEPS: usize = 3;

/// Timed training seconds per repeat at least: a 16×16 step (~0.1 s) timed only 5 times gave
/// a CPU-use figure over half a second, which one descheduled step moved by 10 points (176 and
/// 188 % in two runs of the same build).
const MIN_TRAIN_SECONDS_PER_REPEAT: f64 = 0.4;

/// Timed training steps for `repeats` when a warm step took `step_s` seconds: `repeats`, or
/// enough for `repeats` × [`MIN_TRAIN_SECONDS_PER_REPEAT`] seconds, at most 10 × `repeats`.
fn timed_training_steps(repeats: usize, step_s: f64) -> usize {
    let repeats = repeats.max(1);
    if step_s.is_nan() || step_s <= 0.0 {
        return repeats;
    }
    let for_time = (repeats as f64 * MIN_TRAIN_SECONDS_PER_REPEAT / step_s).ceil();
    (for_time.min((10 * repeats) as f64) as usize).max(repeats)
}

/// Time one sampler run; returns (whole run, per-step times), all in ms.
fn time_sampler(
    trainer: &Trainer,
    sampler: SamplerKind,
    n: usize,
    start: Start,
    bar: &ProgressBar,
) -> Result<(f64, Vec<f64>), BenchError> {
    time_guided_sampler(trainer, sampler, n, start, None, bar)
}

/// [`time_sampler`], guided toward `guidance` (class, w) on a conditional model; None: the
/// plain sampler.
pub(crate) fn time_guided_sampler(
    trainer: &Trainer,
    sampler: SamplerKind,
    n: usize,
    start: Start,
    guidance: Option<(usize, f64)>,
    bar: &ProgressBar,
) -> Result<(f64, Vec<f64>), BenchError> {
    let request = SampleRequest {
        sampler,
        n,
        seed: 1,
        max_frames: 20,
        clip_x0: true,
    };
    let mut steps = Vec::new();
    let begin = Instant::now();
    let mut last = begin;
    let progress = |_, _| {
        let now = Instant::now();
        steps.push(ms(now - last));
        last = now;
        bar.inc(1);
        ControlFlow::Continue(())
    };
    match guidance {
        Some((class, w)) => {
            trainer.sample_guided(Weights::Ema, &request, start, &[class], &[w], progress)
        }
        None => trainer.sample(&request, start, progress),
    }
    .map_err(fail)?;
    Ok((ms(begin.elapsed()), steps))
}

/// DDIM-50 of `n` images with `trainer`'s EMA weights: a short warm-up run, then the median of
/// `repeats` runs.
pub fn ddim_figure(
    trainer: &Trainer,
    n: usize,
    repeats: usize,
    progress: bool,
) -> Result<SampleFigure, BenchError> {
    let hidden = ProgressBar::hidden();
    time_sampler(
        trainer,
        SamplerKind::Ddim { steps: 5, eta: 0.0 },
        n,
        Start::Noise,
        &hidden,
    )?;
    let ddim = SamplerKind::Ddim {
        steps: 50,
        eta: 0.0,
    };
    let bar = spinner(progress, "DDIM-50 sampling");
    bar.set_length((50 * repeats.max(1)) as u64);
    let mut totals = Vec::new();
    let mut per_step = Vec::new();
    for _ in 0..repeats.max(1) {
        let (total, steps) = time_sampler(trainer, ddim, n, Start::Noise, &bar)?;
        totals.push(total);
        per_step.extend(steps);
    }
    bar.finish_and_clear();
    Ok(SampleFigure {
        sampler: "ddim".into(),
        n,
        steps: 50,
        total_ms: median(&totals),
        ms_per_step: median(&per_step),
        timed_steps: per_step.len(),
        extrapolated: false,
    })
}

/// DDIM-50 (median of `repeats` runs) and DDPM (the first `ddpm_steps` of 1000) for 16 images.
pub fn sampling_latency(
    device: &DeviceInfo,
    repeats: usize,
    ddpm_steps: usize,
    progress: bool,
) -> Result<Vec<SampleFigure>, BenchError> {
    let n = 16;
    let trainer = Trainer::new(
        default_config(n),
        device.clone(),
        Dataset::Builtin(Builtin::Shapes),
    )
    .map_err(fail)?;
    let t_max = trainer.schedule().timesteps();
    let dim = 3 * trainer.config().model.image_size.pow(2);
    let mut figures = vec![ddim_figure(&trainer, n, repeats, progress)?];

    let timed = ddpm_steps.clamp(1, t_max);
    let bar = spinner(
        progress,
        &format!("DDPM sampling ({timed} of {t_max} steps)"),
    );
    bar.set_length(timed as u64);
    let start = if timed == t_max {
        Start::Noise
    } else {
        // The last `timed` steps: from pure noise at t = timed (per-step cost is the same).
        let mut x_t = vec![0.0f32; n * dim];
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(5);
        crate::diffusion::process::fill_standard_normal(&mut rng, &mut x_t);
        Start::From { t: timed, x_t }
    };
    let (total, steps) = time_sampler(&trainer, SamplerKind::Ddpm, n, start, &bar)?;
    bar.finish_and_clear();
    let ms_per_step = median(&steps);
    figures.push(SampleFigure {
        sampler: "ddpm".into(),
        n,
        steps: t_max,
        total_ms: if timed == t_max {
            total
        } else {
            ms_per_step * t_max as f64
        },
        ms_per_step,
        timed_steps: steps.len(),
        extrapolated: timed != t_max,
    });
    Ok(figures)
}

fn app_options(device: DeviceChoice, checkpoint: Option<PathBuf>) -> AppOptions {
    AppOptions {
        device,
        checkpoint,
        config: TrainConfig::default(),
        restore_settings: false,
        sample_at_start: false,
        autosave_dir: None,
    }
}

fn headless_app(options: AppOptions) -> egui_kittest::Harness<'static, App> {
    egui_kittest::Harness::builder()
        .with_size(egui::vec2(1360.0, 860.0))
        .build_eframe(move |cc| App::new(cc, options))
}

/// Step the app at about 60 frames per second until `done` holds or `limit` passes.
fn step_until(
    h: &mut egui_kittest::Harness<'static, App>,
    limit: Duration,
    mut done: impl FnMut(&App) -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while !done(h.state()) {
        if Instant::now() > deadline {
            return false;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(16));
    }
    true
}

/// Drive the real app headless for `frames` frames at ~60 fps while its worker trains the
/// default model (and draws one set of samples), and record the app's own frame times.
pub fn ui_frame_times(
    device: DeviceChoice,
    frames: usize,
    progress: bool,
) -> Result<UiFigure, BenchError> {
    let mut h = headless_app(app_options(device, None));
    if !step_until(&mut h, Duration::from_secs(120), |a| {
        a.status.config.is_some()
    }) {
        return Err(fail("the app's model did not become ready in 120 s"));
    }
    let ctx = h.ctx.clone();
    h.state_mut().run_command(&ctx, AppCommand::Train(true));
    h.state_mut().run_command(&ctx, AppCommand::Sample);
    // Let training start before measuring.
    step_until(&mut h, Duration::from_secs(60), |a| a.status.step >= 1);
    let step0 = h.state().status.step;
    let samples0 = h.state().reverse.results;
    h.state_mut().frame_times.clear();
    let rss_start = rss_mib().0;
    let bar = spinner(progress, "app frames while training");
    bar.set_length(frames as u64);
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    for _ in 0..frames {
        let begin = Instant::now();
        h.step();
        bar.inc(1);
        if let Some(rest) = frame.checked_sub(begin.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    bar.finish_and_clear();
    let (rss_end, rss_peak) = rss_mib();
    let app = h.state();
    let times: Vec<f64> = app.frame_times.frames_ms().collect();
    let q = |p| quantile(times.clone(), p).unwrap_or(f64::NAN);
    let figure = UiFigure {
        frames: times.len(),
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        max_ms: q(1.0),
        train_steps_during: app.status.step.saturating_sub(step0),
        samples_during: app.reverse.results.saturating_sub(samples0) as usize,
        rss_start_mib: rss_start,
        rss_end_mib: rss_end,
        rss_peak_mib: rss_peak,
    };
    h.state_mut().run_command(&ctx, AppCommand::Train(false));
    Ok(figure)
}

/// The hidden `bench-first-frame` command: open the app headless with the bundled model,
/// print "frame" after the first frame and "ready" once the model is loaded.
pub fn first_frame_child(device: DeviceChoice) -> Result<(), BenchError> {
    let mut h = headless_app(AppOptions {
        sample_at_start: false,
        autosave_dir: None,
        restore_settings: false,
        device,
        ..AppOptions::default()
    });
    h.step();
    println!("frame");
    if step_until(&mut h, Duration::from_secs(120), |a| {
        a.status.config.is_some()
    }) {
        println!("ready");
    }
    Ok(())
}

/// Spawn this executable's `bench-first-frame` and time its lines.
pub fn cold_start(device: DeviceChoice) -> Result<ColdStart, BenchError> {
    let exe = std::env::current_exe().map_err(fail)?;
    let start = Instant::now();
    let mut child = Command::new(exe)
        .arg("bench-first-frame")
        .arg("--device")
        .arg(device.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(fail)?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| fail("no stdout from the child"))?;
    let mut first_frame_ms = None;
    let mut model_ready_ms = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.map_err(fail)?;
        match line.trim() {
            "frame" => first_frame_ms = Some(ms(start.elapsed())),
            "ready" => model_ready_ms = Some(ms(start.elapsed())),
            _ => {}
        }
    }
    let status = child.wait().map_err(fail)?;
    match first_frame_ms {
        Some(first_frame_ms) => Ok(ColdStart {
            first_frame_ms,
            model_ready_ms,
        }),
        None => Err(fail(format!("the child drew no frame ({status})"))),
    }
}

/// Where the reference script is: the given path, or benches/reference/ next to the working
/// folder, the executable or the source tree.
pub fn find_reference(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_path_buf());
    }
    let rel = Path::new("benches")
        .join("reference")
        .join("unet_reference.py");
    crate::find_shipped(&rel, Path::is_file)
}

/// Run the PyTorch reference with the same sizes on the matching device.
pub fn run_reference(
    options: &BenchOptions,
    device: &DeviceInfo,
    batches: &[usize],
    progress: bool,
) -> Result<ReferenceRun, String> {
    run_reference_with(options, device, batches, &[], progress)
}

/// [`run_reference`] with more arguments for the script (another model size).
pub fn run_reference_with(
    options: &BenchOptions,
    device: &DeviceInfo,
    batches: &[usize],
    extra: &[String],
    progress: bool,
) -> Result<ReferenceRun, String> {
    let script = find_reference(options.reference.as_deref())
        .ok_or("the reference script benches/reference/unet_reference.py was not found")?;
    let torch_device = match device.backend {
        crate::train::BackendKind::Flex => "cpu",
        crate::train::BackendKind::Wgpu => "cuda",
    };
    let bar = spinner(progress, "PyTorch reference");
    let output = Command::new(&options.python)
        .arg(&script)
        .args(["--json", "--device", torch_device])
        .arg("--batches")
        .arg(
            batches
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .arg("--repeats")
        .arg(options.repeats.max(1).to_string())
        .arg("--warmup")
        .arg(WARM_UP_STEPS.to_string())
        .args(extra)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", options.python))?;
    bar.finish_and_clear();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    if !output.status.success() {
        let why = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("no output")
                    .to_owned()
            });
        return Err(format!("the PyTorch reference did not run: {why}"));
    }
    serde_json::from_str(line).map_err(|e| format!("the reference printed bad JSON: {e}"))
}

/// Run every benchmark.
pub fn run(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    // As in the app: the compute pool runs below the UI's priority (it changes nothing when
    // nothing else wants the cores, as in the throughput figures).
    crate::train::threads::lower_compute_pool();
    let meter = load::LoadMeter::start();
    let device = choose_device(options.device);
    let progress = options.progress;
    if progress {
        eprintln!("device: {} ({})", device.label(), device.reason);
    }
    let batches = [32, 64];
    let train = batches
        .iter()
        .map(|&b| train_throughput(&device, b, options.repeats, progress))
        .collect::<Result<Vec<_>, _>>()?;
    let sample = sampling_latency(&device, options.repeats, options.ddpm_steps, progress)?;
    let (bundled_size, bundled_size_error) = match bundled_size::measure(options, &device) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let (guidance, guidance_error) = match guided::measure(options, &device) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let ui = ui_frame_times(options.device, options.ui_frames, progress)?;
    let (cold_start, cold_start_error) = match cold_start(options.device) {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let model = TrainConfig::default().model;
    let params = model.init(&device.device()).map_err(fail)?.num_params();
    let reference = match run_reference(options, &device, &batches, progress) {
        Ok(run) => {
            let train_speed_ratio = run
                .train
                .iter()
                .filter_map(|r| {
                    train
                        .iter()
                        .find(|f| f.batch == r.batch)
                        .map(|f| (r.batch, r.ms_per_step / f.ms_per_step))
                })
                .collect();
            let ddim_ms = sample
                .iter()
                .find(|s| s.sampler == "ddim")
                .map(|s| s.total_ms)
                .unwrap_or(f64::NAN);
            Reference::Measured {
                ddim_speed_ratio: run.ddim.total_ms / ddim_ms,
                train_speed_ratio,
                run,
            }
        }
        Err(reason) => Reference::Unavailable { reason },
    };
    let (toy, toy_error) = match toy::toy_figure(options) {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let load = meter.finish();
    if let Some(w) = &load.warning {
        eprintln!("warning: {w}");
    }
    Ok(BenchReport {
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        params,
        image_size: model.image_size,
        cpu_kernels: crate::model::kernels::kernels_name().to_owned(),
        device,
        train,
        sample,
        bundled_size,
        bundled_size_error,
        guidance,
        guidance_error,
        ui,
        cold_start,
        cold_start_error,
        reference,
        toy,
        toy_error,
        load,
    })
}

/// One line per training ratio and one for DDIM-50: PyTorch's time and the ratio.
pub(crate) fn ratio_lines(
    run: &ReferenceRun,
    train_speed_ratio: &[(usize, f64)],
    ddim_speed_ratio: f64,
) -> String {
    let mut s = String::new();
    for (b, r) in train_speed_ratio {
        let torch_ms = run
            .train
            .iter()
            .find(|t| t.batch == *b)
            .map_or(f64::NAN, |t| t.ms_per_step);
        s += &format!("  training batch {b:>3}: PyTorch {torch_ms:.1} ms/step → ratio {r:.2}\n");
    }
    s += &format!(
        "  DDIM-50: PyTorch {:.0} ms → ratio {ddim_speed_ratio:.2}\n",
        run.ddim.total_ms
    );
    s
}

impl BenchReport {
    /// A human-readable table.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "device: {} {} ({} CPUs, {} CPU kernels) · default U-Net {}×{}, {} parameters\n\n",
            self.device.label(),
            self.device.details,
            self.cpus,
            self.cpu_kernels,
            self.image_size,
            self.image_size,
            self.params
        );
        s += "training (L_simple step, Adam, EMA)\n";
        for f in &self.train {
            s += &format!(
                "  batch {:>3}: {:>9.1} ms/step  {:>8.1} images/s  (median of {})  {:.3} TFLOP/s  CPU {}\n",
                f.batch,
                f.ms_per_step,
                f.images_per_s,
                f.timed_steps,
                f.tflops,
                f.cpu_percent
                    .map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} %"))
            );
            if let Some(phases) = &f.phases {
                s += &phases.to_table();
            }
        }
        s += "sampling, 16 images\n";
        for f in &self.sample {
            s += &format!(
                "  {} {:>4} steps: {:>9.0} ms total{}  {:>7.1} ms/step\n",
                f.sampler.to_uppercase(),
                f.steps,
                f.total_ms,
                if f.extrapolated {
                    format!(" (from {} timed steps)", f.timed_steps)
                } else {
                    String::new()
                },
                f.ms_per_step
            );
        }
        let mib = |v: Option<f64>| v.map(|v| format!("{v:.0} MiB")).unwrap_or("n/a".into());
        s += &format!(
            "app frames while training ({} frames, {} steps trained, {} sample sets)\n  logic+ui p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms\n  resident memory {} → {} (peak {})\n",
            self.ui.frames,
            self.ui.train_steps_during,
            self.ui.samples_during,
            self.ui.p50_ms,
            self.ui.p99_ms,
            self.ui.max_ms,
            mib(self.ui.rss_start_mib),
            mib(self.ui.rss_end_mib),
            mib(self.ui.rss_peak_mib),
        );
        match (&self.cold_start, &self.cold_start_error) {
            (Some(c), _) => {
                s += &format!(
                    "cold start: first frame {:.0} ms, bundled model ready {}\n",
                    c.first_frame_ms,
                    c.model_ready_ms
                        .map(|m| format!("{m:.0} ms"))
                        .unwrap_or("n/a".into())
                )
            }
            (None, Some(e)) => s += &format!("cold start: not measured ({e})\n"),
            (None, None) => {}
        }
        match &self.reference {
            Reference::Measured {
                run,
                train_speed_ratio,
                ddim_speed_ratio,
            } => {
                s += &format!(
                    "PyTorch {} on {} ({} threads, {} parameters): speed ratio PyTorch time / burn time (≥ 1: burn as fast or faster)\n",
                    run.torch_version, run.device, run.threads, run.params
                );
                s += &ratio_lines(run, train_speed_ratio, *ddim_speed_ratio);
            }
            Reference::Unavailable { reason } => {
                s += &format!("PyTorch reference: not measured: {reason}\n")
            }
        }
        match (&self.bundled_size, &self.bundled_size_error) {
            (Some(f), _) => s += &f.to_table(),
            (None, Some(e)) => s += &format!("bundled model's size: not measured: {e}\n"),
            (None, None) => {}
        }
        match (&self.guidance, &self.guidance_error) {
            (Some(f), _) => s += &f.to_table(),
            (None, Some(e)) => s += &format!("guided sampling: not measured: {e}\n"),
            (None, None) => {}
        }
        match (&self.toy, &self.toy_error) {
            (Some(t), _) => s += &t.to_table(),
            (None, Some(e)) => s += &format!("1-D/2-D world: not measured: {e}\n"),
            (None, None) => {}
        }
        s += &self.load.to_line();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_training_steps_are_timed_more_often() {
        // 0.4 s per repeat: 5 repeats of 0.1 s steps → 20 steps; long steps keep 5
        assert_eq!(timed_training_steps(5, 0.1), 20);
        assert_eq!(timed_training_steps(5, 0.6), 5);
        // at most 10× the repeats, and never fewer than the repeats (or 1)
        assert_eq!(timed_training_steps(5, 1e-4), 50);
        assert_eq!(timed_training_steps(0, 2.0), 1);
        assert_eq!(timed_training_steps(3, f64::NAN), 3);
    }
}
