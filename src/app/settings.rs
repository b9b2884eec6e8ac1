//! The side panel of settings, remembered across restarts.

use super::AppCommand;
use crate::diffusion::{SamplerKind, ScheduleKind};
use serde::{Deserialize, Serialize};

/// Which panel fills the main area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
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
}

impl Tab {
    /// All tabs in order.
    pub const ALL: [Tab; 4] = [Tab::Forward, Tab::Reverse, Tab::Likelihood, Tab::Curves];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Forward => "① Forward noising",
            Tab::Reverse => "② Reverse denoising",
            Tab::Likelihood => "③ Likelihood p(x|z)",
            Tab::Curves => "④ Loss & ELBO",
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

/// Everything the user set, persisted with eframe's storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// β family
    pub schedule: ScheduleKind,
    /// T
    pub timesteps: usize,
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
    /// save the run every this many steps (0: never)
    pub autosave_every: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schedule: ScheduleKind::Linear,
            timesteps: 1000,
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
            autosave_every: 500,
        }
    }
}

impl Settings {
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
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        model_schedule: Option<(ScheduleKind, usize)>,
        out: &mut Vec<AppCommand>,
    ) {
        ui.heading("Settings");
        ui.add_space(4.0);

        ui.label(egui::RichText::new("Noise schedule").strong());
        egui::ComboBox::from_id_salt("schedule")
            .selected_text(self.schedule.name())
            .show_ui(ui, |ui| {
                for kind in ScheduleKind::ALL {
                    ui.selectable_value(&mut self.schedule, kind, kind.name());
                }
            })
            .response
            .on_hover_text(
                "How fast noise is added. linear: β grows from 1e-4 to 0.02 (Ho et al. 2020). \
                 cosine: ᾱ follows a cosine, keeping more of the image at small t (Nichol & Dhariwal 2021). \
                 sigmoid: ᾱ follows a sigmoid ramp.",
            );
        ui.add(egui::Slider::new(&mut self.timesteps, 10..=2000).logarithmic(true).text("T"))
            .on_hover_text("T, the number of noising steps. More steps make each step smaller; DDPM sampling takes T steps.");
        ui.add(
            egui::Slider::new(&mut self.batch, 1..=128)
                .logarithmic(true)
                .text("batch"),
        )
        .on_hover_text(
            "Images per training step. Larger batches give smoother loss curves but slower steps.",
        );
        if let Some((kind, t)) = model_schedule {
            let differs = kind != self.schedule || t != self.timesteps;
            let button = ui
                .add_enabled(differs, egui::Button::new("Apply to model (restarts training)"))
                .on_hover_text("The model was trained for one schedule; changing it means training a new model from scratch.");
            if button.clicked() {
                out.push(AppCommand::ApplyModelSettings);
            }
            if differs {
                ui.small(format!("The model uses {} with T = {t}.", kind.name()));
            }
        }
        ui.separator();

        ui.label(egui::RichText::new("Training").strong());
        let mut lr_exp = self.lr.log10();
        if ui
            .add(egui::Slider::new(&mut lr_exp, -5.0..=0.0).text("log₁₀ lr").step_by(0.1))
            .on_hover_text("Adam's learning rate (2e-4 by default). Too high and the loss explodes: the app catches a NaN, rolls back and pauses.")
            .changed()
        {
            self.lr = 10f64.powf(lr_exp);
            out.push(AppCommand::SetLr(self.lr));
        }
        ui.small(format!("lr = {:.1e}", self.lr));
        let autosave = ui
            .add(egui::DragValue::new(&mut self.autosave_every).range(0..=100_000).speed(10).prefix("autosave every ").suffix(" steps"))
            .on_hover_text("Save the run in the background every this many steps (0: off), so it can be resumed after a crash or a restart.");
        if autosave.changed() {
            out.push(AppCommand::Autosave);
        }
        ui.add(egui::DragValue::new(&mut self.seed).prefix("seed "))
            .on_hover_text("Seed for resetting the weights and for the sampling noise: the same seed gives the same pictures.");
        ui.separator();

        ui.label(egui::RichText::new("Sampling").strong());
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.sampler, SamplerChoice::Ddpm, "DDPM")
                .on_hover_text("Ancestral sampling: all T steps, adding fresh noise at each one (Ho et al. 2020).");
            ui.selectable_value(&mut self.sampler, SamplerChoice::Ddim, "DDIM")
                .on_hover_text("DDIM: a few large deterministic jumps along the same marginals (Song et al. 2021).");
        });
        ui.add_enabled(
            self.sampler == SamplerChoice::Ddim,
            egui::Slider::new(&mut self.ddim_steps, 1..=200)
                .logarithmic(true)
                .text("steps"),
        )
        .on_hover_text("How many denoising steps DDIM takes between T and 0.");
        ui.add_enabled(
            self.sampler == SamplerChoice::Ddim,
            egui::Slider::new(&mut self.eta, 0.0..=1.0).text("η"),
        )
        .on_hover_text("DDIM's η: 0 is deterministic, 1 adds as much noise as DDPM.");
        ui.add(egui::Slider::new(&mut self.n_samples, 1..=36).text("samples"))
            .on_hover_text("How many images to generate at once.");
        ui.checkbox(&mut self.auto_resample, "redraw samples while training")
            .on_hover_text("Re-run the sampler from the same noise every few hundred steps, so you can watch one sample improve.");
    }
}
