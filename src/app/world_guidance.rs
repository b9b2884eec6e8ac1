//! Panel ⑤'s classifier-free guidance on the labelled 2-D set: a class and a scale w that
//! move the particles live (every class in turn, each its own colour), the guided field −ε̃ of
//! the picked class, and precision and spread against w measured by the data's exact
//! p(c | x). The toy worker computes; this part keeps the controls and draws what it sends.

use super::plot_key::{colors, key_ui, line_and_dots};
use crate::tr;
use crate::train::toy::{Guidance, ToyCommand};
use crate::train::toy_guidance::GuidancePoint;
use egui_plot::Plot;

/// The w of the sweep.
pub const SWEEP: [f64; 7] = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0];

/// The colour of class `c`.
pub fn class_color(c: usize) -> egui::Color32 {
    [
        colors::ORANGE,
        colors::BLUE,
        colors::GREEN,
        colors::PURPLE,
        colors::RED,
    ][c % 5]
}

/// The guidance part of panel ⑤.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldGuidance {
    /// the class of the drawn field
    pub class: usize,
    /// the guidance scale
    pub w: f64,
    /// the last sweep
    pub sweep: Vec<GuidancePoint>,
    /// a sweep asked for and not yet back
    pub pending: bool,
}

impl Default for WorldGuidance {
    fn default() -> Self {
        Self {
            class: 0,
            w: 1.0,
            sweep: Vec::new(),
            pending: false,
        }
    }
}

impl WorldGuidance {
    /// The class picker, the w slider and (with `exact`: data whose p(c | x) is known) the
    /// sweep button for a model of `classes` classes; the commands they give.
    pub fn controls_ui(
        &mut self,
        ui: &mut egui::Ui,
        classes: usize,
        exact: bool,
    ) -> Vec<ToyCommand> {
        let mut out = Vec::new();
        ui.label(egui::RichText::new(tr!("world-guidance-title")).strong());
        let before = (self.class, self.w);
        egui::ComboBox::new("world-guidance-class", tr!("world-guidance-class"))
            .selected_text(tr!("world-guidance-class-n", n = self.class + 1))
            .show_ui(ui, |ui| {
                for c in 0..classes {
                    ui.selectable_value(
                        &mut self.class,
                        c,
                        tr!("world-guidance-class-n", n = c + 1),
                    );
                }
            });
        ui.horizontal(|ui| {
            ui.spacing_mut().slider_width = 110.0;
            ui.add(egui::Slider::new(&mut self.w, 0.0..=10.0).text("w"))
                .on_hover_text(tr!("world-guidance-w-tip"));
            if exact
                && ui
                    .add_enabled(
                        !self.pending,
                        egui::Button::new(tr!("world-guidance-sweep")),
                    )
                    .on_hover_text(tr!("world-guidance-sweep-tip"))
                    .clicked()
            {
                self.pending = true;
                out.push(ToyCommand::GuidanceSweep(SWEEP.to_vec()));
            }
            if self.pending {
                super::repaint::busy_ui(ui);
            }
        });
        if (self.class, self.w) != before {
            out.push(ToyCommand::SetGuidance(Guidance {
                class: self.class,
                w: self.w,
            }));
        }
        ui.weak(tr!("world-guidance-convention"));
        out
    }

    /// A sweep's result.
    pub fn on_sweep(&mut self, points: Vec<GuidancePoint>) {
        self.pending = false;
        self.sweep = points;
    }

    /// Precision and spread against w.
    pub fn sweep_ui(&self, ui: &mut egui::Ui) {
        if self.sweep.is_empty() {
            return;
        }
        let precision: Vec<[f64; 2]> = self.sweep.iter().map(|p| [p.w, p.precision]).collect();
        let spread: Vec<[f64; 2]> = self.sweep.iter().map(|p| [p.w, p.spread]).collect();
        let diversity: Vec<[f64; 2]> = self.sweep.iter().map(|p| [p.w, p.diversity]).collect();
        Plot::new("world-guidance-sweep")
            .height(150.0)
            .allow_scroll(false)
            .x_axis_label("w")
            .show(ui, |p| {
                line_and_dots(p, "precision", precision, colors::GREEN);
                line_and_dots(p, "spread", spread, colors::ORANGE);
                line_and_dots(p, "diversity", diversity, colors::BLUE);
            });
        key_ui(
            ui,
            &[
                (colors::GREEN, "●", tr!("world-guidance-precision")),
                (colors::ORANGE, "●", tr!("world-guidance-spread")),
                (colors::BLUE, "●", tr!("world-guidance-diversity")),
            ],
        );
    }
}
