//! Panel ①: the forward process q(x_t | x_0) on the chosen image.

use super::AppCommand;
use super::plot_key::{colors, key_ui};
use super::textures::{TextureSlot, color_image, hash_values};
use crate::data::ImageRgb;
use crate::diffusion::Schedule;
use crate::diffusion::gaussian::normal_log_pdf;
use crate::diffusion::process::{q_sample, standard_normal_vec};
use crate::tr;
use egui_plot::{Bar, BarChart, Line, Plot, VLine};
use rand::SeedableRng;

/// Side of the image shown in this panel (larger than the model's, so the noise is visible).
pub const FORWARD_SIZE: usize = 96;
/// Timesteps shown in the strip.
const STRIP: usize = 8;

/// The image the user chose, at the display size and at the model's size.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceImage {
    /// file name or example name
    pub name: String,
    /// which built-in example this is (its name follows the language)
    pub example: Option<usize>,
    /// at [`FORWARD_SIZE`]
    pub display: ImageRgb,
    /// at the model's size
    pub model: ImageRgb,
}

/// State of the forward panel.
pub struct ForwardPanel {
    /// the timestep shown (0 = the clean image)
    pub t: usize,
    /// animating t upward
    pub playing: bool,
    noise_seed: u64,
    eps: Vec<f32>,
    x_t: Vec<f32>,
    x_t_key: Option<(u64, usize, u64)>,
    main_tex: TextureSlot,
    strip_tex: Vec<TextureSlot>,
    play_accum: f32,
}

impl ForwardPanel {
    /// A panel at t = T/4 with noise from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            t: 250,
            playing: false,
            noise_seed: seed,
            eps: Vec::new(),
            x_t: Vec::new(),
            x_t_key: None,
            main_tex: TextureSlot::default(),
            strip_tex: (0..STRIP).map(|_| TextureSlot::default()).collect(),
            play_accum: 0.0,
        }
    }

    /// x_t of the display image at the current t (recomputed when the image, t or schedule changes).
    pub fn x_t(&mut self, image: &SourceImage, schedule: &Schedule) -> &[f32] {
        let t = self.t.min(schedule.timesteps());
        let key = (hash_values(&image.display.data), t, schedule_key(schedule));
        if self.x_t_key != Some(key) {
            if self.eps.len() != image.display.dim() {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.noise_seed);
                self.eps = standard_normal_vec(&mut rng, image.display.dim());
            }
            self.x_t = q_sample(schedule, &image.display.data, t, &self.eps);
            self.x_t_key = Some(key);
        }
        &self.x_t
    }

    /// Draw the panel.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        image: &SourceImage,
        schedule: &Schedule,
        out: &mut Vec<AppCommand>,
    ) {
        let t_max = schedule.timesteps();
        self.t = self.t.min(t_max);
        if self.playing {
            let dt = ui.input(|i| i.stable_dt).min(0.1);
            self.play_accum += dt * t_max as f32 / 3.0; // the whole way in three seconds
            let advance = self.play_accum.floor() as usize;
            self.play_accum -= advance as f32;
            self.t = (self.t + advance).min(t_max);
            if self.t >= t_max {
                self.playing = false;
            }
            ui.ctx()
                .request_repaint_after(super::repaint::ANIMATION_FRAME);
        }

        ui.horizontal_wrapped(|ui| {
            let name: &str = match image.example {
                Some(i) => super::examples::name(i),
                None => &image.name,
            };
            ui.label(egui::RichText::new(format!("x₀ = {name}")).strong());
            ui.separator();
            if ui
                .button(tr!("menu-open-image"))
                .on_hover_text(tr!("forward-open-tip"))
                .clicked()
            {
                out.push(AppCommand::OpenImageDialog);
            }
            ui.menu_button(tr!("forward-examples"), |ui| {
                for i in 0..super::examples::COUNT {
                    if ui.button(super::examples::name(i)).clicked() {
                        out.push(AppCommand::UseExample(i));
                        ui.close();
                    }
                }
            });
            if ui
                .button(tr!("forward-train-on-image"))
                .on_hover_text(tr!("forward-train-on-image-tip"))
                .clicked()
            {
                out.push(AppCommand::TrainOnImage);
            }
        });
        ui.separator();

        let ctx = ui.ctx().clone();
        let x_t = self.x_t(image, schedule).to_vec();
        super::layout::two_columns(ui, 520.0, |ui, column| {
            if column == 0 {
                let key = hash_values(&x_t);
                let tex = self
                    .main_tex
                    .update(&ctx, "forward-x_t", key, &x_t, FORWARD_SIZE);
                let side = ui.available_width().min(340.0);
                ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(side, side)))
                    .on_hover_text(tr!("forward-x-t-tip"));
                ui.horizontal(|ui| {
                    if ui
                        .button(if self.playing { "❚❚" } else { "▶" })
                        .on_hover_text(tr!("forward-play-tip"))
                        .clicked()
                    {
                        if self.t >= t_max {
                            self.t = 0;
                        }
                        self.playing = !self.playing;
                    }
                    if ui.button("◀").on_hover_text("t − 1").clicked() {
                        self.t = self.t.saturating_sub(1);
                    }
                    if ui.button("▶|").on_hover_text("t + 1").clicked() {
                        self.t = (self.t + 1).min(t_max);
                    }
                    // Room for the value box and the "t" after the slider, so the row never
                    // grows past its column (ui.columns would then widen both columns).
                    ui.spacing_mut().slider_width = (ui.available_width() - 90.0).max(60.0);
                    ui.add(egui::Slider::new(&mut self.t, 0..=t_max).text("t"))
                        .on_hover_text(tr!("forward-t-tip"));
                });
                let ab = schedule.alpha_bar(self.t);
                ui.label(format!(
                    "t = {}   β_t = {:.5}   ᾱ_t = {:.4}   SNR = ᾱ/(1−ᾱ) = {:.3e}",
                    self.t,
                    schedule.beta(self.t),
                    ab,
                    if self.t == 0 {
                        f64::INFINITY
                    } else {
                        schedule.snr(self.t)
                    }
                ));
                ui.label(tr!(
                    "forward-mix",
                    a = format!("{:.3}", ab.sqrt()),
                    b = format!("{:.3}", (1.0 - ab).sqrt()),
                    share = format!("{:.1}", 100.0 * ab)
                ));
                if ui
                    .button(tr!("forward-denoise"))
                    .on_hover_text(tr!("forward-denoise-tip"))
                    .clicked()
                {
                    out.push(AppCommand::SampleFromImage);
                }
                ui.add_space(6.0);
                ui.label(tr!("forward-strip"));
                ui.horizontal_wrapped(|ui| {
                    // The strip changes only with the image, the schedule or the noise: recompute
                    // x_t (inside update_with) only then, not every frame.
                    let strip_key = self
                        .x_t_key
                        .map(|(img, _, sched)| img ^ sched.rotate_left(17))
                        .unwrap_or(0);
                    for (i, slot) in self.strip_tex.iter_mut().enumerate() {
                        let t = i * t_max / (STRIP - 1);
                        let eps = &self.eps;
                        let tex = slot.update_with(
                            &ctx,
                            &format!("forward-strip-{i}"),
                            strip_key ^ t as u64,
                            || {
                                color_image(
                                    &q_sample(schedule, &image.display.data, t, eps),
                                    FORWARD_SIZE,
                                )
                            },
                        );
                        let r = ui
                            .add(
                                egui::Image::new(tex)
                                    .fit_to_exact_size(egui::vec2(40.0, 40.0))
                                    .sense(egui::Sense::click()),
                            )
                            .on_hover_text(format!("t = {t}"));
                        if r.clicked() {
                            self.t = t;
                            self.playing = false;
                        }
                    }
                });
            } else {
                schedule_plots(ui, schedule, self.t);
                histogram(ui, &x_t);
            }
        });
    }
}

fn schedule_key(s: &Schedule) -> u64 {
    (s.timesteps() as u64) << 8 | s.kind() as u64
}

/// β_t, ᾱ_t and log₁₀ SNR with a marker at t.
pub fn schedule_plots(ui: &mut egui::Ui, schedule: &Schedule, t: usize) {
    let t_max = schedule.timesteps();
    let h = 120.0;
    let pts = |f: &dyn Fn(usize) -> f64| -> Vec<[f64; 2]> {
        (1..=t_max).map(|s| [s as f64, f(s)]).collect()
    };
    ui.label(tr!("forward-plot-alpha-bar"));
    Plot::new("alpha_bar")
        .height(h)
        .allow_scroll(false)
        .x_axis_label("t")
        .y_axis_label(tr!("forward-axis-share"))
        .show(ui, |p| {
            p.line(Line::new("ᾱ_t", pts(&|s| schedule.alpha_bar(s))).color(colors::BLUE));
            p.line(
                Line::new("1 − ᾱ_t", pts(&|s| 1.0 - schedule.alpha_bar(s))).color(colors::ORANGE),
            );
            p.vline(VLine::new("t", t as f64).color(colors::YELLOW));
        });
    key_ui(
        ui,
        &[
            (colors::BLUE, "━", tr!("forward-key-alpha-bar")),
            (colors::ORANGE, "━", tr!("forward-key-noise")),
            (colors::YELLOW, "┃", tr!("forward-key-t")),
        ],
    );
    ui.label(tr!("forward-plot-beta"));
    Plot::new("beta")
        .height(h * 0.8)
        .allow_scroll(false)
        .x_axis_label("t")
        .y_axis_label("β_t")
        .show(ui, |p| {
            p.line(Line::new("β_t", pts(&|s| schedule.beta(s))).color(colors::ORANGE));
            p.vline(VLine::new("t", t as f64).color(colors::YELLOW));
        });
    ui.label("log₁₀ SNR(t)");
    Plot::new("snr")
        .height(h * 0.8)
        .allow_scroll(false)
        .x_axis_label("t")
        .y_axis_label("log₁₀ SNR")
        .show(ui, |p| {
            p.line(
                Line::new("log₁₀ SNR", pts(&|s| schedule.snr(s).max(1e-12).log10()))
                    .color(colors::ORANGE),
            );
            p.vline(VLine::new("t", t as f64).color(colors::YELLOW));
        });
}

/// Histogram of the values of x_t against the N(0, 1) density.
pub fn histogram(ui: &mut egui::Ui, x_t: &[f32]) {
    const BINS: usize = 48;
    const LO: f64 = -4.0;
    const HI: f64 = 4.0;
    let width = (HI - LO) / BINS as f64;
    let mut counts = [0usize; BINS];
    for &v in x_t {
        let b = ((v as f64 - LO) / width).floor();
        if (0.0..BINS as f64).contains(&b) {
            counts[b as usize] += 1;
        }
    }
    let n = x_t.len().max(1) as f64;
    let bars: Vec<Bar> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| Bar::new(LO + (i as f64 + 0.5) * width, c as f64 / (n * width)).width(width))
        .collect();
    let density: Vec<[f64; 2]> = (0..=200)
        .map(|i| {
            let x = LO + (HI - LO) * i as f64 / 200.0;
            [x, normal_log_pdf(x, 0.0, 0.0).exp()]
        })
        .collect();
    ui.label(tr!("forward-plot-histogram"));
    Plot::new("histogram")
        .height(130.0)
        .allow_scroll(false)
        .x_axis_label(tr!("forward-axis-value"))
        .y_axis_label(tr!("forward-axis-density"))
        .show(ui, |p| {
            p.bar_chart(BarChart::new(tr!("forward-histogram-bars"), bars).color(colors::ORANGE));
            p.line(Line::new("N(0, 1)", density).color(colors::BLUE));
        });
    key_ui(
        ui,
        &[
            (colors::ORANGE, "▮", tr!("forward-histogram-bars")),
            (colors::BLUE, "━", "N(0, 1)"),
        ],
    );
}
