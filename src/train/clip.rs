//! Gradient clipping by the global norm, as `torch.nn.utils.clip_grad_norm_` (and the
//! PyTorch reference of `bench`) does it: with ‖g‖ = √(Σ over every parameter of Σ g²),
//! each gradient is multiplied by min(1, max_norm / (‖g‖ + 10⁻⁶)).
//!
//! burn's own `GradientClippingConfig::Norm` clips each parameter's gradient to the norm on
//! its own, which changes the direction of the whole update: a different optimiser from the
//! one the reference runs.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// Scale `grads` (of `model`'s parameters) so that their global L2 norm is at most
/// `max_norm`; returns the norm before clipping.
pub fn clip_global_norm<M: Module>(grads: &mut GradientsParams, model: &M, max_norm: f64) -> f64 {
    let mut squares = SumSquares { grads, total: None };
    model.visit(&mut squares);
    let norm = squares
        .total
        .map_or(0.0, |t| (t.into_scalar::<f32>() as f64).max(0.0).sqrt());
    let factor = max_norm / (norm + 1e-6);
    if factor < 1.0 {
        model.visit(&mut Scale { grads, factor });
    }
    norm
}

/// Σ g² over every parameter's gradient, kept on the device until the end.
struct SumSquares<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SumSquares<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.powi_scalar(2).sum(); // [1]
            self.total = Some(match self.total.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

/// Multiplies every parameter's gradient by `factor`.
struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, g.mul_scalar(self.factor));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::{Device, TensorData};

    /// A linear layer's gradients for the loss Σ y with x = `input`: dW = xᵀ·1, db = 1·n.
    fn linear_grads(device: &Device, input: Vec<f32>) -> (Linear, GradientsParams) {
        let layer = LinearConfig::new(2, 3).init(device);
        let x = Tensor::<2>::from_data(TensorData::new(input, [2, 2]), device);
        let g = layer.forward(x).sum().backward();
        let grads = GradientsParams::from_grads(g, &layer);
        (layer, grads)
    }

    fn values<const D: usize>(grads: &GradientsParams, param: &Param<Tensor<D>>) -> Vec<f32> {
        grads
            .get::<D>(param.id)
            .map(|t| t.into_data().try_to_vec::<f32>().unwrap_or_default())
            .unwrap_or_default()
    }

    #[test]
    fn clips_the_global_norm_and_keeps_the_direction() {
        let device = Device::flex().autodiff();
        // dW[i, j] = Σ_n x[n, i] = (4, 6) per output column; db = (2, 2, 2).
        let (layer, mut grads) = linear_grads(&device, vec![1.0, 2.0, 3.0, 4.0]);
        let norm_want = (3.0f64 * (16.0 + 36.0) + 3.0 * 4.0).sqrt(); // √168
        let w_before = values(&grads, &layer.weight);
        let b_before = values(&grads, layer.bias.as_ref().unwrap());
        let norm = clip_global_norm(&mut grads, &layer, 1.0);
        assert!((norm - norm_want).abs() < 1e-4, "{norm} vs {norm_want}");
        let w = values(&grads, &layer.weight);
        let b = values(&grads, layer.bias.as_ref().unwrap());
        let scale = 1.0 / (norm_want + 1e-6);
        for (after, before) in w.iter().chain(&b).zip(w_before.iter().chain(&b_before)) {
            assert!((*after as f64 - *before as f64 * scale).abs() < 1e-6);
        }
        // The clipped gradients have norm 1.
        let total: f64 = w.iter().chain(&b).map(|&v| (v as f64).powi(2)).sum();
        assert!((total.sqrt() - 1.0).abs() < 1e-5);

        // Below the limit: untouched. dW columns (0.04, 0.06), db = 2: ‖g‖ = √(3·0.0052 + 12).
        let (layer, mut grads) = linear_grads(&device, vec![0.01, 0.02, 0.03, 0.04]);
        let before = values(&grads, &layer.weight);
        let norm = clip_global_norm(&mut grads, &layer, 10.0);
        assert!(
            (norm - (3.0f64 * 0.0052 + 12.0).sqrt()).abs() < 1e-4,
            "{norm}"
        );
        assert_eq!(values(&grads, &layer.weight), before);
    }
}
