//! The probability-flow ODE's likelihood for a trained model: the solver of
//! `diffusion::flow_ode` with the network's ε̂ and its trace from `model::divergence`.
//!
//! - Images ([`Trainer::ode_nll`]): each image dequantised once (a uniform draw inside its
//!   8-bit bins), the trace by Hutchinson with K Rademacher probes fixed for the whole solve,
//!   bits/dim of the bins per image, and the standard error over the images (which covers the
//!   image-to-image spread, the dequantisation draw and the probes together, since each image
//!   has its own).
//! - The 1-D/2-D world ([`ToyTrainer::ode_log_density`]): the exact trace, log p in nats per
//!   point, no dequantisation (the points are continuous).

use super::toy::ToyTrainer;
use super::{TrainError, Trainer};
use crate::diffusion::elbo::{mean, std_error};
use crate::diffusion::flow_ode::{
    self, EpsAndTrace, FlowSchedule, OdeLikelihood, OdeSolver, bits_per_dim_of_bins,
};
use crate::model::UNet;
use crate::model::divergence::{Probes, eps_and_trace};
use burn::module::Module;
use burn::tensor::Tensor;
use rand::SeedableRng;
use std::ops::ControlFlow;

/// Images per ODE solve: each solve holds its own adaptive steps, and K probes multiply the
/// network's batch.
const BATCH_VALUES: usize = 32;

/// What [`Trainer::ode_nll`] is asked.
#[derive(Clone, Debug, PartialEq)]
pub struct NllRequest {
    /// the integrator
    pub solver: OdeSolver,
    /// K Hutchinson probes per image
    pub probes: usize,
    /// seed of the dequantisation and the probes
    pub seed: u64,
    /// draw x uniformly inside its 8-bit bins (off only to show why it is on)
    pub dequantise: bool,
}

impl Default for NllRequest {
    fn default() -> Self {
        Self {
            solver: OdeSolver::DEFAULT,
            probes: 1,
            seed: 0,
            dequantise: true,
        }
    }
}

/// The ODE's bits/dim on a set of images.
#[derive(Clone, Debug, PartialEq)]
pub struct NllEstimate {
    /// bits/dim of each image's 8-bit bins (an estimate of an upper bound on −log₂ P)
    pub per_image_bits: Vec<f64>,
    /// their mean
    pub bits_per_dim: f64,
    /// its standard error over the images (NaN for one image)
    pub stderr_bits: f64,
    /// field evaluations per solve, the mean over the solves
    pub nfe: f64,
    /// K
    pub probes: usize,
    /// the integrator, in words
    pub method: String,
}

/// ε̂ and its trace on `device` at time s for the host points `x`, in f64.
fn field<const R: usize>(
    device: &burn::tensor::Device,
    x: &[f64],
    dims: [usize; R],
    probes: &Probes,
    s: f64,
    forward: &impl Fn(Tensor<R>, &[f64]) -> Tensor<R>,
) -> Result<EpsAndTrace, TrainError> {
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let out = eps_and_trace(device, &x32, dims, probes, |x| {
        let n = x.dims()[0];
        forward(x, &vec![s; n])
    })
    .map_err(TrainError::Device)?;
    Ok(EpsAndTrace {
        eps: out.eps.iter().map(|&v| v as f64).collect(),
        trace: out.trace,
    })
}

/// bits/dim of `x0_unit` (images [C, H, W] in [−1, 1], row-major) under the probability-flow
/// ODE of `frozen` (a U-Net on the autodiff device with frozen parameters, see
/// [`Trainer::ema_for_gradients`]). `progress(done, total)` counts images; Break cancels.
pub(crate) fn images_nll(
    frozen: &UNet,
    schedule: &crate::diffusion::Schedule,
    device: &burn::tensor::Device,
    [c, h, w]: [usize; 3],
    x0_unit: &[f32],
    request: &NllRequest,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<NllEstimate, TrainError> {
    if request.probes == 0 {
        return Err(TrainError::Invalid("at least one probe is needed".into()));
    }
    let dim = c * h * w;
    let n = x0_unit.len() / dim.max(1);
    let fs = FlowSchedule::new(schedule);
    let forward = |x: Tensor<4>, labels: &[f64]| frozen.forward_at_labels(x, labels);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(request.seed);
    let chunk = (BATCH_VALUES / request.probes).max(1);
    let mut per_image_bits = Vec::with_capacity(n);
    let (mut nfe, mut solves) = (0usize, 0usize);
    for images in x0_unit.chunks(chunk * dim) {
        if progress(per_image_bits.len(), n).is_break() {
            return Err(TrainError::Cancelled);
        }
        let b = images.len() / dim;
        let x: Vec<f64> = if request.dequantise {
            flow_ode::dequantise(images, &mut rng)
        } else {
            images.iter().map(|&v| v as f64).collect()
        };
        let probes = Probes::rademacher(request.probes, b, dim, &mut rng);
        let out: OdeLikelihood = flow_ode::log_likelihood(&fs, &x, dim, request.solver, |s, x| {
            field(device, x, [b, c, h, w], &probes, s, &forward)
        })?;
        nfe += out.nfe;
        solves += 1;
        per_image_bits.extend(out.log_p_nats.iter().map(|&l| bits_per_dim_of_bins(l, dim)));
    }
    let _ = progress(n, n);
    Ok(NllEstimate {
        bits_per_dim: mean(&per_image_bits),
        stderr_bits: std_error(&per_image_bits),
        per_image_bits,
        nfe: nfe as f64 / solves.max(1) as f64,
        probes: request.probes,
        method: request.solver.describe(),
    })
}

impl Trainer {
    /// The images' ODE likelihood differentiates the network's ε̂ directly: an ε model only
    /// (the worlds convert any objective).
    pub(crate) fn check_ode_objective(&self) -> Result<(), TrainError> {
        match self.objective() {
            crate::diffusion::objective::Target::Eps => Ok(()),
            other => Err(TrainError::Invalid(crate::tr!(
                "ode-needs-eps",
                objective = other.name()
            ))),
        }
    }

    /// bits/dim of `x0_unit` (images in [−1, 1], row-major) under the EMA's probability-flow
    /// ODE. `progress(done, total)` counts images finished; Break cancels.
    pub fn ode_nll(
        &self,
        x0_unit: &[f32],
        request: &NllRequest,
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<NllEstimate, TrainError> {
        self.check_ode_objective()?;
        images_nll(
            &self.ema_for_gradients(),
            self.schedule(),
            &self.device_info().device(),
            self.image_shape(),
            x0_unit,
            request,
            progress,
        )
    }
}

/// Held-out points of the 1-D/2-D world with the EMA's exact ODE −log p and the same
/// network's −ELBO over every t, nats per point.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyLikelihoods {
    /// the points, row-major [n, dim]
    pub points: Vec<f32>,
    /// −log p_ODE(x) per point (exact divergence)
    pub ode_nll_nats: Vec<f64>,
    /// −ELBO per point (every t, one noise draw each, Gaussian decoder)
    pub neg_elbo_nats: Vec<f64>,
    /// field evaluations of the ODE solve
    pub nfe: usize,
}

impl ToyTrainer {
    /// [`ToyLikelihoods`] on `n` fresh draws of the data (never trained on as such) from `seed`.
    pub fn held_out_likelihoods(&self, n: usize, seed: u64) -> Result<ToyLikelihoods, TrainError> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let dim = self.config().data.dim();
        let points = self.config().data.sample(&mut rng, n);
        let ode = self.ode_log_density(&points, OdeSolver::DEFAULT)?;
        let neg_elbo_nats = crate::diffusion::toy::continuous_neg_elbo::<std::convert::Infallible>(
            self.schedule(),
            &points,
            dim,
            seed ^ 0xE1B0,
            |x, ts| Ok(self.predict_eps(x, ts)),
        )
        .unwrap_or_default();
        Ok(ToyLikelihoods {
            points,
            ode_nll_nats: ode.log_p_nats.iter().map(|l| -l).collect(),
            neg_elbo_nats,
            nfe: ode.nfe,
        })
    }

    /// log p(x) in nats of every point of `points` (row-major [n, dim]) under the EMA's
    /// probability-flow ODE, with the exact divergence.
    pub fn ode_log_density(
        &self,
        points: &[f32],
        solver: OdeSolver,
    ) -> Result<OdeLikelihood, TrainError> {
        let dim = self.config().data.dim();
        let n = points.len() / dim.max(1);
        let fs = FlowSchedule::new(self.schedule());
        let device = self.plain_device();
        let frozen = self.ema().clone().freeze().train();
        let forward = |x: Tensor<2>, labels: &[f64]| {
            self.eps_tensor(x, labels, |x, l| frozen.forward_at_labels(x, l))
        };
        let x: Vec<f64> = points.iter().map(|&v| v as f64).collect();
        flow_ode::log_likelihood(&fs, &x, dim, solver, |s, x| {
            field(&device, x, [n, dim], &Probes::Exact, s, &forward)
        })
    }
}
