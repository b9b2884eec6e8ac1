//! Panel ⑤'s 1-D density plot: the data density, a histogram of samples, the note's
//! P_θ(x) = ∫ N(z; 0, 1) N(x; G(z), σ²) dz at σ (exact per linear piece of G) and its σ → 0
//! limit, the ODE's curve when computed, and the held-out samples' likelihoods under each.

use super::super::plot_key::{colors, key_ui};
use super::{Choice, WorldPanel};
use crate::diffusion::toy::{
    GaussianMixture1d, grid, piecewise_linear_density, pushforward_density,
};
use crate::tr;
use crate::train::toy::ToyView;
use egui_plot::{Line, Plot, VLine};

/// What [`WorldPanel::densities`] computes, with the (step, σ, grid, samples) it is for.
#[derive(Clone, Debug)]
pub(super) struct Densities {
    key: (u64, u64, usize, usize),
    p_theta: Vec<[f64; 2]>,
    push: Vec<[f64; 2]>,
    nll_at_sigma: f64,
    nll_push: f64,
}

impl WorldPanel {
    /// The data density, a histogram of samples, P_θ at σ (exact per linear piece of G) and its σ → 0 limit.
    pub(super) fn density_ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &ToyView,
        mixture: Option<&GaussianMixture1d>,
    ) {
        ui.add_space(6.0);
        ui.label(egui::RichText::new(tr!("world-density")).strong());
        if self.choice == Choice::Mixture {
            ui.weak(tr!("world-click-tip"));
        }
        ui.add(
            egui::Slider::new(&mut self.sigma, 0.02..=1.0)
                .logarithmic(true)
                .text("σ"),
        )
        .on_hover_text(tr!("world-sigma-tip"));
        let (xs, dx) = grid(-3.0, 3.0, 301);
        let line =
            |f: &dyn Fn(f64) -> f64| -> Vec<[f64; 2]> { xs.iter().map(|&x| [x, f(x)]).collect() };
        let data = mixture.map(|m| line(&|x| m.pdf(x).min(5.0)));
        let Densities {
            p_theta,
            push,
            nll_at_sigma,
            nll_push,
            ..
        } = self.densities(view).clone();
        // histogram of the samples (the final particles)
        let finals = view.particles.final_x0();
        let bins = 60;
        let width = 6.0 / bins as f64;
        let mut counts = vec![0.0f64; bins];
        for &v in finals {
            let b = ((v as f64 + 3.0) / width).floor();
            if (0.0..bins as f64).contains(&b) {
                counts[b as usize] += 1.0;
            }
        }
        let n = finals.len().max(1) as f64;
        let hist: Vec<[f64; 2]> = counts
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                let x0 = -3.0 + i as f64 * width;
                let h = c / (n * width);
                [[x0, h], [x0 + width, h]]
            })
            .collect();
        let mass: f64 = p_theta.iter().map(|p| p[1]).sum::<f64>() * dx;
        let ode_line = self.ode.line_1d();
        let clicked = Plot::new("world-density")
            .height(170.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("x")
            .y_axis_label(tr!("likelihood-axis-density"))
            .show(ui, |p| {
                p.line(Line::new("hist", hist).color(colors::GREY));
                if let Some(d) = data {
                    p.line(Line::new("data", d).color(colors::GREEN).width(1.5));
                }
                p.line(Line::new("push", push).color(colors::BLUE).width(1.0));
                p.line(Line::new("P", p_theta).color(colors::ORANGE).width(2.0));
                if let Some(l) = ode_line {
                    p.line(l);
                }
                p.vline(VLine::new("x", self.x_query).color(colors::YELLOW));
                p.response()
                    .clicked()
                    .then(|| p.pointer_coordinate())
                    .flatten()
            })
            .inner;
        if let (Some(at), Choice::Mixture) = (clicked, self.choice) {
            self.add_at = Some(at.x);
        }
        key_ui(
            ui,
            &[
                (colors::GREEN, "━", tr!("world-key-data")),
                (colors::GREY, "━", tr!("world-key-hist")),
                (colors::ORANGE, "━", tr!("world-key-p-theta")),
                (colors::BLUE, "━", tr!("world-key-push")),
            ],
        );
        self.ode.key_1d_ui(ui);
        ui.weak(tr!("world-mass", mass = format!("{mass:.3}")));
        // The likelihoods of held-out samples: the note's model exactly (quadrature), its
        // σ → 0 limit, and the diffusion model's −ELBO.
        if let Some((elbo, se)) = view.neg_elbo_nats {
            let (at_sigma, push) = (nll_at_sigma, nll_push);
            ui.label(tr!(
                "world-nll",
                n = view.held_out.len(),
                sigma = format!("{:.3}", self.sigma),
                at_sigma = format!("{at_sigma:.3}"),
                push = format!("{push:.3}"),
                elbo = format!("{elbo:.3}"),
                se = format!("{se:.3}"),
                t = view.timesteps - 1
            ));
        }
        self.ode_ui(ui);
    }

    /// P_θ at σ and its σ → 0 limit on the plotted grid, and the held-out samples' mean
    /// −log of both: recomputed only when the view or σ changes (about 2·10⁵ densities).
    fn densities(&mut self, view: &ToyView) -> &Densities {
        let key = (
            view.step,
            self.sigma.to_bits(),
            view.g_curve.len(),
            view.held_out.len(),
        );
        if self.densities.as_ref().map(|d| d.key) != Some(key) {
            let (z, g): (Vec<f64>, Vec<f64>) = view
                .g_curve
                .iter()
                .map(|&(z, g)| (z as f64, g as f64))
                .unzip();
            let (xs, _) = grid(-3.0, 3.0, 301);
            let line = |f: &dyn Fn(f64) -> f64| -> Vec<[f64; 2]> {
                xs.iter().map(|&x| [x, f(x)]).collect()
            };
            let nll = |f: &dyn Fn(f64) -> f64| -> f64 {
                let v: Vec<f64> = view
                    .held_out
                    .iter()
                    .map(|&x| -f(x as f64).max(1e-300).ln())
                    .collect();
                crate::diffusion::elbo::mean(&v)
            };
            let sigma = self.sigma;
            self.densities = Some(Densities {
                key,
                p_theta: line(&|x| piecewise_linear_density(&z, &g, x, sigma)),
                push: line(&|x| pushforward_density(&z, &g, x).min(5.0)),
                nll_at_sigma: nll(&|x| piecewise_linear_density(&z, &g, x, sigma)),
                nll_push: nll(&|x| pushforward_density(&z, &g, x)),
            });
        }
        self.densities.as_ref().expect("just computed")
    }
}
