//! Panel ③: the likelihood p(x | z). G(z) is the model's x̂₀ from z = x_t, the chosen image
//! noised to t. The Gaussian view p(x|z) = N(x; G(z), σ²) gives every x some density; the
//! "indicator" view p(x|z) = 1 if G(z) = x else 0 gives almost every x probability zero.

use super::AppCommand;
use super::textures::{TextureSlot, hash_values};
use crate::data::ImageRgb;
use crate::diffusion::gaussian::{normal_log_pdf, standard_normal_cdf};
use crate::tr;
use egui_plot::{HLine, Legend, Line, Plot, Points, VLine};
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// |G(z) − x| below this counts as "G(z) = x": the same 8-bit value.
pub const EQUAL_TOLERANCE: f32 = 1.0 / 255.0;
/// Draws of z per probe.
pub const PROBE_DRAWS: usize = 16;

/// The model's x̂₀ for several z, at one training step.
#[derive(Clone, Debug)]
pub struct Probe {
    /// training step of the weights
    pub step: u64,
    /// the t of z = x_t
    pub t: usize,
    /// [draws, dim] x̂₀ values
    pub g: Vec<f32>,
    /// number of draws
    pub draws: usize,
}

/// State of the likelihood panel.
pub struct LikelihoodPanel {
    /// picked pixel (x, y)
    pub pixel: (usize, usize),
    /// picked channel 0..3
    pub channel: usize,
    /// σ of the Gaussian view
    pub sigma: f32,
    /// indicator view instead of the Gaussian one
    pub indicator: bool,
    /// t for z = x_t
    pub probe_t: usize,
    /// latest probe
    pub probe: Option<Probe>,
    /// (step, G(z) at the picked value) over training
    pub history: Vec<(u64, f32)>,
    /// a probe in flight
    pub pending: Option<u64>,
    image_tex: TextureSlot,
    g_tex: TextureSlot,
}

impl Default for LikelihoodPanel {
    fn default() -> Self {
        Self {
            pixel: (16, 16),
            channel: 0,
            sigma: 0.1,
            indicator: false,
            probe_t: 300,
            probe: None,
            history: Vec::new(),
            pending: None,
            image_tex: TextureSlot::default(),
            g_tex: TextureSlot::default(),
        }
    }
}

/// The statistics the panel shows, computed from a probe (pure, for tests).
#[derive(Clone, Debug, PartialEq)]
pub struct LikelihoodStats {
    /// G(z) at the picked value, first draw
    pub g: f32,
    /// x at the picked value
    pub x: f32,
    /// log N(x; G, σ²), nats
    pub log_likelihood: f64,
    /// draws with |G(z) − x| < tolerance at the picked value
    pub hits: usize,
    /// draws
    pub draws: usize,
    /// (d, fraction of draws with ‖G(z) − x‖∞ < tol on the first d dims)
    pub indicator_curve: Vec<(usize, f64)>,
    /// (d, log₁₀ of the mean over draws of P_Gauss(‖y − x‖∞ < tol | z) on the first d dims)
    pub gaussian_curve: Vec<(usize, f64)>,
}

/// Compute [`LikelihoodStats`] for the value at `index` of `x`.
pub fn stats(x: &ImageRgb, probe: &Probe, index: usize, sigma: f32) -> LikelihoodStats {
    let dim = x.dim();
    let draws = probe.draws.max(1);
    let row = |k: usize| &probe.g[k * dim..(k + 1) * dim];
    let g = row(0)[index];
    let xv = x.data[index];
    let logvar = 2.0 * (sigma as f64).ln();
    let hits = (0..draws)
        .filter(|&k| (row(k)[index] - xv).abs() < EQUAL_TOLERANCE)
        .count();
    // Dimensions in a fixed order that starts with the picked one.
    let mut order: Vec<usize> = (0..dim).filter(|&i| i != index).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(17));
    order.insert(0, index);
    let mut ds = vec![];
    let mut d = 1;
    while d < dim {
        ds.push(d);
        d *= 2;
    }
    ds.push(dim);
    let tol = EQUAL_TOLERANCE as f64;
    let sigma64 = sigma as f64;
    let mut indicator_curve = Vec::new();
    let mut gaussian_curve = Vec::new();
    for &d in &ds {
        let dims = &order[..d];
        let within = (0..draws)
            .filter(|&k| {
                dims.iter()
                    .all(|&i| (row(k)[i] - x.data[i]).abs() < EQUAL_TOLERANCE)
            })
            .count();
        indicator_curve.push((d, within as f64 / draws as f64));
        // log P(‖y − x‖∞ < tol) for y ~ N(G(z), σ²): Σ_i log(Φ((x+tol−G)/σ) − Φ((x−tol−G)/σ)).
        let logs: Vec<f64> = (0..draws)
            .map(|k| {
                dims.iter()
                    .map(|&i| {
                        let (gx, xx) = (row(k)[i] as f64, x.data[i] as f64);
                        let p = standard_normal_cdf((xx + tol - gx) / sigma64)
                            - standard_normal_cdf((xx - tol - gx) / sigma64);
                        p.max(1e-300).ln()
                    })
                    .sum::<f64>()
            })
            .collect();
        let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let log_mean = m + (logs.iter().map(|l| (l - m).exp()).sum::<f64>() / draws as f64).ln();
        gaussian_curve.push((d, log_mean / std::f64::consts::LN_10));
    }
    LikelihoodStats {
        g,
        x: xv,
        log_likelihood: normal_log_pdf(xv as f64, g as f64, logvar),
        hits,
        draws,
        indicator_curve,
        gaussian_curve,
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
        self.history.clear();
        if let Some(probe) = self.probe.clone() {
            self.set_probe(probe, image);
        }
    }

    /// Record a new probe.
    pub fn set_probe(&mut self, probe: Probe, image: &ImageRgb) {
        let idx = self.index(image.size);
        if let Some(&g) = probe.g.get(idx) {
            if self.history.last().map(|(s, _)| *s) != Some(probe.step) {
                self.history.push((probe.step, g));
            }
        }
        self.probe = Some(probe);
        self.g_tex.invalidate();
    }

    /// Draw the panel for the model-size image `x`.
    pub fn ui(&mut self, ui: &mut egui::Ui, x: &ImageRgb, t_max: usize, out: &mut Vec<AppCommand>) {
        let size = x.size;
        self.probe_t = self.probe_t.clamp(1, t_max);
        ui.horizontal(|ui| {
            ui.label(tr!("likelihood-z"));
            if ui
                .add(egui::Slider::new(&mut self.probe_t, 1..=t_max))
                .on_hover_text(tr!("likelihood-z-tip"))
                .drag_stopped()
            {
                out.push(AppCommand::Probe);
            }
            if ui.button(tr!("likelihood-ask")).clicked() {
                out.push(AppCommand::Probe);
            }
            if self.pending.is_some() {
                ui.spinner();
            }
            ui.separator();
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
        });
        ui.separator();
        let ctx = ui.ctx().clone();
        let idx = self.index(size);
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.label(tr!("likelihood-x"));
            let tex =
                self.image_tex
                    .update(&ctx, "likelihood-x", hash_values(&x.data), &x.data, size);
            let side = ui.available_width().min(256.0);
            // Exactly the image's rectangle: clicks and the crosshair map through it (an Image
            // widget's response may be as wide as the column).
            let (rect, r) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::click());
            egui::Image::new(tex).paint_at(ui, rect);
            self.pixel = (self.pixel.0.min(size - 1), self.pixel.1.min(size - 1));
            if r.clicked() {
                if let Some(p) = r.interact_pointer_pos() {
                    let u = ((p.x - rect.left()) / rect.width() * size as f32).floor() as usize;
                    let v = ((p.y - rect.top()) / rect.height() * size as f32).floor() as usize;
                    self.pixel = (u.min(size - 1), v.min(size - 1));
                    self.history.clear();
                    if let Some(probe) = self.probe.clone() {
                        self.set_probe(probe, x);
                    }
                }
            }
            // crosshair
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
            ui.horizontal(|ui| {
                ui.label(tr!("likelihood-pixel", u = self.pixel.0, v = self.pixel.1));
                for (c, name) in ["R", "G", "B"].iter().enumerate() {
                    if ui.selectable_label(self.channel == c, *name).clicked() {
                        self.channel = c;
                        self.history.clear();
                    }
                }
            });
            if let Some(probe) = &self.probe {
                ui.label(tr!("likelihood-g", step = probe.step, t = probe.t));
                let g0 = &probe.g[..x.dim().min(probe.g.len())];
                let tex =
                    self.g_tex
                        .update(&ctx, "likelihood-g", hash_values(g0) ^ probe.step, g0, size);
                ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(side * 0.6, side * 0.6)));
            }

            let ui = &mut cols[1];
            let Some(probe) = &self.probe else {
                ui.label(tr!("likelihood-ask-first"));
                return;
            };
            let st = stats(x, probe, idx, self.sigma);
            if self.indicator {
                let equal = (st.g - st.x).abs() < EQUAL_TOLERANCE;
                ui.label(tr!(
                    "likelihood-indicator-value",
                    x = format!("{:.4}", st.x),
                    g = format!("{:.4}", st.g),
                    p = if equal { 1 } else { 0 }
                ));
                Plot::new("indicator-spike")
                    .height(150.0)
                    .allow_scroll(false)
                    .legend(Legend::default())
                    .show(ui, |p| {
                        p.line(
                            Line::new(
                                tr!("likelihood-spike"),
                                vec![[st.g as f64, 0.0], [st.g as f64, 1.0]],
                            )
                            .width(3.0),
                        );
                        p.vline(VLine::new("x", st.x as f64));
                    });
            } else {
                ui.add(
                    egui::Slider::new(&mut self.sigma, 0.01..=1.0)
                        .logarithmic(true)
                        .text("σ"),
                )
                .on_hover_text(tr!("likelihood-sigma-tip"));
                ui.label(tr!(
                    "likelihood-gaussian-value",
                    x = format!("{:.4}", st.x),
                    g = format!("{:.4}", st.g),
                    sigma = format!("{:.3}", self.sigma),
                    log_p = format!("{:.3}", st.log_likelihood)
                ));
                let (g, s) = (st.g as f64, self.sigma as f64);
                let curve: Vec<[f64; 2]> = (0..=300)
                    .map(|i| {
                        let v = -1.5 + 3.0 * i as f64 / 300.0;
                        [v, normal_log_pdf(v, g, 2.0 * s.ln()).exp()]
                    })
                    .collect();
                Plot::new("gaussian")
                    .height(150.0)
                    .allow_scroll(false)
                    .legend(Legend::default())
                    .show(ui, |p| {
                        p.line(Line::new("N(·; G(z), σ²)", curve));
                        p.vline(VLine::new("x", st.x as f64));
                        p.points(
                            Points::new("p(x|z)", vec![[st.x as f64, st.log_likelihood.exp()]])
                                .radius(4.0),
                        );
                    });
            }
            ui.label(tr!(
                "likelihood-monte-carlo",
                draws = st.draws,
                hits = st.hits
            ));
            ui.label(tr!("likelihood-collapse"));
            Plot::new("collapse")
                .height(150.0)
                .allow_scroll(false)
                .legend(Legend::default())
                .x_axis_label("log₂ d")
                .y_axis_label("log₁₀ P")
                .show(ui, |p| {
                    let floor = -((st.draws as f64) * 10.0).log10();
                    let ind: Vec<[f64; 2]> = st
                        .indicator_curve
                        .iter()
                        .map(|&(d, f)| [(d as f64).log2(), if f > 0.0 { f.log10() } else { floor }])
                        .collect();
                    let gau: Vec<[f64; 2]> = st
                        .gaussian_curve
                        .iter()
                        .map(|&(d, l)| [(d as f64).log2(), l.max(-300.0)])
                        .collect();
                    p.line(Line::new(tr!("likelihood-collapse-indicator"), ind));
                    p.line(Line::new(tr!("likelihood-collapse-gaussian"), gau));
                    p.hline(HLine::new(tr!("likelihood-zero-hits"), floor));
                });
            if self.history.len() > 1 {
                ui.label(tr!("likelihood-walk"));
                let pts: Vec<[f64; 2]> = self
                    .history
                    .iter()
                    .map(|&(s, g)| [s as f64, g as f64])
                    .collect();
                Plot::new("walk")
                    .height(110.0)
                    .allow_scroll(false)
                    .show(ui, |p| {
                        p.line(Line::new("G(z)", pts));
                        p.hline(HLine::new("x", st.x as f64));
                    });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_count_hits_and_collapse() {
        let x = ImageRgb {
            size: 2,
            data: vec![0.0; 12],
        };
        // draw 0 equals x exactly; draw 1 is off by 0.1 everywhere
        let mut g = vec![0.0f32; 12];
        g.extend(vec![0.1f32; 12]);
        let probe = Probe {
            step: 5,
            t: 10,
            g,
            draws: 2,
        };
        let st = stats(&x, &probe, 3, 0.1);
        assert_eq!(st.hits, 1);
        assert_eq!(st.indicator_curve.first(), Some(&(1, 0.5)));
        assert_eq!(st.indicator_curve.last(), Some(&(12, 0.5)));
        // Gaussian: more dimensions, smaller probability.
        assert!(st.gaussian_curve.windows(2).all(|w| w[1].1 < w[0].1));
        let expect = normal_log_pdf(0.0, 0.0, 2.0 * 0.1f64.ln());
        assert!((st.log_likelihood - expect).abs() < 1e-6);
    }
}
