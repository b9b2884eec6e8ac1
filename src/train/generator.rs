//! The study note's generator G: z ~ N(0, I) → x, here the deterministic DDIM (η = 0) chain
//! from z = x_T with the EMA weights. With the same seed the same z come back, so G(z) can be
//! followed over training.

use super::trainer::{TrainError, Trainer};
use crate::diffusion::{SampleError, SampleRequest, SamplerKind, Start};
use std::ops::ControlFlow;

/// DDIM steps of G unless asked otherwise.
pub const DEFAULT_G_STEPS: usize = 50;
/// Draws per batch through the network.
const CHUNK: usize = 64;

/// The request that makes G(z) for `n` draws of z from `seed`.
pub fn request(n: usize, seed: u64, steps: usize) -> SampleRequest {
    SampleRequest {
        sampler: SamplerKind::Ddim { steps, eta: 0.0 },
        n,
        seed,
        // z (the first frame, t = T) and G(z) (the last) are all that is kept.
        max_frames: 2,
        clip_x0: true,
    }
}

/// z and G(z) for `draws` prior draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// [draws, dim] z ~ N(0, I)
    pub z: Vec<f32>,
    /// [draws, dim] G(z)
    pub g: Vec<f32>,
    /// draws
    pub draws: usize,
}

/// Run G on `draws` prior draws (in chunks; chunk c uses seed `seed + c`). `progress(done,
/// total)` counts network evaluations and may break to cancel.
pub fn generate(
    trainer: &Trainer,
    draws: usize,
    seed: u64,
    steps: usize,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<Generated, SampleError<TrainError>> {
    let chunks = draws.div_ceil(CHUNK);
    let per_chunk = crate::diffusion::sampler::timesteps_for(
        SamplerKind::Ddim { steps, eta: 0.0 },
        trainer.schedule().timesteps(),
    )
    .len();
    let total = per_chunk * chunks;
    let (mut z, mut g) = (Vec::new(), Vec::new());
    for c in 0..chunks {
        let n = CHUNK.min(draws - c * CHUNK);
        let req = request(n, seed.wrapping_add(c as u64), steps);
        let traj = trainer.sample(&req, Start::Noise, |done, _| {
            progress(c * per_chunk + done, total)
        })?;
        if let Some(first) = traj.frames.first() {
            z.extend_from_slice(&first.x_t);
        }
        g.extend_from_slice(traj.final_x0());
    }
    Ok(Generated { z, g, draws })
}
