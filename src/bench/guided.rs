//! The cost of classifier-free guidance: a DDIM step of the bundled model's class-conditional
//! architecture (16×16, base 32, 3 classes) guided at w = 3, where ε(x, c) and ε(x, ∅) run
//! in one batch of 2n, against the same step unguided (ε(x, ∅) alone). Both are timed on the
//! same weights, alternating run by run, so that a busy moment of the machine hits both.

use super::bundled_size::{BASE_CHANNELS, IMAGE_SIZE};
use super::{BenchError, BenchOptions, default_config, fail, median, spinner, time_guided_sampler};
use crate::data::{Builtin, Dataset};
use crate::diffusion::{SamplerKind, Start};
use crate::train::{DeviceInfo, Trainer};
use serde::Serialize;

/// Images per run, as for the other sampling figures.
const SAMPLES: usize = 16;
/// DDIM steps per run.
const STEPS: usize = 20;
/// The guidance scale timed (any w other than 0 and 1 costs the same).
pub const W: f64 = 3.0;

/// A guided DDIM step against an unguided one.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GuidedFigure {
    /// images per run
    pub n: usize,
    /// the guidance scale of the guided runs
    pub w: f64,
    /// median time of one unguided step (ε(x, ∅) alone), ms
    pub unguided_ms_per_step: f64,
    /// median time of one guided step (ε(x, c) and ε(x, ∅) in one batch of 2n), ms
    pub guided_ms_per_step: f64,
    /// guided / unguided (2 would be two network calls' worth; the bound is 2.1)
    pub ratio: f64,
    /// steps timed of each
    pub timed_steps: usize,
}

impl GuidedFigure {
    /// One line for the table.
    pub fn to_table(&self) -> String {
        format!(
            "guided DDIM step (bundled size, {} images, w = {}): {:.1} ms against {:.1} ms unguided → {:.2}× (median of {} steps each)\n",
            self.n,
            self.w,
            self.guided_ms_per_step,
            self.unguided_ms_per_step,
            self.ratio,
            self.timed_steps
        )
    }
}

/// Time guided and unguided DDIM steps of a conditional model of the bundled size.
pub fn measure(options: &BenchOptions, device: &DeviceInfo) -> Result<GuidedFigure, BenchError> {
    let mut config = default_config(SAMPLES).with_classes(Builtin::Shapes.classes());
    config.model.image_size = IMAGE_SIZE;
    config.model.base_channels = BASE_CHANNELS;
    let trainer =
        Trainer::new(config, device.clone(), Dataset::Builtin(Builtin::Shapes)).map_err(fail)?;
    let ddim = SamplerKind::Ddim {
        steps: STEPS,
        eta: 0.0,
    };
    let bar = spinner(options.progress, "guided DDIM sampling");
    let repeats = options.repeats.max(1);
    bar.set_length((2 * STEPS * (repeats + 1)) as u64);
    let (mut guided, mut unguided) = (Vec::new(), Vec::new());
    // The first pair warms up and is not kept.
    for round in 0..=repeats {
        for (w, times) in [(0.0, &mut unguided), (W, &mut guided)] {
            let (_, steps) =
                time_guided_sampler(&trainer, ddim, SAMPLES, Start::Noise, Some((0, w)), &bar)?;
            if round > 0 {
                times.extend(steps);
            }
        }
    }
    bar.finish_and_clear();
    let (g, u) = (median(&guided), median(&unguided));
    Ok(GuidedFigure {
        n: SAMPLES,
        w: W,
        unguided_ms_per_step: u,
        guided_ms_per_step: g,
        ratio: g / u.max(1e-9),
        timed_steps: guided.len(),
    })
}
