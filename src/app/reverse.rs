//! Panel ②: the reverse process x_T → x_0 from the current model's EMA weights.

use super::AppCommand;
use super::textures::{TextureSlot, from_rgb8};
use crate::data::ImageRgb;
use crate::diffusion::Trajectory;
use crate::export::grid;
use crate::tr;

/// Where a shown trajectory started.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// pure noise
    Noise,
    /// the chosen image noised to t
    Image(usize),
}

/// "EMA weights" or "raw weights".
pub fn weights_label(weights: crate::train::Weights) -> &'static str {
    match weights {
        crate::train::Weights::Ema => tr!("weights-ema"),
        crate::train::Weights::Raw => tr!("weights-raw"),
    }
}

/// A trajectory on display.
pub struct Shown {
    /// the frames
    pub trajectory: Trajectory,
    /// training step of the weights that made it
    pub step: u64,
    /// side of the images
    pub size: usize,
    /// where it started
    pub origin: Origin,
    /// the weights that made it
    pub weights: crate::train::Weights,
    /// for each final sample: the nearest training image and its RMS distance in 8-bit levels
    pub nearest: Vec<(ImageRgb, f32)>,
}

/// State of the reverse panel.
#[derive(Default)]
pub struct ReversePanel {
    /// the latest result
    pub shown: Option<Shown>,
    /// the frame on display
    pub frame: usize,
    /// animating frames
    pub playing: bool,
    /// a job in flight: (id, done, total)
    pub running: Option<(u64, usize, usize)>,
    /// results shown so far
    pub results: u64,
    play_accum: f32,
    x_tex: TextureSlot,
    x0_tex: TextureSlot,
    nn_tex: TextureSlot,
    final_tex: TextureSlot,
    thumb_tex: TextureSlot,
}

impl ReversePanel {
    /// Show a new result: from its first frame, animating (`play`), or at its last.
    pub fn set(&mut self, shown: Shown, play: bool) {
        self.frame = if play {
            0
        } else {
            shown.trajectory.frames.len().saturating_sub(1)
        };
        self.playing = play;
        self.shown = Some(shown);
        self.results += 1;
        for slot in [
            &mut self.x_tex,
            &mut self.x0_tex,
            &mut self.nn_tex,
            &mut self.final_tex,
            &mut self.thumb_tex,
        ] {
            slot.invalidate();
        }
    }

    /// The latest final samples as a small grid, for the side panel; clicking opens panel ②.
    pub fn thumbnail_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        let Some(shown) = &self.shown else {
            if self.running.is_some() {
                ui.horizontal(|ui| {
                    super::repaint::busy_ui(ui);
                    ui.label(tr!("reverse-sampling"));
                });
            }
            return;
        };
        if shown.origin != Origin::Noise {
            return;
        }
        ui.label(tr!(
            "reverse-latest",
            step = shown.step,
            weights = weights_label(shown.weights)
        ));
        let (n, size) = (shown.trajectory.n, shown.size);
        let scale = (128 / (size * (n as f64).sqrt().ceil() as usize).max(1)).max(1);
        let tex = self
            .thumb_tex
            .update_with(ui.ctx(), "reverse-thumb", shown.step, || {
                from_rgb8(&grid(shown.trajectory.final_x0(), n, size, scale))
            })
            .clone();
        let r = ui
            .add(
                egui::Image::new(&tex)
                    .fit_to_original_size(1.0)
                    .sense(egui::Sense::click()),
            )
            .on_hover_text(tr!("reverse-thumb-tip"));
        if r.clicked() {
            out.push(AppCommand::Focus(super::settings::Tab::Reverse));
        }
    }

    /// Draw the panel.
    pub fn ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.horizontal(|ui| {
            if ui
                .button(tr!("reverse-sample"))
                .on_hover_text(tr!("reverse-sample-tip"))
                .clicked()
            {
                out.push(AppCommand::Sample);
            }
            if ui
                .button(tr!("reverse-from-image"))
                .on_hover_text(tr!("reverse-from-image-tip"))
                .clicked()
            {
                out.push(AppCommand::SampleFromImage);
            }
            if let Some((_, done, total)) = self.running {
                ui.add(
                    egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                        .desired_width(160.0)
                        .text(format!("{done}/{total}")),
                );
                if ui.button(tr!("reverse-cancel")).clicked() {
                    out.push(AppCommand::CancelSample);
                }
            }
            if self.shown.is_some()
                && ui
                    .button(tr!("reverse-export-gif"))
                    .on_hover_text(tr!("reverse-export-gif-tip"))
                    .clicked()
            {
                out.push(AppCommand::ExportGif);
            }
        });
        ui.separator();
        let Some(shown) = &self.shown else {
            ui.label(tr!("reverse-none-yet"));
            return;
        };
        let frames = shown.trajectory.frames.len();
        self.frame = self.frame.min(frames.saturating_sub(1));
        if self.playing {
            let dt = ui.input(|i| i.stable_dt).min(0.1);
            self.play_accum += dt * frames as f32 / 2.5;
            let advance = self.play_accum.floor() as usize;
            self.play_accum -= advance as f32;
            self.frame = (self.frame + advance).min(frames - 1);
            if self.frame + 1 >= frames {
                self.playing = false;
            }
            ui.ctx()
                .request_repaint_after(super::repaint::ANIMATION_FRAME);
        }
        let f = &shown.trajectory.frames[self.frame];
        let n = shown.trajectory.n;
        let ctx = ui.ctx().clone();
        let scale = if n <= 4 {
            6
        } else if n <= 16 {
            3
        } else {
            2
        };
        let key = (self.frame as u64) << 32 | shown.step & 0xffff_ffff;
        let origin = match shown.origin {
            Origin::Noise => tr!("reverse-origin-noise").to_owned(),
            Origin::Image(t) => tr!("reverse-origin-image", t = t),
        };
        ui.label(tr!(
            "reverse-caption",
            n = n,
            origin = origin,
            weights = weights_label(shown.weights),
            step = shown.step,
            frame = self.frame + 1,
            frames = frames,
            t = f.t
        ));
        ui.horizontal(|ui| {
            if ui.button(if self.playing { "❚❚" } else { "▶" }).clicked() {
                if self.frame + 1 >= frames {
                    self.frame = 0;
                }
                self.playing = !self.playing;
            }
            ui.spacing_mut().slider_width = (ui.available_width() - 140.0).max(80.0);
            ui.add(egui::Slider::new(&mut self.frame, 0..=frames - 1).text(tr!("reverse-frame")))
                .on_hover_text(tr!("reverse-frame-tip"));
        });
        let size = shown.size;
        let x_tex = self
            .x_tex
            .update_with(&ctx, "reverse-x_t", key, || {
                from_rgb8(&grid(&f.x_t, n, size, scale))
            })
            .clone();
        let x0_tex = self
            .x0_tex
            .update_with(&ctx, "reverse-x0", key, || {
                from_rgb8(&grid(&f.x0_hat, n, size, scale))
            })
            .clone();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.label(format!("x_t   (t = {})", f.t));
                ui.add(egui::Image::new(&x_tex).fit_to_original_size(1.0));
            });
            ui.vertical(|ui| {
                ui.label(tr!("reverse-x0-hat"));
                ui.add(egui::Image::new(&x0_tex).fit_to_original_size(1.0));
            });
        });
        if !shown.nearest.is_empty() {
            ui.separator();
            let final_x0 = shown.trajectory.final_x0();
            let mut nn = Vec::with_capacity(n * final_x0.len() / n.max(1));
            for (img, _) in &shown.nearest {
                nn.extend_from_slice(&img.data);
            }
            let mean_d =
                shown.nearest.iter().map(|(_, d)| d).sum::<f32>() / shown.nearest.len() as f32;
            let fin = self
                .final_tex
                .update_with(&ctx, "reverse-final", shown.step, || {
                    from_rgb8(&grid(final_x0, n, size, 2))
                })
                .clone();
            let nn_tex = self
                .nn_tex
                .update_with(&ctx, "reverse-nn", shown.step, || {
                    from_rgb8(&grid(&nn, n, size, 2))
                })
                .clone();
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.label(tr!("reverse-final"));
                    ui.add(egui::Image::new(&fin).fit_to_original_size(1.0));
                });
                ui.vertical(|ui| {
                    ui.label(tr!("reverse-nearest", d = format!("{mean_d:.1}")))
                        .on_hover_text(tr!("reverse-nearest-tip"));
                    ui.add(egui::Image::new(&nn_tex).fit_to_original_size(1.0));
                });
            });
        }
    }
}

/// For each of the `n` images in `samples`, the nearest image of `reference` (L2 in unit space)
/// and the RMS distance in 8-bit levels.
pub fn nearest(samples: &[f32], n: usize, reference: &[ImageRgb]) -> Vec<(ImageRgb, f32)> {
    let dim = samples.len() / n.max(1);
    (0..n)
        .filter_map(|i| {
            let s = &samples[i * dim..(i + 1) * dim];
            reference
                .iter()
                .filter(|r| r.data.len() == dim)
                .map(|r| {
                    let d2: f32 = r.data.iter().zip(s).map(|(a, b)| (a - b) * (a - b)).sum();
                    (r, (d2 / dim as f32).sqrt() * 127.5)
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(r, d)| (r.clone(), d))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_the_closest_reference() {
        let a = ImageRgb {
            size: 1,
            data: vec![1.0, 1.0, 1.0],
        };
        let b = ImageRgb {
            size: 1,
            data: vec![-1.0, -1.0, -1.0],
        };
        let samples = [0.9, 0.9, 0.9, -0.8, -0.8, -0.8];
        let nn = nearest(&samples, 2, &[a.clone(), b.clone()]);
        assert_eq!(nn[0].0, a);
        assert_eq!(nn[1].0, b);
        assert!((nn[0].1 - 0.1 * 127.5).abs() < 1e-3);
    }
}
