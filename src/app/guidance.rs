//! Panel ②'s guidance section, shown for a class-conditional model: the class picker, the
//! guidance scale w, and the sweep strip (the same x_T at w = 0, 1, 2, 4, 8).
//!
//! The sample grids of ② take the class and w from here; the strip is its own sampling job.

use super::jobs::JobPurpose;
use super::textures::{TextureSlot, from_rgb8};
use super::{App, AppCommand};
use crate::diffusion::guidance::{MAX_W, SWEEP_WS};
use crate::export::grid_cols;
use crate::tr;
use crate::train::{Command, SampleFrom, SampleGuidance, SampleJob};
use serde::{Deserialize, Serialize};

/// The class and scale the sample grids are guided with. Saved with the settings and carried
/// by a teacher's preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuidanceSettings {
    /// the class (None: every class in turn, image i of the grid taking class i mod K)
    pub class: Option<usize>,
    /// the guidance scale w (1: plain conditional, 0: unconditional)
    pub w: f64,
}

impl Default for GuidanceSettings {
    fn default() -> Self {
        Self {
            class: None,
            w: 1.0,
        }
    }
}

impl GuidanceSettings {
    /// What a sampling job of a model with `classes` classes is guided with (None for an
    /// unconditional model).
    pub fn job(&self, classes: usize) -> Option<SampleGuidance> {
        (classes > 0).then(|| SampleGuidance::Guided {
            classes: match self.class {
                Some(c) => vec![c.min(classes - 1)],
                None => (0..classes).collect(),
            },
            w: self.w.clamp(0.0, MAX_W),
        })
    }
}

/// A sweep strip on display.
pub struct Strip {
    /// the final images, one per w, [n·dim]
    pub images: Vec<f32>,
    /// the scales, one per image
    pub ws: Vec<f64>,
    /// the class
    pub class: usize,
    /// training step of the weights
    pub step: u64,
    /// side of the images
    pub size: usize,
}

/// State of the guidance section.
#[derive(Default)]
pub struct GuidancePanel {
    /// the latest strip
    pub strip: Option<Strip>,
    /// a strip in flight: (id, done, total)
    pub running: Option<(u64, usize, usize)>,
    strip_tex: TextureSlot,
}

impl GuidancePanel {
    /// Show a new strip.
    pub fn set_strip(&mut self, strip: Strip) {
        self.strip = Some(strip);
        self.strip_tex.invalidate();
    }

    /// Draw the section: nothing for an unconditional model.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut GuidanceSettings,
        classes: &[String],
        out: &mut Vec<AppCommand>,
    ) {
        if classes.is_empty() {
            return;
        }
        ui.strong(tr!("guidance-title"));
        ui.label(tr!("guidance-convention"));
        ui.horizontal_wrapped(|ui| {
            ui.label(tr!("guidance-class"));
            let name = |c: Option<usize>| match c {
                Some(i) => classes.get(i).cloned().unwrap_or_default(),
                None => tr!("guidance-every-class").to_owned(),
            };
            egui::ComboBox::from_id_salt("guidance-class")
                .selected_text(name(settings.class))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut settings.class, None, name(None));
                    for i in 0..classes.len() {
                        ui.selectable_value(&mut settings.class, Some(i), name(Some(i)));
                    }
                });
            ui.add(egui::Slider::new(&mut settings.w, 0.0..=10.0).text("w"))
                .on_hover_text(tr!("guidance-w-tip"));
            if ui
                .button(tr!("guidance-sweep"))
                .on_hover_text(tr!("guidance-sweep-tip"))
                .clicked()
            {
                out.push(AppCommand::GuidanceSweep);
            }
            if let Some((_, done, total)) = self.running {
                ui.add(
                    egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                        .desired_width(120.0)
                        .text(format!("{done}/{total}")),
                );
            }
        });
        if let Some(strip) = &self.strip {
            let n = strip.ws.len();
            let scale = (96 / strip.size.max(1)).max(1);
            let tex = self
                .strip_tex
                .update_with(ui.ctx(), "guidance-strip", strip.step, || {
                    from_rgb8(&grid_cols(&strip.images, n, n, strip.size, scale))
                })
                .clone();
            ui.label(tr!(
                "guidance-strip-caption",
                class = classes.get(strip.class).cloned().unwrap_or_default(),
                step = strip.step
            ));
            ui.add(egui::Image::new(&tex).fit_to_original_size(1.0));
            // Each scale under its image.
            let cell = (strip.size * scale + 1) as f32;
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 0.0;
                for w in &strip.ws {
                    ui.add_sized([cell, 14.0], egui::Label::new(format!("w = {w}")));
                }
            });
        }
        ui.separator();
    }
}

impl App {
    /// The class names of the model on the worker (empty: unconditional).
    pub(super) fn model_classes(&self) -> Vec<String> {
        self.status
            .config
            .as_ref()
            .map(|c| c.classes.clone())
            .unwrap_or_default()
    }

    /// Sample the sweep strip: one image per w of [`SWEEP_WS`], all from the same x_T.
    pub(super) fn start_guidance_sweep(&mut self) {
        let classes = self.model_classes();
        if classes.is_empty() {
            return;
        }
        let class = self
            .settings
            .guidance
            .class
            .unwrap_or(0)
            .min(classes.len() - 1);
        let id = self.new_job(JobPurpose::Sweep { class });
        self.guidance.running = Some((id, 0, 1));
        let request = self.settings.sample_request(SWEEP_WS.len());
        self.send(Command::Sample(SampleJob {
            id,
            request,
            from: SampleFrom::Noise,
            weights: self.settings.sample_weights,
            guidance: Some(SampleGuidance::Sweep {
                class,
                ws: SWEEP_WS.to_vec(),
            }),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_in_turn_or_one_class_at_the_chosen_scale() {
        let every = GuidanceSettings {
            class: None,
            w: 3.0,
        };
        assert_eq!(
            every.job(3),
            Some(SampleGuidance::Guided {
                classes: vec![0, 1, 2],
                w: 3.0
            })
        );
        let one = GuidanceSettings {
            class: Some(7),
            w: 99.0,
        };
        assert_eq!(
            one.job(3),
            Some(SampleGuidance::Guided {
                classes: vec![2],
                w: MAX_W
            })
        );
        assert_eq!(one.job(0), None);
    }
}
