//! The desktop app. `logic()` drains the worker's channels and finished background jobs;
//! `ui()` draws the panels, which return [`AppCommand`]s that run after drawing.
//!
//! Nothing here touches burn: the model lives on the worker thread ([`crate::train::worker`]).

pub mod curves;
mod device_menu;
mod dialogs;
mod events;
pub mod examples;
mod fonts;
pub mod forward;
pub mod frame_times;
pub mod guidance;
mod jobs;
pub mod layout;
pub mod lesson;
pub mod likelihood;
pub mod ode_likelihood;
pub mod plot_key;
pub mod repaint;
pub mod reverse;
pub mod sampler_strip;
pub mod settings;
pub mod teacher;
pub mod textures;
pub mod top_bar;
pub use top_bar::DataLabel;
pub mod world;
pub mod world_guidance;
pub mod world_ode;

use crate::data::{Builtin, DataSource, Dataset, ImageRgb, dataset::load_folder};
use crate::diffusion::{Schedule, ScheduleConfig};
use crate::i18n::Lang;
use crate::tr;
use crate::train::checkpoint;
use crate::train::{
    Command, DeviceChoice, DeviceInfo, Event, Level, Progress, SampleFrom, SampleJob, TrainConfig,
    Weights, WorkerHandle,
};
use curves::{CurvesPanel, ElboPoint};
use dialogs::{Dialog, Loaded};
pub use fonts::install_fonts;
use forward::{FORWARD_SIZE, ForwardPanel, SourceImage};
use jobs::JobPurpose;
use lesson::LessonPanel;
use likelihood::{G_SEED, G_STEPS, LikelihoodPanel, PROBE_DRAWS, Probe};
use rand::SeedableRng;
use reverse::{Origin, ReversePanel, Shown};
use settings::{Settings, Tab};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

/// Key under which the settings are persisted.
const SETTINGS_KEY: &str = "diffusion-playground-settings";
/// How much larger everything is drawn in the presentation layout.
pub const PRESENTATION_ZOOM: f32 = 1.5;
/// Images drawn from a built-in dataset to search for nearest neighbours.
const REFERENCE_IMAGES: usize = 256;

/// A user action, produced while drawing and carried out after.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// start (true) or pause (false) training
    Train(bool),
    /// train exactly this many steps, then pause
    TrainSteps(u64),
    /// fresh weights from the seed
    Reset,
    /// rebuild the model with the schedule, T and batch from the settings
    ApplyModelSettings,
    /// change the learning rate
    SetLr(f64),
    /// sample from noise
    Sample,
    /// noise the image to the forward panel's t, then denoise
    SampleFromImage,
    /// stop the running sampler
    CancelSample,
    /// ask the model for G(z) on the fixed prior draws
    Probe,
    /// switch the likelihood definition
    IndicatorToggled(bool),
    /// estimate −ELBO now, with these timesteps
    EstimateElbo(crate::diffusion::TimestepPlan),
    /// estimate the probability-flow ODE's exact likelihood (and −ELBO at the same step)
    EstimateOdeNll,
    /// move training to the device this picks (GPU or CPU), carrying the run over
    SetDevice(DeviceChoice),
    /// open the About window
    ShowAbout,
    /// pick an image with the native dialog
    OpenImageDialog,
    /// load an image file
    LoadImagePath(PathBuf),
    /// use a built-in example
    UseExample(usize),
    /// make the current image the training set
    TrainOnImage,
    /// train on a built-in dataset
    UseBuiltinData(Builtin),
    /// pick a folder of images to train on
    OpenDataFolder,
    /// save a checkpoint (dialog)
    SaveCheckpoint,
    /// open a checkpoint (dialog)
    OpenCheckpoint,
    /// export the trajectory as GIF (dialog)
    ExportGif,
    /// export the current view as PNG (dialog)
    ExportPng,
    /// export the curves as CSV (dialog)
    ExportCsv,
    /// open a panel
    Focus(Tab),
    /// set the forward panel's t to a fraction of T
    SetForwardT(f32),
    /// play the forward panel
    PlayForward,
    /// close a notice
    DismissNotice(usize),
    /// apply the autosave setting
    Autosave,
    /// open the autosaved run offered at start
    ResumeAutosave,
    /// decline the autosaved run
    DismissResume,
    /// switch the language of the whole app
    SetLanguage(Lang),
    /// study the likelihood at this pixel (fractions of the side)
    PickPixel(f32, f32),
    /// save the view as a preset (dialog)
    SavePreset,
    /// open a preset (dialog)
    OpenPreset,
    /// apply this preset file
    LoadPreset(PathBuf),
    /// restart training from the model's own initial weights
    Rewind,
    /// sample the guidance sweep strip (a class-conditional model)
    GuidanceSweep,
    /// sample ②'s budget strip with this ODE sampler
    SamplerStrip(crate::diffusion::samplers::OdeSampler),
    /// measure accuracy and diversity against w
    MeasureGuidance,
    /// stop that measurement
    CancelGuidanceMeasure,
    /// the presentation layout on or off
    SetPresentation(bool),
    /// export the run as a folder (dialog)
    ExportRun,
    /// export the run into this folder
    ExportRunTo(PathBuf),
    /// open an exported run (dialog)
    OpenRun,
    /// open the exported run in this folder
    OpenRunFrom(PathBuf),
    /// lock (true) or unlock a control
    SetLock(teacher::Control, bool),
    /// train panel ⑤'s world on this data (a new run from the seed)
    WorldData(world::Choice),
    /// start (true) or pause panel ⑤'s training
    WorldTrain(bool),
    /// show ⑤'s lab (two runs side by side) or its single run
    WorldLab(bool),
}

/// How the app starts.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// device for the worker
    pub device: DeviceChoice,
    /// checkpoint to open at start (the bundled one by default)
    pub checkpoint: Option<PathBuf>,
    /// the run to start when there is no checkpoint
    pub config: TrainConfig,
    /// read the remembered settings
    pub restore_settings: bool,
    /// draw the first samples as soon as the model is ready
    pub sample_at_start: bool,
    /// where the run is autosaved (None: never)
    pub autosave_dir: Option<PathBuf>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            device: DeviceChoice::Auto,
            checkpoint: bundled_checkpoint(),
            config: TrainConfig::default(),
            restore_settings: true,
            sample_at_start: true,
            autosave_dir: eframe::storage_dir("diffusion-playground").map(|d| d.join("autosave")),
        }
    }
}

/// The pre-trained checkpoint shipped in `assets/pretrained`, if it can be found next to the
/// working folder, the executable, or the source tree.
pub fn bundled_checkpoint() -> Option<PathBuf> {
    crate::find_shipped(&Path::new("assets").join("pretrained"), |p| {
        p.join(checkpoint::RECORD).is_file()
    })
}

/// What the worker last told us.
#[derive(Clone, Debug, Default)]
pub struct Status {
    /// device in use
    pub device: Option<DeviceInfo>,
    /// the model's run settings
    pub config: Option<TrainConfig>,
    /// parameters
    pub params: usize,
    /// training step
    pub step: u64,
    /// training now
    pub running: bool,
    /// last batch loss
    pub loss: Option<f32>,
    /// throughput
    pub images_per_s: f64,
    /// the worker ended (with its error)
    pub stopped: Option<Result<(), String>>,
}

/// What [`App::backlog`] counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Backlog {
    /// sampling jobs sent and not yet answered
    pub jobs: usize,
    /// notices on screen
    pub notices: usize,
    /// points held by all curves
    pub curve_points: usize,
}

/// The application.
pub struct App {
    /// user settings (persisted)
    pub settings: Settings,
    /// the worker's state
    pub status: Status,
    /// dismissable messages, newest last
    pub notices: Vec<(Level, String)>,
    /// the image under study
    pub image: SourceImage,
    /// panel ①
    pub forward: ForwardPanel,
    /// panel ②
    pub reverse: ReversePanel,
    /// panel ②'s guidance section (a class-conditional model)
    pub guidance: guidance::GuidancePanel,
    /// panel ②'s budget strip
    pub strip: sampler_strip::SamplerStripPanel,
    /// panel ③
    pub likelihood: LikelihoodPanel,
    /// panel ④
    pub curves: CurvesPanel,
    /// panel ⑤
    pub world: world::WorldPanel,
    /// the lesson
    pub lesson: LessonPanel,
    /// a short description of the training data
    pub data_label: DataLabel,
    /// an autosaved run found at start: (folder, step)
    pub resume_offer: Option<(PathBuf, u64)>,
    options: AppOptions,
    schedule: Schedule,
    worker: Option<WorkerHandle>,
    jobs: HashMap<u64, JobPurpose>,
    next_job: u64,
    /// when the last sample grid was asked for
    last_grid: Option<std::time::Instant>,
    /// when the likelihood panel's G(z) was last asked for
    last_probe: Option<std::time::Instant>,
    started_sampling: bool,
    reference: Vec<ImageRgb>,
    pending_image: Option<Receiver<Loaded>>,
    pending_dialog: Option<(Dialog, Receiver<Option<PathBuf>>)>,
    screenshot: Arc<Mutex<Option<Arc<egui::ColorImage>>>>,
    screenshot_path: Option<PathBuf>,
    /// CPU time of each frame's logic() + ui()
    pub frame_times: frame_times::FrameTimes,
    run_export: Option<teacher::RunExport>,
    sample_after_load: bool,
    /// which side panels are docked at the current width
    docked: layout::Docked,
    /// the settings as a window, when too narrow to dock them
    settings_window: bool,
    /// the window was fitted to its monitor
    fitted: bool,
    /// where the open panel's widgets went in the last frame (for the layout tests)
    pub layout_probe: layout::LayoutProbe,
    /// the device menu's and About window's state
    pub device_menu: device_menu::DeviceMenu,
    /// the top bar's item widths and overflow menu
    pub top_bar: top_bar::TopBar,
    /// the least time between frames that background work asks for
    repaint: repaint::RepaintCap,
    /// the CPU draws the window (known after the first frame)
    pub software_renderer: Option<bool>,
}

/// T of the model's schedule (1000 until the model is ready).
fn model_timesteps(status: &Status) -> usize {
    status
        .config
        .as_ref()
        .map(|c| c.schedule.timesteps)
        .unwrap_or(1000)
}

fn model_size(status: &Status) -> usize {
    status
        .config
        .as_ref()
        .map(|c| c.model.image_size)
        .unwrap_or(32)
}

impl SourceImage {
    /// Rebuild the model-size copy from the display copy.
    pub fn with_model_size(mut self, size: usize) -> Self {
        if self.model.size != size {
            let rgb = self.display.to_rgb8();
            let small = image::imageops::resize(
                &rgb,
                size as u32,
                size as u32,
                image::imageops::FilterType::Triangle,
            );
            self.model = ImageRgb::from_rgb8(&small);
        }
        self
    }
}

impl App {
    /// Build the app and start the worker. `repaint` wakes the UI from the worker thread.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let saved = if options.restore_settings {
            cc.storage
                .and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY))
        } else {
            None
        };
        let env_lang = std::env::var(crate::i18n::LANG_ENV).ok();
        let settings = Settings::at_start(saved, env_lang.as_deref());
        install_fonts(&cc.egui_ctx);
        // The worker takes the language of the thread that spawns it.
        crate::i18n::set_lang(settings.lang);
        let repaint = repaint::RepaintCap::new(repaint::effective_fps(settings.training_fps, None));
        let worker = WorkerHandle::spawn(
            options.config.clone(),
            options.device,
            options.checkpoint.clone(),
            Box::new(repaint.waker(&cc.egui_ctx)),
        );
        let mut notices = Vec::new();
        let worker = match worker {
            Ok(w) => Some(w),
            Err(e) => {
                notices.push((Level::Error, tr!("notice-thread-start-failed", error = e)));
                None
            }
        };
        let schedule = ScheduleConfig {
            kind: settings.schedule,
            timesteps: settings.timesteps,
        }
        .build()
        .unwrap_or_else(|_| {
            Schedule::new(crate::diffusion::ScheduleKind::Linear, 1000)
                .expect("the default schedule is valid")
        });
        let mut app = Self {
            forward: ForwardPanel::new(settings.seed),
            // x starts as an image of the bundled model's training data, so G(z) can reach it.
            image: examples::source(examples::SHAPE, options.config.model.image_size),
            settings,
            status: Status::default(),
            notices,
            reverse: ReversePanel::default(),
            guidance: guidance::GuidancePanel::default(),
            strip: sampler_strip::SamplerStripPanel::default(),
            likelihood: LikelihoodPanel::default(),
            curves: CurvesPanel::default(),
            world: world::WorldPanel::default(),
            lesson: LessonPanel::default(),
            data_label: DataLabel::Starting,
            resume_offer: options
                .autosave_dir
                .as_ref()
                .and_then(|d| checkpoint::info(d).ok().map(|i| (d.clone(), i.step)))
                .filter(|(d, _)| options.checkpoint.as_deref() != Some(d.as_path())),
            options,
            schedule,
            worker,
            jobs: HashMap::new(),
            next_job: 1,
            last_grid: None,
            last_probe: None,
            started_sampling: false,
            reference: Vec::new(),
            pending_image: None,
            pending_dialog: None,
            screenshot: Arc::new(Mutex::new(None)),
            screenshot_path: None,
            frame_times: Default::default(),
            run_export: None,
            sample_after_load: false,
            docked: layout::docked(f32::INFINITY, true, true),
            settings_window: false,
            fitted: false,
            layout_probe: Default::default(),
            device_menu: Default::default(),
            top_bar: Default::default(),
            repaint,
            software_renderer: None,
        };
        app.forward.t = app.settings.timesteps / 4;
        app
    }

    /// Sizes of everything the app accumulates while it runs, for the soak test: each must
    /// stay bounded however long training goes on.
    pub fn backlog(&self) -> Backlog {
        Backlog {
            jobs: self.jobs.len(),
            notices: self.notices.len(),
            curve_points: self.curves.num_points(),
        }
    }

    /// Is a background job (image decode, sampling, dialog) running?
    pub fn busy(&self) -> bool {
        self.pending_image.is_some()
            || self.reverse.running.is_some()
            || self.likelihood.pending.is_some()
    }

    /// The schedule the panels show (from the settings).
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    fn send(&mut self, command: Command) {
        let ok = self.worker.as_ref().is_some_and(|w| w.send(command));
        if !ok {
            self.notice(Level::Error, tr!("notice-thread-not-running"));
        }
    }

    fn saved_notice(&mut self, path: &Path, saved: Result<(), String>) {
        match saved {
            Ok(()) => self.notice(Level::Info, tr!("notice-saved", path = path.display())),
            Err(e) => self.notice(
                Level::Error,
                tr!("notice-save-failed", path = path.display(), error = e),
            ),
        }
    }

    fn notice(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        log::info!("notice: {text}");
        self.notices.push((level, text));
        if self.notices.len() > 6 {
            self.notices.remove(0);
        }
    }

    fn set_image(&mut self, image: SourceImage) {
        self.image = image.with_model_size(model_size(&self.status));
        self.notice(Level::Info, tr!("notice-showing", name = self.image.name));
    }

    fn refresh_reference(&mut self, dataset: Option<&[ImageRgb]>) {
        let size = model_size(&self.status);
        self.reference = match dataset {
            Some(images) => images.to_vec(),
            None => {
                let source = self.status.config.as_ref().map(|c| c.data.clone());
                let builtin = match source {
                    Some(DataSource::Builtin(b)) => b,
                    _ => return,
                };
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
                let batch = Dataset::Builtin(builtin).batch(&mut rng, REFERENCE_IMAGES, size);
                batch
                    .chunks(3 * size * size)
                    .map(|c| ImageRgb {
                        size,
                        data: c.to_vec(),
                    })
                    .collect()
            }
        };
    }

    /// Fresh weights from `seed` at step 0, with empty curves.
    fn restart_from_seed(&mut self, seed: u64) {
        self.curves = CurvesPanel::default();
        self.likelihood.clear();
        self.send(Command::Reset { seed });
    }

    /// A locked control was used (a drop, a menu): say so and do nothing.
    fn refuse_locked(&mut self, control: teacher::Control) -> bool {
        if self.settings.unlocked(control) {
            return false;
        }
        self.notice(Level::Info, tr!("notice-locked", control = control.label()));
        true
    }

    /// Rebuild the model with the schedule, T, batch, lr and seed from the settings.
    fn apply_model_settings(&mut self) {
        if let Some(mut config) = self.status.config.clone() {
            config.schedule = ScheduleConfig {
                kind: self.settings.schedule,
                timesteps: self.settings.timesteps,
            };
            config.batch = self.settings.batch;
            config.lr = self.settings.lr;
            config.seed = self.settings.seed;
            config.objective = self.settings.objective;
            self.curves = CurvesPanel::default();
            self.likelihood.clear();
            self.send(Command::Configure(Box::new(config)));
        }
    }

    fn use_builtin_data(&mut self, b: Builtin) {
        self.data_label = DataLabel::Source(DataSource::Builtin(b));
        self.send(Command::SetData(DataSource::Builtin(b)));
        if let Some(c) = self.status.config.as_mut() {
            c.data = DataSource::Builtin(b);
        }
        self.refresh_reference(None);
    }

    fn set_data_folder(&mut self, path: PathBuf) {
        // Load here only to fill the nearest-neighbour reference; the worker loads its own copy.
        match load_folder(&path, model_size(&self.status)) {
            Ok((images, report)) => {
                self.reference = images;
                self.data_label = DataLabel::Folder(path.clone(), report);
                self.send(Command::SetData(DataSource::Folder(path)));
            }
            Err(e) => self.notice(Level::Warning, tr!("notice-kept-data", error = e)),
        }
    }

    /// Autosave every `every` steps from now on (0: off).
    pub fn set_autosave_every(&mut self, every: u64) {
        self.settings.autosave_every = every;
        self.apply_autosave();
    }

    fn apply_autosave(&mut self) {
        let every = self.settings.autosave_every;
        let target = self
            .options
            .autosave_dir
            .clone()
            .filter(|_| every > 0)
            .map(|d| (d, every));
        if let Some(w) = &self.worker {
            w.send(Command::SetAutosave(target));
        }
    }

    /// Carry out one command.
    pub fn run_command(&mut self, ctx: &egui::Context, command: AppCommand) {
        match command {
            AppCommand::Train(on) => self.send(if on { Command::Start } else { Command::Pause }),
            AppCommand::TrainSteps(n) => self.send(Command::TrainSteps(n)),
            AppCommand::Reset if self.refuse_locked(teacher::Control::Reset) => {}
            AppCommand::Reset => self.restart_from_seed(self.settings.seed),
            AppCommand::ApplyModelSettings => self.apply_model_settings(),
            AppCommand::SetLr(lr) => self.send(Command::SetLr(lr)),
            AppCommand::Sample => self.start_sampling(Origin::Noise, true),
            AppCommand::SampleFromImage => {
                let t_max = model_timesteps(&self.status);
                let t = self.forward.t.clamp(1, t_max);
                self.settings.tab = Tab::Reverse;
                self.start_sampling(Origin::Image(t), true);
            }
            AppCommand::CancelSample => {
                self.reverse.running = None;
                self.send(Command::CancelSample);
            }
            AppCommand::Probe => self.start_probe(),
            AppCommand::SavePreset => self.spawn_dialog(Dialog::SavePreset),
            AppCommand::OpenPreset => self.spawn_dialog(Dialog::OpenPreset),
            AppCommand::LoadPreset(path) => self.load_preset(&path),
            AppCommand::Rewind if self.refuse_locked(teacher::Control::Reset) => {}
            AppCommand::Rewind => self.rewind(),
            AppCommand::GuidanceSweep => self.start_guidance_sweep(),
            AppCommand::SamplerStrip(sampler) => self.start_sampler_strip(sampler),
            AppCommand::MeasureGuidance => self.start_guidance_measure(),
            AppCommand::CancelGuidanceMeasure => self.send(Command::CancelGuidance),
            AppCommand::SetPresentation(on) => self.settings.presentation = on,
            AppCommand::ExportRun => self.spawn_dialog(Dialog::ExportRun),
            AppCommand::ExportRunTo(dir) => self.export_run(dir),
            AppCommand::OpenRun => self.spawn_dialog(Dialog::OpenRun),
            AppCommand::OpenRunFrom(dir) => self.open_run(dir),
            AppCommand::SetLock(control, locked) => self.set_lock(control, locked),
            AppCommand::WorldData(choice) => {
                self.world
                    .ensure_worker(&self.image.display, self.repaint.waker(ctx));
                self.world.choice = choice;
                self.world.restart(&self.image.display, self.settings.seed);
            }
            AppCommand::WorldTrain(on) => self.world.train(on),
            AppCommand::WorldLab(on) => self.world.set_lab(on),
            AppCommand::PickPixel(u, v) => self.likelihood.pick_pixel(u, v, &self.image.model),
            AppCommand::IndicatorToggled(on) => self.likelihood.indicator = on,
            AppCommand::EstimateElbo(plan) => self.estimate_elbo(plan),
            AppCommand::EstimateOdeNll => self.estimate_ode_nll(),
            AppCommand::OpenImageDialog => self.spawn_dialog(Dialog::Image),
            AppCommand::LoadImagePath(p) => self.load_path(p),
            AppCommand::UseExample(i) => {
                let src = examples::source(i, model_size(&self.status));
                self.set_image(src);
            }
            AppCommand::TrainOnImage
            | AppCommand::UseBuiltinData(_)
            | AppCommand::OpenDataFolder
                if self.refuse_locked(teacher::Control::Dataset) => {}
            AppCommand::TrainOnImage => {
                let img = self.image.model.clone();
                self.reference = vec![img.clone()];
                self.data_label = DataLabel::OneImage(self.image.name.clone());
                // The first new grid comes a full cadence after the press (the grid on screen
                // is the "before").
                self.last_grid = Some(std::time::Instant::now());
                // The button says "train on this image": start at once.
                for c in crate::train::one_image::commands(img) {
                    self.send(c);
                }
            }
            AppCommand::UseBuiltinData(b) => self.use_builtin_data(b),
            AppCommand::SetDevice(choice) => {
                self.device_menu.choice = Some(choice);
                self.device_menu.switching = true;
                self.send(Command::SetDevice(choice));
            }
            AppCommand::ShowAbout => self.device_menu.about_open = true,
            AppCommand::SetLanguage(lang) => {
                self.settings.lang = lang;
                crate::i18n::set_lang(lang);
                self.send(Command::SetLanguage(lang));
            }
            AppCommand::OpenDataFolder => self.spawn_dialog(Dialog::DataFolder),
            AppCommand::SaveCheckpoint => self.spawn_dialog(Dialog::SaveCheckpoint),
            AppCommand::OpenCheckpoint => self.spawn_dialog(Dialog::OpenCheckpoint),
            AppCommand::ExportGif => self.spawn_dialog(Dialog::ExportGif),
            AppCommand::ExportPng => self.spawn_dialog(Dialog::ExportPng),
            AppCommand::ExportCsv => self.spawn_dialog(Dialog::ExportCsv),
            AppCommand::Focus(tab) => self.settings.tab = tab,
            AppCommand::SetForwardT(f) => {
                self.forward.playing = false;
                self.forward.t =
                    ((f.clamp(0.0, 1.0) * self.schedule.timesteps() as f32).round()) as usize;
            }
            AppCommand::PlayForward => self.forward.playing = true,
            AppCommand::Autosave => self.apply_autosave(),
            AppCommand::ResumeAutosave => {
                if let Some((dir, _)) = self.resume_offer.take() {
                    self.send(Command::Load(dir));
                }
            }
            AppCommand::DismissResume => self.resume_offer = None,
            AppCommand::DismissNotice(i) => {
                if i < self.notices.len() {
                    self.notices.remove(i);
                }
            }
        }
        ctx.request_repaint();
    }
}

impl App {
    /// The settings (docked or as a window) with the latest samples under them.
    fn side_ui(
        &mut self,
        ui: &mut egui::Ui,
        model: Option<settings::ModelShape>,
        out: &mut Vec<AppCommand>,
    ) {
        self.settings.ui(ui, model, out);
        let fps = repaint::effective_fps(self.settings.training_fps, self.software_renderer);
        self.settings.redraw_ui(ui, fps, self.software_renderer);
        ui.separator();
        self.reverse.thumbnail_ui(ui, out);
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.frame_times.begin_logic();
        crate::i18n::set_lang(self.settings.lang);
        let zoom = if self.settings.presentation {
            PRESENTATION_ZOOM
        } else {
            1.0
        };
        if (ctx.zoom_factor() - zoom).abs() > f32::EPSILON {
            ctx.set_zoom_factor(zoom);
        }
        layout::fit_window_once(ctx, &mut self.fitted);
        if self.software_renderer.is_none()
            && let Some(rs) = frame.wgpu_render_state()
        {
            let software = crate::train::device::is_software_adapter(&rs.adapter.get_info());
            self.software_renderer = Some(software);
        }
        self.repaint.set_fps(repaint::effective_fps(
            self.settings.training_fps,
            self.software_renderer,
        ));
        repaint::publish(ctx, self.repaint.interval());
        if self.settings.tab == Tab::World {
            self.world
                .ensure_worker(&self.image.display, self.repaint.waker(ctx));
        }
        self.world.drain();
        self.advance_export(ctx);
        self.drain_worker();
        self.poll_background(ctx);
        // Files dropped on the window.
        let dropped = ctx.input_mut(|i| std::mem::take(&mut i.raw.dropped_files));
        if !dropped.is_empty() {
            let files = dropped
                .iter()
                .map(|f| {
                    let name = f
                        .path()
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| tr!("dropped-file").into());
                    (name, f.bytes())
                })
                .collect();
            self.load_images(files);
        }
        self.auto_jobs();
        let wanted = ScheduleConfig {
            kind: self.settings.schedule,
            timesteps: self.settings.timesteps,
        };
        if wanted != self.schedule.config() {
            if let Ok(s) = wanted.build() {
                self.schedule = s;
            }
        }
        // A decoding image or an open dialog has no way to wake the window: look again soon.
        // Workers wake it themselves (see `repaint`).
        if self.pending_image.is_some() || self.pending_dialog.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if let Some(due) = self.next_job_in() {
            ctx.request_repaint_after(due.max(self.repaint.interval()));
        }
        self.frame_times.end_logic();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_times.begin_ui();
        crate::i18n::set_lang(self.settings.lang);
        let mut out = Vec::new();
        self.docked = layout::docked(
            ui.ctx().content_rect().width(),
            !self.settings.presentation,
            self.settings.show_lesson,
        );
        egui::Panel::top("top").show(ui, |ui| self.top_bar_ui(ui, &mut out));
        if !self.notices.is_empty() || self.resume_offer.is_some() {
            egui::Panel::bottom("notices").show(ui, |ui| self.notices_ui(ui, &mut out));
        }
        let model_schedule = self.status.config.as_ref().map(|c| settings::ModelShape {
            schedule: c.schedule.kind,
            timesteps: c.schedule.timesteps,
            objective: c.objective,
        });
        if self.docked.settings {
            egui::Panel::left("settings")
                .default_size(layout::SETTINGS_WIDTH)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| self.side_ui(ui, model_schedule, &mut out));
                });
        } else if self.settings_window && !self.settings.presentation {
            // Too narrow to dock: the settings float over the panels until closed.
            let mut open = true;
            egui::Window::new(tr!("settings-heading"))
                .open(&mut open)
                .default_width(layout::SETTINGS_WIDTH)
                .vscroll(true)
                .show(ui.ctx(), |ui| self.side_ui(ui, model_schedule, &mut out));
            self.settings_window = open;
        }
        if self.device_menu.about_open {
            self.about_ui(ui.ctx());
        }
        if self.docked.lesson {
            egui::Panel::right("lesson")
                .default_size(layout::LESSON_WIDTH)
                .show(ui, |ui| self.lesson.ui(ui, &mut out));
        } else if self.settings.show_lesson {
            let mut open = true;
            egui::Window::new(tr!("lesson-heading"))
                .open(&mut open)
                .default_width(layout::LESSON_WIDTH)
                .show(ui.ctx(), |ui| self.lesson.ui(ui, &mut out));
            self.settings.show_lesson = open;
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let central = ui.max_rect();
            let tabs = ui.horizontal_wrapped(|ui| {
                for tab in Tab::ALL {
                    if self.settings.panels.contains(&tab) {
                        ui.selectable_value(&mut self.settings.tab, tab, tab.title());
                    }
                }
                if let Some(title) = &self.settings.preset_title {
                    ui.separator();
                    ui.weak(title);
                }
            });
            ui.separator();
            let shown = egui::ScrollArea::vertical().show(ui, |ui| {
                match self.settings.tab {
                    Tab::Forward => self.forward.ui(ui, &self.image, &self.schedule, &mut out),
                    Tab::Reverse => {
                        let classes = self.model_classes();
                        self.guidance
                            .ui(ui, &mut self.settings.guidance, &classes, &mut out);
                        self.strip.ui(ui, &mut out);
                        self.reverse.ui(ui, &mut out);
                    }
                    Tab::Likelihood => self.likelihood.ui(ui, &self.image.model, &mut out),
                    Tab::World => self.world.ui(ui, &self.image.display, self.settings.seed),
                    Tab::Curves => {
                        let floor = self
                            .status
                            .config
                            .as_ref()
                            .and_then(|c| c.schedule.build().ok())
                            .map(|s| crate::diffusion::elbo::decoder_floor_bits(&s));
                        self.curves
                            .ui(ui, model_timesteps(&self.status), floor, &mut out)
                    }
                }
                ui.min_rect()
            });
            self.layout_probe = layout::LayoutProbe {
                central,
                content: tabs.response.rect.union(shown.inner),
            };
        });
        let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        if hovering {
            let rect = ui.ctx().content_rect();
            let painter = ui.ctx().layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop"),
            ));
            painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                tr!("drop-overlay"),
                egui::FontId::proportional(24.0),
                egui::Color32::WHITE,
            );
        }
        let ctx = ui.ctx().clone();
        for command in out {
            self.run_command(&ctx, command);
        }
        self.frame_times.end_ui();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}

/// Open the window and run until it closes.
pub fn run(options: AppOptions) -> eframe::Result {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Diffusion Playground")
            .with_inner_size([1360.0, 860.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "diffusion-playground",
        native,
        Box::new(move |cc| Ok(Box::new(App::new(cc, options)))),
    )
}
