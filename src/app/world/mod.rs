//! Panel ⑤, the 1-D and 2-D worlds: the whole distribution at once. A small MLP trains in
//! seconds on its own worker thread ([`crate::train::toy`]); this panel only draws what the
//! worker sends and turns clicks into commands for it.
//!
//! - 1-D: the exact forward marginal q(x_t) as a heat map over (t, x) with the reverse paths
//!   of particles over it; the generator G(z) (deterministic DDIM) as a curve; the note's
//!   P_θ(x) = ∫ N(z; 0, 1) N(x; G(z), σ²) dz (exact per linear piece of G, `density.rs`) beside the data density, a histogram
//!   of samples and the σ → 0 limit (the push-forward density); the indicator likelihood's
//!   ∫ N(z) 1[G(z) = x] dz = 0 where the line x meets the curve G only at isolated z*; and
//!   the bell N(·; G(z₀), σ²) sliding toward x over training.
//! - 2-D: particles flowing from N(0, I) to the data with the learned −ε̂ field, and the
//!   sliced Wasserstein distance to the data over training, beside its floor and its start.

use super::plot_key::{colors, key_ui};
use crate::data::ImageRgb;
use crate::data::points::{ToyData, default_mixture, image_cloud, pixel_values};
use crate::diffusion::toy::{GaussianMixture1d, indicator_integral};
use crate::tr;
use crate::train::toy::{ToyCommand, ToyConfig, ToyEvent, ToyView, ToyWorker};
use egui_plot::{HLine, Line, Plot, PlotImage, PlotPoint, Points};
use rand::SeedableRng;

mod density;
mod flow_2d;
pub mod lab;
mod walk;
use density::Densities;

/// The data the student picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// the editable 1-D mixture
    Mixture,
    /// the pixel values of the image under study (1-D)
    Pixels,
    /// two moons
    Moons,
    /// a spiral
    Spiral,
    /// three rings
    Rings,
    /// a grid of Gaussians
    Grid,
    /// the dark pixels of the image under study (2-D)
    ImageDark,
    /// the bright pixels of the image under study (2-D)
    ImageBright,
    /// three overlapping labelled classes (2-D), a conditional model for guidance
    Overlap,
    /// the dark and the bright pixels of the image under study as two classes (2-D), a
    /// conditional model for guidance
    ImageClasses,
}

impl Choice {
    /// Every choice, 1-D first.
    pub const ALL: [Choice; 10] = [
        Choice::Mixture,
        Choice::Pixels,
        Choice::Moons,
        Choice::Spiral,
        Choice::Rings,
        Choice::Grid,
        Choice::ImageDark,
        Choice::ImageBright,
        Choice::Overlap,
        Choice::ImageClasses,
    ];

    fn label(self) -> &'static str {
        match self {
            Choice::Mixture => tr!("world-data-mixture"),
            Choice::Pixels => tr!("world-data-pixels"),
            Choice::Moons => tr!("world-data-moons"),
            Choice::Spiral => tr!("world-data-spiral"),
            Choice::Rings => tr!("world-data-rings"),
            Choice::Grid => tr!("world-data-grid"),
            Choice::ImageDark => tr!("world-data-image-dark"),
            Choice::ImageBright => tr!("world-data-image-bright"),
            Choice::Overlap => tr!("world-data-overlap"),
            Choice::ImageClasses => tr!("world-data-image-classes"),
        }
    }
}

/// Points of history kept; past this the older half is thinned.
const MAX_HISTORY: usize = 2000;

/// State of the worlds panel.
pub struct WorldPanel {
    /// the data shown and trained on
    pub choice: Choice,
    /// the mixture's components (weight, mean, sd)
    pub components: Vec<(f64, f64, f64)>,
    /// the latest view from the worker
    pub view: Option<std::sync::Arc<ToyView>>,
    /// training now
    pub running: bool,
    /// (step, mean loss)
    pub losses: Vec<[f64; 2]>,
    /// (step, SWD) of every view
    pub swd: Vec<[f64; 2]>,
    /// training speed
    pub steps_per_s: f64,
    /// the frame of the reverse paths shown (None: the last)
    pub frame: Option<usize>,
    /// σ of p(x|z) in 1-D
    pub sigma: f64,
    /// the x of the indicator line and of the bell
    pub x_query: f64,
    /// (step, G(z₀)) for the bell, with z₀ fixed per x
    pub walk: Vec<(u64, f64)>,
    /// the 1-D data of the current run as a mixture (the pixel values' in pixels mode): z₀
    /// and the walk read its CDF
    data_mixture: Option<GaussianMixture1d>,
    /// the probability-flow ODE's density and held-out likelihood
    ode: super::world_ode::WorldOde,
    /// classifier-free guidance on the labelled set
    pub guidance: super::world_guidance::WorldGuidance,
    /// the last problem with the chosen data
    pub error: Option<String>,
    /// the reverse paths play by themselves
    pub playing: bool,
    /// a click on the density plot asked for a component here
    add_at: Option<f64>,
    /// when the shown frame last advanced while playing
    last_advance: f64,
    /// the 1-D densities of the current view and σ
    densities: Option<Densities>,
    /// the data as a sample, for drawing
    data_points: Vec<f32>,
    /// the 1-D marginal q(x_t) as a texture
    heat_tex: super::textures::TextureSlot,
    worker: Option<ToyWorker>,
    seed: u64,
    /// the lab (two runs side by side) in place of the single run, 2-D data only
    pub lab: Option<lab::Lab>,
}

impl Default for WorldPanel {
    fn default() -> Self {
        Self {
            choice: Choice::Mixture,
            components: default_mixture().components,
            view: None,
            running: false,
            losses: Vec::new(),
            swd: Vec::new(),
            steps_per_s: 0.0,
            frame: None,
            sigma: 0.1,
            x_query: 0.4,
            walk: Vec::new(),
            data_mixture: None,
            ode: Default::default(),
            guidance: Default::default(),
            error: None,
            playing: false,
            add_at: None,
            last_advance: 0.0,
            densities: None,
            data_points: Vec::new(),
            heat_tex: Default::default(),
            worker: None,
            seed: 0,
            lab: None,
        }
    }
}

/// The world's run for `choice` (the default mixture in 1-D) on `image`, from `seed`: what
/// the panel starts when that data is picked.
pub fn config_for(choice: Choice, image: &ImageRgb, seed: u64) -> Result<ToyConfig, String> {
    let panel = WorldPanel {
        choice,
        ..WorldPanel::default()
    };
    panel.data(image).map(|data| toy_config(data, seed))
}

/// A world's run for `data`: the labelled overlap set and an image's two classes of pixels
/// train a conditional model for guidance, every other set an unconditional one.
fn toy_config(data: ToyData, seed: u64) -> ToyConfig {
    let conditional = match &data {
        ToyData::Overlap(_) => true,
        ToyData::Cloud { labels, .. } => !labels.is_empty(),
        _ => false,
    };
    ToyConfig {
        conditional,
        ..ToyConfig::new(data, seed)
    }
}

/// The heat map's colours, from no density to the most.
const HEAT: [[f32; 3]; 3] = [
    [12.0, 12.0, 12.0],
    [60.0, 90.0, 160.0],
    [140.0, 200.0, 255.0],
];

/// A key for the marginal's texture: the mixture's components and T.
fn marginal_key(m: &GaussianMixture1d, timesteps: usize) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    timesteps.hash(&mut h);
    for c in &m.components {
        for v in [c.0, c.1, c.2] {
            v.to_bits().hash(&mut h);
        }
    }
    h.finish() | 1
}

/// √q(x_t) on a (t, x) grid of `cols` × `rows` cells over [0, T] × [lo, hi], as an image
/// whose top row is x = hi, coloured from [`HEAT`] between the grid's least and largest values.
fn marginal_image(
    m: &GaussianMixture1d,
    s: &crate::diffusion::Schedule,
    (cols, rows): (usize, usize),
    (lo, hi): (f64, f64),
) -> egui::ColorImage {
    let t_max = s.timesteps() as f64;
    let mut values = vec![0.0f64; rows * cols];
    for r in 0..rows {
        let x = hi - (hi - lo) * (r as f64 + 0.5) / rows as f64;
        for c in 0..cols {
            let t = ((c as f64 + 0.5) / cols as f64 * t_max).round() as usize;
            values[r * cols + c] = m.marginal_pdf(s.alpha_bar(t.max(1)), x).sqrt();
        }
    }
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let span = (max - min).max(1e-300);
    let pixels = values
        .iter()
        .map(|&v| {
            let u = (((v - min) / span) as f32).clamp(0.0, 1.0) * (HEAT.len() - 1) as f32;
            let i = (u.floor() as usize).min(HEAT.len() - 2);
            let f = u - i as f32;
            let mix = |k: usize| (HEAT[i][k] + f * (HEAT[i + 1][k] - HEAT[i][k])).round() as u8;
            egui::Color32::from_rgb(mix(0), mix(1), mix(2))
        })
        .collect();
    egui::ColorImage::new([cols, rows], pixels)
}

fn thin<T>(v: &mut Vec<T>) {
    if v.len() >= MAX_HISTORY {
        super::curves::thin_by_half(v);
    }
}

impl WorldPanel {
    /// The data of the current choice, or why there is none (`image`: the image under study).
    pub fn data(&self, image: &ImageRgb) -> Result<ToyData, String> {
        let r = match self.choice {
            Choice::Mixture => crate::data::points::mixture(self.components.clone()),
            Choice::Pixels => pixel_values(image),
            Choice::Moons => Ok(ToyData::Moons),
            Choice::Spiral => Ok(ToyData::Spiral),
            Choice::Rings => Ok(ToyData::Rings),
            Choice::Grid => Ok(ToyData::Grid),
            Choice::ImageDark => image_cloud(image, false),
            Choice::ImageBright => image_cloud(image, true),
            Choice::ImageClasses => crate::data::points::image_classes(image),
            Choice::Overlap => Ok(ToyData::Overlap(
                crate::diffusion::guidance::LabelledMixture2d::overlap(),
            )),
        };
        r.map_err(|e| e.to_string())
    }

    /// Start the worker (once) for the current data; `repaint` wakes the UI.
    pub fn ensure_worker(&mut self, image: &ImageRgb, repaint: impl Fn() + Send + 'static) {
        if self.worker.is_some() {
            return;
        }
        let Ok(data) = self.data(image) else {
            return;
        };
        self.sample_data(&data);
        match ToyWorker::spawn(toy_config(data, self.seed), Box::new(repaint)) {
            Ok(w) => self.worker = Some(w),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn sample_data(&mut self, data: &ToyData) {
        self.data_mixture = mixture_of(data);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        self.data_points = data.sample(&mut rng, if data.dim() == 1 { 4000 } else { 1200 });
    }

    fn send(&mut self, command: ToyCommand) {
        if let Some(w) = &self.worker {
            w.send(command);
        }
    }

    /// A new run on the current data from `seed`, paused; a bad choice keeps the old run and
    /// says why.
    pub fn restart(&mut self, image: &ImageRgb, seed: u64) {
        match self.data(image) {
            Ok(data) => {
                self.error = None;
                self.seed = seed;
                self.sample_data(&data);
                self.losses.clear();
                self.swd.clear();
                self.walk.clear();
                self.ode.clear();
                self.frame = None;
                self.guidance.sweep.clear();
                if let Some(lab) = &mut self.lab {
                    // restarted on the next frame, where the context is at hand
                    lab.forget_start();
                }
                self.send(ToyCommand::Reset(toy_config(data, seed)));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Show the lab (two runs side by side) or the single run; the single run pauses while the
    /// lab's two train.
    pub fn set_lab(&mut self, on: bool) {
        if on == self.lab.is_some() {
            return;
        }
        self.send(ToyCommand::Pause);
        self.lab = on.then(lab::Lab::default);
    }

    /// Train (true) or pause (both runs of the lab when it is shown).
    pub fn train(&mut self, on: bool) {
        if let Some(lab) = &mut self.lab {
            lab.train(on);
            return;
        }
        self.send(if on {
            ToyCommand::Start
        } else {
            ToyCommand::Pause
        });
    }

    /// Take what the worker sent.
    pub fn drain(&mut self) {
        if let Some(lab) = &mut self.lab {
            lab.drain();
        }
        let Some(w) = &self.worker else { return };
        let events: Vec<ToyEvent> = w.events.try_iter().collect();
        for e in events {
            match e {
                ToyEvent::Trained {
                    step,
                    loss,
                    steps_per_s,
                } => {
                    thin(&mut self.losses);
                    self.losses.push([step as f64, loss as f64]);
                    self.steps_per_s = steps_per_s;
                }
                ToyEvent::Running(r) => self.running = r,
                ToyEvent::OdeDensity(r) => self.ode.on_result(*r),
                ToyEvent::GuidanceSweep(points) => self.guidance.on_sweep(points),
                ToyEvent::Measured(_) | ToyEvent::Reflowed(_) => {}
                ToyEvent::View(v) => {
                    // The curve follows the model's own distribution: guided samples (w ≠ 1)
                    // are a different one, and their distance is not added to it.
                    if v.guidance.is_none_or(|g| g.w == 1.0) {
                        thin(&mut self.swd);
                        self.swd.push([v.step as f64, v.swd.model]);
                    }
                    if let Some(g) = self.g_of_z0(&v)
                        && self.walk.last().map(|w| w.0) != Some(v.step)
                    {
                        thin(&mut self.walk);
                        self.walk.push((v.step, g));
                    }
                    self.view = Some(std::sync::Arc::new(*v));
                }
            }
        }
    }

    /// The step of the latest training report of this run (0 before the first).
    pub fn trained_step(&self) -> u64 {
        self.losses.last().map_or(0, |l| l[0] as u64)
    }

    /// The step of the latest view.
    pub fn step(&self) -> u64 {
        self.view.as_ref().map(|v| v.step).unwrap_or(0)
    }

    /// The 1-D data as a mixture (the pixel values become one narrow bump per 8-bit level).
    fn mixture(&self, image: &ImageRgb) -> Option<GaussianMixture1d> {
        mixture_of(&self.data(image).ok()?)
    }

    /// Draw the panel. `image` is the image under study (for the image-based data).
    pub fn ui(&mut self, ui: &mut egui::Ui, image: &ImageRgb, seed: u64) {
        if let Some(x) = self.add_at.take() {
            self.components.push((0.3, x.clamp(-2.0, 2.0), 0.2));
            self.restart(image, seed);
        }
        self.controls_ui(ui, image, seed);
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        if self.lab.is_some() {
            let data = self.data(image).ok();
            if let Some(lab) = &mut self.lab {
                if !lab.started()
                    && let Some(data) = data
                {
                    lab.restart(data, self.seed, ui.ctx());
                }
                lab.ui(ui, &self.data_points);
            }
            return;
        }
        let Some(view) = self.view.clone() else {
            ui.horizontal(|ui| {
                super::repaint::busy_ui(ui);
                ui.label(tr!("world-starting"));
            });
            return;
        };
        if view.dim == 1 {
            let mixture = self.mixture(image);
            super::layout::two_columns(ui, 560.0, |ui, column| {
                if column == 0 {
                    self.paths_1d_ui(ui, &view, mixture.as_ref());
                    self.walk_ui(ui);
                } else {
                    self.generator_ui(ui, &view);
                    self.density_ui(ui, &view, mixture.as_ref());
                }
            });
        } else {
            super::layout::two_columns(ui, 560.0, |ui, column| {
                if column == 0 {
                    if !view.particle_classes.is_empty() {
                        let classes = view.particle_classes.iter().max().map_or(1, |m| m + 1);
                        let exact = self.choice == Choice::Overlap;
                        for c in self.guidance.controls_ui(ui, classes, exact) {
                            self.send(c);
                        }
                    }
                    self.flow_2d_ui(ui, &view);
                    self.guidance.sweep_ui(ui);
                } else {
                    self.swd_ui(ui, &view);
                    self.ode_ui(ui);
                    self.ode.heat_maps_ui(ui);
                }
            });
        }
    }

    /// The ODE button and the held-out comparison of the same network's two models.
    fn ode_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(6.0);
        ui.label(egui::RichText::new(tr!("world-ode-title")).strong());
        if self.ode.button_ui(ui) {
            self.ode.pending = true;
            self.send(ToyCommand::OdeDensity);
        }
        self.ode.held_out_ui(ui);
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, image: &ImageRgb, seed: u64) {
        ui.horizontal_wrapped(|ui| {
            let mut choice = self.choice;
            egui::ComboBox::new("world-data", tr!("world-data-label"))
                .selected_text(choice.label())
                .height(400.0)
                .show_ui(ui, |ui| {
                    for c in Choice::ALL {
                        ui.selectable_value(&mut choice, c, c.label());
                    }
                });
            if choice != self.choice {
                self.choice = choice;
                self.restart(image, seed);
            }
            let running = self.lab.as_ref().map_or(self.running, |l| l.running());
            if running {
                if ui.button(tr!("top-pause")).clicked() {
                    self.train(false);
                }
            } else if ui.button(tr!("top-train")).clicked() {
                self.train(true);
            }
            if ui.button(tr!("world-steps")).clicked() {
                match &self.lab {
                    Some(lab) => lab.train_steps(500),
                    None => self.send(ToyCommand::TrainSteps(500)),
                }
            }
            if ui
                .button(tr!("top-reset"))
                .on_hover_text(tr!("world-reset-tip"))
                .clicked()
            {
                self.restart(image, seed);
            }
            let two_d = !matches!(self.choice, Choice::Mixture | Choice::Pixels);
            let mut lab_on = self.lab.is_some();
            if two_d
                && ui
                    .checkbox(&mut lab_on, tr!("lab-toggle"))
                    .on_hover_text(tr!("lab-toggle-tip"))
                    .changed()
            {
                self.set_lab(lab_on);
            }
            if !two_d {
                self.lab = None;
            }
            if self.lab.is_some() {
                if running {
                    super::repaint::busy_ui(ui);
                }
                return;
            }
            figure_ui(ui, tr!("top-step", step = self.step()));
            if let Some(&[_, loss]) = self.losses.last() {
                figure_ui(ui, tr!("top-loss", loss = format!("{loss:.4}")));
            }
            if self.running {
                figure_ui(
                    ui,
                    tr!("world-rate", rate = format!("{:.0}", self.steps_per_s)),
                );
                super::repaint::busy_ui(ui);
            }
        });
        if self.choice == Choice::Mixture {
            self.mixture_ui(ui, image, seed);
        }
        // the lab says what its runs are
        if self.lab.is_none() {
            ui.weak(tr!("world-model-note"));
        }
    }

    /// The mixture's components: edit, add, remove; a change restarts the run.
    fn mixture_ui(&mut self, ui: &mut egui::Ui, image: &ImageRgb, seed: u64) {
        let mut changed = false;
        let mut remove = None;
        ui.horizontal_wrapped(|ui| {
            for (i, c) in self.components.iter_mut().enumerate() {
                ui.group(|ui| {
                    changed |= ui
                        .add(
                            egui::DragValue::new(&mut c.1)
                                .speed(0.02)
                                .range(-2.0..=2.0)
                                .prefix("μ "),
                        )
                        .changed();
                    changed |= ui
                        .add(
                            egui::DragValue::new(&mut c.2)
                                .speed(0.01)
                                .range(0.03..=1.0)
                                .prefix("s "),
                        )
                        .changed();
                    changed |= ui
                        .add(
                            egui::DragValue::new(&mut c.0)
                                .speed(0.01)
                                .range(0.01..=1.0)
                                .prefix("w "),
                        )
                        .changed();
                    if ui
                        .small_button("✕")
                        .on_hover_text(tr!("world-remove"))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                });
            }
            if ui.button(tr!("world-add")).clicked() {
                self.components.push((0.3, 0.0, 0.2));
                changed = true;
            }
        });
        if let Some(i) = remove {
            self.components.remove(i);
            changed = true;
        }
        if changed {
            self.restart(image, seed);
        }
    }

    fn frame_slider_ui(&mut self, ui: &mut egui::Ui, view: &ToyView) -> usize {
        let last = view.particles.frames.len().saturating_sub(1);
        let mut k = self.frame.unwrap_or(last).min(last);
        let ts: Vec<usize> = view.particles.frames.iter().map(|f| f.t).collect();
        // Playing walks the frames from x_T to x₀, ten a second, then starts again.
        let now = ui.input(|i| i.time);
        if self.playing {
            if now - self.last_advance >= 0.1 {
                self.last_advance = now;
                k = if k >= last { 0 } else { k + 1 };
                self.frame = Some(k);
            }
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
        ui.horizontal(|ui| {
            let label = if self.playing { "❚❚" } else { "▶" };
            if ui
                .button(label)
                .on_hover_text(tr!("world-play-tip"))
                .clicked()
            {
                self.playing = !self.playing;
                self.last_advance = now;
            }
            if ui
                .add(
                    egui::Slider::new(&mut k, 0..=last)
                        .custom_formatter(|v, _| {
                            format!("t = {}", ts.get(v as usize).copied().unwrap_or(0))
                        })
                        .text(tr!("world-frame")),
                )
                .changed()
            {
                self.frame = Some(k);
                self.playing = false;
            }
        });
        k
    }

    /// q(x_t) as a heat map over (t, x) with the reverse paths of particles over it.
    fn paths_1d_ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &ToyView,
        mixture: Option<&GaussianMixture1d>,
    ) {
        ui.label(egui::RichText::new(tr!("world-paths")).strong());
        let k = self.frame_slider_ui(ui, view);
        let t_max = view.timesteps as f64;
        let (cols, rows, lo, hi) = (60usize, 60usize, -3.0, 3.0);
        let schedule =
            crate::diffusion::Schedule::new(crate::diffusion::ScheduleKind::Linear, view.timesteps)
                .ok();
        // The marginal changes only with the data and T: a texture, drawn once for them.
        let key = mixture.map_or(0, |m| marginal_key(m, view.timesteps));
        let heat = match (mixture, &schedule) {
            (Some(m), Some(s)) => Some(
                self.heat_tex
                    .update_with(ui.ctx(), "world-marginal", key, || {
                        marginal_image(m, s, (cols, rows), (lo, hi))
                    })
                    .id(),
            ),
            _ => None,
        };
        let frames = &view.particles.frames;
        let paths: Vec<Vec<[f64; 2]>> = (0..view.particles.n.min(60))
            .map(|i| {
                frames[..=k]
                    .iter()
                    .map(|f| [f.t as f64, f.x_t[i] as f64])
                    .collect()
            })
            .collect();
        let now: Vec<[f64; 2]> = frames[k]
            .x_t
            .iter()
            .map(|&x| [frames[k].t as f64, x as f64])
            .collect();
        Plot::new("world-paths")
            .height(230.0)
            .allow_scroll(false)
            .x_axis_label("t")
            .y_axis_label("x_t")
            .show(ui, |p| {
                p.set_plot_bounds_x(-1.0..=t_max + 1.0);
                p.set_plot_bounds_y(lo..=hi);
                if let Some(heat) = heat {
                    p.image(PlotImage::new(
                        "q(x_t)",
                        heat,
                        PlotPoint::new(t_max / 2.0, (lo + hi) / 2.0),
                        egui::vec2(t_max as f32, (hi - lo) as f32),
                    ));
                }
                for path in paths {
                    p.line(Line::new("", path).color(colors::ORANGE).width(0.8));
                }
                p.points(Points::new("", now).radius(1.5).color(colors::YELLOW));
            });
        key_ui(
            ui,
            &[
                (colors::BLUE, "▮", tr!("world-key-marginal")),
                (colors::ORANGE, "━", tr!("world-key-paths")),
                (colors::YELLOW, "●", tr!("world-key-particles")),
            ],
        );
    }

    /// G(z) and the line x: the indicator likelihood's integral is 0.
    fn generator_ui(&mut self, ui: &mut egui::Ui, view: &ToyView) {
        ui.label(egui::RichText::new(tr!("world-generator")).strong());
        let before = self.x_query;
        ui.add(egui::Slider::new(&mut self.x_query, -2.5..=2.5).text("x"));
        if self.x_query != before {
            self.walk.clear();
        }
        let (z, g): (Vec<f64>, Vec<f64>) = view
            .g_curve
            .iter()
            .map(|&(z, g)| (z as f64, g as f64))
            .unzip();
        let x = self.x_query;
        let crossings: Vec<[f64; 2]> = z
            .windows(2)
            .zip(g.windows(2))
            .filter(|(_, gg)| (gg[0] - x) * (gg[1] - x) <= 0.0 && gg[0] != gg[1])
            .map(|(zz, gg)| [zz[0] + (x - gg[0]) * (zz[1] - zz[0]) / (gg[1] - gg[0]), x])
            .collect();
        let curve: Vec<[f64; 2]> = z.iter().zip(&g).map(|(&z, &g)| [z, g]).collect();
        Plot::new("world-generator")
            .height(170.0)
            .allow_scroll(false)
            .x_axis_label("z")
            .y_axis_label("G(z)")
            .show(ui, |p| {
                p.line(Line::new("G", curve).color(colors::ORANGE).width(2.0));
                p.hline(HLine::new("x", x).color(colors::YELLOW));
                p.points(
                    Points::new("z*", crossings.clone())
                        .radius(4.0)
                        .color(colors::RED),
                );
            });
        key_ui(
            ui,
            &[
                (colors::ORANGE, "━", tr!("world-key-g")),
                (colors::YELLOW, "━", tr!("world-key-x")),
                (colors::RED, "●", tr!("world-key-crossings")),
            ],
        );
        ui.label(tr!(
            "world-indicator",
            n = crossings.len(),
            // (+ 0.0 turns the empty sum's −0 into 0)
            value = format!("{}", indicator_integral(&z, &g, x) + 0.0)
        ));
    }

    /// Particles from N(0, I) to the data, with −ε̂ at the shown t.
    fn flow_2d_ui(&mut self, ui: &mut egui::Ui, view: &ToyView) {
        ui.label(egui::RichText::new(tr!("world-flow")).strong());
        let k = self.frame_slider_ui(ui, view);
        flow_2d::particles_ui(ui, "world-flow", view, k, &self.data_points, 360.0);
    }

    /// SWD over training against its floor and its start.
    fn swd_ui(&mut self, ui: &mut egui::Ui, view: &ToyView) {
        ui.label(egui::RichText::new(tr!("world-swd")).strong());
        ui.label(tr!(
            "world-swd-now",
            swd = format!("{:.4}", view.swd.model),
            floor = format!("{:.4}", view.swd.floor),
            ratio = format!("{:.2}", view.swd.model / view.swd.floor.max(1e-12)),
            start = format!("{:.4}", view.swd.start)
        ));
        Plot::new("world-swd")
            .height(220.0)
            .allow_scroll(false)
            .x_axis_label(tr!("curves-axis-step"))
            .y_axis_label("SWD")
            .include_y(0.0)
            .show(ui, |p| {
                p.line(
                    Line::new("swd", self.swd.clone())
                        .color(colors::ORANGE)
                        .width(2.0),
                );
                p.points(
                    Points::new("swd", self.swd.clone())
                        .radius(2.0)
                        .color(colors::ORANGE),
                );
                p.hline(HLine::new("floor", view.swd.floor).color(colors::GREEN));
                p.hline(HLine::new("start", view.swd.start).color(colors::GREY));
            });
        key_ui(
            ui,
            &[
                (colors::ORANGE, "━", tr!("world-key-swd")),
                (colors::GREEN, "━", tr!("world-key-floor")),
                (colors::GREY, "━", tr!("world-key-start")),
            ],
        );
        ui.label(tr!("curves-loss"));
        Plot::new("world-loss")
            .height(140.0)
            .allow_scroll(false)
            .x_axis_label(tr!("curves-axis-step"))
            .y_axis_label(tr!("curves-axis-l-simple"))
            .show(ui, |p| {
                p.line(Line::new("loss", self.losses.clone()).color(colors::RED));
            });
    }
}

/// The 1-D data as a mixture (the pixel values become one narrow bump per 8-bit level).
fn mixture_of(data: &ToyData) -> Option<GaussianMixture1d> {
    match data {
        ToyData::Mixture(m) => Some(m.clone()),
        ToyData::Pixels(values) => {
            let mut counts = [0.0f64; 256];
            for &v in values {
                counts[crate::diffusion::marginal::level(v) as usize] += 1.0;
            }
            GaussianMixture1d::new(
                counts
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| (c, k as f64 / 127.5 - 1.0, 1.0 / 255.0))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// A figure ("step 3325", "800 steps/s") in one piece: in a wrapped row the whole label moves
/// to the next line rather than its number and unit parting.
fn figure_ui(ui: &mut egui::Ui, text: String) -> egui::Response {
    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend))
}
