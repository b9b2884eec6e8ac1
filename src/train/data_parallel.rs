//! A training step's batch split into shards that run on the CPU's cores at once, as data
//! parallelism across devices does, but within one process and one copy of the weights.
//!
//! burn's autodiff keeps one graph per set of connected tensors and runs a backward pass with
//! that graph locked: shards that share the model's parameter tensors share one graph, and
//! their backward passes would run one after the other. So each shard gets a *replica*: the
//! same parameter ids and the same storage (no copy), but fresh autodiff leaves, hence a graph
//! of its own. The shards' forward passes run at once, then their backward passes; each core
//! works through one shard's serial steps while the kernels' parallel loops balance the rest.
//!
//! With loss_i = Σ_{images of shard i} ‖pred − target‖² / (N·D) (N images in the batch, D
//! values each), Σ_i loss_i is the batch's mean squared error and Σ_i ∇loss_i its gradient:
//! the same step as the whole batch at once, up to the order of f32 sums.

use crate::model::kernels::shards::{ShardThreads, run_shards};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use std::ops::Range;

/// The images of each of `shards` shards of a batch of `n` (as equal as they can be).
pub fn shard_ranges(n: usize, shards: usize) -> Vec<Range<usize>> {
    let shards = shards.clamp(1, n.max(1));
    (0..shards)
        .map(|i| i * n / shards..(i + 1) * n / shards)
        .collect()
}

/// `model` with the same parameter ids and storage but each trainable parameter a new autodiff
/// leaf, so that a forward pass through it builds a graph of its own.
pub fn replica<M: Module>(model: &M) -> M {
    model.clone().map(&mut NewLeaves)
}

struct NewLeaves;

impl ModuleMapper for NewLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let tensor = if tensor.is_require_grad() {
            Tensor::from_inner(tensor.inner()).require_grad()
        } else {
            tensor
        };
        Param::from_mapped_value(id, tensor, mapper)
    }
}

/// One shard's replica and its part of the loss (a `[1]` tensor in the replica's graph).
pub struct Shard<M> {
    /// the replica the shard's forward pass ran through
    pub replica: M,
    /// the shard's part of the batch's loss
    pub loss: Tensor<1>,
}

/// Run `part(replica, images)` for every shard at once on rayon's pool, each shard through its
/// own replica of `model` (a single shard: on this thread, through `model`); `part` returns the
/// shard's part of the loss.
pub fn forward<M, F>(model: &M, ranges: &[Range<usize>], part: F) -> Vec<Shard<M>>
where
    M: Module + Send + Sync,
    F: Fn(&M, Range<usize>) -> Tensor<1> + Sync,
{
    // One shard: on this thread, through the model itself.
    if let [range] = ranges {
        let loss = part(model, range.clone());
        return vec![Shard {
            replica: model.clone(),
            loss,
        }];
    }
    run_shards(ranges.len(), ShardThreads::Own, |i| {
        let replica = replica(model);
        let loss = part(&replica, ranges[i].clone());
        Shard { replica, loss }
    })
}

/// The backward passes of every shard at once: each shard's gradients keyed by `model`'s
/// parameter ids, in the shards' order.
pub fn backward_parts<M: Module + Send>(shards: Vec<Shard<M>>) -> Vec<GradientsParams> {
    if shards.len() == 1 {
        return shards
            .into_iter()
            .map(|s| GradientsParams::from_grads(s.loss.backward(), &s.replica))
            .collect();
    }
    let cells: Vec<std::sync::Mutex<Option<Shard<M>>>> = shards
        .into_iter()
        .map(|s| std::sync::Mutex::new(Some(s)))
        .collect();
    run_shards(cells.len(), ShardThreads::Own, |i| {
        let shard = cells[i].lock().ok().and_then(|mut c| c.take());
        match shard {
            Some(s) => GradientsParams::from_grads(s.loss.backward(), &s.replica),
            None => GradientsParams::new(),
        }
    })
}

/// The backward passes of every shard at once, and the sum of their gradients keyed by
/// `model`'s parameter ids.
pub fn backward<M: Module + Send>(shards: Vec<Shard<M>>, model: &M) -> GradientsParams {
    let mut parts = backward_parts(shards);
    let Some(mut total) = parts.pop() else {
        return GradientsParams::new();
    };
    for part in parts {
        model.visit(&mut AddInto {
            total: &mut total,
            part,
        });
    }
    total
}

/// total ← total + part, parameter by parameter.
struct AddInto<'a> {
    total: &'a mut GradientsParams,
    part: GradientsParams,
}

impl ModuleVisitor for AddInto<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(g) = self.part.remove::<D>(param.id) else {
            return;
        };
        let sum = match self.total.remove::<D>(param.id) {
            Some(t) => t + g,
            None => g,
        };
        self.total.register(param.id, sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::{Device, TensorData};

    fn vals<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    #[test]
    fn ranges_cover_the_batch() {
        assert_eq!(shard_ranges(10, 3), vec![0..3, 3..6, 6..10]);
        assert_eq!(shard_ranges(2, 4), vec![0..1, 1..2]);
        assert_eq!(shard_ranges(5, 1), vec![0..5]);
        assert_eq!(shard_ranges(0, 2), vec![0..0]);
    }

    /// The shards' summed gradients equal the whole batch's for a linear layer and a squared
    /// error (to f32 rounding), the replicas share the model's storage, and the model's own
    /// leaves get no gradient.
    #[test]
    fn shards_give_the_whole_batchs_gradient() {
        let device = Device::flex().autodiff();
        let layer: Linear = LinearConfig::new(5, 3).init(&device);
        let n = 7;
        let x_values: Vec<f32> = (0..n * 5)
            .map(|i| ((i * 37) % 11) as f32 / 5.0 - 1.0)
            .collect();
        let x = Tensor::<2>::from_data(TensorData::new(x_values, [n, 5]), &device);
        let y = Tensor::<2>::from_data(TensorData::new(vec![0.5f32; n * 3], [n, 3]), &device);
        let whole = (layer.forward(x.clone()) - y.clone()).powi_scalar(2).mean();
        let whole_loss = vals(whole.clone())[0];
        let want = GradientsParams::from_grads(whole.backward(), &layer);
        let ranges = shard_ranges(n, 3);
        let total = (n * 3) as f64;
        let shards = forward(&layer, &ranges, |m: &Linear, r: Range<usize>| {
            let xs = x.clone().narrow(0, r.start, r.len());
            let ys = y.clone().narrow(0, r.start, r.len());
            (m.forward(xs) - ys).powi_scalar(2).sum().div_scalar(total)
        });
        assert_eq!(shards.len(), 3);
        let loss: f32 = shards.iter().map(|s| vals(s.loss.clone())[0]).sum();
        assert!((loss - whole_loss).abs() < 1e-5, "{loss} vs {whole_loss}");
        // Same storage: the replica's weight is the model's.
        assert_eq!(
            vals(shards[0].replica.weight.val()),
            vals(layer.weight.val())
        );
        let got = backward(shards, &layer);
        for (id, what) in [(layer.weight.id, "weight")] {
            let a = vals(got.get::<2>(id).expect("a gradient"));
            let b = vals(want.get::<2>(id).expect("a gradient"));
            for (p, q) in a.iter().zip(&b) {
                assert!((p - q).abs() < 1e-5, "{what}: {p} vs {q}");
            }
        }
        let bias = layer.bias.as_ref().expect("a bias");
        let a = vals(got.get::<1>(bias.id).expect("a gradient"));
        let b = vals(want.get::<1>(bias.id).expect("a gradient"));
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-5, "bias: {p} vs {q}");
        }
    }
}
