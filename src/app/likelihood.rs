//! Panel ③, the study note's view of the likelihood:
//!
//! P(x) = ∫ P(z) p(x|z) dz with z ~ N(0, I) and G the generator (the deterministic DDIM
//! chain, η = 0, with the EMA weights). The panel shows z, G(z) and x side by side, estimates
//! P(x) by Monte Carlo over N prior draws for the Gaussian p(x|z) = N(x; G(z), σ²I) and for
//! the indicator p(x|z) = 1[G(z) = x], draws how the two collapse as the number of values d
//! grows, and follows G(z) for fixed z over training: the bell N(·; G(z), σ²) at one value
//! slides toward x. The math lives in [`crate::diffusion::marginal`]; the worker supplies
//! G(z); this file only draws.

use super::AppCommand;
use super::plot_key::{colors, key_ui};
use super::textures::{TextureSlot, hash_values};
use crate::data::ImageRgb;
use crate::diffusion::gaussian::normal_log_pdf;
use crate::diffusion::marginal::{
    CollapsePoint, FEW_EFFECTIVE_DRAWS, MarginalEstimate, collapse_curve, estimate_marginal,
};
use crate::tr;
use egui_plot::{HLine, Line, LineStyle, MarkerShape, Plot, Points, VLine};
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// Prior draws z per probe.
pub const PROBE_DRAWS: usize = 16;
/// DDIM steps of G in the app (the CLI defaults to more).
pub const G_STEPS: usize = 20;
/// Seed of the z draws: the same z at every step, so G(z) can be followed.
pub const G_SEED: u64 = 1234;
/// Probes kept for the walk; past this the older half is thinned.
pub const MAX_HISTORY: usize = 200;

/// Colours of the collapse plot and the bell.
const GAUSSIAN: egui::Color32 = colors::ORANGE;
const INDICATOR: egui::Color32 = colors::BLUE;
const ZERO: egui::Color32 = colors::RED;
const X_LINE: egui::Color32 = colors::YELLOW;

/// G(z) for the N fixed prior draws, at one training step.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// training step of the weights
    pub step: u64,
    /// [draws, dim] z ~ N(0, I)
    pub z: Vec<f32>,
    /// [draws, dim] G(z)
    pub g: Vec<f32>,
    /// number of draws
    pub draws: usize,
}

impl Probe {
    /// G(z_k), or an empty slice.
    pub fn g_row(&self, k: usize, dim: usize) -> &[f32] {
        self.g.get(k * dim..(k + 1) * dim).unwrap_or(&[])
    }
}

/// One point of "G(z) walks toward x".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WalkPoint {
    /// training step
    pub step: u64,
    /// RMS of G(z_k) − x over the image, unit space
    pub rms: f64,
    /// G(z_k) at the studied value
    pub g_value: f32,
}

/// ‖G(z_k) − x‖ (RMS) and G(z_k) at value `index` over the probes in `history`.
pub fn walk(history: &[Probe], x: &ImageRgb, draw: usize, index: usize) -> Vec<WalkPoint> {
    let dim = x.dim();
    history
        .iter()
        .filter_map(|p| {
            let g = p.g_row(draw, dim);
            let g_value = *g.get(index)?;
            let sq: f64 = g
                .iter()
                .zip(&x.data)
                .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
                .sum();
            Some(WalkPoint {
                step: p.step,
                rms: (sq / dim as f64).sqrt(),
                g_value,
            })
        })
        .collect()
}

/// The values of an image in a fixed random order that starts with `first`.
pub fn value_order(dim: usize, first: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..dim).filter(|&i| i != first).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(17));
    order.insert(0, first.min(dim.saturating_sub(1)));
    order
}

/// What the panel shows for one probe and one x, computed once per change.
#[derive(Clone, Debug)]
struct Computed {
    key: (u64, u64, u32, usize),
    estimate: MarginalEstimate,
    collapse: Vec<CollapsePoint>,
}

/// State of the likelihood panel.
pub struct LikelihoodPanel {
    /// picked pixel (x, y)
    pub pixel: (usize, usize),
    /// picked channel 0..3
    pub channel: usize,
    /// σ of the Gaussian p(x|z)
    pub sigma: f32,
    /// show the indicator definition instead of the Gaussian one
    pub indicator: bool,
    /// the latest probe
    pub probe: Option<Probe>,
    /// probes of this run with the same z, oldest first (bounded)
    pub history: Vec<Probe>,
    /// a probe in flight
    pub pending: Option<u64>,
    /// the draw followed over training; None: the one that explains x best now
    pub follow: Option<usize>,
    /// the history index shown by the bell; None: the latest
    pub scrub: Option<usize>,
    computed: Option<Computed>,
    x_tex: TextureSlot,
    z_tex: TextureSlot,
    g_tex: TextureSlot,
}

impl Default for LikelihoodPanel {
    fn default() -> Self {
        Self {
            pixel: (8, 8),
            channel: 0,
            sigma: 0.1,
            indicator: false,
            probe: None,
            history: Vec::new(),
            pending: None,
            follow: None,
            scrub: None,
            computed: None,
            x_tex: TextureSlot::default(),
            z_tex: TextureSlot::default(),
            g_tex: TextureSlot::default(),
        }
    }
}

impl LikelihoodPanel {
    /// Flat index of the picked value in a CHW image of side `size`.
    pub fn index(&self, size: usize) -> usize {
        let (x, y) = (self.pixel.0.min(size - 1), self.pixel.1.min(size - 1));
        self.channel * size * size + y * size + x
    }

    /// Study the pixel at fractions (u, v) of the side.
    pub fn pick_pixel(&mut self, u: f32, v: f32, image: &ImageRgb) {
        let at = |f: f32| ((f.clamp(0.0, 1.0) * image.size as f32) as usize).min(image.size - 1);
        self.pixel = (at(u), at(v));
    }

    /// Record a new probe (with the same z as the ones before it).
    pub fn set_probe(&mut self, probe: Probe) {
        if self.history.last().map(|p| p.step) != Some(probe.step) {
            if self.history.len() >= MAX_HISTORY {
                super::curves::thin_by_half(&mut self.history);
            }
            self.history.push(probe.clone());
        }
        self.probe = Some(probe);
        self.scrub = None;
    }

    /// Forget the walk (a new run) and the probe.
    pub fn clear(&mut self) {
        self.history.clear();
        self.probe = None;
        self.scrub = None;
        self.follow = None;
        self.computed = None;
    }

    /// Forget the probes after `step` (the run went back).
    pub fn rewind(&mut self, step: u64) {
        self.history.retain(|p| p.step <= step);
        if self.probe.as_ref().is_some_and(|p| p.step > step) {
            self.probe = self.history.last().cloned();
        }
        self.scrub = None;
    }

    /// The Monte Carlo estimate and collapse curve for the latest probe (cached).
    fn computed(&mut self, x: &ImageRgb, probe: &Probe) -> &Computed {
        let key = (
            probe.step ^ hash_values(&probe.g),
            hash_values(&x.data),
            self.sigma.to_bits(),
            self.index(x.size),
        );
        if self.computed.as_ref().map(|c| c.key) != Some(key) {
            let sigma = self.sigma as f64;
            let order = value_order(x.dim(), self.index(x.size));
            self.computed = Some(Computed {
                key,
                estimate: estimate_marginal(&x.data, &probe.g, sigma),
                collapse: collapse_curve(&x.data, &probe.g, sigma, &order),
            });
        }
        self.computed.as_ref().expect("just computed")
    }

    /// Draw the panel for the model-size image `x`.
    pub fn ui(&mut self, ui: &mut egui::Ui, x: &ImageRgb, out: &mut Vec<AppCommand>) {
        self.controls_ui(ui, out);
        ui.separator();
        let Some(probe) = self.probe.clone() else {
            self.images_ui(ui, x, None, 0);
            ui.label(tr!("likelihood-ask-first"));
            return;
        };
        let estimate = self.computed(x, &probe).estimate.clone();
        let draw = self
            .follow
            .unwrap_or(estimate.best_draw)
            .min(probe.draws - 1);
        self.images_ui(ui, x, Some(&probe), draw);
        ui.separator();
        super::layout::two_columns(ui, 560.0, |ui, column| {
            if column == 0 {
                self.estimate_ui(ui, &estimate);
                self.bell_ui(ui, x, draw);
            } else {
                self.collapse_ui(ui, x, &probe);
                self.walk_ui(ui, x, draw);
            }
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(tr!("likelihood-ask"))
                .on_hover_text(tr!("likelihood-ask-tip"))
                .clicked()
            {
                out.push(AppCommand::Probe);
            }
            if self.pending.is_some() {
                super::repaint::busy_ui(ui);
            }
            ui.weak(tr!("likelihood-g-def", steps = G_STEPS, n = PROBE_DRAWS));
        });
        ui.horizontal_wrapped(|ui| {
            let label = if self.indicator {
                tr!("likelihood-indicator")
            } else {
                tr!("likelihood-gaussian")
            };
            if ui
                .toggle_value(&mut self.indicator, label)
                .on_hover_text(tr!("likelihood-toggle-tip"))
                .changed()
            {
                out.push(AppCommand::IndicatorToggled(self.indicator));
            }
            ui.add(
                egui::Slider::new(&mut self.sigma, 0.005..=1.0)
                    .logarithmic(true)
                    .text("σ"),
            )
            .on_hover_text(tr!("likelihood-sigma-tip"));
        });
    }

    /// z, G(z) and x side by side; a click on x picks the studied value.
    fn images_ui(&mut self, ui: &mut egui::Ui, x: &ImageRgb, probe: Option<&Probe>, draw: usize) {
        let ctx = ui.ctx().clone();
        let size = x.size;
        // Three images and the spacing between them in the width there is.
        let side =
            ((ui.available_width() - 3.0 * ui.spacing().item_spacing.x) / 3.0).clamp(48.0, 160.0);
        ui.horizontal(|ui| {
            if let Some(p) = probe {
                let dim = x.dim();
                let z = p.z.get(draw * dim..(draw + 1) * dim).unwrap_or(&[]);
                let g = p.g_row(draw, dim);
                if z.len() == dim && g.len() == dim {
                    // z ~ N(0, I) is drawn with ±2 mapped to the ends of the range.
                    let z_shown: Vec<f32> = z.iter().map(|v| (v / 2.0).clamp(-1.0, 1.0)).collect();
                    for (slot, id, values, title) in [
                        (
                            &mut self.z_tex,
                            "likelihood-z",
                            z_shown.as_slice(),
                            tr!("likelihood-z-title", k = draw + 1, n = p.draws),
                        ),
                        (
                            &mut self.g_tex,
                            "likelihood-g",
                            g,
                            tr!("likelihood-g-title", step = p.step),
                        ),
                    ] {
                        ui.vertical(|ui| {
                            ui.set_max_width(side);
                            ui.label(title);
                            let tex =
                                slot.update(&ctx, id, hash_values(values) ^ p.step, values, size);
                            ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(side, side)));
                        });
                    }
                }
            }
            ui.vertical(|ui| {
                ui.set_max_width(side);
                ui.label(tr!("likelihood-x"));
                let tex =
                    self.x_tex
                        .update(&ctx, "likelihood-x", hash_values(&x.data), &x.data, size);
                // Exactly the image's rectangle: clicks and the crosshair map through it.
                let (rect, r) =
                    ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::click());
                egui::Image::new(tex).paint_at(ui, rect);
                self.pixel = (self.pixel.0.min(size - 1), self.pixel.1.min(size - 1));
                if let Some(p) = r.clicked().then(|| r.interact_pointer_pos()).flatten() {
                    let u = (p.x - rect.left()) / rect.width();
                    let v = (p.y - rect.top()) / rect.height();
                    self.pick_pixel(u, v, x);
                }
                let cell = rect.width() / size as f32;
                let center = rect.left_top()
                    + egui::vec2(
                        (self.pixel.0 as f32 + 0.5) * cell,
                        (self.pixel.1 as f32 + 0.5) * cell,
                    );
                ui.painter().circle_stroke(
                    center,
                    cell.max(4.0),
                    egui::Stroke::new(2.0, egui::Color32::YELLOW),
                );
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr!("likelihood-pixel", u = self.pixel.0, v = self.pixel.1));
                    for (c, name) in ["R", "G", "B"].iter().enumerate() {
                        if ui.selectable_label(self.channel == c, *name).clicked() {
                            self.channel = c;
                        }
                    }
                });
            });
        });
    }

    fn estimate_ui(&self, ui: &mut egui::Ui, e: &MarginalEstimate) {
        ui.label(egui::RichText::new(tr!("likelihood-integral")).strong());
        if self.indicator {
            ui.label(tr!(
                "likelihood-indicator-estimate",
                hits = e.indicator_hits,
                n = e.draws,
                d = e.dims
            ));
            if e.indicator_hits == 0 {
                ui.colored_label(ui.visuals().warn_fg_color, tr!("likelihood-indicator-zero"));
            }
        } else {
            let se = if e.log_p_x_stderr_nats.is_finite() {
                format!("{:.1}", e.log_p_x_stderr_nats)
            } else {
                "n/a".to_owned()
            };
            ui.label(tr!(
                "likelihood-gaussian-estimate",
                log_p = format!("{:.1}", e.log_p_x_nats),
                se = se,
                d = e.dims,
                bpd = format!("{:.3}", e.bits_per_dim),
                n = e.draws,
                eff = format!("{:.1}", e.effective_draws),
                sigma = format!("{:.3}", e.sigma)
            ));
            ui.weak(tr!("likelihood-ode-escape"));
            if e.effective_draws < FEW_EFFECTIVE_DRAWS {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    tr!("likelihood-dominated", k = e.best_draw + 1),
                );
            } else {
                ui.weak(tr!("likelihood-best-draw", k = e.best_draw + 1));
            }
        }
    }

    /// The bell N(·; G(z_k), σ²) at the studied value, at the scrubbed step, over faint
    /// bells of every other step, and the fixed x.
    fn bell_ui(&mut self, ui: &mut egui::Ui, x: &ImageRgb, draw: usize) {
        let idx = self.index(x.size);
        let points = walk(&self.history, x, draw, idx);
        let Some(last) = points.len().checked_sub(1) else {
            return;
        };
        let at = self.scrub.unwrap_or(last).min(last);
        let xv = x.data[idx] as f64;
        ui.add_space(6.0);
        ui.label(tr!(
            "likelihood-bell",
            k = draw + 1,
            step = points[at].step,
            g = format!("{:.3}", points[at].g_value),
            x = format!("{:.3}", xv)
        ));
        if points.len() > 1 {
            let mut i = at;
            let steps: Vec<u64> = points.iter().map(|p| p.step).collect();
            if ui
                .add(
                    egui::Slider::new(&mut i, 0..=last)
                        .custom_formatter(|v, _| format!("{}", steps[(v as usize).min(last)]))
                        .text(tr!("likelihood-step-scrub")),
                )
                .changed()
            {
                self.scrub = Some(i);
            }
        }
        let s = self.sigma as f64;
        let bell = |g: f64| -> Vec<[f64; 2]> {
            (0..=240)
                .map(|i| {
                    let v = -1.2 + 2.4 * i as f64 / 240.0;
                    [v, normal_log_pdf(v, g, 2.0 * s.ln()).exp()]
                })
                .collect()
        };
        let indicator = self.indicator;
        Plot::new("likelihood-bell")
            .height(150.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .x_axis_label(tr!("likelihood-axis-value"))
            .y_axis_label(if indicator {
                "p(x|z)"
            } else {
                tr!("likelihood-axis-density")
            })
            .show(ui, |p| {
                let now = points[at].g_value as f64;
                if indicator {
                    p.line(
                        Line::new(tr!("likelihood-spike"), vec![[now, 0.0], [now, 1.0]])
                            .color(GAUSSIAN)
                            .width(3.0),
                    );
                } else {
                    for (i, w) in points.iter().enumerate() {
                        if i != at {
                            p.line(
                                Line::new("", bell(w.g_value as f64))
                                    .color(colors::GREY)
                                    .width(0.7),
                            );
                        }
                    }
                    p.line(
                        Line::new(tr!("likelihood-bell-now"), bell(now))
                            .color(GAUSSIAN)
                            .width(2.5),
                    );
                }
                p.vline(VLine::new(tr!("likelihood-x-line"), xv).color(X_LINE));
            });
        let shown = if indicator {
            tr!("likelihood-spike")
        } else {
            tr!("likelihood-bell-now")
        };
        key_ui(
            ui,
            &[
                (GAUSSIAN, "━", shown),
                (colors::GREY, "━", tr!("likelihood-key-other-steps")),
                (X_LINE, "┃", tr!("likelihood-x-line")),
            ],
        );
    }

    /// log₁₀ P against log₂ d: the Gaussian bin probability and the indicator's hit rate,
    /// with zero hits drawn at the bottom edge (−∞) and 1/N as a dashed line.
    fn collapse_ui(&mut self, ui: &mut egui::Ui, x: &ImageRgb, probe: &Probe) {
        let collapse = self.computed(x, probe).collapse.clone();
        let n = probe.draws.max(1) as f64;
        ui.label(egui::RichText::new(tr!("likelihood-collapse")).strong());
        let floor_1_n = -(n.log10());
        let lowest = collapse
            .iter()
            .map(|c| c.log10_gaussian)
            .filter(|v| v.is_finite())
            .fold(floor_1_n, f64::min);
        let bottom = (lowest * 1.08).min(lowest - 1.0).floor();
        let top = 0.5;
        let last = collapse.last().map(|c| c.d).unwrap_or(1);
        let x_max = (last as f64).log2();
        let zero_hits: Vec<[f64; 2]> = collapse
            .iter()
            .filter(|c| c.hits == 0)
            .map(|c| [(c.d as f64).log2(), bottom])
            .collect();
        let hits: Vec<[f64; 2]> = collapse
            .iter()
            .filter(|c| c.hits > 0)
            .map(|c| [(c.d as f64).log2(), c.log10_indicator])
            .collect();
        let gaussian: Vec<[f64; 2]> = collapse
            .iter()
            .map(|c| [(c.d as f64).log2(), c.log10_gaussian])
            .collect();
        let indicator_first = self.indicator;
        let one_over_n = tr!("likelihood-one-over-n", n = probe.draws);
        Plot::new("likelihood-collapse")
            .height(190.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .x_axis_label(tr!("likelihood-axis-d"))
            .y_axis_label(tr!("likelihood-axis-log-p"))
            // a labelled mark at d = 1, 4, 16, 64, 256, …
            .x_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 2.0, 4.0]))
            .x_axis_formatter(|mark, _| format!("{:.0}", 2f64.powf(mark.value)))
            .show(ui, |p| {
                // Fixed every frame: the bottom edge is where −∞ is drawn.
                p.set_plot_bounds_x(-0.3..=x_max + 0.3);
                p.set_plot_bounds_y(bottom - 0.03 * (top - bottom)..=top);
                let g = Line::new(tr!("likelihood-collapse-gaussian"), gaussian).color(GAUSSIAN);
                p.line(if indicator_first {
                    g.width(1.0)
                } else {
                    g.width(2.0)
                });
                if !hits.is_empty() {
                    p.points(
                        Points::new(tr!("likelihood-collapse-indicator"), hits)
                            .radius(4.0)
                            .filled(true)
                            .color(INDICATOR),
                    );
                }
                if !zero_hits.is_empty() {
                    p.points(
                        Points::new(tr!("likelihood-zero-hits"), zero_hits)
                            .shape(MarkerShape::Down)
                            .radius(6.0)
                            .color(ZERO),
                    );
                }
                p.hline(
                    HLine::new(one_over_n.clone(), floor_1_n)
                        .color(colors::GREY)
                        .style(LineStyle::dashed_loose()),
                );
            });
        key_ui(
            ui,
            &[
                (GAUSSIAN, "━", tr!("likelihood-collapse-gaussian")),
                (INDICATOR, "●", tr!("likelihood-collapse-indicator")),
                (ZERO, "▼", tr!("likelihood-zero-hits")),
                (colors::GREY, "╌", &one_over_n),
            ],
        );
        ui.weak(tr!("likelihood-collapse-note", n = probe.draws));
    }

    /// ‖G(z_k) − x‖ over training, for the followed draw and for the nearest of all draws.
    fn walk_ui(&mut self, ui: &mut egui::Ui, x: &ImageRgb, draw: usize) {
        ui.add_space(6.0);
        ui.label(egui::RichText::new(tr!("likelihood-walk")).strong());
        let draws = self.history.last().map(|p| p.draws).unwrap_or(0);
        ui.horizontal(|ui| {
            let mut auto = self.follow.is_none();
            if ui
                .checkbox(&mut auto, tr!("likelihood-follow-best"))
                .on_hover_text(tr!("likelihood-follow-best-tip"))
                .changed()
            {
                self.follow = if auto { None } else { Some(draw) };
            }
            if let (Some(k), true) = (self.follow.as_mut(), draws > 1) {
                let mut shown = *k + 1;
                if ui
                    .add(egui::Slider::new(&mut shown, 1..=draws).text("k"))
                    .changed()
                {
                    *k = shown - 1;
                }
            }
        });
        let idx = self.index(x.size);
        let followed: Vec<[f64; 2]> = walk(&self.history, x, draw, idx)
            .iter()
            .map(|w| [w.step as f64, w.rms])
            .collect();
        let nearest: Vec<[f64; 2]> = self
            .history
            .iter()
            .map(|p| {
                let best = (0..p.draws)
                    .filter_map(|k| {
                        walk(std::slice::from_ref(p), x, k, idx)
                            .first()
                            .map(|w| w.rms)
                    })
                    .fold(f64::INFINITY, f64::min);
                [p.step as f64, best]
            })
            .collect();
        if followed.len() < 2 {
            ui.weak(tr!("likelihood-walk-empty"));
        }
        let followed_name = tr!("likelihood-walk-followed", k = draw + 1);
        Plot::new("likelihood-walk")
            .height(130.0)
            .allow_scroll(false)
            .x_axis_label(tr!("likelihood-axis-step"))
            .y_axis_label(tr!("likelihood-axis-rms"))
            .include_y(0.0)
            .show(ui, |p| {
                p.line(Line::new(followed_name.clone(), followed.clone()).color(GAUSSIAN));
                p.points(
                    Points::new(followed_name.clone(), followed)
                        .radius(3.0)
                        .color(GAUSSIAN),
                );
                p.line(
                    Line::new(tr!("likelihood-walk-nearest"), nearest)
                        .color(INDICATOR)
                        .style(LineStyle::dashed_loose()),
                );
            });
        key_ui(
            ui,
            &[
                (GAUSSIAN, "━●", &followed_name),
                (INDICATOR, "╌", tr!("likelihood-walk-nearest")),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(step: u64, g: f32) -> Probe {
        Probe {
            step,
            z: vec![0.0; 24],
            g: vec![g; 24],
            draws: 2,
        }
    }

    #[test]
    fn the_walk_follows_g_toward_x_and_rewinds() {
        let x = ImageRgb {
            size: 2,
            data: vec![0.5; 12],
        };
        let mut panel = LikelihoodPanel::default();
        for (step, g) in [(0, -0.5), (100, 0.0), (200, 0.4)] {
            panel.set_probe(probe(step, g));
        }
        let w = walk(&panel.history, &x, 1, 3);
        assert_eq!(
            w.iter().map(|p| p.step).collect::<Vec<_>>(),
            vec![0, 100, 200]
        );
        assert!((w[0].rms - 1.0).abs() < 1e-6 && (w[2].rms - 0.1).abs() < 1e-6);
        assert_eq!(w[1].g_value, 0.0);
        panel.rewind(150);
        assert_eq!(panel.history.len(), 2);
        assert_eq!(panel.probe.as_ref().map(|p| p.step), Some(100));
        panel.clear();
        assert!(panel.history.is_empty() && panel.probe.is_none());
    }

    #[test]
    fn the_order_starts_with_the_studied_value() {
        let o = value_order(12, 5);
        assert_eq!(o[0], 5);
        let mut s = o.clone();
        s.sort();
        assert_eq!(s, (0..12).collect::<Vec<_>>());
    }
}
