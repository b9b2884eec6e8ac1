//! Adam as burn's `Adam` computes it (β₁ 0.9, β₂ 0.999, ε 10⁻⁵, no weight decay), but on the
//! flex CPU device each parameter's step is one parallel pass
//! ([`crate::model::kernels::adam`]) instead of about fourteen serial element-wise ops.
//!
//! Its state is burn's `AdamState`, so checkpoints written before read back unchanged, and on
//! any other device (wgpu) or with `DIFFUSION_PLAYGROUND_KERNELS=burn` each step is burn's own.

use crate::model::kernels::adam::{AdamStep, adam_step, fused_for};
use burn::optim::{
    Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer,
};
use burn::tensor::{Device, Tensor};

/// β₁, β₂ and ε of every Adam here (burn's `AdamConfig::new()` defaults but ε).
pub(crate) const BETA_1: f32 = 0.9;
/// β₂
pub(crate) const BETA_2: f32 = 0.999;
/// ε
pub(crate) const EPSILON: f32 = 1e-5;

/// Adam with a fused step on the CPU.
#[derive(Clone)]
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// the same optimiser as burn's ops, for every case the fused step does not cover
    reference: Adam,
}

impl Default for FusedAdam {
    /// burn's `AdamConfig::new()` defaults.
    fn default() -> Self {
        let (beta_1, beta_2, epsilon) = (BETA_1, BETA_2, EPSILON);
        Self {
            beta_1,
            beta_2,
            epsilon,
            reference: AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .build(),
        }
    }
}

/// A module optimiser (one [`FusedAdam`] for every parameter).
pub fn module_adam() -> ModuleOptimizer {
    ModuleOptimizer::from(FusedAdam::default())
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let usable = |s: &AdaptiveMomentumState<D>| {
            s.max_moment_2.is_none() && fused_for(&s.moment_1) && fused_for(&s.moment_2)
        };
        if !fused_for(&tensor)
            || !fused_for(&grad)
            || state.as_ref().is_some_and(|s| !usable(&s.momentum))
        {
            return self.reference.step(lr, tensor, grad, state);
        }
        let (time, moments) = match state {
            Some(s) => (
                s.momentum.time + 1,
                Some((s.momentum.moment_1, s.momentum.moment_2)),
            ),
            None => (1, None),
        };
        let step = AdamStep {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            lr: lr as f32,
            time: time as i32,
        };
        let (tensor, m, v) = adam_step(tensor, grad, moments, &step);
        let state = AdamState::new(AdaptiveMomentumState::new(time, m, v));
        (tensor, Some(state))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        Adam::to_device(state, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::GradientsParams;
    use burn::tensor::TensorData;

    fn weights(layer: &Linear) -> Vec<f32> {
        let mut v = layer
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        if let Some(b) = &layer.bias {
            v.extend(b.val().into_data().try_to_vec::<f32>().unwrap_or_default());
        }
        v
    }

    /// Five steps of a layer with the fused Adam and with burn's `Adam` through a module
    /// optimiser end in the same weights, value for value; the optimiser's record (its
    /// checkpoint) has the same names and values, and a record of burn's Adam resumes here.
    #[test]
    fn same_steps_and_records_as_burns_adam() {
        let device = Device::flex().autodiff();
        let start: Linear = LinearConfig::new(64, 48).init(&device);
        let run = |mut optim: ModuleOptimizer, steps: u64| {
            let mut layer = start.clone();
            for s in 0..steps {
                let v: Vec<f32> = (0..3 * 64)
                    .map(|i| ((i as u64 * 7 + s * 13) % 17) as f32 / 9.0 - 0.9)
                    .collect();
                let x = Tensor::<2>::from_data(TensorData::new(v, [3, 64]), &device);
                let loss = layer.forward(x).powi_scalar(2).mean();
                let grads = GradientsParams::from_grads(loss.backward(), &layer);
                layer = optim.step(3e-3, layer, grads);
            }
            (layer, optim)
        };
        let (ours, ours_optim) = run(module_adam(), 5);
        let (theirs, theirs_optim) = run(AdamConfig::new().init(), 5);
        assert_eq!(weights(&ours), weights(&theirs));
        assert_ne!(
            weights(&ours),
            weights(&start),
            "the steps moved the weights"
        );
        // Each record read by the other optimiser: two more steps from it equal two more
        // steps of the optimiser that wrote it (the checkpoints are interchangeable).
        let cont = |optim: ModuleOptimizer, layer: Linear| {
            let mut optim = optim;
            let mut layer = layer;
            for s in 0..2u64 {
                let v: Vec<f32> = (0..3 * 64)
                    .map(|i| ((i as u64 * 5 + s) % 11) as f32 / 6.0 - 0.8)
                    .collect();
                let x = Tensor::<2>::from_data(TensorData::new(v, [3, 64]), &device);
                let grads = GradientsParams::from_grads(
                    layer.forward(x).powi_scalar(2).mean().backward(),
                    &layer,
                );
                layer = optim.step(3e-3, layer, grads);
            }
            layer
        };
        let ours_bytes = ours_optim.into_bytes().expect("a record");
        let theirs_bytes = theirs_optim.into_bytes().expect("a record");
        let read_ours =
            |b: &burn::tensor::Bytes| module_adam().from_bytes(b.clone()).expect("it reads back");
        let read_theirs = |b: &burn::tensor::Bytes| {
            AdamConfig::new()
                .init()
                .from_bytes(b.clone())
                .expect("it reads back")
        };
        let reference = weights(&cont(read_theirs(&theirs_bytes), theirs.clone()));
        assert_ne!(reference, weights(&theirs));
        assert_eq!(
            weights(&cont(read_ours(&theirs_bytes), theirs.clone())),
            reference
        );
        assert_eq!(
            weights(&cont(read_theirs(&ours_bytes), ours.clone())),
            reference
        );
        assert_eq!(
            weights(&cont(read_ours(&ours_bytes), ours.clone())),
            reference
        );
    }
}
