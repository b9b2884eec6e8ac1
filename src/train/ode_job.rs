//! The worker's estimate of the probability-flow ODE's likelihood on the evaluation batch, a
//! step at a time: one image per turn of the worker's loop, so that training and sampling
//! wait at most one image's solve. The EMA is copied when the job starts, so every image is
//! scored by the same weights, those of the −ELBO estimated at the same step.

use super::ode_nll::{NllEstimate, NllRequest, images_nll};
use super::{TrainError, Trainer};
use crate::diffusion::elbo::{mean, std_error};
use crate::diffusion::flow_ode::OdeSolver;
use crate::model::UNet;
use std::ops::ControlFlow;

/// The panel's solver: Heun on 100 steps of a log-SNR grid (200 network calls per image),
/// within ~0.02 bits/dim of RK45 at rtol 10⁻⁵ on the bundled model (BENCHMARKS.md).
pub const PANEL_SOLVER: OdeSolver = OdeSolver::Heun { steps: 100 };

/// An estimate in progress.
pub struct OdeJob {
    /// the EMA at the start, frozen, on the autodiff device
    frozen: UNet,
    /// its training step
    step: u64,
    images: Vec<f32>,
    request: NllRequest,
    bits: Vec<f64>,
    nfe: f64,
}

impl OdeJob {
    /// A job on `images` (the evaluation batch) with the trainer's EMA as it is now.
    pub fn new(trainer: &Trainer, images: &[f32], seed: u64) -> Self {
        Self {
            frozen: trainer.ema_for_gradients(),
            step: trainer.step_count(),
            images: images.to_vec(),
            request: NllRequest {
                solver: PANEL_SOLVER,
                probes: 1,
                seed,
                dequantise: true,
            },
            bits: Vec::new(),
            nfe: 0.0,
        }
    }

    /// The step of the weights being scored.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// (images done, images in all).
    pub fn progress(&self, trainer: &Trainer) -> (usize, usize) {
        (
            self.bits.len(),
            self.images.len() / trainer.image_dim().max(1),
        )
    }

    /// Score the next image; the whole estimate once the last one is done.
    pub fn advance(&mut self, trainer: &Trainer) -> Result<Option<NllEstimate>, TrainError> {
        trainer.check_ode_objective()?;
        let dim = trainer.image_dim().max(1);
        let (done, total) = self.progress(trainer);
        if done < total {
            let image = &self.images[done * dim..(done + 1) * dim];
            let request = NllRequest {
                // each image its own dequantisation and probe
                seed: self.request.seed ^ (done as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                ..self.request.clone()
            };
            let one = images_nll(
                &self.frozen,
                trainer.schedule(),
                &trainer.device_info().device(),
                trainer.image_shape(),
                image,
                &request,
                |_, _| ControlFlow::Continue(()),
            )?;
            self.bits.extend(one.per_image_bits);
            self.nfe = one.nfe;
        }
        if self.bits.len() < total {
            return Ok(None);
        }
        Ok(Some(NllEstimate {
            bits_per_dim: mean(&self.bits),
            stderr_bits: std_error(&self.bits),
            per_image_bits: self.bits.clone(),
            nfe: self.nfe,
            probes: self.request.probes,
            method: self.request.solver.describe(),
        }))
    }
}
