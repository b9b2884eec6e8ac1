//! Panel ④: L_simple, images/s and the variational bound against the training step, and
//! the per-timestep KL terms L_{t−1} against t.

use super::AppCommand;
use crate::diffusion::VlbEstimate;
use crate::tr;
use egui_plot::{Legend, Line, Plot, Points};
use std::fmt::Write as _;

/// Points kept per series; past this, older points are thinned by half.
pub const MAX_POINTS: usize = 20_000;

/// The first line of the curves CSV.
pub const CSV_HEADER: &str =
    "step,l_simple,images_per_s,held_out_l_simple,vlb_bpd,l_t_bpd,sum_l_t_minus_1_bpd,l_0_bpd";

/// Keep every second element: halves a full history while keeping its whole span.
fn thin_by_half<T>(items: &mut Vec<T>) {
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
    /// held-out L_simple of the EMA
    pub held_out_loss: f32,
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
    }

    /// Add an ELBO snapshot, bounded like the series.
    pub fn push_elbo(&mut self, point: ElboPoint) {
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
                let _ = write!(
                    out,
                    ",{},{},{},{},{}",
                    e.held_out_loss,
                    v.total_bpd(),
                    v.prior_bpd,
                    v.diffusion_bpd,
                    v.decoder_bpd
                );
                j += 1;
            } else {
                out.push_str(",,,,,");
            }
            out.push('\n');
        }
        out
    }

    /// Read curves written by [`Self::to_csv`]. Rows that do not parse are skipped and counted.
    pub fn from_csv(text: &str) -> Result<(Self, usize), String> {
        let mut lines = text.lines();
        if lines.next().map(str::trim) != Some(CSV_HEADER) {
            return Err(crate::tr!("curves-err-header").to_owned());
        }
        let mut curves = Self::default();
        let mut skipped = 0;
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cells: Vec<&str> = line.split(',').collect();
            let num = |k: usize| cells.get(k).and_then(|c| c.trim().parse::<f64>().ok());
            let Some(step) = cells.first().and_then(|c| c.trim().parse::<u64>().ok()) else {
                skipped += 1;
                continue;
            };
            if cells.len() != 8 {
                skipped += 1;
                continue;
            }
            if let Some(loss) = num(1) {
                curves.loss.push(step as f64, loss);
                if let Some(ips) = num(2) {
                    curves.images_per_s.push(step as f64, ips);
                }
            }
            if let (Some(held), Some(prior), Some(diffusion), Some(decoder)) =
                (num(3), num(5), num(6), num(7))
            {
                curves.push_elbo(ElboPoint {
                    step,
                    estimate: VlbEstimate {
                        prior_bpd: prior,
                        decoder_bpd: decoder,
                        diffusion_bpd: diffusion,
                        per_t: Vec::new(),
                    },
                    held_out_loss: held as f32,
                });
            }
        }
        Ok((curves, skipped))
    }

    /// Draw the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.horizontal(|ui| {
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
            if ui
                .button(tr!("curves-elbo-now"))
                .on_hover_text(tr!("curves-elbo-now-tip"))
                .clicked()
            {
                out.push(AppCommand::EstimateElbo);
            }
            if let Some(last) = self.elbo.last() {
                ui.label(tr!(
                    "curves-last-elbo",
                    step = last.step,
                    total = format!("{:.3}", last.estimate.total_bpd()),
                    prior = format!("{:.4}", last.estimate.prior_bpd),
                    diffusion = format!("{:.3}", last.estimate.diffusion_bpd),
                    decoder = format!("{:.3}", last.estimate.decoder_bpd)
                ));
            }
        });
        let h = (ui.available_height() / 2.0 - 40.0).max(120.0);
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.label(tr!("curves-loss"));
            Plot::new("loss")
                .height(h)
                .legend(Legend::default())
                .show(ui, |p| {
                    p.line(Line::new(
                        tr!("curves-loss-train"),
                        smoothed(&self.loss.points, self.smooth.max(1)),
                    ));
                    let held: Vec<[f64; 2]> = self
                        .elbo
                        .iter()
                        .map(|e| [e.step as f64, e.held_out_loss as f64])
                        .collect();
                    p.points(Points::new(tr!("curves-loss-held-out"), held.clone()).radius(3.0));
                    p.line(Line::new(tr!("curves-loss-held-out"), held));
                });
            ui.label(tr!("curves-throughput"));
            Plot::new("throughput").height(h * 0.6).show(ui, |p| {
                p.line(Line::new(
                    tr!("curves-throughput"),
                    self.images_per_s.points.clone(),
                ));
            });

            let ui = &mut cols[1];
            ui.label(tr!("curves-vlb"));
            Plot::new("vlb")
                .height(h)
                .legend(Legend::default())
                .show(ui, |p| {
                    let line = |f: &dyn Fn(&ElboPoint) -> f64| -> Vec<[f64; 2]> {
                        self.elbo.iter().map(|e| [e.step as f64, f(e)]).collect()
                    };
                    let terms: [(&str, &dyn Fn(&ElboPoint) -> f64); 4] = [
                        (tr!("curves-vlb-total"), &|e| e.estimate.total_bpd()),
                        (tr!("curves-vlb-prior"), &|e| e.estimate.prior_bpd),
                        ("Σ L_(t−1)", &|e| e.estimate.diffusion_bpd),
                        (tr!("curves-vlb-decoder"), &|e| e.estimate.decoder_bpd),
                    ];
                    for (name, f) in terms {
                        let pts = line(f);
                        p.points(Points::new(name, pts.clone()).radius(3.0));
                        p.line(Line::new(name, pts));
                    }
                });
            ui.label(tr!("curves-per-t"));
            Plot::new("per_t")
                .height(h * 0.6)
                .legend(Legend::default())
                .show(ui, |p| {
                    if let Some(last) = self.elbo.last() {
                        let pts: Vec<[f64; 2]> = last
                            .estimate
                            .per_t
                            .iter()
                            .map(|&(t, v)| [t as f64, v])
                            .collect();
                        p.line(Line::new(tr!("top-step", step = last.step), pts));
                    }
                    if self.elbo.len() > 1 {
                        let first = &self.elbo[0];
                        let pts: Vec<[f64; 2]> = first
                            .estimate
                            .per_t
                            .iter()
                            .map(|&(t, v)| [t as f64, v])
                            .collect();
                        p.line(Line::new(tr!("top-step", step = first.step), pts));
                    }
                });
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

    #[test]
    fn csv_has_a_row_per_step() {
        let mut c = CurvesPanel::default();
        c.loss.push(1.0, 0.9);
        c.images_per_s.push(1.0, 10.0);
        c.loss.push(2.0, 0.8);
        c.images_per_s.push(2.0, 11.0);
        c.push_elbo(ElboPoint {
            step: 2,
            estimate: VlbEstimate {
                prior_bpd: 0.1,
                decoder_bpd: 1.0,
                diffusion_bpd: 2.0,
                per_t: vec![],
            },
            held_out_loss: 0.7,
        });
        let csv = c.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "1,0.9,10.000,,,,,");
        assert_eq!(lines[2], "2,0.8,11.000,0.7,3.1,0.1,2,1");

        // An estimate at a step without a loss (a loaded model, paused) gets its own row,
        // and the CSV reads back to the same curves.
        c.push_elbo(ElboPoint {
            step: 5,
            estimate: VlbEstimate {
                prior_bpd: 0.5,
                decoder_bpd: 1.5,
                diffusion_bpd: 2.5,
                per_t: vec![],
            },
            held_out_loss: 0.25,
        });
        let csv = c.to_csv();
        assert_eq!(csv.lines().nth(3), Some("5,,,0.25,4.5,0.5,2.5,1.5"));
        let (back, skipped) = CurvesPanel::from_csv(&format!("{csv}garbage,row\n")).unwrap();
        assert_eq!(skipped, 1);
        assert_eq!(back.loss.points, c.loss.points);
        assert_eq!(back.images_per_s.points, c.images_per_s.points);
        assert_eq!(back.elbo, c.elbo);
        assert!(CurvesPanel::from_csv("not,the,header\n").is_err());
    }
}
