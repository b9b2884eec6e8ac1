//! The side panel of settings, remembered across restarts.

use super::AppCommand;
use super::teacher::Control;
use crate::diffusion::objective::Target;
use crate::diffusion::{SamplerKind, ScheduleKind};
use crate::tr;
use serde::{Deserialize, Serialize};

/// Which panel fills the main area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tab {
    /// q(x_t|x_0)
    #[default]
    Forward,
    /// x_T → x_0
    Reverse,
    /// p(x|z)
    Likelihood,
    /// losses and the ELBO
    Curves,
    /// the 1-D and 2-D worlds
    World,
}

impl Tab {
    /// All tabs in order.
    pub const ALL: [Tab; 5] = [
        Tab::Forward,
        Tab::Reverse,
        Tab::Likelihood,
        Tab::Curves,
        Tab::World,
    ];

    /// The tab's name in files and presets.
    pub fn slug(self) -> &'static str {
        match self {
            Tab::Forward => "forward",
            Tab::Reverse => "reverse",
            Tab::Likelihood => "likelihood",
            Tab::Curves => "curves",
            Tab::World => "world",
        }
    }

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Forward => tr!("tab-forward"),
            Tab::Reverse => tr!("tab-reverse"),
            Tab::Likelihood => tr!("tab-likelihood"),
            Tab::Curves => tr!("tab-curves"),
            Tab::World => tr!("tab-world"),
        }
    }
}

/// DDPM or DDIM, without its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SamplerChoice {
    /// ancestral, every step
    Ddpm,
    /// DDIM, few steps
    Ddim,
}

/// What the model on the worker was built with: its schedule, T and objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelShape {
    /// β family
    pub schedule: ScheduleKind,
    /// T
    pub timesteps: usize,
    /// what the network predicts
    pub objective: Target,
}

/// Everything the user set, persisted with eframe's storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// β family
    pub schedule: ScheduleKind,
    /// T
    pub timesteps: usize,
    /// what a new model predicts (ε, x₀, v or flow matching's velocity)
    pub objective: Target,
    /// Adam learning rate
    pub lr: f64,
    /// images per step
    pub batch: usize,
    /// sampler
    pub sampler: SamplerChoice,
    /// DDIM steps
    pub ddim_steps: usize,
    /// DDIM η
    pub eta: f64,
    /// seed for sampling noise and for resets
    pub seed: u64,
    /// samples in the grid
    pub n_samples: usize,
    /// the open panel
    pub tab: Tab,
    /// show the guided lesson
    pub show_lesson: bool,
    /// redraw the sample grid as training goes on
    pub auto_resample: bool,
    /// while training, redraw the sample grid every this many seconds
    pub resample_every_s: f64,
    /// which weights draw the sample grids
    pub sample_weights: crate::train::Weights,
    /// at most this many frames a second for background work (input redraws at once); None:
    /// the renderer's default (see `repaint`)
    pub training_fps: Option<f64>,
    /// save the run every this many steps (0: never)
    pub autosave_every: u64,
    /// the language of the whole app
    pub lang: crate::i18n::Lang,
    /// the panels shown (a teacher's preset may hide some)
    pub panels: Vec<Tab>,
    /// controls a teacher's preset locked
    pub locked: Vec<Control>,
    /// larger fonts and no settings panel, for a projector
    pub presentation: bool,
    /// the title of the preset in use
    pub preset_title: Option<String>,
    /// a class-conditional model: the class and scale the sample grids are guided with
    pub guidance: super::guidance::GuidanceSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schedule: ScheduleKind::Linear,
            timesteps: 1000,
            objective: Target::Eps,
            lr: 2e-4,
            batch: 32,
            sampler: SamplerChoice::Ddim,
            ddim_steps: 50,
            eta: 0.0,
            seed: 0,
            n_samples: 16,
            tab: Tab::Forward,
            show_lesson: true,
            auto_resample: true,
            resample_every_s: 10.0,
            sample_weights: crate::train::Weights::Ema,
            training_fps: None,
            autosave_every: 500,
            lang: crate::i18n::Lang::from_env(),
            panels: Tab::ALL.to_vec(),
            locked: Vec::new(),
            presentation: false,
            preset_title: None,
            guidance: Default::default(),
        }
    }
}

impl Settings {
    /// The settings a window starts with: the saved ones (or the defaults), where
    /// $DIFFUSION_PLAYGROUND_LANG (`env_lang`), when it names a language, wins over the saved
    /// language for this run.
    pub fn at_start(saved: Option<Settings>, env_lang: Option<&str>) -> Settings {
        let mut settings = saved.unwrap_or_default();
        // Settings saved before panel ⑤ existed list the four others: show it too.
        if !settings.panels.contains(&Tab::World) && settings.panels.len() == Tab::ALL.len() - 1 {
            settings.panels.push(Tab::World);
        }
        if let Some(lang) = env_lang.and_then(crate::i18n::Lang::from_setting) {
            settings.lang = lang;
        }
        settings
    }

    /// Is this control unlocked?
    pub fn unlocked(&self, control: Control) -> bool {
        !self.locked.contains(&control)
    }

    /// The request for a grid of `n` samples drawn with these settings (sampler, seed).
    pub fn sample_request(&self, n: usize) -> crate::diffusion::SampleRequest {
        crate::diffusion::SampleRequest {
            sampler: self.sampler_kind(),
            n,
            seed: self.seed,
            max_frames: 60,
            clip_x0: true,
        }
    }

    /// The sampler with its parameters.
    pub fn sampler_kind(&self) -> SamplerKind {
        match self.sampler {
            SamplerChoice::Ddpm => SamplerKind::Ddpm,
            SamplerChoice::Ddim => SamplerKind::Ddim {
                steps: self.ddim_steps,
                eta: self.eta,
            },
        }
    }

    /// Draw the side panel; returns commands for what changed.
    pub fn ui(&mut self, ui: &mut egui::Ui, model: Option<ModelShape>, out: &mut Vec<AppCommand>) {
        ui.heading(tr!("settings-heading"));
        ui.add_space(4.0);

        ui.label(egui::RichText::new(tr!("settings-schedule")).strong());
        let schedule_open = self.unlocked(Control::Schedule);
        ui.add_enabled_ui(schedule_open, |ui| self.schedule_ui(ui, model, out));
        if !schedule_open {
            ui.small(tr!("settings-locked"));
        }
        ui.separator();
        self.training_ui(ui, out);
        ui.separator();
        self.sampling_ui(ui);
    }

    fn schedule_ui(
        &mut self,
        ui: &mut egui::Ui,
        model: Option<ModelShape>,
        out: &mut Vec<AppCommand>,
    ) {
        egui::ComboBox::from_id_salt("schedule")
            .selected_text(self.schedule.name())
            .show_ui(ui, |ui| {
                for kind in ScheduleKind::ALL {
                    ui.selectable_value(&mut self.schedule, kind, kind.name());
                }
            })
            .response
            .on_hover_text(tr!("settings-schedule-tip"));
        ui.add(
            egui::Slider::new(&mut self.timesteps, 10..=2000)
                .logarithmic(true)
                .text("T"),
        )
        .on_hover_text(tr!("settings-t-tip"));
        let batch_open = self.unlocked(Control::Batch);
        ui.add_enabled(
            batch_open,
            egui::Slider::new(&mut self.batch, 1..=128)
                .logarithmic(true)
                .text(tr!("settings-batch")),
        )
        .on_hover_text(tr!("settings-batch-tip"));
        egui::ComboBox::new("objective", tr!("lab-objective"))
            .selected_text(self.objective.name())
            .show_ui(ui, |ui| {
                for t in Target::ALL {
                    ui.selectable_value(&mut self.objective, t, t.name());
                }
            })
            .response
            .on_hover_text(tr!("settings-objective-tip"));
        if let Some(model) = model {
            let (kind, t) = (model.schedule, model.timesteps);
            let differs =
                kind != self.schedule || t != self.timesteps || model.objective != self.objective;
            let button = ui
                .add_enabled(differs, egui::Button::new(tr!("settings-apply")))
                .on_hover_text(tr!("settings-apply-tip"));
            if button.clicked() {
                out.push(AppCommand::ApplyModelSettings);
            }
            if differs {
                ui.small(tr!("settings-model-uses", schedule = kind.name(), t = t));
                if model.objective != self.objective {
                    ui.small(tr!(
                        "settings-model-predicts",
                        objective = model.objective.name()
                    ));
                }
            }
        }
    }

    fn training_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.label(egui::RichText::new(tr!("settings-training")).strong());
        let shown = self.lr.log10();
        let mut lr_exp = shown;
        let slider = ui
            .add_enabled(
                self.unlocked(Control::Lr),
                egui::Slider::new(&mut lr_exp, -5.0..=0.0)
                    .text("log₁₀ lr")
                    .step_by(0.1),
            )
            .on_hover_text(tr!("settings-lr-tip"));
        // The slider snaps a value off its 0.1 grid (the run's 2e-4 shows as 10^-3.7) and
        // reports that as a change: only a move of half a step or more is the user's, so the
        // run's own learning rate is never replaced by its rounding.
        if slider.changed() && (lr_exp - shown).abs() >= 0.05 {
            self.lr = 10f64.powf(lr_exp);
            out.push(AppCommand::SetLr(self.lr));
        }
        ui.small(format!("lr = {:.1e}", self.lr));
        let autosave = ui
            .add(
                egui::DragValue::new(&mut self.autosave_every)
                    .range(0..=100_000)
                    .speed(10)
                    .prefix(tr!("settings-autosave-prefix"))
                    .suffix(tr!("settings-autosave-suffix")),
            )
            .on_hover_text(tr!("settings-autosave-tip"));
        if autosave.changed() {
            out.push(AppCommand::Autosave);
        }
        ui.add_enabled(
            self.unlocked(Control::Seed),
            egui::DragValue::new(&mut self.seed).prefix(tr!("settings-seed-prefix")),
        )
        .on_hover_text(tr!("settings-seed-tip"));
    }

    fn sampling_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(egui::RichText::new(tr!("settings-sampling")).strong());
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.sampler, SamplerChoice::Ddpm, "DDPM")
                .on_hover_text(tr!("settings-ddpm-tip"));
            ui.selectable_value(&mut self.sampler, SamplerChoice::Ddim, "DDIM")
                .on_hover_text(tr!("settings-ddim-tip"));
        });
        ui.add_enabled(
            self.sampler == SamplerChoice::Ddim,
            egui::Slider::new(&mut self.ddim_steps, 1..=200)
                .logarithmic(true)
                .text(tr!("settings-steps")),
        )
        .on_hover_text(tr!("settings-steps-tip"));
        ui.add_enabled(
            self.sampler == SamplerChoice::Ddim,
            egui::Slider::new(&mut self.eta, 0.0..=1.0).text("η"),
        )
        .on_hover_text(tr!("settings-eta-tip"));
        ui.add(egui::Slider::new(&mut self.n_samples, 1..=36).text(tr!("settings-samples")))
            .on_hover_text(tr!("settings-samples-tip"));
        ui.horizontal(|ui| {
            ui.label(tr!("settings-weights"));
            ui.selectable_value(
                &mut self.sample_weights,
                crate::train::Weights::Ema,
                tr!("settings-weights-ema"),
            );
            ui.selectable_value(
                &mut self.sample_weights,
                crate::train::Weights::Raw,
                tr!("settings-weights-raw"),
            );
        })
        .response
        .on_hover_text(tr!("settings-weights-tip"));
        ui.checkbox(&mut self.auto_resample, tr!("settings-auto-resample"))
            .on_hover_text(tr!("settings-auto-resample-tip"));
        ui.add_enabled(
            self.auto_resample,
            egui::Slider::new(&mut self.resample_every_s, 2.0..=120.0)
                .logarithmic(true)
                .suffix(" s")
                .text(tr!("settings-resample-every")),
        )
        .on_hover_text(tr!("settings-resample-every-tip"));
    }

    /// The cap on frames for background work: a slider over the renderer's default (`fps`
    /// in force now), and a button back to that default once changed.
    pub fn redraw_ui(&mut self, ui: &mut egui::Ui, fps: f64, software: Option<bool>) {
        let mut value = fps;
        ui.horizontal(|ui| {
            let slider = ui
                .add(
                    egui::Slider::new(&mut value, 1.0..=60.0)
                        .logarithmic(true)
                        .max_decimals(1)
                        .suffix(" fps")
                        .text(tr!("settings-training-fps")),
                )
                .on_hover_text(if software == Some(true) {
                    tr!("settings-training-fps-software-tip")
                } else {
                    tr!("settings-training-fps-tip")
                });
            if slider.changed() {
                self.training_fps = Some(value);
            }
            if self.training_fps.is_some()
                && ui
                    .small_button(tr!("settings-training-fps-default"))
                    .clicked()
            {
                self.training_fps = None;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_environment_language_wins_over_the_saved_one() {
        let saved = Settings {
            lang: Lang::En,
            ..Settings::default()
        };
        let start = |saved: Option<Settings>, env| Settings::at_start(saved, env).lang;
        assert_eq!(start(Some(saved.clone()), Some("zh-CN")), Lang::ZhCn);
        assert_eq!(start(Some(saved.clone()), Some("zh_CN.UTF-8")), Lang::ZhCn);
        let zh = Settings {
            lang: Lang::ZhCn,
            ..Settings::default()
        };
        assert_eq!(start(Some(zh.clone()), Some("en")), Lang::En);
        // Unset or not a language: the saved choice stands.
        assert_eq!(start(Some(zh.clone()), None), Lang::ZhCn);
        assert_eq!(start(Some(zh), Some("")), Lang::ZhCn);
        assert_eq!(start(None, Some("zh-CN")), Lang::ZhCn);
    }
}
