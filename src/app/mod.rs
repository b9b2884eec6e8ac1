//! The desktop app. `logic()` drains the worker's channels and finished background jobs;
//! `ui()` draws the panels, which return [`AppCommand`]s that run after drawing.
//!
//! Nothing here touches burn: the model lives on the worker thread ([`crate::train::worker`]).

pub mod curves;
mod device_menu;
pub mod examples;
pub mod forward;
pub mod frame_times;
pub mod layout;
pub mod lesson;
pub mod likelihood;
pub mod plot_key;
pub mod reverse;
pub mod settings;
pub mod teacher;
pub mod textures;
mod top_bar;
pub mod world;

use crate::data::{Builtin, DataSource, Dataset, ImageRgb, dataset::load_folder};
use crate::diffusion::{SampleRequest, Schedule, ScheduleConfig};
use crate::i18n::Lang;
use crate::tr;
use crate::train::checkpoint;
use crate::train::{
    Command, DeviceChoice, DeviceInfo, Event, Level, Progress, SampleFrom, SampleJob, TrainConfig,
    WorkerHandle,
};
use curves::{CurvesPanel, ElboPoint};
use forward::{FORWARD_SIZE, ForwardPanel, SourceImage};
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
/// Redraw the sample grid every this many training steps (when enabled).
pub const AUTO_SAMPLE_EVERY: u64 = 200;
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

/// What the model trains on, as the top bar names it (in the language of the moment).
#[derive(Clone, Debug, PartialEq)]
pub enum DataLabel {
    /// the worker has not reported yet
    Starting,
    /// a built-in dataset or a folder from the model's config
    Source(DataSource),
    /// images dropped on the window
    Dropped(usize),
    /// a folder picked in the app, with its load report
    Folder(PathBuf, crate::data::dataset::LoadReport),
    /// the image under study alone
    OneImage(String),
}

impl std::fmt::Display for DataLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataLabel::Starting => f.write_str(tr!("data-starting")),
            DataLabel::Source(s) => write!(f, "{s}"),
            DataLabel::Dropped(n) => f.write_str(&tr!("data-dropped", n = n)),
            DataLabel::Folder(path, report) => f.write_str(&tr!(
                "data-folder",
                path = path.display(),
                summary = report.summary()
            )),
            DataLabel::OneImage(name) => f.write_str(&tr!("data-one-image", name = name)),
        }
    }
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

/// What a sampling job was for.
#[derive(Clone, Debug, PartialEq)]
enum JobPurpose {
    Samples(Origin),
    Probe,
}

/// What a pending file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dialog {
    Image,
    DataFolder,
    SaveCheckpoint,
    OpenCheckpoint,
    ExportGif,
    ExportPng,
    ExportCsv,
    SavePreset,
    OpenPreset,
    ExportRun,
    OpenRun,
}

type Loaded = Result<(SourceImage, Vec<ImageRgb>), String>;

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
    last_auto_sample: u64,
    last_probe: u64,
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

/// The bundled fallback font: DejaVu Sans (subset), for Greek, math and arrows.
const DEJAVU: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// The bundled CJK font: Noto Sans CJK SC, cut down to the characters of the Chinese
/// catalogue (assets/fonts/subset_cjk.py).
const NOTO_SC: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");

/// egui's default fonts plus the bundled fallbacks, so every formula and every Chinese
/// string renders.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    for (name, bytes) in [("dejavu", DEJAVU), ("noto-sc", NOTO_SC)] {
        fonts.font_data.insert(
            name.to_owned(),
            Arc::new(egui::FontData::from_static(bytes)),
        );
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            fonts
                .families
                .entry(family)
                .or_default()
                .push(name.to_owned());
        }
    }
    ctx.set_fonts(fonts);
}

impl App {
    /// Build the app and start the worker. `repaint` wakes the UI from the worker thread.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let settings = if options.restore_settings {
            cc.storage
                .and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY))
                .unwrap_or_default()
        } else {
            Settings::default()
        };
        let mut settings = settings;
        // Settings saved before panel ⑤ existed list the four others: show it too.
        if !settings.panels.contains(&Tab::World) && settings.panels.len() == Tab::ALL.len() - 1 {
            settings.panels.push(Tab::World);
        }
        install_fonts(&cc.egui_ctx);
        // The worker takes the language of the thread that spawns it.
        crate::i18n::set_lang(settings.lang);
        let ctx = cc.egui_ctx.clone();
        let worker = WorkerHandle::spawn(
            options.config.clone(),
            options.device,
            options.checkpoint.clone(),
            Box::new(move || ctx.request_repaint()),
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
            last_auto_sample: 0,
            last_probe: 0,
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

    fn new_job(&mut self, purpose: JobPurpose) -> u64 {
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.insert(id, purpose);
        id
    }

    fn sample_request(&self, n: usize) -> SampleRequest {
        SampleRequest {
            sampler: self.settings.sampler_kind(),
            n,
            seed: self.settings.seed,
            max_frames: 60,
            clip_x0: true,
        }
    }

    fn start_sampling(&mut self, origin: Origin) {
        if self.status.config.is_none() {
            self.notice(Level::Info, tr!("notice-model-loading"));
            return;
        }
        let from = match origin {
            Origin::Noise => SampleFrom::Noise,
            Origin::Image(t) => SampleFrom::Image {
                image: self.image.model.clone(),
                t,
            },
        };
        let n = match origin {
            Origin::Noise => self.settings.n_samples,
            Origin::Image(_) => self.settings.n_samples.min(4),
        };
        let request = self.sample_request(n);
        let id = self.new_job(JobPurpose::Samples(origin));
        self.reverse.running = Some((id, 0, 1));
        self.send(Command::Sample(SampleJob { id, request, from }));
    }

    fn start_probe(&mut self) {
        if self.status.config.is_none() || self.likelihood.pending.is_some() {
            return;
        }
        let id = self.new_job(JobPurpose::Probe);
        self.likelihood.pending = Some(id);
        self.last_probe = self.status.step;
        // The same seed every time: the same z, so G(z) can be followed over training.
        let steps = G_STEPS.min(model_timesteps(&self.status));
        self.send(Command::Sample(SampleJob {
            id,
            request: crate::train::generator::request(PROBE_DRAWS, G_SEED, steps),
            from: SampleFrom::Noise,
        }));
    }

    fn estimate_elbo(&mut self, plan: crate::diffusion::TimestepPlan) {
        if self.curves.pending == Some(plan) {
            return; // the same estimate is on its way
        }
        self.curves.pending = Some(plan);
        self.send(Command::Vlb(plan));
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

    fn spawn_dialog(&mut self, kind: Dialog) {
        if self.pending_dialog.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let images_label = tr!("dialog-images");
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let images = [
                    "png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "tga", "ico", "pnm",
                    "ppm",
                ];
                let d = rfd::FileDialog::new();
                let toml = ["toml"];
                let picked = match kind {
                    Dialog::Image => d.add_filter(images_label, &images).pick_file(),
                    Dialog::DataFolder
                    | Dialog::OpenCheckpoint
                    | Dialog::ExportRun
                    | Dialog::OpenRun => d.pick_folder(),
                    Dialog::SavePreset => d
                        .set_file_name("preset.toml")
                        .add_filter("TOML", &toml)
                        .save_file(),
                    Dialog::OpenPreset => d.add_filter("TOML", &toml).pick_file(),
                    Dialog::SaveCheckpoint => d.set_file_name("my-run").save_file(),
                    Dialog::ExportGif => d
                        .set_file_name("trajectory.gif")
                        .add_filter("GIF", &["gif"])
                        .save_file(),
                    Dialog::ExportPng => d
                        .set_file_name("view.png")
                        .add_filter("PNG", &["png"])
                        .save_file(),
                    Dialog::ExportCsv => d
                        .set_file_name("curves.csv")
                        .add_filter("CSV", &["csv"])
                        .save_file(),
                };
                let _ = tx.send(picked);
            });
        match spawned {
            Ok(_) => self.pending_dialog = Some((kind, rx)),
            Err(e) => self.notice(Level::Error, tr!("notice-dialog-failed", error = e)),
        }
    }

    /// Decode image files off the UI thread. One file is shown; several also become the
    /// training set.
    pub fn load_images(&mut self, files: Vec<(String, Result<Vec<u8>, String>)>) {
        let size = model_size(&self.status);
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("image-decode".into())
            .spawn(move || {
                let mut shown = None;
                let mut all = Vec::new();
                let mut errors = Vec::new();
                for (name, bytes) in files {
                    let decoded = bytes.and_then(|b| {
                        crate::data::image::decode_dynamic(&b).map_err(|e| e.to_string())
                    });
                    match decoded {
                        Ok(img) => {
                            let model = crate::data::image::preprocess(&img, size);
                            if shown.is_none() {
                                shown = Some(SourceImage {
                                    name: name.clone(),
                                    example: None,
                                    display: crate::data::image::preprocess(&img, FORWARD_SIZE),
                                    model: model.clone(),
                                });
                            }
                            all.push(model);
                        }
                        Err(e) => errors.push(format!("{name}: {e}")),
                    }
                }
                let result = match shown {
                    Some(s) if errors.is_empty() => Ok((s, all)),
                    Some(s) => {
                        // Some files failed: show the good ones, and report the rest.
                        let _ = tx.send(Err(tr!("notice-skipped", files = errors.join("; "))));
                        Ok((s, all))
                    }
                    None => Err(errors.join("; ")),
                };
                let _ = tx.send(result);
            });
        match spawned {
            Ok(_) => self.pending_image = Some(rx),
            Err(e) => self.notice(Level::Error, tr!("notice-decode-start-failed", error = e)),
        }
    }

    fn load_path(&mut self, path: PathBuf) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let bytes = crate::data::image::read_file_bounded(&path).map_err(|e| e.to_string());
        self.load_images(vec![(name, bytes)]);
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Ready {
                device,
                config,
                params,
                step,
            } => {
                let size = config.model.image_size;
                let digits = config.data == DataSource::Builtin(Builtin::Digits);
                if digits && self.image.example == Some(examples::SHAPE) {
                    self.image = examples::source(examples::DIGIT, size);
                }
                self.data_label = DataLabel::Source(config.data.clone());
                self.status.device = Some(device);
                self.device_menu.switching = false;
                self.status.params = params;
                self.status.step = step;
                self.status.config = Some(*config);
                self.image = self.image.clone().with_model_size(size);
                self.refresh_reference(None);
                if step > 0 && self.curves.elbo.is_empty() {
                    // A loaded run: show its bound at once, beside its loss history.
                    self.estimate_elbo(crate::diffusion::TimestepPlan::Stratified {
                        strata: crate::diffusion::DEFAULT_STRATA,
                    });
                }
                self.apply_autosave();
                if (self.options.sample_at_start && !self.started_sampling)
                    || std::mem::take(&mut self.sample_after_load)
                {
                    self.started_sampling = true;
                    self.start_sampling(Origin::Noise);
                    self.start_probe();
                }
            }
            Event::Running(r) => self.status.running = r,
            Event::Elbo {
                step,
                estimate,
                held_out_loss,
                batch,
            } => {
                self.curves.pending = None;
                self.curves.push_elbo(ElboPoint {
                    step,
                    estimate,
                    held_out_loss,
                    batch: Some(batch),
                })
            }
            Event::History(steps) => self.curves.set_history(&steps),
            Event::ElboFailed(why) => {
                self.curves.pending = None;
                self.notice(Level::Warning, why);
            }
            Event::Trajectory {
                id,
                step,
                trajectory,
            } => match self.jobs.remove(&id) {
                Some(JobPurpose::Samples(origin)) => {
                    if self.reverse.running.map(|r| r.0) == Some(id) {
                        self.reverse.running = None;
                    }
                    let size = model_size(&self.status);
                    let nearest = match origin {
                        Origin::Noise => {
                            reverse::nearest(trajectory.final_x0(), trajectory.n, &self.reference)
                        }
                        Origin::Image(_) => Vec::new(),
                    };
                    self.reverse.set(Shown {
                        trajectory,
                        step,
                        size,
                        origin,
                        nearest,
                    });
                }
                Some(JobPurpose::Probe) => {
                    self.likelihood.pending = None;
                    if let Some(first) = trajectory.frames.first() {
                        self.likelihood.set_probe(Probe {
                            step,
                            z: first.x_t.clone(),
                            g: trajectory.final_x0().to_vec(),
                            draws: trajectory.n,
                        });
                    }
                }
                None => {}
            },
            Event::SampleFailed { id, reason } => {
                match self.jobs.remove(&id) {
                    Some(JobPurpose::Probe) => self.likelihood.pending = None,
                    Some(JobPurpose::Samples(_))
                        if self.reverse.running.map(|r| r.0) == Some(id) =>
                    {
                        self.reverse.running = None
                    }
                    _ => {}
                }
                if reason != crate::train::worker::CANCELLED {
                    self.notice(
                        Level::Warning,
                        tr!("notice-sampling-failed", reason = reason),
                    );
                }
            }
            Event::Saved(path) => self.notice(
                Level::Info,
                tr!("notice-saved-checkpoint", path = path.display()),
            ),
            Event::Loaded { path, step } => {
                self.notice(
                    Level::Info,
                    tr!(
                        "notice-opened-checkpoint",
                        path = path.display(),
                        step = step
                    ),
                );
                self.curves.rewind(step);
                self.likelihood.clear();
                self.status.step = step;
            }
            Event::Rewound { step } => {
                self.curves.rewind(step);
                self.likelihood.rewind(step);
                self.status.step = step;
                self.last_auto_sample = step;
            }
            Event::Notice(level, text) => {
                // A switch that failed or was not needed answers with a notice.
                self.device_menu.switching = false;
                self.notice(level, text)
            }
            Event::Stopped(result) => {
                if let Err(e) = &result {
                    self.notice(Level::Error, tr!("notice-thread-stopped", error = e));
                }
                self.status.stopped = Some(result);
                self.status.running = false;
            }
        }
    }

    fn drain_worker(&mut self) {
        let mut events = Vec::new();
        if let Some(w) = &self.worker {
            while let Ok(p) = w.progress.try_recv() {
                match p {
                    Progress::Steps(steps) => {
                        for r in steps {
                            self.status.step = r.step;
                            self.status.loss = Some(r.loss);
                            self.status.images_per_s = r.images_per_s;
                            self.curves.loss.push(r.step as f64, r.loss as f64);
                            self.curves.images_per_s.push(r.step as f64, r.images_per_s);
                        }
                    }
                    Progress::Sampling { id, done, total } => {
                        if self.reverse.running.map(|r| r.0) == Some(id) {
                            self.reverse.running = Some((id, done, total));
                        }
                    }
                }
            }
            while let Ok(e) = w.events.try_recv() {
                events.push(e);
            }
        }
        for e in events {
            self.handle_event(e);
        }
    }

    fn poll_background(&mut self, ctx: &egui::Context) {
        if let Some(rx) = &self.pending_image {
            let mut done = false;
            let mut results = Vec::new();
            loop {
                match rx.try_recv() {
                    Ok(r) => results.push(r),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        done = true;
                        break;
                    }
                }
            }
            for r in results {
                match r {
                    Ok((shown, all)) => {
                        self.set_image(shown);
                        if all.len() > 1 && !self.refuse_locked(teacher::Control::Dataset) {
                            self.reference = all.clone();
                            self.data_label = DataLabel::Dropped(all.len());
                            self.send(Command::SetImages(all));
                        }
                    }
                    Err(e) => self.notice(Level::Warning, tr!("notice-image-failed", error = e)),
                }
            }
            if done {
                self.pending_image = None;
            }
        }
        if let Some((kind, rx)) = &self.pending_dialog {
            let kind = *kind;
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.pending_dialog = None;
                    self.dialog_done(ctx, kind, path);
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => self.pending_dialog = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        if self.run_export.is_some() {
            return; // the export takes the screenshots
        }
        let shot = self.screenshot.lock().ok().and_then(|mut s| s.take());
        if let (Some(image), Some(path)) = (shot, self.screenshot_path.take()) {
            let saved = crate::export::save_color_image(&image, &path);
            self.saved_notice(&path, saved);
        }
    }

    /// Ask for a screenshot of the next frame; it lands in `self.screenshot`.
    fn request_screenshot(&self, ctx: &egui::Context) {
        let slot = self.screenshot.clone();
        let wake = ctx.clone();
        ctx.request_screenshot(move |img| {
            if let Ok(mut s) = slot.lock() {
                *s = Some(img);
            }
            wake.request_repaint();
        });
    }

    fn dialog_done(&mut self, ctx: &egui::Context, kind: Dialog, path: PathBuf) {
        match kind {
            Dialog::Image => self.load_path(path),
            Dialog::DataFolder => {
                if !self.refuse_locked(teacher::Control::Dataset) {
                    self.set_data_folder(path)
                }
            }
            Dialog::SaveCheckpoint => self.send(Command::Save(path)),
            Dialog::OpenCheckpoint => self.send(Command::Load(path)),
            Dialog::ExportGif => self.export_gif(path),
            Dialog::ExportPng => {
                self.screenshot_path = Some(path);
                self.request_screenshot(ctx);
            }
            Dialog::SavePreset => self.save_preset(&path),
            Dialog::OpenPreset => self.load_preset(&path),
            Dialog::ExportRun => self.export_run(path),
            Dialog::OpenRun => self.open_run(path),
            Dialog::ExportCsv => {
                // The curves, and beside them every estimate's per-timestep profile.
                let per_t = path.with_file_name(format!(
                    "{}-per-t.csv",
                    path.file_stem()
                        .map(|s| s.to_string_lossy())
                        .unwrap_or_default()
                ));
                let saved = std::fs::write(&path, self.curves.to_csv())
                    .and_then(|()| std::fs::write(&per_t, self.curves.per_t_csv()))
                    .map_err(|e| e.to_string());
                self.saved_notice(&path, saved);
            }
        }
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

    /// Write the shown trajectory as an animated GIF (on a background thread).
    pub fn export_gif(&mut self, path: PathBuf) {
        let Some(shown) = &self.reverse.shown else {
            self.notice(Level::Info, tr!("notice-nothing-to-export"));
            return;
        };
        let frames = crate::export::trajectory_frames(&shown.trajectory, shown.size, 3);
        let _ = std::thread::Builder::new()
            .name("gif-export".into())
            .spawn(move || {
                if let Err(e) = crate::export::write_gif(&frames, 60, &path) {
                    log::error!("gif export failed: {e}");
                }
            });
        self.notice(Level::Info, tr!("notice-writing-gif"));
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
            AppCommand::Sample => self.start_sampling(Origin::Noise),
            AppCommand::SampleFromImage => {
                let t_max = model_timesteps(&self.status);
                let t = self.forward.t.clamp(1, t_max);
                self.settings.tab = Tab::Reverse;
                self.start_sampling(Origin::Image(t));
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
            AppCommand::SetPresentation(on) => self.settings.presentation = on,
            AppCommand::ExportRun => self.spawn_dialog(Dialog::ExportRun),
            AppCommand::ExportRunTo(dir) => self.export_run(dir),
            AppCommand::OpenRun => self.spawn_dialog(Dialog::OpenRun),
            AppCommand::OpenRunFrom(dir) => self.open_run(dir),
            AppCommand::SetLock(control, locked) => self.set_lock(control, locked),
            AppCommand::WorldData(choice) => {
                let wake = ctx.clone();
                self.world
                    .ensure_worker(&self.image.display, move || wake.request_repaint());
                self.world.choice = choice;
                self.world.restart(&self.image.display, self.settings.seed);
            }
            AppCommand::WorldTrain(on) => self.world.train(on),
            AppCommand::PickPixel(u, v) => self.likelihood.pick_pixel(u, v, &self.image.model),
            AppCommand::IndicatorToggled(on) => self.likelihood.indicator = on,
            AppCommand::EstimateElbo(plan) => self.estimate_elbo(plan),
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
                self.send(Command::SetImages(vec![img]));
                // The button says "train on this image": start at once.
                self.send(Command::Start);
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

    fn auto_jobs(&mut self) {
        let step = self.status.step;
        if self.settings.auto_resample
            && self.status.running
            && self.reverse.running.is_none()
            && step >= self.last_auto_sample + AUTO_SAMPLE_EVERY
        {
            self.last_auto_sample = step;
            self.start_sampling(Origin::Noise);
        }
        if self.settings.tab == Tab::Likelihood
            && self.status.running
            && step >= self.last_probe + AUTO_SAMPLE_EVERY / 2
        {
            self.start_probe();
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
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
        if self.settings.tab == Tab::World {
            let wake = ctx.clone();
            self.world
                .ensure_worker(&self.image.display, move || wake.request_repaint());
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
        if self.busy() || self.pending_dialog.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
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
        let model_schedule = self
            .status
            .config
            .as_ref()
            .map(|c| (c.schedule.kind, c.schedule.timesteps));
        if self.docked.settings {
            egui::Panel::left("settings")
                .default_size(layout::SETTINGS_WIDTH)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        self.settings.ui(ui, model_schedule, &mut out);
                        ui.separator();
                        self.reverse.thumbnail_ui(ui, &mut out);
                    });
                });
        } else if self.settings_window && !self.settings.presentation {
            // Too narrow to dock: the settings float over the panels until closed.
            let mut open = true;
            egui::Window::new(tr!("settings-heading"))
                .open(&mut open)
                .default_width(layout::SETTINGS_WIDTH)
                .vscroll(true)
                .show(ui.ctx(), |ui| {
                    self.settings.ui(ui, model_schedule, &mut out);
                    ui.separator();
                    self.reverse.thumbnail_ui(ui, &mut out);
                });
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
                    Tab::Reverse => self.reverse.ui(ui, &mut out),
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
