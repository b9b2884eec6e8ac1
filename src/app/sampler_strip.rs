//! Panel ②'s budget strip: the same x_T sampled by one ODE sampler (Euler, Heun or
//! DPM-Solver++(2M)) at NFE 2, 4, 8, 16 and 32 network calls, side by side: how many calls an
//! image needs, and which sampler needs fewer.

use super::jobs::JobPurpose;
use super::textures::{TextureSlot, from_rgb8};
use super::{App, AppCommand};
use crate::diffusion::samplers::OdeSampler;
use crate::export::grid_cols;
use crate::tr;
use crate::train::{Command, SampleFrom, SampleGuidance, SampleJob};

/// The strip's budgets of network calls.
pub const STRIP_NFES: [usize; 5] = [2, 4, 8, 16, 32];

/// A strip on display.
pub struct NfeStrip {
    /// the final images, one per budget, [n·dim]
    pub images: Vec<f32>,
    /// the sampler
    pub sampler: OdeSampler,
    /// training step of the weights
    pub step: u64,
    /// side of the images
    pub size: usize,
}

/// State of the strip.
pub struct SamplerStripPanel {
    /// the sampler of the next strip
    pub sampler: OdeSampler,
    /// the latest strip
    pub strip: Option<NfeStrip>,
    /// a strip in flight: (id, calls done, calls in all)
    pub running: Option<(u64, usize, usize)>,
    tex: TextureSlot,
}

impl Default for SamplerStripPanel {
    fn default() -> Self {
        Self {
            sampler: OdeSampler::DpmPp2m,
            strip: None,
            running: None,
            tex: TextureSlot::default(),
        }
    }
}

fn sampler_label(s: OdeSampler) -> &'static str {
    match s {
        OdeSampler::Euler => "Euler",
        OdeSampler::Heun => "Heun",
        OdeSampler::DpmPp2m => "DPM-Solver++(2M)",
    }
}

impl SamplerStripPanel {
    /// A strip arrived.
    pub fn set(&mut self, strip: NfeStrip) {
        self.strip = Some(strip);
        self.tex.invalidate();
    }

    /// The section: sampler, button, progress, and the strip with each budget under its image.
    pub fn ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.strong(tr!("strip-title"))
            .on_hover_text(tr!("strip-tip"));
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::new("strip-sampler", tr!("strip-sampler"))
                .selected_text(sampler_label(self.sampler))
                .show_ui(ui, |ui| {
                    for s in OdeSampler::ALL {
                        ui.selectable_value(&mut self.sampler, s, sampler_label(s));
                    }
                });
            if ui
                .add_enabled(
                    self.running.is_none(),
                    egui::Button::new(tr!("strip-button")),
                )
                .on_hover_text(tr!("strip-tip"))
                .clicked()
            {
                out.push(AppCommand::SamplerStrip(self.sampler));
            }
            if let Some((_, done, total)) = self.running {
                strip_progress_ui(ui, done, total);
            }
        });
        if let Some(strip) = &self.strip {
            ui.label(tr!(
                "strip-caption",
                sampler = sampler_label(strip.sampler),
                step = strip.step
            ));
            let labels: Vec<String> = STRIP_NFES.iter().map(|n| format!("NFE {n}")).collect();
            strip_images_ui(
                ui,
                &mut self.tex,
                "sampler-strip",
                (&strip.images, strip.size, strip.step),
                &labels,
            );
        }
        ui.separator();
    }
}

/// A row of images (one per label, [n·dim] in `images` of side `size`, from training step
/// `step`) with each label under its image: ②'s strips.
pub(super) fn strip_images_ui(
    ui: &mut egui::Ui,
    tex: &mut TextureSlot,
    id: &str,
    (images, size, step): (&[f32], usize, u64),
    labels: &[String],
) {
    let n = labels.len();
    let scale = (96 / size.max(1)).max(1);
    let tex = tex
        .update_with(ui.ctx(), id, step, || {
            from_rgb8(&grid_cols(images, n, n, size, scale))
        })
        .clone();
    ui.add(egui::Image::new(&tex).fit_to_original_size(1.0));
    let cell = (size * scale + 1) as f32;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for label in labels {
            ui.add_sized([cell, 14.0], egui::Label::new(label.as_str()));
        }
    });
}

/// A strip's progress: calls (or images) done of all.
pub(super) fn strip_progress_ui(ui: &mut egui::Ui, done: usize, total: usize) {
    ui.add(
        egui::ProgressBar::new(done as f32 / total.max(1) as f32)
            .desired_width(120.0)
            .text(format!("{done}/{total}")),
    );
}

impl App {
    /// Sample the budget strip with `sampler` (a conditional model: the class and w of ②'s
    /// guidance, every class in turn meaning the first).
    pub(super) fn start_sampler_strip(&mut self, sampler: OdeSampler) {
        if self.status.config.is_none() || self.strip.running.is_some() {
            return;
        }
        let classes = self.model_classes();
        let guidance = (!classes.is_empty()).then(|| crate::diffusion::guidance::Guidance {
            class: self
                .settings
                .guidance
                .class
                .unwrap_or(0)
                .min(classes.len() - 1),
            w: self.settings.guidance.w,
        });
        let id = self.new_job(JobPurpose::NfeStrip { sampler });
        self.strip.running = Some((id, 0, STRIP_NFES.iter().sum()));
        let request = self.settings.sample_request(STRIP_NFES.len());
        self.send(Command::Sample(SampleJob {
            id,
            request,
            from: SampleFrom::Noise,
            weights: self.settings.sample_weights,
            guidance: Some(SampleGuidance::NfeStrip {
                sampler,
                nfes: STRIP_NFES.to_vec(),
                guidance,
            }),
        }));
    }
}
