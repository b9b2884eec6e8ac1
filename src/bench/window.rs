//! `bench --window`: the real eframe window (on whatever display there is: Xvfb in CI, a
//! desktop otherwise), driven through scripted scenes, measured as a user feels it.
//!
//! For each scene: frames per second, the whole frame's wall time (eframe's own figure for
//! `logic()` + `ui()` + tessellation + painting, vsync waits excluded), the UI thread's CPU
//! seconds per wall second (its own CPU clock), and the trainer's rate in the window beside
//! the same worker with the same commands and no window, measured in the same run.
//!
//! One window runs every scene in turn and closes itself. Each training scene's headless
//! reference runs in the same process just before the scene and again just after it, while
//! the window stays open and idle: nothing changes in it, so it draws no frame (the report
//! counts any it did draw). Their mean brackets the scene in time, seconds away rather than
//! minutes, so a machine whose speed drifts does not tilt the ratio.

use super::{BenchError, fail};
use crate::app::settings::Tab;
use crate::app::world::Choice;
use crate::app::{App, AppCommand, AppOptions, examples};
use crate::data::ImageRgb;
use crate::train::toy::{ToyCommand, ToyEvent, ToyWorker};
use crate::train::{Command, DeviceChoice, Event, Progress, SampleFrom, SampleJob, WorkerHandle};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Seconds each scene runs before it is measured (training starts, caches fill).
pub const WARM_UP_S: f64 = 3.0;
/// The one-image target is read this many seconds after "Train on this image".
pub const ONE_IMAGE_AFTER_S: f64 = 30.0;
/// A headless reference that has not reported after this long has failed.
const HEADLESS_LIMIT: Duration = Duration::from_secs(1800);
/// The example image the first scene trains on (the sunset: far from the bundled model's
/// shapes, so the change is plain to see).
pub const ONE_IMAGE_EXAMPLE: usize = 0;

/// The scenes, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scene {
    /// ① with "Train on this image" pressed: the image model trains on one image
    TrainImage,
    /// ② drawing sample after sample, training paused
    Sampling,
    /// ③ the likelihood panel with its G(z) probe
    Likelihood,
    /// ⑤ the 1-D mixture training
    World1d,
    /// ⑤ the two moons training
    World2d,
}

impl Scene {
    /// Every scene.
    pub const ALL: [Scene; 5] = [
        Scene::TrainImage,
        Scene::Sampling,
        Scene::Likelihood,
        Scene::World1d,
        Scene::World2d,
    ];

    /// The scene's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scene::TrainImage => "train-on-image",
            Scene::Sampling => "sampling",
            Scene::Likelihood => "likelihood",
            Scene::World1d => "world-1d",
            Scene::World2d => "world-2d",
        }
    }

    /// What the trainer's rate counts in this scene, if it trains.
    pub fn rate_unit(self) -> Option<&'static str> {
        match self {
            Scene::TrainImage => Some("images/s"),
            Scene::World1d | Scene::World2d => Some("steps/s"),
            Scene::Sampling | Scene::Likelihood => None,
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct WindowOptions {
    /// the scenes to run, in order
    pub scenes: Vec<Scene>,
    /// measured seconds per scene (after [`WARM_UP_S`])
    pub scene_seconds: f64,
    /// where the image model runs
    pub device: DeviceChoice,
    /// show progress on stderr
    pub progress: bool,
}

/// One scene's figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SceneFigure {
    /// the scene
    pub name: &'static str,
    /// frames drawn per second of the scene
    pub fps: f64,
    /// median whole-frame wall time (logic, ui, tessellation, painting), ms; None when no
    /// frame was drawn (nothing changed)
    pub frame_p50_ms: Option<f64>,
    /// 99th percentile of the same, ms
    pub frame_p99_ms: Option<f64>,
    /// the UI thread's CPU seconds per wall second (1.0: one core busy); None where the
    /// thread's clock cannot be read
    pub ui_thread_cores: Option<f64>,
    /// the whole process's CPU seconds per wall second (training, the UI, the renderer's
    /// threads where it renders in-process, as llvmpipe does)
    pub process_cores: Option<f64>,
    /// CPU seconds per wall second of the in-process software renderer's threads (Mesa's
    /// `llvmpipe-N`); 0 with a GPU, None where threads cannot be read
    pub renderer_cores: Option<f64>,
    /// the trainer's rate in the window ([`Scene::rate_unit`]); None without training
    pub train_rate_window: Option<f64>,
    /// the same worker with the same commands and no window to draw, in the same process:
    /// the mean of the runs just before the scene and just after it (the window stays open
    /// and idle meanwhile: nothing changes in it, so it draws no frame)
    pub train_rate_headless: Option<f64>,
    /// those two runs
    pub train_rate_headless_runs: Vec<f64>,
    /// frames the window drew while those runs went on (0: they really had the machine)
    pub reference_frames: usize,
    /// window / headless
    pub train_ratio: Option<f64>,
    /// what the rates count
    pub rate_unit: Option<&'static str>,
    /// frames measured
    pub frames: usize,
    /// seconds measured
    pub seconds: f64,
}

/// The sample grids of the first minute of "Train on this image".
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OneImageFigure {
    /// mean over the grid's samples of the RMS distance to the image (unit space, [−1, 1]),
    /// for the grid on screen when the button was pressed
    pub rms_before: f64,
    /// the same for the last grid that arrived within [`ONE_IMAGE_AFTER_S`] of the press
    pub rms_after: Option<f64>,
    /// when that grid arrived, seconds after the press
    pub after_s: Option<f64>,
    /// the training step of its weights
    pub after_step: Option<u64>,
    /// every grid that arrived: (seconds after the press, step, mean RMS distance)
    pub grids: Vec<(f64, u64, f64)>,
    /// rms_after ≤ rms_before / 2
    pub halved: bool,
}

/// Everything `bench --window` measures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WindowReport {
    /// the adapter that draws the window (llvmpipe is Mesa's software renderer)
    pub renderer: String,
    /// the window's inner size in points
    pub window_size: [f32; 2],
    /// logical CPUs
    pub cpus: usize,
    /// per scene
    pub scenes: Vec<SceneFigure>,
    /// the first scene's sample grids
    pub one_image: Option<OneImageFigure>,
    /// how busy the machine was apart from the bench
    pub load: Option<super::load::MachineLoad>,
}

/// CPU seconds in a Linux schedstat file (its first field, in ns).
fn schedstat_seconds(path: &std::path::Path) -> Option<f64> {
    let s = std::fs::read_to_string(path).ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// CPU seconds the calling thread has used (Linux: /proc/thread-self/schedstat).
pub fn thread_cpu_seconds() -> Option<f64> {
    schedstat_seconds(std::path::Path::new("/proc/thread-self/schedstat"))
}

/// CPU seconds used so far by this process's software-renderer threads (Linux: Mesa names
/// them `llvmpipe-N`).
pub fn renderer_cpu_seconds() -> Option<f64> {
    let mut total = 0.0;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("llvmpipe") {
            continue;
        }
        total += schedstat_seconds(&task.path().join("schedstat")).unwrap_or(0.0);
    }
    Some(total)
}

/// Mean over the samples in `x0_unit` (n images of `image`'s size) of the RMS distance to
/// `image`.
pub fn mean_rms_distance(x0_unit: &[f32], image: &ImageRgb) -> f64 {
    let dim = image.dim().max(1);
    let n = x0_unit.len() / dim;
    if n == 0 {
        return f64::NAN;
    }
    let total: f64 = x0_unit
        .chunks_exact(dim)
        .map(|x| {
            let sq: f64 = x
                .iter()
                .zip(&image.data)
                .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
                .sum();
            (sq / dim as f64).sqrt()
        })
        .sum();
    total / n as f64
}

/// The scene's length: the first scene runs until the one-image target can be read.
fn measured_seconds(scene: Scene, scene_seconds: f64) -> f64 {
    match scene {
        Scene::TrainImage if scene_seconds >= 10.0 => {
            scene_seconds.max(ONE_IMAGE_AFTER_S + 2.0 - WARM_UP_S)
        }
        _ => scene_seconds,
    }
}

// ---------------------------------------------------------------------------------------
// Headless: the same workers, the same commands, no window.

fn image_options(device: DeviceChoice) -> AppOptions {
    AppOptions {
        sample_at_start: true,
        ..super::app_options(device, crate::app::bundled_checkpoint())
    }
}

/// The image model's worker on the bundled model, trained on the example image with the
/// commands the app sends for "Train on this image", sampled at the app's cadence: images/s.
fn headless_image_rate(device: DeviceChoice, seconds: f64) -> Result<f64, BenchError> {
    let options = image_options(device);
    let worker = WorkerHandle::spawn(
        options.config.clone(),
        options.device,
        options.checkpoint.clone(),
        Box::new(|| {}),
    )
    .map_err(fail)?;
    let ready = Instant::now() + Duration::from_secs(120);
    let (size, mut batch) = loop {
        match worker.events.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Ready { config, .. }) => break (config.model.image_size, config.batch),
            Ok(Event::Stopped(r)) => return Err(fail(format!("the worker stopped: {r:?}"))),
            _ if Instant::now() > ready => return Err(fail("the model was not ready in 120 s")),
            _ => {}
        }
    };
    let image = examples::draw(ONE_IMAGE_EXAMPLE, size);
    for c in crate::train::one_image::commands(image.clone()) {
        worker.send(c);
    }
    let settings = crate::app::settings::Settings::default();
    let request = settings.sample_request(settings.n_samples);
    let cadence = Duration::from_secs_f64(settings.resample_every_s.max(1.0));
    let begin = Instant::now();
    let (mut step0, mut last_step) = (None::<(Instant, u64)>, 0u64);
    let (mut next_sample, mut sampling, mut id) = (begin + cadence, false, 1000u64);
    // Measured from the first report after the warm-up, for `seconds`, however slow the
    // machine (a limit only against a worker that never reports).
    let measured = |step0: Option<(Instant, u64)>| {
        step0.is_some_and(|(t0, _): (Instant, u64)| t0.elapsed().as_secs_f64() >= seconds)
    };
    while !measured(step0) {
        if begin.elapsed() > HEADLESS_LIMIT {
            return Err(fail("the headless worker trained no step"));
        }
        // As the app does (`jobs.rs`): a grid is due `cadence` after the last one *started*,
        // and waits while one is running.
        if !sampling && Instant::now() >= next_sample {
            id += 1;
            next_sample = Instant::now() + cadence;
            sampling = worker.send(Command::Sample(SampleJob {
                id,
                request: request.clone(),
                from: SampleFrom::Noise,
                weights: settings.sample_weights,
                guidance: None,
            }));
        }
        while let Ok(p) = worker.progress.try_recv() {
            if let Progress::Steps(steps) = p
                && let Some(r) = steps.last()
            {
                last_step = r.step;
                if step0.is_none() && begin.elapsed().as_secs_f64() >= WARM_UP_S {
                    step0 = Some((Instant::now(), r.step));
                }
            }
        }
        match worker.events.recv_timeout(Duration::from_millis(20)) {
            Ok(Event::Ready { config, .. } | Event::Configured(config)) => batch = config.batch,
            Ok(Event::Trajectory { .. } | Event::SampleFailed { .. }) => sampling = false,
            Ok(Event::Stopped(r)) => return Err(fail(format!("the worker stopped: {r:?}"))),
            _ => {}
        }
    }
    let (t0, s0) = step0.ok_or_else(|| fail("the headless worker trained no step"))?;
    Ok(last_step.saturating_sub(s0) as f64 * batch as f64 / t0.elapsed().as_secs_f64().max(1e-9))
}

/// The world's worker on `choice`'s data, trained for `seconds` after the warm-up: steps/s.
fn headless_world_rate(choice: Choice, seconds: f64) -> Result<f64, BenchError> {
    let image = examples::draw(ONE_IMAGE_EXAMPLE, crate::app::forward::FORWARD_SIZE);
    let config = crate::app::world::config_for(choice, &image, 0).map_err(fail)?;
    let worker = ToyWorker::spawn(config, Box::new(|| {})).map_err(fail)?;
    worker.send(ToyCommand::Start);
    let begin = Instant::now();
    let (mut step0, mut last) = (None::<(Instant, u64)>, 0u64);
    // From the first report after the warm-up, for `seconds`, however slow the machine.
    while step0.is_none_or(|(t0, _)| t0.elapsed().as_secs_f64() < seconds) {
        if begin.elapsed() > HEADLESS_LIMIT {
            return Err(fail("the headless world trained no step"));
        }
        if let Ok(ToyEvent::Trained { step, .. }) =
            worker.events.recv_timeout(Duration::from_millis(50))
        {
            last = step;
            if step0.is_none() && begin.elapsed().as_secs_f64() >= WARM_UP_S {
                step0 = Some((Instant::now(), step));
            }
        }
    }
    let (t0, s0) = step0.ok_or_else(|| fail("the headless world trained no step"))?;
    Ok(last.saturating_sub(s0) as f64 / t0.elapsed().as_secs_f64().max(1e-9))
}

// ---------------------------------------------------------------------------------------
// The window.

/// What comes after the app is idle.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Next {
    /// the headless reference before the scene (training scenes), then the scene
    ReferenceBefore,
    /// the scene itself
    SetUp,
    /// the headless reference after the scene, then the next scene
    ReferenceAfter,
}

/// What a scene is doing.
#[derive(Debug)]
enum Phase {
    /// waiting for the model, its first grid, probe and −ELBO estimate, or for the last
    /// scene's jobs to end: the image model's worker must be idle before a scene or a
    /// reference starts, since they all train on the same CPU device
    Loading(Next),
    /// a headless reference running on its own thread while the app is idle (it draws no
    /// frame while nothing changes); the bool is whether it is the one after the scene
    Reference(bool, std::sync::mpsc::Receiver<Result<f64, BenchError>>),
    /// set up, warming up until the instant given
    WarmUp(Instant),
    /// measuring since the instant given, until the second one
    Measure(Instant, Instant),
    /// every scene ran; the window is closing
    Done,
}

/// What is read at the start of a measured stretch.
#[derive(Clone, Copy, Debug)]
struct Mark {
    ui_cpu: Option<f64>,
    process_cpu: Option<f64>,
    renderer_cpu: Option<f64>,
    trained: u64,
}

struct Driver {
    app: App,
    scenes: Vec<Scene>,
    index: usize,
    phase: Phase,
    scene_seconds: f64,
    mark: Option<Mark>,
    frame_ms: Vec<f64>,
    figures: Vec<SceneFigure>,
    one_image: Option<OneImageFigure>,
    pressed: Option<Instant>,
    results_seen: u64,
    renderer: String,
    report: Arc<Mutex<Option<Result<WindowReport, BenchError>>>>,
    progress: bool,
    device: DeviceChoice,
    /// the current scene's headless references (before, after)
    references: Vec<f64>,
    /// frames the window drew while the current scene's references ran
    reference_frames: usize,
}

impl Driver {
    fn run(&mut self, ctx: &egui::Context, command: AppCommand) {
        self.app.run_command(ctx, command);
    }

    /// What has been trained in the current scene: images for the image model, steps for
    /// the world.
    fn trained(&self, scene: Scene) -> u64 {
        match scene {
            Scene::TrainImage => {
                let batch = self.app.status.config.as_ref().map_or(1, |c| c.batch) as u64;
                self.app.status.step * batch
            }
            Scene::World1d | Scene::World2d => self.app.world.trained_step(),
            _ => 0,
        }
    }

    fn set_up(&mut self, ctx: &egui::Context, scene: Scene) {
        if self.progress {
            eprintln!("scene {}", scene.name());
        }
        match scene {
            Scene::TrainImage => {
                self.run(ctx, AppCommand::Focus(Tab::Forward));
                self.run(ctx, AppCommand::UseExample(ONE_IMAGE_EXAMPLE));
                let before = self
                    .app
                    .reverse
                    .shown
                    .as_ref()
                    .map(|s| mean_rms_distance(s.trajectory.final_x0(), &self.app.image.model))
                    .unwrap_or(f64::NAN);
                self.one_image = Some(OneImageFigure {
                    rms_before: before,
                    rms_after: None,
                    after_s: None,
                    after_step: None,
                    grids: Vec::new(),
                    halved: false,
                });
                self.results_seen = self.app.reverse.results;
                self.pressed = Some(Instant::now());
                self.run(ctx, AppCommand::TrainOnImage);
            }
            Scene::Sampling => {
                self.run(ctx, AppCommand::Train(false));
                self.run(ctx, AppCommand::Focus(Tab::Reverse));
                self.run(ctx, AppCommand::Sample);
            }
            Scene::Likelihood => {
                self.run(ctx, AppCommand::Focus(Tab::Likelihood));
                self.run(ctx, AppCommand::Probe);
            }
            Scene::World1d | Scene::World2d => {
                let choice = if scene == Scene::World1d {
                    Choice::Mixture
                } else {
                    Choice::Moons
                };
                self.run(ctx, AppCommand::Focus(Tab::World));
                self.run(ctx, AppCommand::WorldData(choice));
                self.run(ctx, AppCommand::WorldTrain(true));
            }
        }
    }

    /// Per frame, while a scene runs.
    fn during(&mut self, ctx: &egui::Context, scene: Scene) {
        match scene {
            Scene::TrainImage => self.follow_one_image(),
            Scene::Sampling if self.app.reverse.running.is_none() => {
                self.run(ctx, AppCommand::Sample)
            }
            _ => {}
        }
    }

    fn follow_one_image(&mut self) {
        let (Some(pressed), Some(figure)) = (self.pressed, self.one_image.as_mut()) else {
            return;
        };
        if self.app.reverse.results == self.results_seen {
            return;
        }
        self.results_seen = self.app.reverse.results;
        let Some(shown) = &self.app.reverse.shown else {
            return;
        };
        if shown.origin != crate::app::reverse::Origin::Noise {
            return;
        }
        let at = pressed.elapsed().as_secs_f64();
        let rms = mean_rms_distance(shown.trajectory.final_x0(), &self.app.image.model);
        figure.grids.push((at, shown.step, rms));
        if at <= ONE_IMAGE_AFTER_S {
            figure.rms_after = Some(rms);
            figure.after_s = Some(at);
            figure.after_step = Some(shown.step);
            figure.halved = rms <= figure.rms_before / 2.0;
        }
    }

    /// Run `scene`'s headless reference on its own thread; it wakes the window when done.
    fn start_reference(&mut self, ctx: &egui::Context, scene: Scene, after: bool) {
        if !after {
            self.references.clear();
            self.reference_frames = 0;
        }
        let length = measured_seconds(scene, self.scene_seconds);
        if self.progress {
            let when = if after { "after" } else { "before" };
            eprintln!("headless reference {when} {} ({length:.0} s)", scene.name());
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (ctx, device) = (ctx.clone(), self.device);
        std::thread::spawn(move || {
            let rate = match scene {
                Scene::TrainImage => headless_image_rate(device, length),
                Scene::World1d => headless_world_rate(Choice::Mixture, length),
                Scene::World2d => headless_world_rate(Choice::Moons, length),
                Scene::Sampling | Scene::Likelihood => Err(fail("no training in this scene")),
            };
            let _ = tx.send(rate);
            ctx.request_repaint();
        });
        self.phase = Phase::Reference(after, rx);
    }

    /// The scene's references into its figure.
    fn close_scene(&mut self) {
        let references = std::mem::take(&mut self.references);
        let Some(figure) = self.figures.last_mut() else {
            return;
        };
        figure.reference_frames = self.reference_frames;
        if let [a, b] = references[..] {
            let mean = (a + b) / 2.0;
            figure.train_rate_headless = Some(mean);
            figure.train_ratio = figure.train_rate_window.map(|w| w / mean.max(1e-9));
        }
        figure.train_rate_headless_runs = references;
    }

    /// On to the next scene, or close the window after the last.
    fn next_scene(&mut self, ctx: &egui::Context) {
        self.index += 1;
        if self.index < self.scenes.len() {
            self.phase = Phase::Loading(Next::ReferenceBefore);
            return;
        }
        let size = ctx.content_rect().size();
        let report = WindowReport {
            renderer: std::mem::take(&mut self.renderer),
            window_size: [size.x, size.y],
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            scenes: std::mem::take(&mut self.figures),
            one_image: self.one_image.take(),
            load: None,
        };
        self.end(ctx, Ok(report));
    }

    fn fail(&mut self, ctx: &egui::Context, e: BenchError) {
        self.end(ctx, Err(e));
    }

    fn end(&mut self, ctx: &egui::Context, result: Result<WindowReport, BenchError>) {
        if let Ok(mut r) = self.report.lock() {
            *r = Some(result);
        }
        self.phase = Phase::Done;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    fn finish_scene(&mut self, scene: Scene, since: Instant) {
        let mark = self.mark.take();
        let wall = since.elapsed().as_secs_f64().max(1e-9);
        let per_s = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| (b - a) / wall);
        let rate_unit = scene.rate_unit();
        let train_rate_window = match (rate_unit, mark) {
            (Some(_), Some(m)) => Some(self.trained(scene).saturating_sub(m.trained) as f64 / wall),
            _ => None,
        };
        let q = |p| crate::app::frame_times::quantile(self.frame_ms.clone(), p);
        self.figures.push(SceneFigure {
            name: scene.name(),
            fps: self.frame_ms.len() as f64 / wall,
            frame_p50_ms: q(0.5),
            frame_p99_ms: q(0.99),
            ui_thread_cores: per_s(mark.and_then(|m| m.ui_cpu), thread_cpu_seconds()),
            process_cores: per_s(
                mark.and_then(|m| m.process_cpu),
                super::process_cpu_seconds(),
            ),
            renderer_cores: per_s(mark.and_then(|m| m.renderer_cpu), renderer_cpu_seconds()),
            train_rate_window,
            train_rate_headless: None,
            train_rate_headless_runs: Vec::new(),
            train_ratio: None,
            reference_frames: 0,
            rate_unit,
            frames: self.frame_ms.len(),
            seconds: wall,
        });
        self.frame_ms.clear();
    }
}

impl eframe::App for Driver {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        if self.renderer.is_empty()
            && let Some(rs) = frame.wgpu_render_state()
        {
            let info = rs.adapter.get_info();
            self.renderer = format!(
                "{} ({:?}, {:?}, {})",
                info.name, info.backend, info.device_type, info.driver_info
            );
        }
        // The app first: it drains the workers, so the counts read below are this frame's.
        self.app.logic(ctx, frame);
        let now = Instant::now();
        let Some(&scene) = self.scenes.get(self.index) else {
            return;
        };
        match &self.phase {
            Phase::Loading(next) => {
                let next = *next;
                let ready = self.app.status.config.is_some()
                    && !self.app.status.running
                    && self.app.reverse.shown.is_some()
                    && self.app.reverse.running.is_none()
                    && self.app.likelihood.pending.is_none()
                    && self.app.curves.pending.is_none();
                if ready {
                    match next {
                        Next::ReferenceBefore | Next::ReferenceAfter
                            if scene.rate_unit().is_some() =>
                        {
                            let after = next == Next::ReferenceAfter;
                            self.start_reference(ctx, scene, after);
                        }
                        Next::ReferenceBefore | Next::SetUp => {
                            self.set_up(ctx, scene);
                            self.phase = Phase::WarmUp(now + Duration::from_secs_f64(WARM_UP_S));
                        }
                        Next::ReferenceAfter => self.next_scene(ctx),
                    }
                }
            }
            Phase::Reference(after, rx) => {
                let after = *after;
                match rx.try_recv() {
                    Ok(Ok(rate)) => {
                        self.references.push(rate);
                        if after {
                            self.close_scene();
                            self.next_scene(ctx);
                        } else {
                            self.phase = Phase::Loading(Next::SetUp);
                        }
                    }
                    Ok(Err(e)) => self.fail(ctx, e),
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        self.fail(ctx, fail("the headless reference ended without a figure"))
                    }
                    // A frame the app drew for itself while the reference ran.
                    Err(std::sync::mpsc::TryRecvError::Empty) => self.reference_frames += 1,
                }
            }
            Phase::WarmUp(until) => {
                let until = *until;
                self.during(ctx, scene);
                if now >= until {
                    self.mark = Some(Mark {
                        ui_cpu: thread_cpu_seconds(),
                        process_cpu: super::process_cpu_seconds(),
                        renderer_cpu: renderer_cpu_seconds(),
                        trained: self.trained(scene),
                    });
                    self.frame_ms.clear();
                    let length = measured_seconds(scene, self.scene_seconds);
                    self.phase = Phase::Measure(now, now + Duration::from_secs_f64(length));
                }
            }
            Phase::Measure(since, until) => {
                let (since, until) = (*since, *until);
                if let Some(s) = frame.info().cpu_usage {
                    self.frame_ms.push(s as f64 * 1000.0);
                }
                self.during(ctx, scene);
                if now >= until {
                    self.finish_scene(scene, since);
                    // Stop what the scene started, and let its jobs end before what follows.
                    self.run(ctx, AppCommand::Train(false));
                    self.run(ctx, AppCommand::WorldTrain(false));
                    if self.app.reverse.running.is_some() {
                        self.run(ctx, AppCommand::CancelSample);
                    }
                    self.app.settings.tab = Tab::Forward;
                    self.phase = Phase::Loading(Next::ReferenceAfter);
                }
            }
            Phase::Done => {}
        }
        // One frame when the phase ends (the app asks for the others itself: the bench must
        // not add frames of its own, which the window would pay for; a reference's thread
        // wakes the window when it ends).
        match self.phase {
            Phase::WarmUp(until) | Phase::Measure(_, until) => {
                ctx.request_repaint_after(until.saturating_duration_since(Instant::now()));
            }
            Phase::Loading(_) => ctx.request_repaint_after(Duration::from_millis(500)),
            Phase::Reference(..) | Phase::Done => {}
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
    }
}

/// Run every scene in one real window, each between two headless references.
pub fn run(options: &WindowOptions) -> Result<WindowReport, BenchError> {
    if !(options.scene_seconds.is_finite() && options.scene_seconds > 0.0) {
        return Err(fail("--scene-seconds must be positive"));
    }
    crate::train::threads::lower_compute_pool();
    let meter = super::load::LoadMeter::start();
    let report = Arc::new(Mutex::new(None));
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Diffusion Playground (bench)")
            .with_inner_size([1360.0, 860.0]),
        persist_window: false,
        ..Default::default()
    };
    let slot = report.clone();
    let device = options.device;
    let (scene_seconds, progress) = (options.scene_seconds, options.progress);
    let scenes = options.scenes.clone();
    eframe::run_native(
        "diffusion-playground-bench",
        native,
        Box::new(move |cc| {
            let app = App::new(cc, image_options(device));
            Ok(Box::new(Driver {
                app,
                scenes,
                index: 0,
                phase: Phase::Loading(Next::ReferenceBefore),
                scene_seconds,
                mark: None,
                frame_ms: Vec::new(),
                figures: Vec::new(),
                one_image: None,
                pressed: None,
                results_seen: 0,
                renderer: String::new(),
                report: slot,
                progress,
                device,
                references: Vec::new(),
                reference_frames: 0,
            }))
        }),
    )
    .map_err(|e| fail(format!("cannot open the window: {e}")))?;
    let result = report
        .lock()
        .map_err(|_| fail("the window's report was lost"))?
        .take()
        .ok_or_else(|| fail("the window closed before its scenes ended"))?;
    let mut report = result?;
    let load = meter.finish();
    if let Some(w) = &load.warning {
        eprintln!("warning: {w}");
    }
    report.load = Some(load);
    Ok(report)
}

impl WindowReport {
    /// A human-readable table.
    pub fn to_table(&self) -> String {
        let opt = |v: Option<f64>, digits: usize| {
            v.map(|v| format!("{v:.digits$}"))
                .unwrap_or_else(|| "—".into())
        };
        let mut s = format!(
            "real window {:.0}×{:.0} pt, drawn by {} ({} CPUs)\n",
            self.window_size[0], self.window_size[1], self.renderer, self.cpus
        );
        s += "scene            fps  frame p50  frame p99  UI thread  renderer  process  train in window / headless (before, after)\n";
        for f in &self.scenes {
            let rate = match f.rate_unit {
                Some(unit) => format!(
                    "{} / {} {unit} ({}): {} %{}",
                    opt(f.train_rate_window, 1),
                    opt(f.train_rate_headless, 1),
                    f.train_rate_headless_runs
                        .iter()
                        .map(|r| format!("{r:.1}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    opt(f.train_ratio.map(|r| r * 100.0), 0),
                    match f.reference_frames {
                        0 => String::new(),
                        n => format!(" ({n} frames drawn during the references)"),
                    }
                ),
                None => "—".into(),
            };
            s += &format!(
                "{:<15} {:>5.1} {:>7} ms {:>7} ms {:>6} % {:>6} % {:>6} %  {rate}\n",
                f.name,
                f.fps,
                opt(f.frame_p50_ms, 1),
                opt(f.frame_p99_ms, 1),
                opt(f.ui_thread_cores.map(|c| c * 100.0), 0),
                opt(f.renderer_cores.map(|c| c * 100.0), 0),
                opt(f.process_cores.map(|c| c * 100.0), 0),
            );
        }
        if let Some(o) = &self.one_image {
            s += &format!(
                "\"Train on this image\": mean RMS distance of the samples to the image {:.3} before, {} after {} s (step {}): {}\n",
                o.rms_before,
                opt(o.rms_after, 3),
                opt(o.after_s, 0),
                o.after_step.map_or("—".into(), |s| s.to_string()),
                if o.halved { "halved" } else { "not halved" }
            );
        }
        if let Some(load) = &self.load {
            s += &load.to_line();
        }
        s
    }
}
