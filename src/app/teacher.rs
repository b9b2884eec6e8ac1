//! Teacher mode: presets in a small TOML file (dataset, schedule, T, seed, lr, which panels
//! are shown, which controls are locked, language, presentation layout, lesson step), and
//! runs exported as a folder that can be opened again.
//!
//! A preset looks like this:
//!
//! ```toml
//! title = "Lecture 3: the forward process"
//! language = "zh-CN"
//! dataset = "builtin:shapes"
//! schedule = "cosine"
//! timesteps = 1000
//! seed = 7
//! lr = 0.0002
//! batch = 32
//! panels = ["forward", "reverse"]
//! open = "forward"
//! locked = ["schedule", "dataset", "lr"]
//! presentation = true
//! lesson_step = 3
//! ```

use super::settings::{Settings, Tab};
use crate::data::DataSource;
use crate::diffusion::ScheduleKind;
use crate::i18n::Lang;
use crate::tr;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A control a teacher can lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Control {
    /// the noise schedule and T
    Schedule,
    /// the training data (menu, drops, "train on this image")
    Dataset,
    /// the learning rate
    Lr,
    /// the seed
    Seed,
    /// the batch size
    Batch,
    /// reset / rewind
    Reset,
}

impl Control {
    /// Every control, in menu order.
    pub const ALL: [Control; 6] = [
        Control::Schedule,
        Control::Dataset,
        Control::Lr,
        Control::Seed,
        Control::Batch,
        Control::Reset,
    ];

    /// The control's name in the current language.
    pub fn label(self) -> &'static str {
        match self {
            Control::Schedule => tr!("control-schedule"),
            Control::Dataset => tr!("control-dataset"),
            Control::Lr => tr!("control-lr"),
            Control::Seed => tr!("control-seed"),
            Control::Batch => tr!("control-batch"),
            Control::Reset => tr!("control-reset"),
        }
    }
}

/// What a preset file holds. Every field is optional when reading, so a teacher can write
/// only what matters for a lecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Preset {
    /// shown in the top bar while the preset is active
    pub title: Option<String>,
    /// interface language
    pub language: Option<Lang>,
    /// `builtin:shapes`, `builtin:digits` or a folder
    pub dataset: Option<String>,
    /// β schedule
    pub schedule: Option<ScheduleKind>,
    /// T
    pub timesteps: Option<usize>,
    /// seed of the weights and the sampling noise
    pub seed: Option<u64>,
    /// learning rate
    pub lr: Option<f64>,
    /// batch size
    pub batch: Option<usize>,
    /// panels shown (all when absent)
    pub panels: Option<Vec<Tab>>,
    /// the panel open at start
    pub open: Option<Tab>,
    /// controls students cannot change
    pub locked: Option<Vec<Control>>,
    /// larger fonts, no settings panel
    pub presentation: Option<bool>,
    /// the lesson step to open (1-based); the lesson is hidden when absent
    pub lesson_step: Option<usize>,
    /// a class-conditional model: the class ② samples, by name or index, or "all" for every
    /// class in turn
    pub guidance_class: Option<String>,
    /// a class-conditional model: the guidance scale w of ②
    pub guidance_w: Option<f64>,
}

/// Why a preset or a run folder could not be used.
#[derive(Debug)]
pub enum TeacherError {
    /// reading or writing failed
    Io(PathBuf, std::io::Error),
    /// the TOML is malformed or has a bad value
    Parse(PathBuf, String),
    /// a value is out of range
    Invalid(String),
}

impl std::fmt::Display for TeacherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            Self::Io(path, e) => tr!("teacher-err-io", path = path.display(), error = e),
            Self::Parse(path, e) => tr!("teacher-err-parse", path = path.display(), error = e),
            Self::Invalid(e) => e.clone(),
        })
    }
}

impl std::error::Error for TeacherError {}

/// Largest preset file read.
const MAX_PRESET_BYTES: u64 = 64 * 1024;

impl Preset {
    /// The preset that reproduces the current view.
    pub fn from_settings(
        settings: &Settings,
        data: &DataSource,
        lesson_step: Option<usize>,
    ) -> Self {
        Self {
            title: settings.preset_title.clone(),
            language: Some(settings.lang),
            dataset: Some(data.to_string()),
            schedule: Some(settings.schedule),
            timesteps: Some(settings.timesteps),
            seed: Some(settings.seed),
            lr: Some(settings.lr),
            batch: Some(settings.batch),
            panels: Some(settings.panels.clone()),
            open: Some(settings.tab),
            locked: Some(settings.locked.clone()),
            presentation: Some(settings.presentation),
            lesson_step: lesson_step.map(|s| s + 1),
            guidance_class: Some(
                settings
                    .guidance
                    .class
                    .map_or_else(|| "all".to_owned(), |c| c.to_string()),
            ),
            guidance_w: Some(settings.guidance.w),
        }
    }

    /// Parse and check a preset.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, TeacherError> {
        let preset: Preset = toml::from_str(text)
            .map_err(|e| TeacherError::Parse(path.to_owned(), one_line(&e.to_string())))?;
        preset.validate()?;
        Ok(preset)
    }

    /// The TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Read a preset file (at most 64 KiB).
    pub fn read(path: &Path) -> Result<Self, TeacherError> {
        let io = |e| TeacherError::Io(path.to_owned(), e);
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_PRESET_BYTES {
            return Err(TeacherError::Invalid(tr!(
                "teacher-err-too-big",
                path = path.display()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::from_toml(&text, path)
    }

    /// Write the preset file.
    pub fn write(&self, path: &Path) -> Result<(), TeacherError> {
        std::fs::write(path, self.to_toml()).map_err(|e| TeacherError::Io(path.to_owned(), e))
    }

    fn validate(&self) -> Result<(), TeacherError> {
        let bad = |what: &str| Err(TeacherError::Invalid(tr!("teacher-err-value", what = what)));
        if let Some(d) = &self.dataset {
            if DataSource::parse(d).is_err() {
                return bad("dataset");
            }
        }
        if self.timesteps.is_some_and(|t| !(2..=4000).contains(&t)) {
            return bad("timesteps");
        }
        if self
            .lr
            .is_some_and(|lr| !(lr.is_finite() && lr > 0.0 && lr <= 10.0))
        {
            return bad("lr");
        }
        if self.batch.is_some_and(|b| !(1..=1024).contains(&b)) {
            return bad("batch");
        }
        if self.panels.as_ref().is_some_and(|p| p.is_empty()) {
            return bad("panels");
        }
        if self
            .guidance_class
            .as_ref()
            .is_some_and(|c| c.trim().is_empty() || c.len() > 200)
        {
            return bad("guidance_class");
        }
        if self
            .guidance_w
            .is_some_and(|w| crate::diffusion::guidance::check_scale(w).is_err())
        {
            return bad("guidance_w");
        }
        if self
            .lesson_step
            .is_some_and(|s| !(1..=super::lesson::STEPS.len()).contains(&s))
        {
            return bad("lesson_step");
        }
        Ok(())
    }

    /// Apply to the settings. Returns true when the model must be rebuilt (schedule, T, seed
    /// or batch changed) and the data source to switch to, if any.
    pub fn apply(&self, settings: &mut Settings) -> (bool, Option<DataSource>) {
        let before = (
            settings.schedule,
            settings.timesteps,
            settings.seed,
            settings.batch,
        );
        settings.preset_title = self.title.clone();
        overwrite(&mut settings.lang, self.language);
        overwrite(&mut settings.schedule, self.schedule);
        overwrite(&mut settings.timesteps, self.timesteps);
        overwrite(&mut settings.seed, self.seed);
        overwrite(&mut settings.lr, self.lr);
        overwrite(&mut settings.batch, self.batch);
        settings.panels = self.panels.clone().unwrap_or_else(|| Tab::ALL.to_vec());
        settings
            .panels
            .sort_by_key(|t| Tab::ALL.iter().position(|a| a == t));
        settings.panels.dedup();
        if let Some(open) = self.open {
            settings.tab = open;
        }
        if !settings.panels.contains(&settings.tab) {
            settings.tab = settings.panels[0];
        }
        settings.locked = self.locked.clone().unwrap_or_default();
        settings.locked.sort();
        settings.locked.dedup();
        settings.presentation = self.presentation.unwrap_or(false);
        settings.show_lesson = self.lesson_step.is_some();
        overwrite(&mut settings.guidance.w, self.guidance_w);
        match self.guidance_class.as_deref().map(str::trim) {
            Some(c) if c.eq_ignore_ascii_case("all") => settings.guidance.class = None,
            Some(c) => {
                if let Ok(i) = c.parse::<usize>() {
                    settings.guidance.class = Some(i);
                }
                // a name is resolved against the model's classes by `App::apply_preset`
            }
            None => {}
        }
        let after = (
            settings.schedule,
            settings.timesteps,
            settings.seed,
            settings.batch,
        );
        let data = self
            .dataset
            .as_deref()
            .and_then(|d| DataSource::parse(d).ok());
        (before != after, data)
    }
}

/// Set `dst` to the preset's value where the preset has one.
fn overwrite<T>(dst: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *dst = v;
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The files of an exported run.
pub mod run_files {
    /// the manifest
    pub const MANIFEST: &str = "run.json";
    /// the checkpoint folder
    pub const CHECKPOINT: &str = "checkpoint";
    /// the curves
    pub const CURVES: &str = "curves.csv";
    /// every −ELBO estimate's per-timestep terms
    pub const PER_T: &str = "per_t.csv";
    /// the reverse trajectory
    pub const TRAJECTORY: &str = "trajectory.gif";
    /// the view
    pub const PRESET: &str = "preset.toml";
}

/// `run.json`: what an exported run folder holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// always "diffusion-playground-run"
    pub format: String,
    /// 1
    pub version: u32,
    /// training step of the checkpoint
    pub step: u64,
    /// files written, relative to the folder
    pub files: Vec<String>,
}

/// The manifest's format tag.
pub const RUN_FORMAT: &str = "diffusion-playground-run";

/// Read and check `run.json` in `dir`.
pub fn read_manifest(dir: &Path) -> Result<RunManifest, TeacherError> {
    let path = dir.join(run_files::MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| TeacherError::Io(path.clone(), e))?;
    let manifest: RunManifest = serde_json::from_str(&text)
        .map_err(|e| TeacherError::Parse(path.clone(), e.to_string()))?;
    if manifest.format != RUN_FORMAT || manifest.version != 1 {
        return Err(TeacherError::Invalid(tr!(
            "teacher-err-not-a-run",
            path = dir.display()
        )));
    }
    Ok(manifest)
}

/// The PNG file name of a panel.
pub fn panel_file(tab: Tab) -> String {
    format!("panel-{}.png", tab.slug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_round_trips_through_toml() {
        let text = r#"
            title = "Lecture 3"
            language = "zh-CN"
            dataset = "builtin:digits"
            schedule = "cosine"
            timesteps = 500
            seed = 7
            lr = 0.001
            panels = ["reverse", "forward"]
            open = "reverse"
            locked = ["schedule", "lr"]
            presentation = true
            lesson_step = 3
            guidance_class = "2"
            guidance_w = 4.0
        "#;
        let p = Preset::from_toml(text, Path::new("p.toml")).unwrap();
        let mut s = Settings::default();
        let (rebuild, data) = p.apply(&mut s);
        assert!(rebuild);
        assert_eq!(
            data,
            Some(DataSource::Builtin(crate::data::Builtin::Digits))
        );
        assert_eq!(s.panels, vec![Tab::Forward, Tab::Reverse]);
        assert_eq!(s.tab, Tab::Reverse);
        assert_eq!(s.locked, vec![Control::Schedule, Control::Lr]);
        assert_eq!(s.lang, Lang::ZhCn);
        assert_eq!(s.guidance.class, Some(2));
        assert_eq!(s.guidance.w, 4.0);
        let again = Preset::from_settings(&s, data.as_ref().unwrap(), Some(2));
        let back = Preset::from_toml(&again.to_toml(), Path::new("q.toml")).unwrap();
        assert_eq!(back, again);
        let mut s2 = Settings::default();
        back.apply(&mut s2);
        assert_eq!(s2, s);
    }

    #[test]
    fn bad_presets_are_refused_with_a_reason() {
        for (text, why) in [
            ("timesteps = 1", "timesteps"),
            ("lr = -1.0", "lr"),
            ("panels = []", "panels"),
            ("dataset = \"builtin:cats\"", "dataset"),
            ("colour = \"red\"", "colour"),
            ("schedule = \"quadratic\"", "quadratic"),
            ("lesson_step = 99", "lesson_step"),
            ("guidance_w = 1e9", "guidance_w"),
            ("guidance_class = \"\"", "guidance_class"),
            ("this is not toml", "p.toml"),
        ] {
            let e = Preset::from_toml(text, Path::new("p.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{text}: {e}");
            assert!(!e.contains('\n'), "{e:?}");
        }
    }
}

/// Frames an export waits for a requested screenshot before asking for it again.
const SCREENSHOT_PATIENCE_FRAMES: u32 = 60;

/// An exported run in progress: the panels are shown and captured one at a time.
#[derive(Debug)]
pub struct RunExport {
    dir: PathBuf,
    /// panels still to capture
    tabs: Vec<Tab>,
    /// the panel to show again afterwards
    restore: Tab,
    /// frames the current panel has been on screen, then frames waited for its screenshot
    frames: u32,
    /// a screenshot has been asked for and not yet arrived
    shot_requested: bool,
    /// files written so far, relative to `dir`
    files: Vec<String>,
}

use super::{App, Level};
use crate::train::Command;

impl App {
    /// The teacher menu in the top bar.
    pub(super) fn teacher_menu_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<super::AppCommand>) {
        use super::AppCommand as C;
        ui.menu_button(tr!("menu-teacher"), |ui| {
            let items = [
                (
                    tr!("menu-save-preset"),
                    C::SavePreset,
                    tr!("menu-save-preset-tip"),
                ),
                (
                    tr!("menu-open-preset"),
                    C::OpenPreset,
                    tr!("menu-open-preset-tip"),
                ),
            ];
            for (label, command, tip) in items {
                if ui.button(label).on_hover_text(tip).clicked() {
                    out.push(command);
                    ui.close();
                }
            }
            ui.separator();
            if ui
                .add_enabled(
                    self.settings.unlocked(Control::Reset) && self.status.config.is_some(),
                    egui::Button::new(tr!("menu-rewind")),
                )
                .on_hover_text(tr!("menu-rewind-tip"))
                .clicked()
            {
                out.push(C::Rewind);
                ui.close();
            }
            let mut presentation = self.settings.presentation;
            if ui
                .checkbox(&mut presentation, tr!("menu-presentation"))
                .on_hover_text(tr!("menu-presentation-tip"))
                .changed()
            {
                out.push(C::SetPresentation(presentation));
            }
            ui.separator();
            let items = [
                (
                    tr!("menu-export-run"),
                    C::ExportRun,
                    tr!("menu-export-run-tip"),
                ),
                (tr!("menu-open-run"), C::OpenRun, tr!("menu-open-run-tip")),
            ];
            for (label, command, tip) in items {
                if ui
                    .add_enabled(self.run_export.is_none(), egui::Button::new(label))
                    .on_hover_text(tip)
                    .clicked()
                {
                    out.push(command);
                    ui.close();
                }
            }
            ui.separator();
            ui.label(tr!("menu-locks"));
            for control in Control::ALL {
                let mut locked = self.settings.locked.contains(&control);
                if ui.checkbox(&mut locked, control.label()).changed() {
                    out.push(C::SetLock(control, locked));
                }
            }
        });
    }

    /// Lock or unlock a control.
    pub(super) fn set_lock(&mut self, control: Control, locked: bool) {
        self.settings.locked.retain(|c| *c != control);
        if locked {
            self.settings.locked.push(control);
            self.settings.locked.sort();
        }
    }

    /// Read a preset file and apply it; a bad file changes nothing and says why.
    pub fn load_preset(&mut self, path: &Path) {
        match Preset::read(path) {
            Ok(preset) => {
                self.apply_preset(&preset);
                let name = preset
                    .title
                    .clone()
                    .unwrap_or_else(|| path.display().to_string());
                self.notice(Level::Info, tr!("notice-preset-applied", name = name));
            }
            Err(e) => self.notice(Level::Warning, tr!("notice-preset-failed", error = e)),
        }
    }

    /// Apply a preset: the view at once, and a new model when its schedule, T, seed or batch
    /// differ from the current one.
    pub fn apply_preset(&mut self, preset: &Preset) {
        let (rebuild, data) = preset.apply(&mut self.settings);
        if let Some(i) = preset
            .guidance_class
            .as_deref()
            .and_then(|name| crate::train::guided::class_index(&self.model_classes(), name))
        {
            self.settings.guidance.class = Some(i);
        }
        crate::i18n::set_lang(self.settings.lang);
        self.send(Command::SetLanguage(self.settings.lang));
        if let Some(step) = preset.lesson_step {
            self.lesson.step = step.saturating_sub(1);
        }
        if let Some(lr) = preset.lr {
            self.send(Command::SetLr(lr));
        }
        let data_differs = data
            .as_ref()
            .is_some_and(|d| self.status.config.as_ref().is_some_and(|c| &c.data != d));
        let model_differs = self.status.config.as_ref().is_some_and(|c| {
            rebuild
                || c.schedule.kind != self.settings.schedule
                || c.schedule.timesteps != self.settings.timesteps
                || c.seed != self.settings.seed
                || c.batch != self.settings.batch
        });
        if model_differs {
            // The new model is built on the preset's data.
            if let (Some(d), Some(c)) = (&data, self.status.config.as_mut()) {
                c.data = d.clone();
            }
            self.apply_model_settings();
        } else if data_differs {
            match data {
                Some(DataSource::Builtin(b)) => self.use_builtin_data(b),
                Some(DataSource::Folder(dir)) => self.set_data_folder(dir),
                None => {}
            }
        }
    }

    /// The preset that reproduces the current view.
    pub fn current_preset(&self) -> Preset {
        let data = self
            .status
            .config
            .as_ref()
            .map(|c| c.data.clone())
            .unwrap_or(DataSource::Builtin(crate::data::Builtin::Shapes));
        let lesson = self.settings.show_lesson.then_some(self.lesson.step);
        Preset::from_settings(&self.settings, &data, lesson)
    }

    /// Write the current view as a preset.
    pub fn save_preset(&mut self, path: &Path) {
        let saved = self.current_preset().write(path).map_err(|e| e.to_string());
        self.saved_notice(path, saved);
    }

    /// Start again from the very same initial weights: the model's own seed, step 0.
    pub fn rewind(&mut self) {
        let Some(seed) = self.status.config.as_ref().map(|c| c.seed) else {
            return;
        };
        self.restart_from_seed(seed);
        self.notice(Level::Info, tr!("notice-rewound", seed = seed));
    }

    /// Export the run into `dir`: checkpoint, curves, trajectory GIF, preset and a PNG of
    /// every shown panel (captured over the next frames).
    pub fn export_run(&mut self, dir: PathBuf) {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            self.notice(
                Level::Error,
                tr!("notice-save-failed", path = dir.display(), error = e),
            );
            return;
        }
        let mut files = vec![run_files::CHECKPOINT.to_owned()];
        self.send(Command::Save(dir.join(run_files::CHECKPOINT)));
        let writes = [
            (run_files::CURVES, self.curves.to_csv()),
            (run_files::PER_T, self.curves.per_t_csv()),
            (run_files::PRESET, self.current_preset().to_toml()),
        ];
        for (name, text) in writes {
            match std::fs::write(dir.join(name), text) {
                Ok(()) => files.push(name.to_owned()),
                Err(e) => self.notice(
                    Level::Error,
                    tr!(
                        "notice-save-failed",
                        path = dir.join(name).display(),
                        error = e
                    ),
                ),
            }
        }
        if let Some(shown) = &self.reverse.shown {
            let frames = crate::export::trajectory_frames(&shown.trajectory, shown.size, 3);
            let path = dir.join(run_files::TRAJECTORY);
            // Written next to its final name and renamed, so a half-written GIF never shows.
            let tmp = dir.join(format!("{}.tmp", run_files::TRAJECTORY));
            let _ = std::thread::Builder::new()
                .name("gif-export".into())
                .spawn(move || {
                    let done = crate::export::write_gif(&frames, 60, &tmp)
                        .map_err(|e| e.to_string())
                        .and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| e.to_string()));
                    if let Err(e) = done {
                        log::error!("gif export failed: {e}");
                    }
                });
            files.push(run_files::TRAJECTORY.to_owned());
        }
        self.run_export = Some(RunExport {
            dir,
            tabs: self.settings.panels.clone(),
            restore: self.settings.tab,
            frames: 0,
            shot_requested: false,
            files,
        });
    }

    /// Is an export still capturing panels?
    pub fn exporting(&self) -> bool {
        self.run_export.is_some()
    }

    /// One frame of an export: show the next panel, capture it, and finish with run.json.
    pub(super) fn advance_export(&mut self, ctx: &egui::Context) {
        let Some(ex) = self.run_export.as_mut() else {
            return;
        };
        ctx.request_repaint();
        if ex.shot_requested {
            let Some(image) = self.screenshot.lock().ok().and_then(|mut s| s.take()) else {
                // A screenshot that never arrives (the renderer dropped the request) would
                // stop the export for good: ask again after a second's worth of frames.
                ex.frames += 1;
                if ex.frames >= SCREENSHOT_PATIENCE_FRAMES {
                    ex.frames = 0;
                    self.request_screenshot(ctx);
                }
                return;
            };
            let tab = ex.tabs.remove(0);
            let name = panel_file(tab);
            let saved = crate::export::save_color_image(&image, &ex.dir.join(&name)).is_ok();
            if saved {
                ex.files.push(name);
            }
            ex.shot_requested = false;
            ex.frames = 0;
        }
        if let Some(&tab) = ex.tabs.first() {
            self.settings.tab = tab;
            ex.frames += 1;
            // Let the panel draw (and upload its textures) before capturing it.
            if ex.frames >= 3 {
                ex.shot_requested = true;
                ex.frames = 0;
                self.request_screenshot(ctx);
            }
            return;
        }
        let Some(ex) = self.run_export.take() else {
            return;
        };
        self.settings.tab = ex.restore;
        let manifest = RunManifest {
            format: RUN_FORMAT.to_owned(),
            version: 1,
            step: self.status.step,
            files: ex.files,
        };
        let path = ex.dir.join(run_files::MANIFEST);
        let written = serde_json::to_string_pretty(&manifest)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(&path, text).map_err(|e| e.to_string()));
        match written {
            Ok(()) => self.notice(
                Level::Info,
                tr!("notice-run-exported", path = ex.dir.display()),
            ),
            Err(e) => self.notice(
                Level::Error,
                tr!("notice-save-failed", path = path.display(), error = e),
            ),
        }
    }

    /// Open an exported run: its view, its curves and its checkpoint; then draw samples.
    pub fn open_run(&mut self, dir: PathBuf) {
        if let Err(e) = read_manifest(&dir) {
            self.notice(Level::Warning, tr!("notice-run-failed", error = e));
            return;
        }
        let preset = dir.join(run_files::PRESET);
        if preset.is_file() {
            match Preset::read(&preset) {
                Ok(p) => {
                    // The checkpoint brings its own model: only the view is applied here.
                    p.apply(&mut self.settings);
                    crate::i18n::set_lang(self.settings.lang);
                    self.send(Command::SetLanguage(self.settings.lang));
                }
                Err(e) => self.notice(Level::Warning, tr!("notice-preset-failed", error = e)),
            }
        }
        match std::fs::read_to_string(dir.join(run_files::CURVES))
            .map_err(|e| e.to_string())
            .and_then(|t| super::curves::CurvesPanel::from_csv(&t))
        {
            Ok((mut curves, skipped)) => {
                if let Ok(per_t) = std::fs::read_to_string(dir.join(run_files::PER_T)) {
                    curves.read_per_t_csv(&per_t);
                }
                self.curves = curves;
                if skipped > 0 {
                    self.notice(Level::Warning, tr!("notice-curves-skipped", n = skipped));
                }
            }
            Err(e) => self.notice(Level::Warning, tr!("notice-curves-failed", error = e)),
        }
        self.sample_after_load = true;
        self.send(Command::Load(dir.join(run_files::CHECKPOINT)));
        self.notice(Level::Info, tr!("notice-run-opened", path = dir.display()));
    }
}
