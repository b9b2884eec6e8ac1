//! The 2-D world's particles flowing from N(0, I) to the data, with the learned −ε̂ field:
//! one plot, drawn for the main run and for each run of the lab.

use crate::app::plot_key::{colors, key_ui};
use crate::tr;
use crate::train::toy::ToyView;
use egui_plot::{Arrows, Plot, Points};

/// The particles of frame `k` of `view` over the data (`data_points`, [n, 2]) and the field.
pub fn particles_ui(
    ui: &mut egui::Ui,
    id: &str,
    view: &ToyView,
    k: usize,
    data_points: &[f32],
    height: f32,
) {
    let k = k.min(view.particles.frames.len().saturating_sub(1));
    let Some(frame) = view.particles.frames.get(k) else {
        return;
    };
    let data: Vec<[f64; 2]> = data_points
        .chunks(2)
        .map(|p| [p[0] as f64, p[1] as f64])
        .collect();
    let particles: Vec<[f64; 2]> = frame
        .x_t
        .chunks(2)
        .map(|p| [p[0] as f64, p[1] as f64])
        .collect();
    let field = view.field.iter().find(|(t, _)| *t == frame.t);
    Plot::new(id)
        .height(height)
        .data_aspect(1.0)
        .allow_scroll(false)
        .x_axis_label("x₁")
        .y_axis_label("x₂")
        .show(ui, |p| {
            p.set_plot_bounds_x(-3.0..=3.0);
            p.set_plot_bounds_y(-3.0..=3.0);
            p.points(Points::new("data", data).radius(1.2).color(colors::GREY));
            if let Some((_, arrows)) = field {
                let origins: Vec<[f64; 2]> = arrows
                    .iter()
                    .map(|(o, _)| [o[0] as f64, o[1] as f64])
                    .collect();
                let tips: Vec<[f64; 2]> = arrows
                    .iter()
                    .map(|(o, e)| [(o[0] - 0.12 * e[0]) as f64, (o[1] - 0.12 * e[1]) as f64])
                    .collect();
                p.arrows(Arrows::new("field", origins, tips).color(colors::BLUE));
            }
            if view.particle_classes.is_empty() {
                p.points(
                    Points::new("particles", particles)
                        .radius(1.6)
                        .color(colors::ORANGE),
                );
            } else {
                let classes = view.particle_classes.iter().max().map_or(1, |m| m + 1);
                for c in 0..classes {
                    let of_class: Vec<[f64; 2]> = particles
                        .iter()
                        .zip(&view.particle_classes)
                        .filter(|(_, k)| **k == c)
                        .map(|(p, _)| *p)
                        .collect();
                    p.points(
                        Points::new("particles", of_class)
                            .radius(1.6)
                            .color(crate::app::world_guidance::class_color(c)),
                    );
                }
            }
        });
    key_ui(
        ui,
        &[
            (colors::GREY, "●", tr!("world-key-data")),
            (colors::ORANGE, "●", tr!("world-key-particles")),
            (colors::BLUE, "→", tr!("world-key-field")),
        ],
    );
}
