//! The fused kernels as a burn backend extension: one trait, implemented for the flex CPU
//! backend and for autodiff over it (with the backward passes written out), dispatched by burn
//! on the tensors' device at run time. Other devices never reach it: [`super`] calls burn's own
//! ops for them.

use super::{conv2d, group_norm_silu};
use burn::backend::autodiff::{
    Autodiff,
    checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
    grads::Gradients,
    ops::{Backward, Ops, OpsKind},
};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::{Backend, Flex, backend_extension, tensor::FloatTensor};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Bytes, DType, Shape};
use rayon::iter::ParallelExtend;
use std::borrow::Cow;

/// Fused CPU operations. Only the flex backend (with or without autodiff) implements them.
#[backend_extension(Flex, Autodiff)]
pub trait FusedCpuOps: Backend {
    /// conv2d(x, weight) + bias, one group (see [`conv2d`]).
    fn fused_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;

    /// SiLU(GroupNorm(x)) with affine γ, β (see [`group_norm_silu`]).
    fn fused_group_norm_silu(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
    ) -> FloatTensor<Self>;
}

/// The values of an `f32` flex tensor in row-major order (borrowed when already contiguous).
fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(
            t.to_contiguous()
                .as_slice::<f32>()
                .map(<[f32]>::to_vec)
                .unwrap_or_default(),
        ),
    }
}

/// A buffer for a kernel's output, which the kernel overwrites whole. Large ones are zeroed on
/// rayon's pool rather than by one `calloc` on the calling thread: the fill (and the page
/// faults of fresh memory) was 8 % of a training step's samples, all on one core.
fn output_buffer(len: usize) -> Vec<f32> {
    const PARALLEL_FROM: usize = 1 << 16;
    if len < PARALLEL_FROM {
        return vec![0.0; len];
    }
    let mut v = Vec::with_capacity(len);
    v.par_extend(rayon::iter::repeat_n(0.0f32, len));
    v
}

fn dims(t: &FlexTensor) -> Vec<usize> {
    t.layout().shape().to_vec()
}

/// A contiguous `f32` flex tensor that takes `data` without copying it.
fn tensor(data: Vec<f32>, dims: Vec<usize>) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(Shape::from(dims)),
        DType::F32,
    )
}

fn conv_shape(x: &FlexTensor, w: &FlexTensor, o: &ConvOptions<2>) -> conv2d::Conv2dShape {
    let (xd, wd) = (dims(x), dims(w));
    conv2d::Conv2dShape {
        batch: xd[0],
        c_in: xd[1],
        c_out: wd[0],
        input: [xd[2], xd[3]],
        kernel: [wd[2], wd[3]],
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    }
}

fn conv_forward(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor, o: &ConvOptions<2>) -> FlexTensor {
    let s = conv_shape(x, w, o);
    let [ho, wo] = s.output().unwrap_or([0, 0]);
    let mut y = output_buffer(s.lens()[2]);
    conv2d::forward(&s, &values(x), &values(w), Some(&values(b)), &mut y);
    tensor(y, vec![s.batch, s.c_out, ho, wo])
}

fn norm_shape(x: &FlexTensor, groups: usize) -> group_norm_silu::GroupNormShape {
    let d = dims(x);
    group_norm_silu::GroupNormShape {
        batch: d[0],
        channels: d[1],
        pixels: d[2..].iter().product(),
        groups,
    }
}

/// y and the per-(image, group) statistics.
fn norm_forward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    groups: usize,
    epsilon: f64,
) -> (FlexTensor, Vec<f32>) {
    let s = norm_shape(x, groups);
    let xs = values(x);
    let mut y = output_buffer(xs.len());
    let mut stats = vec![0.0f32; 2 * s.batch * groups];
    group_norm_silu::forward(
        &s,
        &xs,
        &values(gamma),
        &values(beta),
        epsilon,
        &mut y,
        &mut stats,
    );
    (tensor(y, dims(x)), stats)
}

impl FusedCpuOps for Flex {
    fn fused_conv2d(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        options: ConvOptions<2>,
    ) -> FlexTensor {
        conv_forward(&x, &weight, &bias, &options)
    }

    fn fused_group_norm_silu(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        groups: usize,
        epsilon: f64,
    ) -> FlexTensor {
        norm_forward(&x, &gamma, &beta, groups, epsilon).0
    }
}

#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 3> for Conv2dBackward {
    type State = (FlexTensor, FlexTensor, ConvOptions<2>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, w, options) = ops.state;
        let s = conv_shape(&x, &w, &options);
        let dy_values = values(&dy);
        if let Some(node) = node_x {
            let mut dx = output_buffer(s.lens()[0]);
            conv2d::backward_input(&s, &values(&w), &dy_values, &mut dx);
            grads.register::<Flex>(node.id, tensor(dx, dims(&x)));
        }
        if let Some(node) = node_w {
            let mut dw = vec![0.0f32; s.lens()[1]];
            conv2d::backward_weight(&s, &values(&x), &dy_values, &mut dw);
            grads.register::<Flex>(node.id, tensor(dw, dims(&w)));
        }
        if let Some(node) = node_b {
            let mut db = vec![0.0f32; s.c_out];
            conv2d::backward_bias(&s, &dy_values, &mut db);
            grads.register::<Flex>(node.id, tensor(db, vec![s.c_out]));
        }
    }
}

#[derive(Debug)]
struct GroupNormSiluBackward;

impl Backward<Flex, 3> for GroupNormSiluBackward {
    /// x, γ, β, the forward's (μ, r) per (image, group), G
    type State = (FlexTensor, FlexTensor, FlexTensor, Vec<f32>, usize);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, gamma, beta, stats, groups) = ops.state;
        let s = norm_shape(&x, groups);
        let xs = values(&x);
        let mut dx = output_buffer(xs.len());
        let mut dgamma = vec![0.0f32; s.channels];
        let mut dbeta = vec![0.0f32; s.channels];
        group_norm_silu::backward(
            &s,
            &xs,
            &values(&gamma),
            &values(&beta),
            &stats,
            &values(&dy),
            &mut dx,
            &mut dgamma,
            &mut dbeta,
        );
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, tensor(dx, dims(&x)));
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, tensor(dgamma, vec![s.channels]));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, tensor(dbeta, vec![s.channels]));
        }
    }
}

impl<C: CheckpointStrategy> FusedCpuOps for Autodiff<Flex, C> {
    fn fused_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        let prep = Conv2dBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful();
        match prep {
            OpsKind::Tracked(prep) => {
                let (x, w, b) = (
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                );
                let y = conv_forward(&x, &w, &b, &options);
                prep.finish((x, w, options), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(conv_forward(
                x.primitive(),
                weight.primitive(),
                bias.primitive(),
                &options,
            )),
        }
    }

    fn fused_group_norm_silu(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        let prep = GroupNormSiluBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        match prep {
            OpsKind::Tracked(prep) => {
                let (x, gamma, beta) = (
                    x.into_primitive(),
                    gamma.into_primitive(),
                    beta.into_primitive(),
                );
                let (y, stats) = norm_forward(&x, &gamma, &beta, groups, epsilon);
                prep.finish((x, gamma, beta, stats, groups), y)
            }
            OpsKind::UnTracked(prep) => {
                let (y, _) = norm_forward(
                    x.primitive(),
                    gamma.primitive(),
                    beta.primitive(),
                    groups,
                    epsilon,
                );
                prep.finish(y)
            }
        }
    }
}
