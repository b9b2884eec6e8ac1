//! Panel ②'s guidance section, shown for a class-conditional model: the class picker, the
//! guidance scale w, and the sweep strip (the same x_T at w = 0, 1, 2, 4, 8).
//!
//! The sample grids of ② take the class and w from here; the strip is its own sampling job.

use super::jobs::JobPurpose;
use super::plot_key::{colors, key_ui, line_and_dots};
use super::textures::TextureSlot;
use super::{App, AppCommand};
use crate::diffusion::guidance::{MAX_W, SWEEP_WS};
use crate::tr;
use crate::train::guidance_job::{GuidanceRequest, GuidanceResult};
use crate::train::{Command, SampleFrom, SampleGuidance, SampleJob};
use egui_plot::Plot;
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
    /// the latest measurement of accuracy and diversity against w
    pub measured: Option<GuidanceResult>,
    /// a measurement in flight: (share done, step)
    pub measuring: Option<(f32, u64)>,
    strip_tex: TextureSlot,
}

/// Samples per class and scale of the panel's measurement.
pub const MEASURE_N: usize = 32;

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
        ui.strong(tr!("guidance-title"))
            .on_hover_text(tr!("guidance-convention"));
        ui.horizontal_wrapped(|ui| {
            let name = |c: Option<usize>| match c {
                Some(i) => classes.get(i).cloned().unwrap_or_default(),
                None => tr!("guidance-every-class").to_owned(),
            };
            egui::ComboBox::new("guidance-class", tr!("guidance-class"))
                .selected_text(name(settings.class))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut settings.class, None, name(None));
                    for i in 0..classes.len() {
                        ui.selectable_value(&mut settings.class, Some(i), name(Some(i)));
                    }
                });
            ui.add(egui::Slider::new(&mut settings.w, 0.0..=10.0).text("w"))
                .on_hover_text(format!(
                    "{}\n\n{}",
                    tr!("guidance-w-tip"),
                    tr!("guidance-convention")
                ));
            if ui
                .button(tr!("guidance-sweep"))
                .on_hover_text(tr!("guidance-sweep-tip"))
                .clicked()
            {
                out.push(AppCommand::GuidanceSweep);
            }
            if let Some((_, done, total)) = self.running {
                super::sampler_strip::strip_progress_ui(ui, done, total);
            }
        });
        if let Some(strip) = &self.strip {
            ui.label(tr!(
                "guidance-strip-caption",
                class = classes.get(strip.class).cloned().unwrap_or_default(),
                step = strip.step
            ));
            // Each scale under its image.
            let labels: Vec<String> = strip.ws.iter().map(|w| format!("w = {w}")).collect();
            super::sampler_strip::strip_images_ui(
                ui,
                &mut self.strip_tex,
                "guidance-strip",
                (&strip.images, strip.size, strip.step),
                &labels,
            );
        }
        self.measure_ui(ui, out);
        ui.separator();
    }

    /// The measurement: a button, its progress, and accuracy and diversity against w.
    fn measure_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.horizontal_wrapped(|ui| match self.measuring {
            Some((fraction, _)) => {
                super::repaint::busy_ui(ui);
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(320.0)
                        .text(tr!("guidance-measuring")),
                );
                if ui.button(tr!("reverse-cancel")).clicked() {
                    out.push(AppCommand::CancelGuidanceMeasure);
                }
            }
            None => {
                if ui
                    .button(tr!("guidance-measure"))
                    .on_hover_text(tr!("guidance-measure-tip", n = MEASURE_N))
                    .clicked()
                {
                    out.push(AppCommand::MeasureGuidance);
                }
            }
        });
        let Some(m) = &self.measured else {
            return;
        };
        ui.label(tr!(
            "guidance-measured",
            step = m.step,
            n = m.n,
            classes = m.classes.len(),
            acc = format!("{:.1}", 100.0 * m.classifier_heldout_accuracy),
            images = m.classifier_heldout_images
        ));
        let pts = |f: fn(&crate::train::guidance_eval::GuidanceRow) -> f64| -> Vec<[f64; 2]> {
            m.rows.iter().map(|r| [r.w, f(r)]).collect()
        };
        let accuracy = pts(|r| r.accuracy);
        let diversity = pts(|r| r.diversity);
        Plot::new("guidance-measure")
            .height(140.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .include_y(0.0)
            .include_y(1.0)
            .x_axis_label("w")
            .show(ui, |p| {
                line_and_dots(p, "accuracy", accuracy, colors::GREEN);
                line_and_dots(p, "diversity", diversity, colors::BLUE);
            });
        key_ui(
            ui,
            &[
                (colors::GREEN, "●", tr!("guidance-accuracy")),
                (colors::BLUE, "●", tr!("guidance-diversity")),
            ],
        );
        let (first, last) = (m.rows.first(), m.rows.last());
        if let (Some(a), Some(b)) = (first, last) {
            ui.weak(tr!(
                "guidance-measured-ends",
                w0 = a.w,
                acc0 = format!("{:.2} ± {:.2}", a.accuracy, a.accuracy_stderr),
                div0 = format!("{:.2}", a.diversity),
                w1 = b.w,
                acc1 = format!("{:.2} ± {:.2}", b.accuracy, b.accuracy_stderr),
                div1 = format!("{:.2}", b.diversity),
                near0 = format!("{:.1}", a.nearest_rms_levels),
                near1 = format!("{:.1}", b.nearest_rms_levels)
            ));
        }
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

    /// Measure accuracy and diversity against w (the worker trains the judge first).
    pub(super) fn start_guidance_measure(&mut self) {
        if self.model_classes().is_empty() || self.guidance.measuring.is_some() {
            return;
        }
        self.guidance.measuring = Some((0.0, self.status.step));
        self.send(Command::MeasureGuidance(GuidanceRequest {
            ws: SWEEP_WS.to_vec(),
            n: MEASURE_N,
            sampler: self.settings.sampler_kind(),
            seed: self.settings.seed,
        }));
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
