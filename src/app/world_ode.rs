//! Panel ⑤'s exact likelihood: the world model's probability-flow ODE density (exact
//! divergence), a curve beside P_θ in 1-D, a heat map beside the data's density in 2-D, and
//! on held-out points beside the same network's −ELBO. The toy worker computes it on a click;
//! this part only draws what it sends.

use super::plot_key::{colors, key_ui};
use super::textures::TextureSlot;
use crate::tr;
use crate::train::toy_ode::{GRID_2D, HALF_WIDTH_2D, ToyOdeDensity};
use egui_plot::{Line, PlotPoints};

/// The ODE part of panel ⑤.
#[derive(Default)]
pub struct WorldOde {
    /// the last result
    pub result: Option<ToyOdeDensity>,
    /// asked for and not yet back
    pub pending: bool,
    /// why the last one failed
    pub error: Option<String>,
    model_tex: TextureSlot,
    data_tex: TextureSlot,
}

/// The colour of a density p on a square-root scale up to `top` (dark blue → yellow): the
/// square root keeps thin tails visible without flattening the peaks as a log scale does.
fn heat(p: f64, top: f64) -> egui::Color32 {
    let u = (p / top).clamp(0.0, 1.0).sqrt() as f32;
    let c = |a: f32, b: f32| (a + (b - a) * u) as u8;
    egui::Color32::from_rgb(c(20.0, 250.0), c(25.0, 220.0), c(60.0, 60.0))
}

/// A GRID_2D² image of densities, y up.
fn heat_image(density: &[f64], top: f64) -> egui::ColorImage {
    let n = GRID_2D;
    let mut pixels = Vec::with_capacity(n * n);
    for row in (0..n).rev() {
        for col in 0..n {
            pixels.push(heat(density[row * n + col], top));
        }
    }
    egui::ColorImage::new([n, n], pixels)
}

impl WorldOde {
    /// A result (or failure) from the worker.
    pub fn on_result(&mut self, result: Result<ToyOdeDensity, String>) {
        self.pending = false;
        match result {
            Ok(r) => {
                self.result = Some(r);
                self.error = None;
                self.model_tex.invalidate();
                self.data_tex.invalidate();
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Forget the result (another run).
    pub fn clear(&mut self) {
        self.result = None;
        self.error = None;
        self.pending = false;
    }

    /// The button; true when clicked.
    #[must_use]
    pub fn button_ui(&self, ui: &mut egui::Ui) -> bool {
        let clicked = ui
            .horizontal_wrapped(|ui| {
                let c = ui
                    .add_enabled(!self.pending, egui::Button::new(tr!("world-ode-button")))
                    .on_hover_text(tr!("world-ode-button-tip"))
                    .clicked();
                if self.pending {
                    super::repaint::busy_ui(ui);
                    ui.weak(tr!("world-ode-pending"));
                }
                c
            })
            .inner;
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        clicked
    }

    /// 1-D: the ODE's density p(x) as a line for the density plot, if computed.
    pub fn line_1d(&self) -> Option<Line<'static>> {
        let r = self.result.as_ref().filter(|r| r.dim == 1)?;
        let pts: Vec<[f64; 2]> = r
            .grid
            .iter()
            .zip(&r.log_p)
            .map(|(&x, &l)| [x as f64, l.exp().min(5.0)])
            .collect();
        Some(
            Line::new(tr!("world-key-ode"), PlotPoints::new(pts))
                .color(colors::PURPLE)
                .width(2.0),
        )
    }

    /// The held-out comparison, the same network's ODE against its −ELBO.
    pub fn held_out_ui(&self, ui: &mut egui::Ui) {
        let Some(r) = &self.result else { return };
        ui.label(tr!(
            "world-ode-held-out",
            n = r.held_out,
            step = r.step,
            ode = format!("{:.3}", r.ode_nll.0),
            ode_se = format!("{:.3}", r.ode_nll.1),
            elbo = format!("{:.3}", r.neg_elbo.0),
            elbo_se = format!("{:.3}", r.neg_elbo.1),
            gap = format!("{:.3}", r.gap.0),
            gap_se = format!("{:.3}", r.gap.1),
            nfe = r.held_out_nfe
        ));
    }

    /// 2-D: the model's and the data's densities as two heat maps on one scale.
    pub fn heat_maps_ui(&mut self, ui: &mut egui::Ui) {
        let Some(r) = self.result.as_ref().filter(|r| r.dim == 2) else {
            return;
        };
        let model_p: Vec<f64> = r.log_p.iter().map(|l| l.exp()).collect();
        // One scale for both: the data's highest cell (a model may spike above it).
        let top = r
            .data_density
            .iter()
            .cloned()
            .fold(f64::MIN_POSITIVE, f64::max);
        let key = r.step ^ 0x0DE;
        let side = ((ui.available_width() - 16.0) / 2.0).clamp(80.0, 220.0);
        let model = self
            .model_tex
            .update_with(ui.ctx(), "world-ode-model", key, || {
                heat_image(&model_p, top)
            })
            .id();
        let data = self
            .data_tex
            .update_with(ui.ctx(), "world-ode-data", key, || {
                heat_image(&r.data_density, top)
            })
            .id();
        ui.horizontal(|ui| {
            for (tex, title) in [
                (
                    model,
                    tr!("world-ode-heat-model", step = r.step, nfe = r.grid_nfe),
                ),
                (data, tr!("world-ode-heat-data").to_owned()),
            ] {
                ui.vertical(|ui| {
                    ui.set_max_width(side);
                    ui.small(title);
                    ui.image((tex, egui::vec2(side, side)));
                });
            }
        });
        ui.weak(tr!(
            "world-ode-heat-scale",
            w = format!("{HALF_WIDTH_2D}"),
            top = format!("{top:.2}")
        ));
    }

    /// The key entry of the 1-D curve.
    pub fn key_1d_ui(&self, ui: &mut egui::Ui) {
        if self.result.as_ref().is_some_and(|r| r.dim == 1) {
            key_ui(ui, &[(colors::PURPLE, "━", tr!("world-key-ode"))]);
        }
    }
}
