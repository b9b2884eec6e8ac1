//! ⑤'s lab: two runs, A and B, on the same data from the same seed, each with its own
//! objective (ε, x₀, v or flow matching; for flow, how t is drawn, optimal-transport pairing
//! and reflow), training at once on their own workers. Each shows its particles, its SWD
//! against the floor, the straightness of its learned paths and the SWD of one Euler step,
//! and on request every sampler's SWD at NFE 1 … 64 from the same x_T, log–log against the
//! floor.

use super::flow_2d;
use crate::app::plot_key::{colors, key_ui, line_and_dots};
use crate::data::points::ToyData;
use crate::diffusion::objective::{FlowTime, Target};
use crate::tr;
use crate::train::toy::{ToyCommand, ToyConfig, ToyEvent, ToyView, ToyWorker};
use crate::train::toy_samplers::{LabMeasure, PathStraightness, SweepSampler};
use egui_plot::{HLine, Plot};
use std::sync::Arc;

/// What a lab run trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSettings {
    /// what the network predicts
    pub objective: Target,
    /// flow matching: how t is drawn
    pub flow_time: FlowTime,
    /// flow matching: exact optimal-transport pairing within each batch
    pub ot: bool,
}

impl RunSettings {
    /// Run A's default: DDPM's ε-prediction.
    pub const EPS: Self = Self {
        objective: Target::Eps,
        flow_time: FlowTime::Uniform,
        ot: false,
    };
    /// Run B's default: flow matching.
    pub const FLOW: Self = Self {
        objective: Target::Flow,
        flow_time: FlowTime::Uniform,
        ot: false,
    };

    fn config(self, base: ToyConfig) -> ToyConfig {
        ToyConfig {
            objective: self.objective,
            flow_time: self.flow_time,
            ot: self.ot && self.objective == Target::Flow,
            ..base
        }
    }
}

fn objective_label(t: Target) -> &'static str {
    match t {
        Target::Eps => tr!("lab-objective-eps"),
        Target::X0 => tr!("lab-objective-x0"),
        Target::V => tr!("lab-objective-v"),
        Target::Flow => tr!("lab-objective-flow"),
    }
}

fn sampler_color(s: &str) -> egui::Color32 {
    match s {
        "ddpm" => colors::GREY,
        "ddim" => colors::BLUE,
        "euler" => colors::YELLOW,
        "heun" => colors::RED,
        _ => colors::PURPLE,
    }
}

/// One run of the lab.
pub struct LabRun {
    /// "A" or "B"
    name: &'static str,
    /// what it trains
    pub settings: RunSettings,
    worker: Option<ToyWorker>,
    /// the latest view
    pub view: Option<Arc<ToyView>>,
    /// (step, SWD) of every view
    swd: Vec<[f64; 2]>,
    /// the latest mean loss
    loss: Option<f32>,
    /// training now
    pub running: bool,
    steps_per_s: f64,
    /// the latest measurement
    pub measure: Option<LabMeasure>,
    /// straightness just before the reflow
    pub before_reflow: Option<PathStraightness>,
    /// a measurement or a reflow is under way
    busy: bool,
    error: Option<String>,
}

impl LabRun {
    fn new(name: &'static str, settings: RunSettings) -> Self {
        Self {
            name,
            settings,
            worker: None,
            view: None,
            swd: Vec::new(),
            loss: None,
            running: false,
            steps_per_s: 0.0,
            measure: None,
            before_reflow: None,
            busy: false,
            error: None,
        }
    }

    fn send(&self, c: ToyCommand) {
        if let Some(w) = &self.worker {
            w.send(c);
        }
    }

    /// A fresh run of `base` with this run's settings (a worker on first use).
    fn restart(&mut self, base: &ToyConfig, ctx: &egui::Context) {
        self.swd.clear();
        self.loss = None;
        self.measure = None;
        self.before_reflow = None;
        self.busy = false;
        let config = self.settings.config(base.clone());
        match &self.worker {
            Some(w) => {
                w.send(ToyCommand::Reset(config));
            }
            None => {
                let ctx = ctx.clone();
                match ToyWorker::spawn(config, Box::new(move || ctx.request_repaint())) {
                    Ok(w) => self.worker = Some(w),
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
        }
    }

    fn drain(&mut self) {
        let Some(w) = &self.worker else { return };
        let events: Vec<ToyEvent> = w.events.try_iter().collect();
        for e in events {
            match e {
                ToyEvent::Trained {
                    loss, steps_per_s, ..
                } => {
                    self.loss = Some(loss);
                    self.steps_per_s = steps_per_s;
                }
                ToyEvent::Running(r) => self.running = r,
                ToyEvent::View(v) => {
                    if self.swd.len() >= 2000 {
                        crate::app::curves::thin_by_half(&mut self.swd);
                    }
                    self.swd.push([v.step as f64, v.swd.model]);
                    self.view = Some(Arc::new(*v));
                }
                ToyEvent::Measured(m) => {
                    self.measure = Some(*m);
                    self.busy = false;
                }
                ToyEvent::Reflowed(before) => {
                    self.before_reflow = Some(before);
                    self.busy = false;
                }
                ToyEvent::OdeDensity(_) | ToyEvent::GuidanceSweep(_) => {}
            }
        }
    }

    /// The run's column. Returns true when its settings changed (the run restarts).
    fn ui(&mut self, ui: &mut egui::Ui, data_points: &[f32]) -> bool {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(self.name).strong().size(18.0));
            let mut s = self.settings;
            egui::ComboBox::new(("lab-objective", self.name), tr!("lab-objective"))
                .selected_text(objective_label(s.objective))
                .show_ui(ui, |ui| {
                    for t in Target::ALL {
                        ui.selectable_value(&mut s.objective, t, objective_label(t));
                    }
                })
                .response
                .on_hover_text(tr!("lab-objective-tip"));
            if s.objective == Target::Flow {
                egui::ComboBox::new(("lab-flow-time", self.name), tr!("lab-flow-time"))
                    .selected_text(s.flow_time.name())
                    .show_ui(ui, |ui| {
                        for k in FlowTime::ALL {
                            ui.selectable_value(&mut s.flow_time, k, k.name());
                        }
                    });
                ui.checkbox(&mut s.ot, tr!("lab-ot"))
                    .on_hover_text(tr!("lab-ot-tip"));
            }
            if s != self.settings {
                self.settings = s;
                changed = true;
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        let Some(view) = self.view.clone() else {
            crate::app::repaint::busy_ui(ui);
            return changed;
        };
        ui.horizontal_wrapped(|ui| {
            super::figure_ui(ui, tr!("top-step", step = view.step));
            if let Some(loss) = self.loss {
                super::figure_ui(ui, tr!("lab-loss", loss = format!("{loss:.4}")))
                    .on_hover_text(tr!("lab-loss-tip"));
            }
            if self.running {
                super::figure_ui(
                    ui,
                    tr!("world-rate", rate = format!("{:.0}", self.steps_per_s)),
                );
            }
        });
        let last = view.particles.frames.len().saturating_sub(1);
        flow_2d::particles_ui(
            ui,
            &format!("lab-particles-{}", self.name),
            &view,
            last,
            data_points,
            180.0,
        );
        ui.label(tr!(
            "lab-swd",
            swd = format!("{:.4}", view.swd.model),
            ratio = format!("{:.2}", view.swd.model / view.swd.floor.max(1e-12)),
            floor = format!("{:.4}", view.swd.floor)
        ));
        // the run's SWD over training against the floor
        Plot::new(("lab-swd-curve", self.name))
            .height(70.0)
            .allow_scroll(false)
            .include_y(0.0)
            .x_axis_label(tr!("curves-axis-step"))
            .show(ui, |p| {
                p.line(egui_plot::Line::new("swd", self.swd.clone()).color(colors::ORANGE));
                p.hline(HLine::new("floor", view.swd.floor).color(colors::GREEN));
            });
        ui.horizontal_wrapped(|ui| {
            let measure = ui
                .add_enabled(!self.busy, egui::Button::new(tr!("lab-measure")))
                .on_hover_text(tr!("lab-measure-tip"));
            if measure.clicked() {
                self.busy = true;
                self.send(ToyCommand::Measure);
            }
            if self.settings.objective == Target::Flow {
                let reflow = ui
                    .add_enabled(!self.busy, egui::Button::new(tr!("lab-reflow")))
                    .on_hover_text(tr!("lab-reflow-tip"));
                if reflow.clicked() {
                    self.busy = true;
                    self.send(ToyCommand::Reflow);
                }
            }
            if self.busy {
                crate::app::repaint::busy_ui(ui);
            }
        });
        if let Some(b) = self.before_reflow {
            ui.label(tr!(
                "lab-before-reflow",
                s = format!("{:.3}", b.straightness),
                swd = format!("{:.3}", b.one_step_swd)
            ));
        }
        if let Some(m) = &self.measure {
            ui.label(tr!(
                "lab-straightness",
                step = m.step,
                s = format!("{:.3}", m.paths.straightness),
                swd = format!("{:.3}", m.paths.one_step_swd)
            ))
            .on_hover_text(tr!("lab-straightness-tip"));
            sweep_plot_ui(ui, self.name, m);
        }
        changed
    }
}

/// Every sampler's SWD against its network calls, both axes log, with the floor.
fn sweep_plot_ui(ui: &mut egui::Ui, name: &str, m: &LabMeasure) {
    let log2_label = |mark: egui_plot::GridMark, _: &std::ops::RangeInclusive<f64>| {
        format!("{}", 2f64.powf(mark.value).round())
    };
    let log10_label = |mark: egui_plot::GridMark, _: &std::ops::RangeInclusive<f64>| {
        format!("{:.2}", 10f64.powf(mark.value))
    };
    Plot::new(("lab-sweep", name))
        .height(160.0)
        .allow_scroll(false)
        .x_axis_label(tr!("lab-axis-nfe"))
        .y_axis_label(tr!("lab-axis-swd"))
        .x_axis_formatter(log2_label)
        // a mark at every budget: NFE = 2^k
        .x_grid_spacer(|_| {
            (0..=6)
                .map(|k| egui_plot::GridMark {
                    value: k as f64,
                    step_size: 1.0,
                })
                .collect()
        })
        .y_axis_formatter(log10_label)
        .show(ui, |p| {
            for s in SweepSampler::ALL {
                let points: Vec<[f64; 2]> = m
                    .sweep
                    .iter()
                    .filter(|q| q.sampler == s.name())
                    .map(|q| [(q.calls.max(1) as f64).log2(), q.swd.max(1e-6).log10()])
                    .collect();
                line_and_dots(p, s.name(), points, sampler_color(s.name()));
            }
            // the exact denoiser's sweep (the labelled mixture): the same colours, dashed
            for s in SweepSampler::ALL {
                let points: Vec<[f64; 2]> = m
                    .exact
                    .iter()
                    .filter(|q| q.sampler == s.name())
                    .map(|q| [(q.calls.max(1) as f64).log2(), q.swd.max(1e-6).log10()])
                    .collect();
                if !points.is_empty() {
                    p.line(
                        egui_plot::Line::new(format!("{} exact", s.name()), points)
                            .color(sampler_color(s.name()))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
            }
            p.hline(HLine::new("floor", m.floor.log10()).color(colors::GREEN));
        });
    if !m.exact.is_empty() {
        ui.weak(tr!("lab-exact-key"));
    }
    if !m.score_error.is_empty() {
        let at = |t: usize| {
            m.score_error
                .iter()
                .min_by_key(|(s, _)| s.abs_diff(t))
                .map_or(String::new(), |(s, e)| format!("t = {s}: {e:.3}"))
        };
        ui.label(tr!(
            "lab-score-error",
            first = at(1),
            middle = at(10),
            last = at(100)
        ))
        .on_hover_text(tr!("lab-score-error-tip"));
    }
    key_ui(
        ui,
        &[
            (colors::GREY, "━", "DDPM"),
            (colors::BLUE, "━", "DDIM"),
            (colors::YELLOW, "━", "Euler"),
            (colors::RED, "━", "Heun"),
            (colors::PURPLE, "━", "DPM-Solver++(2M)"),
            (colors::GREEN, "━", tr!("world-key-floor")),
        ],
    );
}

/// The two runs.
pub struct Lab {
    /// A and B
    pub runs: [LabRun; 2],
    /// the run both start from (data and seed)
    base: Option<ToyConfig>,
    /// training was asked for (kept across a restart, and before the workers exist)
    want_running: bool,
}

impl Default for Lab {
    fn default() -> Self {
        Self {
            runs: [
                LabRun::new("A", RunSettings::EPS),
                LabRun::new("B", RunSettings::FLOW),
            ],
            base: None,
            want_running: false,
        }
    }
}

impl Lab {
    /// Both runs afresh on `data` from `seed`, paused.
    pub fn restart(&mut self, data: ToyData, seed: u64, ctx: &egui::Context) {
        let base = ToyConfig::new(data, seed);
        for run in &mut self.runs {
            run.restart(&base, ctx);
            if self.want_running {
                run.send(ToyCommand::Start);
            }
        }
        self.base = Some(base);
    }

    /// Restart both runs on the next frame (new data or seed).
    pub fn forget_start(&mut self) {
        self.base = None;
    }

    /// Whether the runs exist yet.
    pub fn started(&self) -> bool {
        self.base.is_some()
    }

    /// Train both (true) or pause both.
    pub fn train(&mut self, on: bool) {
        self.want_running = on;
        for run in &self.runs {
            run.send(if on {
                ToyCommand::Start
            } else {
                ToyCommand::Pause
            });
        }
    }

    /// Train both this many steps.
    pub fn train_steps(&self, n: u64) {
        for run in &self.runs {
            run.send(ToyCommand::TrainSteps(n));
        }
    }

    /// Either is training.
    pub fn running(&self) -> bool {
        self.runs.iter().any(|r| r.running)
    }

    /// Take what the workers sent.
    pub fn drain(&mut self) {
        for run in &mut self.runs {
            run.drain();
        }
    }

    /// The two columns.
    pub fn ui(&mut self, ui: &mut egui::Ui, data_points: &[f32]) {
        ui.weak(tr!("lab-note-short"))
            .on_hover_text(tr!("lab-note"));
        let ctx = ui.ctx().clone();
        let mut restart = [false, false];
        crate::app::layout::two_columns(ui, 480.0, |ui, column| {
            restart[column] = self.runs[column].ui(ui, data_points);
        });
        if let Some(base) = &self.base {
            for (run, again) in self.runs.iter_mut().zip(restart) {
                if again {
                    run.restart(base, &ctx);
                    if self.want_running {
                        run.send(ToyCommand::Start);
                    }
                }
            }
        }
    }
}
