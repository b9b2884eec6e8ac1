//! Panel ④: L_simple, images/s and the variational bound against the training step, and
//! the per-timestep KL terms L_{t−1} against t.

use super::AppCommand;
use crate::diffusion::VlbEstimate;
use egui_plot::{Legend, Line, Plot, Points};
use std::fmt::Write as _;

/// Points kept per series; past this, older points are thinned by half.
pub const MAX_POINTS: usize = 20_000;

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

    /// All curves as CSV: one row per step with a loss, ELBO columns where measured.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "step,l_simple,images_per_s,held_out_l_simple,vlb_bpd,l_t_bpd,sum_l_t_minus_1_bpd,l_0_bpd\n",
        );
        let mut elbo = self.elbo.iter().peekable();
        for (i, p) in self.loss.points.iter().enumerate() {
            let step = p[0] as u64;
            let ips = self
                .images_per_s
                .points
                .get(i)
                .map(|q| q[1])
                .unwrap_or(f64::NAN);
            let _ = write!(out, "{step},{},{ips:.3}", p[1]);
            match elbo.peek() {
                Some(e) if e.step <= step => {
                    let e = elbo.next().map(|e| e.clone());
                    if let Some(e) = e {
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
                    }
                }
                _ => out.push_str(",,,,,"),
            }
            out.push('\n');
        }
        out
    }

    /// Draw the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.horizontal(|ui| {
            ui.add(
                egui::Slider::new(&mut self.smooth, 1..=200)
                    .logarithmic(true)
                    .text("smoothing"),
            );
            if ui
                .button("Export CSV…")
                .on_hover_text("Save every curve as a CSV file")
                .clicked()
            {
                out.push(AppCommand::ExportCsv);
            }
            if ui
                .button("Estimate ELBO now")
                .on_hover_text("Evaluate the bound on the fixed held-out batch now.")
                .clicked()
            {
                out.push(AppCommand::EstimateElbo);
            }
            if let Some(last) = self.elbo.last() {
                ui.label(format!(
                    "last ELBO (step {}): {:.3} bits/dim = L_T {:.4} + ΣL_(t−1) {:.3} + L_0 {:.3}",
                    last.step,
                    last.estimate.total_bpd(),
                    last.estimate.prior_bpd,
                    last.estimate.diffusion_bpd,
                    last.estimate.decoder_bpd
                ));
            }
        });
        let h = (ui.available_height() / 2.0 - 40.0).max(120.0);
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.label("L_simple = ‖ε − ε_θ(x_t, t)‖² per step (and on the held-out batch)");
            Plot::new("loss")
                .height(h)
                .legend(Legend::default())
                .show(ui, |p| {
                    p.line(Line::new(
                        "L_simple (train)",
                        smoothed(&self.loss.points, self.smooth.max(1)),
                    ));
                    let held: Vec<[f64; 2]> = self
                        .elbo
                        .iter()
                        .map(|e| [e.step as f64, e.held_out_loss as f64])
                        .collect();
                    p.points(Points::new("L_simple (held out, EMA)", held.clone()).radius(3.0));
                    p.line(Line::new("L_simple (held out, EMA)", held));
                });
            ui.label("images / s");
            Plot::new("throughput").height(h * 0.6).show(ui, |p| {
                p.line(Line::new("images/s", self.images_per_s.points.clone()));
            });

            let ui = &mut cols[1];
            ui.label("variational bound, bits/dim (held-out batch)");
            Plot::new("vlb")
                .height(h)
                .legend(Legend::default())
                .show(ui, |p| {
                    let line = |f: &dyn Fn(&ElboPoint) -> f64| -> Vec<[f64; 2]> {
                        self.elbo.iter().map(|e| [e.step as f64, f(e)]).collect()
                    };
                    let terms: [(&str, &dyn Fn(&ElboPoint) -> f64); 4] = [
                        ("VLB total", &|e| e.estimate.total_bpd()),
                        ("L_T (prior)", &|e| e.estimate.prior_bpd),
                        ("Σ L_(t−1)", &|e| e.estimate.diffusion_bpd),
                        ("L_0 (decoder)", &|e| e.estimate.decoder_bpd),
                    ];
                    for (name, f) in terms {
                        let pts = line(f);
                        p.points(Points::new(name, pts.clone()).radius(3.0));
                        p.line(Line::new(name, pts));
                    }
                });
            ui.label("L_(t−1) against t, latest estimate (bits/dim)");
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
                        p.line(Line::new(format!("step {}", last.step), pts));
                    }
                    if self.elbo.len() > 1 {
                        let first = &self.elbo[0];
                        let pts: Vec<[f64; 2]> = first
                            .estimate
                            .per_t
                            .iter()
                            .map(|&(t, v)| [t as f64, v])
                            .collect();
                        p.line(Line::new(format!("step {}", first.step), pts));
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
    }
}
