//! Panel ④: L_simple, images/s and the variational bound against the training step, and
//! the per-timestep KL terms L_{t−1} against t.

use super::AppCommand;
use super::plot_key::{colors, key_ui};
use crate::data::dataset::EvalBatch;
use crate::diffusion::{TimestepPlan, VlbEstimate};
use crate::tr;
use crate::train::StepReport;
use egui_plot::{Line, Plot, Points};
use std::fmt::Write as _;

/// Points kept per series; past this, older points are thinned by half.
pub const MAX_POINTS: usize = 20_000;

/// The first line of the curves CSV. `sum_method` says how Σ L_(t−1) was estimated: `all`
/// (every t) or `head+strata:K` (every t of the head, K strata of the rest).
pub const CSV_HEADER: &str = "step,l_simple,images_per_s,held_out_l_simple,neg_elbo_bpd,neg_elbo_stderr_bpd,l_t_bpd,sum_l_t_minus_1_bpd,sum_l_t_minus_1_stderr_bpd,l_0_bpd,timesteps_evaluated,images,sum_method";
/// The header of curves files written before the method was recorded.
const V2_CSV_HEADER: &str = "step,l_simple,images_per_s,held_out_l_simple,neg_elbo_bpd,neg_elbo_stderr_bpd,l_t_bpd,sum_l_t_minus_1_bpd,sum_l_t_minus_1_stderr_bpd,l_0_bpd,timesteps_evaluated,images";
/// The header of curves files written before the standard errors were recorded.
const OLD_CSV_HEADER: &str =
    "step,l_simple,images_per_s,held_out_l_simple,vlb_bpd,l_t_bpd,sum_l_t_minus_1_bpd,l_0_bpd";
/// The first line of the per-timestep CSV: every evaluated t of every estimate.
pub const PER_T_HEADER: &str = "step,t,l_t_minus_1_bpd";

/// A term of the bound: its name, colour and value at an estimate.
type Term<'a> = (&'a str, egui::Color32, &'a dyn Fn(&ElboPoint) -> f64);

/// Colours of the bound's terms, the same in every plot of the panel.
const TOTAL: egui::Color32 = colors::ORANGE;
const PRIOR: egui::Color32 = colors::GREY;
const SUM: egui::Color32 = colors::BLUE;
const DECODER: egui::Color32 = colors::GREEN;
const ODE: egui::Color32 = colors::PURPLE;
/// The training loss and the evaluation batch's loss.
const TRAIN: egui::Color32 = colors::RED;
const HELD: egui::Color32 = colors::YELLOW;

/// Keep every second element: halves a full history while keeping its whole span (the
/// bounded histories of every panel use it).
pub(crate) fn thin_by_half<T>(items: &mut Vec<T>) {
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        i % 2 == 0
    });
}

/// A growing (x, y) series with bounded memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// the points
    pub points: Vec<[f64; 2]>,
}

impl Series {
    /// Append a point, thinning the series when it is full.
    pub fn push(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return; // never poison a plot
        }
        if self.points.len() >= MAX_POINTS {
            thin_by_half(&mut self.points);
        }
        self.points.push([x, y]);
    }

    /// Drop points with x > `x_max` (after a rewind).
    pub fn truncate_after(&mut self, x_max: f64) {
        self.points.retain(|p| p[0] <= x_max);
    }
}

/// One ELBO snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct ElboPoint {
    /// training step
    pub step: u64,
    /// the estimate
    pub estimate: VlbEstimate,
    /// L_simple of the EMA on the same batch
    pub held_out_loss: f32,
    /// what the batch was (None: read from a file that did not say)
    pub batch: Option<EvalBatch>,
    /// read from an older curves file that did not record how Σ L_(t−1) was estimated
    pub from_older_file: Option<OlderFile>,
}

/// What an older curves file left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OlderFile {
    /// errors, K and images recorded, the method not (every t, or K strata over all of 2…T)
    MethodUnknown,
    /// the first format: Σ by a midpoint rule over 20 fixed t, biased, no error
    MidpointRule,
}

/// State of the curves panel.
#[derive(Default)]
pub struct CurvesPanel {
    /// L_simple per step
    pub loss: Series,
    /// throughput per step
    pub images_per_s: Series,
    /// ELBO snapshots, oldest first
    pub elbo: Vec<ElboPoint>,
    /// smoothing window for the loss curve
    pub smooth: usize,
    /// an estimate asked for and not yet back
    pub pending: Option<TimestepPlan>,
    /// the probability-flow ODE's exact likelihood beside the bound
    pub ode: super::ode_likelihood::OdePanel,
}

fn smoothed(points: &[[f64; 2]], window: usize) -> Vec<[f64; 2]> {
    if window <= 1 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(points.len());
    let mut sum = 0.0;
    for (i, p) in points.iter().enumerate() {
        sum += p[1];
        if i >= window {
            sum -= points[i - window][1];
        }
        out.push([p[0], sum / (i + 1).min(window) as f64]);
    }
    out
}

impl CurvesPanel {
    /// Points held in all curves.
    pub fn num_points(&self) -> usize {
        self.loss.points.len() + self.images_per_s.points.len() + self.elbo.len()
    }

    /// Forget everything after `step` (the trainer went back).
    pub fn rewind(&mut self, step: u64) {
        let s = step as f64;
        self.loss.truncate_after(s);
        self.images_per_s.truncate_after(s);
        self.elbo.retain(|e| e.step <= step);
        self.ode.points.retain(|p| p.step <= step);
    }

    /// Add an ELBO snapshot, bounded like the series.
    pub fn push_elbo(&mut self, point: ElboPoint) {
        // The same step gives the same estimate (its seed follows the step): keep the newest.
        self.elbo.retain(|e| e.step != point.step);
        if self.elbo.len() >= MAX_POINTS / 10 {
            thin_by_half(&mut self.elbo);
        }
        self.elbo.push(point);
    }

    /// All curves as CSV: one row per step with a loss or an ELBO estimate (empty cells
    /// where a step has only one of them).
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        let (mut i, mut j) = (0, 0);
        while i < self.loss.points.len() || j < self.elbo.len() {
            let loss_step = self.loss.points.get(i).map(|p| p[0] as u64);
            let elbo_step = self.elbo.get(j).map(|e| e.step);
            let step = match (loss_step, elbo_step) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => break,
            };
            if loss_step == Some(step) {
                let ips = self
                    .images_per_s
                    .points
                    .get(i)
                    .map(|q| q[1])
                    .unwrap_or(f64::NAN);
                let _ = write!(out, "{step},{},{ips:.3}", self.loss.points[i][1]);
                i += 1;
            } else {
                let _ = write!(out, "{step},,");
            }
            if elbo_step == Some(step) {
                let e = &self.elbo[j];
                let v = &e.estimate;
                let method = match v.strata {
                    Some(k) => format!("head+strata:{k}"),
                    None => "all".to_owned(),
                };
                let _ = write!(
                    out,
                    ",{},{},{},{},{},{},{},{},{},{method}",
                    e.held_out_loss,
                    v.total_bpd(),
                    v.total_stderr_bpd,
                    v.prior_bpd,
                    v.diffusion_bpd,
                    v.diffusion_stderr_bpd,
                    v.decoder_bpd,
                    v.timesteps_evaluated,
                    v.images
                );
                j += 1;
            } else {
                out.push_str(",,,,,,,,,,");
            }
            out.push('\n');
        }
        out
    }

    /// Every evaluated (t, L_{t−1}) of every estimate, one row each (t = 1 holds L_0).
    pub fn per_t_csv(&self) -> String {
        let mut out = format!("{PER_T_HEADER}\n");
        for e in &self.elbo {
            for (t, v) in &e.estimate.per_t {
                let _ = writeln!(out, "{},{t},{v}", e.step);
            }
        }
        out
    }

    /// Put the per-timestep rows of [`Self::per_t_csv`] back into the estimates they belong to.
    pub fn read_per_t_csv(&mut self, text: &str) {
        let mut lines = text.lines();
        if lines.next().map(str::trim) != Some(PER_T_HEADER) {
            return;
        }
        for line in lines {
            let c: Vec<&str> = line.split(',').map(str::trim).collect();
            let (Some(step), Some(t), Some(v)) = (
                c.first().and_then(|v| v.parse::<u64>().ok()),
                c.get(1).and_then(|v| v.parse::<usize>().ok()),
                c.get(2).and_then(|v| v.parse::<f64>().ok()),
            ) else {
                continue;
            };
            if let Some(e) = self.elbo.iter_mut().find(|e| e.step == step) {
                e.estimate.per_t.push((t, v));
            }
        }
    }

    /// Replace the loss and throughput curves by a run's saved history.
    pub fn set_history(&mut self, steps: &[StepReport]) {
        self.loss = Series::default();
        self.images_per_s = Series::default();
        for r in steps {
            self.loss.push(r.step as f64, r.loss as f64);
            self.images_per_s.push(r.step as f64, r.images_per_s);
        }
    }

    /// Read curves written by [`Self::to_csv`]. Rows that do not parse are skipped and counted.
    pub fn from_csv(text: &str) -> Result<(Self, usize), String> {
        let mut lines = text.lines();
        let (old, older_file, columns) = match lines.next().map(str::trim) {
            Some(CSV_HEADER) => (false, None, 13),
            Some(V2_CSV_HEADER) => (false, Some(OlderFile::MethodUnknown), 12),
            Some(OLD_CSV_HEADER) => (true, Some(OlderFile::MidpointRule), 8),
            _ => return Err(crate::tr!("curves-err-header").to_owned()),
        };
        let mut curves = Self::default();
        let mut skipped = 0;
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cells: Vec<&str> = line.split(',').collect();
            let num = |k: usize| cells.get(k).and_then(|c| c.trim().parse::<f64>().ok());
            let Some(step) = cells.first().and_then(|c| c.trim().parse::<u64>().ok()) else {
                skipped += 1;
                continue;
            };
            if cells.len() != columns {
                skipped += 1;
                continue;
            }
            if let Some(loss) = num(1) {
                curves.loss.push(step as f64, loss);
                if let Some(ips) = num(2) {
                    curves.images_per_s.push(step as f64, ips);
                }
            }
            // (held out, L_T, Σ, L_0) columns, and the new ones' SEs, K and images
            let (prior, diffusion, decoder) = if old { (5, 6, 7) } else { (6, 7, 9) };
            if let (Some(held), Some(prior), Some(diffusion), Some(decoder)) =
                (num(3), num(prior), num(diffusion), num(decoder))
            {
                let extra = |k: usize| if old { None } else { num(k) };
                let method = cells.get(12).map(|c| c.trim());
                let strata = method
                    .and_then(|m| m.strip_prefix("head+strata:"))
                    .and_then(|k| k.parse::<usize>().ok());
                curves.push_elbo(ElboPoint {
                    step,
                    estimate: VlbEstimate {
                        prior_bpd: prior,
                        decoder_bpd: decoder,
                        diffusion_bpd: diffusion,
                        diffusion_stderr_bpd: extra(8).unwrap_or(f64::NAN),
                        total_stderr_bpd: extra(5).unwrap_or(f64::NAN),
                        per_t: Vec::new(),
                        timesteps_evaluated: extra(10).unwrap_or(0.0) as usize,
                        strata,
                        images: extra(11).unwrap_or(0.0) as usize,
                        per_image_bpd: Vec::new(),
                    },
                    held_out_loss: held as f32,
                    batch: None,
                    from_older_file: older_file,
                });
            }
        }
        Ok((curves, skipped))
    }

    /// Draw the panel.
    /// `t_max` and `decoder_floor` (σ₁ and L_0's floor in bits/dim) come from the model's
    /// schedule.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        t_max: usize,
        decoder_floor: Option<(f64, f64)>,
        out: &mut Vec<AppCommand>,
    ) {
        let stratified = TimestepPlan::Stratified {
            strata: crate::diffusion::DEFAULT_STRATA,
        };
        ui.horizontal_wrapped(|ui| {
            ui.add(
                egui::Slider::new(&mut self.smooth, 1..=200)
                    .logarithmic(true)
                    .text(tr!("curves-smoothing")),
            );
            if ui
                .button(tr!("curves-export"))
                .on_hover_text(tr!("curves-export-tip"))
                .clicked()
            {
                out.push(AppCommand::ExportCsv);
            }
            let idle = self.pending.is_none();
            if ui
                .add_enabled(
                    idle,
                    egui::Button::new(tr!("curves-elbo-now", k = crate::diffusion::DEFAULT_STRATA)),
                )
                .on_hover_text(tr!("curves-elbo-now-tip"))
                .clicked()
            {
                out.push(AppCommand::EstimateElbo(stratified));
            }
            if ui
                .add_enabled(
                    idle,
                    egui::Button::new(tr!("curves-elbo-exact", n = t_max.saturating_sub(1))),
                )
                .on_hover_text(tr!("curves-elbo-exact-tip"))
                .clicked()
            {
                out.push(AppCommand::EstimateElbo(TimestepPlan::All));
            }
            if self.pending.is_some() {
                super::repaint::busy_ui(ui);
                ui.weak(tr!("curves-elbo-pending"));
            }
            self.ode.button_ui(ui, out);
        });
        if let Some(last) = self.elbo.last() {
            let e = &last.estimate;
            let se = |v: f64| {
                if v.is_finite() {
                    format!(" ± {v:.3}")
                } else {
                    String::new()
                }
            };
            ui.label(
                egui::RichText::new(tr!(
                    "curves-last-elbo",
                    step = last.step,
                    total = format!("{:.3}{}", e.total_bpd(), se(e.total_stderr_bpd)),
                    prior = format!("{:.2e}", e.prior_bpd),
                    diffusion = format!("{:.3}{}", e.diffusion_bpd, se(e.diffusion_stderr_bpd)),
                    decoder = format!("{:.3}", e.decoder_bpd)
                ))
                .strong(),
            );
            let how = match (last.from_older_file, e.strata) {
                (Some(OlderFile::MethodUnknown), _) => tr!("curves-elbo-how-unknown").to_owned(),
                (Some(OlderFile::MidpointRule), _) => tr!("curves-elbo-how-midpoint").to_owned(),
                (None, Some(k)) => tr!(
                    "curves-elbo-how-strata",
                    head = 1 + e.timesteps_evaluated.saturating_sub(k),
                    k = k,
                    images = e.images
                ),
                (None, None) if e.timesteps_evaluated > 0 => {
                    tr!(
                        "curves-elbo-how-all",
                        n = e.timesteps_evaluated,
                        images = e.images
                    )
                }
                (None, None) => tr!("curves-elbo-how-file").to_owned(),
            };
            let batch = last
                .batch
                .map(|b| b.to_string())
                .unwrap_or_else(|| tr!("curves-batch-unknown").to_owned());
            ui.weak(format!("{how} · {batch}"));
        }
        self.ode.result_ui(ui, &self.elbo);
        if self.loss.points.is_empty() && self.elbo.is_empty() {
            ui.add_space(20.0);
            ui.label(egui::RichText::new(tr!("curves-no-data")).size(16.0));
            return;
        }
        let h = (ui.available_height() / 2.0 - 50.0).max(120.0);
        super::layout::two_columns(ui, 560.0, |ui, column| {
            if column == 0 {
                ui.label(tr!("curves-loss"));
                Plot::new("loss")
                    .height(h)
                    .x_axis_label(tr!("curves-axis-step"))
                    .y_axis_label(tr!("curves-axis-l-simple"))
                    .show(ui, |p| {
                        p.line(
                            Line::new(
                                tr!("curves-loss-train"),
                                smoothed(&self.loss.points, self.smooth.max(1)),
                            )
                            .color(TRAIN),
                        );
                        let held: Vec<[f64; 2]> = self
                            .elbo
                            .iter()
                            .map(|e| [e.step as f64, e.held_out_loss as f64])
                            .collect();
                        p.points(
                            Points::new(tr!("curves-loss-held-out"), held.clone())
                                .radius(3.0)
                                .color(HELD),
                        );
                        p.line(Line::new(tr!("curves-loss-held-out"), held).color(HELD));
                    });
                key_ui(
                    ui,
                    &[
                        (TRAIN, "━", tr!("curves-loss-train")),
                        (HELD, "●", tr!("curves-loss-held-out")),
                    ],
                );
                ui.label(tr!("curves-throughput"));
                Plot::new("throughput")
                    .height(h * 0.6)
                    .x_axis_label(tr!("curves-axis-step"))
                    .y_axis_label(tr!("curves-axis-images-per-s"))
                    .show(ui, |p| {
                        p.line(Line::new(
                            tr!("curves-throughput"),
                            self.images_per_s.points.clone(),
                        ));
                    });
            } else {
                ui.label(tr!("curves-vlb"));
                Plot::new("vlb")
                    .height(h)
                    .x_axis_label(tr!("curves-axis-step"))
                    .y_axis_label(tr!("curves-axis-bpd"))
                    .show(ui, |p| {
                        let line = |f: &dyn Fn(&ElboPoint) -> f64| -> Vec<[f64; 2]> {
                            self.elbo.iter().map(|e| [e.step as f64, f(e)]).collect()
                        };
                        let terms: [Term<'_>; 4] = [
                            (tr!("curves-vlb-total"), TOTAL, &|e| e.estimate.total_bpd()),
                            (tr!("curves-vlb-prior"), PRIOR, &|e| e.estimate.prior_bpd),
                            ("Σ L_(t−1)", SUM, &|e| e.estimate.diffusion_bpd),
                            (tr!("curves-vlb-decoder"), DECODER, &|e| {
                                e.estimate.decoder_bpd
                            }),
                        ];
                        for (name, color, f) in terms {
                            let pts = line(f);
                            p.points(Points::new(name, pts.clone()).radius(3.0).color(color));
                            p.line(Line::new(name, pts).color(color));
                        }
                        // ±1 standard error of the total and of Σ, as vertical bars.
                        for e in &self.elbo {
                            let x = e.step as f64;
                            let v = &e.estimate;
                            for (name, color, m, se) in [
                                (
                                    tr!("curves-vlb-total"),
                                    TOTAL,
                                    v.total_bpd(),
                                    v.total_stderr_bpd,
                                ),
                                ("Σ L_(t−1)", SUM, v.diffusion_bpd, v.diffusion_stderr_bpd),
                            ] {
                                if se.is_finite() && se > 0.0 {
                                    p.line(
                                        Line::new(name, vec![[x, m - se], [x, m + se]])
                                            .color(color)
                                            .width(1.0),
                                    );
                                }
                            }
                        }
                        // The same network's exact likelihood (probability-flow ODE), ± 1 SE.
                        let ode = self.ode.plot_points();
                        if !ode.is_empty() {
                            let name = tr!("curves-vlb-ode");
                            for &(x, m, se) in &ode {
                                if se.is_finite() && se > 0.0 {
                                    p.line(
                                        Line::new(name, vec![[x, m - se], [x, m + se]])
                                            .color(ODE)
                                            .width(1.0),
                                    );
                                }
                            }
                            let pts: Vec<[f64; 2]> = ode.iter().map(|&(x, m, _)| [x, m]).collect();
                            p.points(
                                Points::new(name, pts)
                                    .radius(4.0)
                                    .shape(egui_plot::MarkerShape::Diamond)
                                    .color(ODE),
                            );
                        }
                    });
                key_ui(
                    ui,
                    &[
                        (TOTAL, "●", tr!("curves-vlb-total")),
                        (ODE, "◆", tr!("curves-vlb-ode")),
                        (PRIOR, "●", tr!("curves-vlb-prior")),
                        (SUM, "●", "Σ L_(t−1)"),
                        (DECODER, "●", tr!("curves-vlb-decoder")),
                        (TOTAL, "┃", tr!("curves-key-stderr")),
                    ],
                );
                ui.label(tr!("curves-per-t"));
                Plot::new("per_t")
                    .height(h * 0.6)
                    .x_axis_label(tr!("curves-axis-t-log"))
                    .y_axis_label(tr!("curves-axis-bpd-log"))
                    .x_axis_formatter(|mark, _| format!("{:.0}", 10f64.powf(mark.value)))
                    .y_axis_formatter(|mark, _| format!("{:.0e}", 10f64.powf(mark.value)))
                    .show(ui, |p| {
                        // log–log: the terms span several decades, L_0 at t = 1 the largest.
                        let profile = |e: &ElboPoint| -> Vec<[f64; 2]> {
                            e.estimate
                                .per_t
                                .iter()
                                .filter(|(_, v)| *v > 0.0)
                                .map(|&(t, v)| [(t as f64).log10(), v.log10()])
                                .collect()
                        };
                        let mut shown: Vec<(&ElboPoint, egui::Color32)> = Vec::new();
                        if self.elbo.len() > 1 {
                            shown.push((&self.elbo[0], PRIOR));
                        }
                        if let Some(last) = self.elbo.last() {
                            shown.push((last, SUM));
                        }
                        for (e, color) in shown {
                            let name = tr!("top-step", step = e.step);
                            p.points(
                                Points::new(name.clone(), profile(e))
                                    .radius(2.5)
                                    .color(color),
                            );
                            p.line(Line::new(name, profile(e)).color(color).width(0.8));
                        }
                    });
                if let Some(last) = self.elbo.last() {
                    let latest = tr!("top-step", step = last.step);
                    let first = self.elbo.first().map(|e| tr!("top-step", step = e.step));
                    match first.filter(|_| self.elbo.len() > 1) {
                        Some(first) => key_ui(ui, &[(PRIOR, "●", &first), (SUM, "●", &latest)]),
                        None => key_ui(ui, &[(SUM, "●", &latest)]),
                    }
                }
                if let Some((sigma, floor)) = decoder_floor {
                    ui.weak(tr!(
                        "curves-l0-floor",
                        sigma = format!("{sigma:.4}"),
                        floor = format!("{floor:.2}")
                    ));
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_stays_bounded_and_skips_non_finite() {
        let mut s = Series::default();
        for i in 0..(MAX_POINTS * 3) {
            s.push(i as f64, 1.0);
        }
        s.push(1e9, f64::NAN);
        assert!(s.points.len() <= MAX_POINTS);
        assert!(s.points.iter().all(|p| p[1].is_finite()));
        s.truncate_after(100.0);
        assert!(s.points.iter().all(|p| p[0] <= 100.0));
    }

    fn estimate(prior: f64, decoder: f64, diffusion: f64) -> VlbEstimate {
        VlbEstimate {
            prior_bpd: prior,
            decoder_bpd: decoder,
            diffusion_bpd: diffusion,
            diffusion_stderr_bpd: 0.25,
            total_stderr_bpd: 0.5,
            per_t: vec![(1, decoder), (7, 0.125)],
            timesteps_evaluated: 20,
            strata: None,
            images: 8,
            per_image_bpd: Vec::new(),
        }
    }

    #[test]
    fn csv_has_a_row_per_step() {
        let mut c = CurvesPanel::default();
        c.loss.push(1.0, 0.9);
        c.images_per_s.push(1.0, 10.0);
        c.loss.push(2.0, 0.8);
        c.images_per_s.push(2.0, 11.0);
        c.push_elbo(ElboPoint {
            step: 2,
            estimate: estimate(0.125, 1.0, 2.0),
            held_out_loss: 0.75,
            batch: None,
            from_older_file: None,
        });
        let csv = c.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "1,0.9,10.000,,,,,,,,,,");
        assert_eq!(
            lines[2],
            "2,0.8,11.000,0.75,3.125,0.5,0.125,2,0.25,1,20,8,all"
        );

        // An estimate at a step without a loss (a loaded model, paused) gets its own row,
        // and the CSVs read back to the same curves, per-t profile included.
        c.push_elbo(ElboPoint {
            step: 5,
            estimate: estimate(0.5, 1.5, 2.5),
            held_out_loss: 0.25,
            batch: None,
            from_older_file: None,
        });
        let csv = c.to_csv();
        assert_eq!(
            csv.lines().nth(3),
            Some("5,,,0.25,4.5,0.5,0.5,2.5,0.25,1.5,20,8,all")
        );
        let (mut back, skipped) = CurvesPanel::from_csv(&format!("{csv}garbage,row\n")).unwrap();
        assert_eq!(skipped, 1);
        back.read_per_t_csv(&c.per_t_csv());
        assert_eq!(back.loss.points, c.loss.points);
        assert_eq!(back.images_per_s.points, c.images_per_s.points);
        assert_eq!(back.elbo, c.elbo);
        assert!(CurvesPanel::from_csv("not,the,header\n").is_err());
        // Files written before the standard errors still open.
        let old = format!("{OLD_CSV_HEADER}\n2,0.8,11.000,0.7,3.1,0.1,2,1\n");
        let (back, skipped) = CurvesPanel::from_csv(&old).unwrap();
        assert_eq!(skipped, 0);
        assert_eq!(back.elbo[0].estimate.diffusion_bpd, 2.0);
        assert_eq!(back.elbo[0].from_older_file, Some(OlderFile::MidpointRule));
        // ...and those written before the method was: K = 20 is not taken for every t.
        let v2 = format!("{V2_CSV_HEADER}\n2,0.8,11.000,0.75,3.125,0.5,0.125,2,0.25,1,20,8\n");
        let (back, _) = CurvesPanel::from_csv(&v2).unwrap();
        assert_eq!(back.elbo[0].from_older_file, Some(OlderFile::MethodUnknown));
        assert_eq!(back.elbo[0].estimate.strata, None);
        // A head+strata estimate reads back as one.
        let mut k = CurvesPanel::default();
        let mut e = estimate(0.5, 1.5, 2.5);
        e.strata = Some(20);
        e.timesteps_evaluated = 30;
        k.push_elbo(ElboPoint {
            step: 3,
            estimate: e,
            held_out_loss: 0.5,
            batch: None,
            from_older_file: None,
        });
        let (back, _) = CurvesPanel::from_csv(&k.to_csv()).unwrap();
        assert!(k.to_csv().contains(",30,8,head+strata:20"));
        assert_eq!(back.elbo[0].estimate.strata, Some(20));
        assert_eq!(back.elbo[0].from_older_file, None);
    }

    #[test]
    fn a_saved_history_replaces_the_loss_curve() {
        let mut c = CurvesPanel::default();
        c.loss.push(9.0, 0.1);
        let steps: Vec<StepReport> = (1..=3)
            .map(|step| StepReport {
                step,
                loss: 1.0 / step as f32,
                images_per_s: 5.0,
            })
            .collect();
        c.set_history(&steps);
        assert_eq!(c.loss.points.len(), 3);
        assert_eq!(c.loss.points[2], [3.0, (1.0f32 / 3.0) as f64]);
    }
}
