//! ⑤'s 1-D walk: z₀ = Φ⁻¹(F_data(x)), the z that a perfect monotone G sends to x, and the
//! bell N(·; G(z₀), σ²) sliding toward x over training.

use super::WorldPanel;
use crate::app::plot_key::{colors, key_ui};
use crate::diffusion::toy::{GaussianMixture1d, grid, normal_pdf};
use crate::tr;
use crate::train::toy::ToyView;
use egui_plot::{Line, Plot, VLine};

impl WorldPanel {
    /// z₀ = Φ⁻¹(F_data(x)), the z that a perfect monotone G sends to x, and G(z₀) in `view`,
    /// with F the CDF of the data the run trains on (the pixel values in pixels mode).
    pub(super) fn g_of_z0(&self, view: &ToyView) -> Option<f64> {
        let z0 = quantile_z(self.data_mixture.as_ref()?, self.x_query);
        interpolate(&view.g_curve, z0)
    }

    /// The bell N(·; G(z₀), σ²) over training, z₀ fixed for the chosen x.
    pub(super) fn walk_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(6.0);
        ui.label(egui::RichText::new(tr!("world-walk")).strong());
        let Some(m) = self.data_mixture.as_ref() else {
            return;
        };
        let z0 = quantile_z(m, self.x_query);
        ui.weak(tr!(
            "world-walk-z0",
            z0 = format!("{z0:.2}"),
            x = format!("{:.2}", self.x_query)
        ));
        let s = self.sigma;
        let (xs, _) = grid(-3.0, 3.0, 241);
        let bell =
            |g: f64| -> Vec<[f64; 2]> { xs.iter().map(|&x| [x, normal_pdf(x, g, s)]).collect() };
        let last = self.walk.len().saturating_sub(1);
        Plot::new("world-walk")
            .height(140.0)
            .allow_scroll(false)
            .x_axis_label("x")
            .y_axis_label(tr!("likelihood-axis-density"))
            .show(ui, |p| {
                for (i, &(_, g)) in self.walk.iter().enumerate() {
                    let (color, width) = if i == last {
                        (colors::ORANGE, 2.5)
                    } else {
                        (colors::GREY, 0.6)
                    };
                    p.line(Line::new("", bell(g)).color(color).width(width));
                }
                p.vline(VLine::new("x", self.x_query).color(colors::YELLOW));
            });
        key_ui(
            ui,
            &[
                (colors::ORANGE, "━", tr!("world-key-bell-now")),
                (colors::GREY, "━", tr!("likelihood-key-other-steps")),
                (colors::YELLOW, "┃", "x"),
            ],
        );
    }
}

/// Φ⁻¹(F(x)) for the mixture: the z that the monotone transport from N(0, 1) sends to x.
fn quantile_z(m: &GaussianMixture1d, x: f64) -> f64 {
    let cdf: f64 = m
        .components
        .iter()
        .map(|&(w, mu, s)| w * crate::diffusion::gaussian::standard_normal_cdf((x - mu) / s))
        .sum();
    let p = cdf.clamp(1e-9, 1.0 - 1e-9);
    // bisection on Φ(z) = p
    let (mut lo, mut hi) = (-8.0f64, 8.0f64);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if crate::diffusion::gaussian::standard_normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Linear interpolation of a (z, G(z)) curve at z.
fn interpolate(curve: &[(f32, f32)], z: f64) -> Option<f64> {
    let i = curve
        .windows(2)
        .position(|w| (w[0].0 as f64) <= z && z <= w[1].0 as f64)?;
    let (a, b) = (curve[i], curve[i + 1]);
    let f = (z - a.0 as f64) / (b.0 as f64 - a.0 as f64);
    Some(a.1 as f64 + f * (b.1 as f64 - a.1 as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::points::ToyData;

    #[test]
    fn pixels_mode_reads_z0_from_the_pixel_values_not_the_editable_mixture() {
        // Three quarters of the pixels at level 64, a quarter at 200: x between them has
        // F = 3/4 whatever the editable mixture says.
        let v = |k: u32| -1.0 + 2.0 * k as f32 / 255.0;
        let values: Vec<f32> = (0..400)
            .map(|i| if i % 4 == 3 { v(200) } else { v(64) })
            .collect();
        let mut panel = WorldPanel::default();
        panel.sample_data(&ToyData::Pixels(values));
        let m = panel.data_mixture.clone().expect("a pixel mixture");
        let z0 = quantile_z(&m, 0.2);
        let want = 0.674_489_75; // Φ⁻¹(3/4)
        assert!((z0 - want).abs() < 1e-4, "{z0}");
        let editable = GaussianMixture1d::new(panel.components.clone()).unwrap();
        assert!((quantile_z(&editable, 0.2) - want).abs() > 0.1);
    }

    #[test]
    fn the_quantile_z_of_a_gaussian_is_its_standard_score() {
        let m = GaussianMixture1d::new(vec![(1.0, 0.5, 2.0)]).unwrap();
        assert!((quantile_z(&m, 1.5) - 0.5).abs() < 1e-6);
        assert!((quantile_z(&m, 0.5)).abs() < 1e-6);
        assert_eq!(interpolate(&[(0.0, 1.0), (1.0, 3.0)], 0.25), Some(1.5));
        assert_eq!(interpolate(&[(0.0, 1.0), (1.0, 3.0)], 2.0), None);
    }
}
