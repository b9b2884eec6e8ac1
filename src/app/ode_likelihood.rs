//! Panel ④'s exact likelihood: the same network's probability-flow ODE, its bits/dim on the
//! evaluation images beside their −ELBO at the same step, and the gap between the two (the
//! bound's slack, visible on images). The worker scores one image per turn of its loop; this
//! panel only shows what it reports.

use super::AppCommand;
use super::curves::ElboPoint;
use crate::diffusion::elbo::{mean, std_error};
use crate::tr;
use crate::train::ode_nll::NllEstimate;

/// One finished estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct OdePoint {
    /// the step of the weights scored
    pub step: u64,
    /// bits/dim per image and their mean
    pub estimate: NllEstimate,
}

/// The ODE part of panel ④.
#[derive(Default)]
pub struct OdePanel {
    /// every finished estimate, oldest first (drawn on the −ELBO plot)
    pub points: Vec<OdePoint>,
    /// (images done, images in all, step) while the worker scores
    pub progress: Option<(usize, usize, u64)>,
    /// why the last estimate failed
    pub error: Option<String>,
}

/// −ELBO − ODE bits/dim with its standard error: paired over the images when the −ELBO at the
/// same step scored the same images one by one, else from the two standard errors.
pub fn gap(ode: &NllEstimate, elbo: &ElboPoint) -> (f64, f64) {
    let per_elbo = &elbo.estimate.per_image_bpd;
    if per_elbo.len() == ode.per_image_bits.len() && per_elbo.len() > 1 {
        let d: Vec<f64> = per_elbo
            .iter()
            .zip(&ode.per_image_bits)
            .map(|(e, o)| e - o)
            .collect();
        (mean(&d), std_error(&d))
    } else {
        (
            elbo.estimate.total_bpd() - ode.bits_per_dim,
            (elbo.estimate.total_stderr_bpd.powi(2) + ode.stderr_bits.powi(2)).sqrt(),
        )
    }
}

fn pm(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "n/a".to_owned()
    }
}

impl OdePanel {
    /// The worker's progress.
    pub fn on_progress(&mut self, done: usize, total: usize, step: u64) {
        self.progress = Some((done, total, step));
        self.error = None;
    }

    /// A finished estimate.
    pub fn on_result(&mut self, step: u64, estimate: NllEstimate) {
        self.progress = None;
        self.points.retain(|p| p.step != step);
        self.points.push(OdePoint { step, estimate });
        self.points.sort_by_key(|p| p.step);
    }

    /// A failure, for the user.
    pub fn on_failed(&mut self, why: String) {
        self.progress = None;
        self.error = Some(why);
    }

    /// Forget every estimate (a reset or another model).
    pub fn clear(&mut self) {
        self.points.clear();
        self.progress = None;
        self.error = None;
    }

    /// The button that starts an estimate.
    pub fn button_ui(&self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        if ui
            .add_enabled(
                self.progress.is_none(),
                egui::Button::new(tr!("ode-button")),
            )
            .on_hover_text(tr!("ode-button-tip"))
            .clicked()
        {
            out.push(AppCommand::EstimateOdeNll);
        }
        if let Some((done, total, step)) = self.progress {
            super::repaint::busy_ui(ui);
            ui.weak(tr!("ode-progress", done = done, total = total, step = step));
        }
    }

    /// The latest estimate beside the −ELBO of the same step, and the gap.
    pub fn result_ui(&self, ui: &mut egui::Ui, elbo: &[ElboPoint]) {
        if let Some(why) = &self.error {
            ui.colored_label(ui.visuals().warn_fg_color, why);
        }
        let Some(last) = self.points.last() else {
            return;
        };
        let e = &last.estimate;
        ui.label(
            egui::RichText::new(tr!(
                "ode-result",
                step = last.step,
                bits = format!("{:.3}", e.bits_per_dim),
                se = pm(e.stderr_bits),
                images = e.per_image_bits.len(),
                method = e.method.clone(),
                nfe = format!("{:.0}", e.nfe),
                probes = e.probes
            ))
            .strong(),
        );
        match elbo.iter().rev().find(|p| p.step == last.step) {
            Some(bound) => {
                let (g, g_se) = gap(e, bound);
                ui.label(tr!(
                    "ode-gap",
                    elbo = format!("{:.3}", bound.estimate.total_bpd()),
                    elbo_se = pm(bound.estimate.total_stderr_bpd),
                    gap = format!("{g:.3}"),
                    gap_se = pm(g_se)
                ));
            }
            None => {
                ui.weak(tr!("ode-gap-none", step = last.step));
            }
        }
        ui.weak(tr!("ode-two-models"));
    }

    /// (step, bits/dim, standard error) of every estimate, for the −ELBO plot.
    pub fn plot_points(&self) -> Vec<(f64, f64, f64)> {
        self.points
            .iter()
            .map(|p| {
                (
                    p.step as f64,
                    p.estimate.bits_per_dim,
                    p.estimate.stderr_bits,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::VlbEstimate;

    fn elbo(per_image: Vec<f64>) -> ElboPoint {
        let n = per_image.len() as f64;
        let total = per_image.iter().sum::<f64>() / n;
        ElboPoint {
            step: 7,
            estimate: VlbEstimate {
                prior_bpd: 0.0,
                decoder_bpd: 0.0,
                diffusion_bpd: total,
                diffusion_stderr_bpd: 0.5,
                total_stderr_bpd: 0.5,
                per_t: Vec::new(),
                timesteps_evaluated: 30,
                strata: Some(20),
                images: per_image.len(),
                per_image_bpd: per_image,
            },
            held_out_loss: 0.1,
            batch: None,
            from_older_file: None,
        }
    }

    fn ode(per_image: Vec<f64>) -> NllEstimate {
        NllEstimate {
            bits_per_dim: mean(&per_image),
            stderr_bits: std_error(&per_image),
            per_image_bits: per_image,
            nfe: 200.0,
            probes: 1,
            method: "heun".into(),
        }
    }

    /// Paired over the images, an image-to-image spread shared by both cancels: the gap's
    /// error is that of the differences, far below either estimate's own.
    #[test]
    fn the_gap_is_paired_over_the_images() {
        let e = elbo(vec![3.0, 4.0, 5.0, 6.0]);
        let o = ode(vec![2.5, 3.6, 4.4, 5.5]);
        let (g, se) = gap(&o, &e);
        assert!((g - 0.5).abs() < 1e-12);
        assert!(se < 0.05 && se > 0.0, "{se}");
        // Without per-image figures, the two standard errors add in quadrature.
        let mut unpaired = e.clone();
        unpaired.estimate.per_image_bpd.clear();
        let (g2, se2) = gap(&o, &unpaired);
        assert!((g2 - 0.5).abs() < 1e-12);
        assert!((se2 - (0.25 + o.stderr_bits.powi(2)).sqrt()).abs() < 1e-12);
    }
}
