//! The fused kernels as a burn backend extension: one trait, implemented for the flex CPU
//! backend and for autodiff over it (with the backward passes written out), dispatched by burn
//! on the tensors' device at run time. Other devices never reach it: [`super`] calls burn's own
//! ops for them.

use super::{adam, adam_ema, conv2d, ema, group_norm_silu, silu, weight_cache, winograd};
use burn::backend::autodiff::{
    Autodiff, NodeId,
    checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
    grads::Gradients,
    ops::{Backward, Ops, OpsKind},
};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::{
    AutodiffBackend, Backend, BackendTensor, DispatchAutodiffContext, DispatchTensor,
    DispatchTensorKind, Flex, backend_extension, tensor::FloatTensor,
};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Bytes, DType, Shape, Tensor};
use rayon::iter::ParallelExtend;
use rayon::prelude::*;
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

    /// conv2d(x, weight) + bias + residual, one group: a residual block's output without an
    /// addition of its own.
    fn fused_conv2d_residual(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        residual: FloatTensor<Self>,
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

    /// SiLU(GroupNorm(x + shift)) with a shift `[N, C]` per (image, channel), as a U-Net's time
    /// embedding (see [`group_norm_silu`]).
    fn fused_group_norm_silu_shift(
        x: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
    ) -> FloatTensor<Self>;

    /// One Adam step of a plain parameter θ with its gradient and moments (see [`adam`]):
    /// (θ, m, v) after it, written in place where their storage is not shared. `first`: m and v
    /// hold nothing yet.
    fn fused_adam(
        theta: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        step: adam::AdamStep,
        first: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// θ_ema·d + θ·(1 − d) of plain tensors (see [`ema`]), in place where θ_ema's storage is
    /// not shared.
    fn fused_ema(ema: FloatTensor<Self>, theta: FloatTensor<Self>, decay: f64)
    -> FloatTensor<Self>;

    /// SiLU x·σ(x) of a tensor of any shape (see [`silu`]).
    fn fused_silu(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// A plain `f32` flex tensor from a dispatch tensor: its own when it is one, else a copy of its
/// values (a tensor of another device or dtype; the whole-model update is never handed one).
fn plain_flex(t: DispatchTensor) -> FlexTensor {
    match t.kind {
        DispatchTensorKind::Flex(BackendTensor::Float(f)) if f.dtype() == DType::F32 => f,
        kind => {
            let data = Tensor::<1>::from_dispatch(DispatchTensor {
                kind,
                autodiff: DispatchAutodiffContext::Disabled,
            })
            .into_data();
            let dims = data.shape().to_vec();
            let values = data
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap_or_default();
            tensor(values, dims)
        }
    }
}

/// A plain flex tensor as a dispatch tensor.
fn dispatch_of(t: FlexTensor) -> DispatchTensor {
    DispatchTensor {
        kind: DispatchTensorKind::Flex(BackendTensor::Float(t)),
        autodiff: DispatchAutodiffContext::Disabled,
    }
}

/// The optimiser's update of a whole model on the CPU (see [`adam_ema`]), on plain tensors
/// (outside any autodiff graph): θ, m, v and θ_ema one tensor per parameter (any shape, one
/// number of values per parameter), `grads` the shards' gradients, parameter after parameter
/// (S ≥ 1 per parameter). Returns (θ, m, v, θ_ema) on the flex device, written in place where
/// their storage is not shared.
///
/// A plain function rather than an operation of [`FusedCpuOps`]: burn's extension macro does not
/// route `Vec`s of tensors for a crate of its own.
pub(super) fn fused_adam_ema(
    theta: Vec<DispatchTensor>,
    grads: Vec<DispatchTensor>,
    m: Vec<DispatchTensor>,
    v: Vec<DispatchTensor>,
    ema: Vec<DispatchTensor>,
    step: adam_ema::WholeStep,
) -> adam_ema::WholeTensors<DispatchTensor> {
    let flex = |ts: Vec<DispatchTensor>| ts.into_iter().map(plain_flex).collect::<Vec<_>>();
    let (t, m, v, e) = flex_adam_ema(flex(theta), flex(grads), flex(m), flex(v), flex(ema), step);
    let back = |ts: Vec<FlexTensor>| ts.into_iter().map(dispatch_of).collect::<Vec<_>>();
    (back(t), back(m), back(v), back(e))
}

/// [`fused_adam_ema`] on flex tensors.
fn flex_adam_ema(
    theta: Vec<FlexTensor>,
    grads: Vec<FlexTensor>,
    m: Vec<FlexTensor>,
    v: Vec<FlexTensor>,
    ema: Vec<FlexTensor>,
    step: adam_ema::WholeStep,
) -> adam_ema::WholeTensors<FlexTensor> {
    let n = theta.len();
    if n == 0 {
        // no parameter with a gradient: nothing to update
        return (theta, m, v, ema);
    }
    let shards = grads.len() / n;
    assert!(
        shards >= 1 && grads.len() == shards * n && m.len() == n && v.len() == n && ema.len() == n,
        "one θ, m, v, θ_ema and S ≥ 1 gradients per parameter"
    );
    let writable_all = |ts: Vec<FlexTensor>| ts.into_iter().map(writable).collect::<Vec<_>>();
    let (mut theta, mut m, mut v, mut ema) = (
        writable_all(theta),
        writable_all(m),
        writable_all(v),
        writable_all(ema),
    );
    // Each parameter's first gradient becomes the sum; the others are only read.
    let mut sums = Vec::with_capacity(n);
    let mut others = Vec::with_capacity(n);
    let mut grads = grads.into_iter();
    for _ in 0..n {
        sums.extend(grads.next().map(writable));
        others.push(grads.by_ref().take(shards - 1).collect::<Vec<_>>());
    }
    let other_values: Vec<Vec<Cow<'_, [f32]>>> = others
        .iter()
        .map(|o| o.iter().map(values).collect())
        .collect();
    let params = theta
        .iter_mut()
        .zip(sums.iter_mut())
        .zip(m.iter_mut())
        .zip(v.iter_mut())
        .zip(ema.iter_mut())
        .zip(&other_values)
        .map(|(((((t, g), m), v), e), o)| adam_ema::Parameter {
            theta: t.storage_mut::<f32>(),
            grad: g.storage_mut::<f32>(),
            other_grads: o.iter().map(|g| g.as_ref()).collect(),
            m: m.storage_mut::<f32>(),
            v: v.storage_mut::<f32>(),
            ema: e.storage_mut::<f32>(),
        })
        .collect();
    adam_ema::update(params, &step);
    (theta, m, v, ema)
}

/// The values of an `f32` flex tensor in row-major order (borrowed when already contiguous).
pub(super) fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
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

/// conv2d(x, w) + b (+ the residual r, of the output's shape).
fn conv_forward(
    x: &FlexTensor,
    w: &FlexTensor,
    b: &FlexTensor,
    r: Option<&FlexTensor>,
    o: &ConvOptions<2>,
) -> FlexTensor {
    let s = conv_shape(x, w, o);
    let [ho, wo] = s.output().unwrap_or([0, 0]);
    let mut y = output_buffer(s.lens()[2]);
    conv2d::forward(&s, &values(x), &values(w), Some(&values(b)), &mut y);
    add_residual(&mut y, r);
    tensor(y, vec![s.batch, s.c_out, ho, wo])
}

/// y += r, in parallel blocks while y is fresh (instead of one serial element-wise add).
fn add_residual(y: &mut [f32], r: Option<&FlexTensor>) {
    const BLOCK: usize = 1 << 14;
    let Some(r) = r else { return };
    let r = values(r);
    assert_eq!(r.len(), y.len(), "the residual has the output's shape");
    y.par_chunks_mut(BLOCK)
        .zip(r.par_chunks(BLOCK))
        .for_each(|(yb, rb)| yb.iter_mut().zip(rb).for_each(|(a, b)| *a += b));
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

/// y and the per-(image, group) statistics, of x (+ the shift `[N, C]`).
fn norm_forward(
    x: &FlexTensor,
    shift: Option<&FlexTensor>,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    groups: usize,
    epsilon: f64,
) -> (FlexTensor, Vec<f32>) {
    let s = norm_shape(x, groups);
    let xs = values(x);
    let mut y = output_buffer(xs.len());
    let mut stats = vec![0.0f32; 2 * s.batch * groups];
    let shift = shift.map(values);
    group_norm_silu::forward(
        &s,
        &xs,
        shift.as_deref(),
        &values(gamma),
        &values(beta),
        epsilon,
        &mut y,
        &mut stats,
    );
    (tensor(y, dims(x)), stats)
}

/// conv2d(x, w) + b without autodiff (inference): Winograd's transformed weights come from
/// [`weight_cache`], so a sampler transforms each layer's weights once, not once per step.
fn conv_inference(
    x: &FlexTensor,
    w: &FlexTensor,
    b: &FlexTensor,
    r: Option<&FlexTensor>,
    o: &ConvOptions<2>,
) -> FlexTensor {
    let s = conv_shape(x, w, o);
    if !conv2d::takes_winograd(&s) {
        return conv_forward(x, w, b, r, o);
    }
    let [ho, wo] = s.output().unwrap_or([0, 0]);
    let u = weight_cache::transformed(w, |w| winograd::transform_weights(&s, w));
    let mut y = output_buffer(s.lens()[2]);
    winograd::forward_transformed(&s, &values(x), &u, Some(&values(b)), &mut y);
    add_residual(&mut y, r);
    tensor(y, vec![s.batch, s.c_out, ho, wo])
}

impl FusedCpuOps for Flex {
    fn fused_conv2d(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        options: ConvOptions<2>,
    ) -> FlexTensor {
        conv_inference(&x, &weight, &bias, None, &options)
    }

    fn fused_conv2d_residual(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        residual: FlexTensor,
        options: ConvOptions<2>,
    ) -> FlexTensor {
        conv_inference(&x, &weight, &bias, Some(&residual), &options)
    }

    fn fused_group_norm_silu(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        groups: usize,
        epsilon: f64,
    ) -> FlexTensor {
        norm_forward(&x, None, &gamma, &beta, groups, epsilon).0
    }

    fn fused_group_norm_silu_shift(
        x: FlexTensor,
        shift: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        groups: usize,
        epsilon: f64,
    ) -> FlexTensor {
        norm_forward(&x, Some(&shift), &gamma, &beta, groups, epsilon).0
    }

    fn fused_adam(
        theta: FlexTensor,
        grad: FlexTensor,
        m: FlexTensor,
        v: FlexTensor,
        step: adam::AdamStep,
        first: bool,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (mut theta, mut m, mut v) = (writable(theta), writable(m), writable(v));
        let g = values(&grad);
        let (t, ms, vs) = (
            theta.storage_mut::<f32>(),
            m.storage_mut::<f32>(),
            v.storage_mut::<f32>(),
        );
        assert!(
            g.len() == t.len() && ms.len() == t.len() && vs.len() == t.len(),
            "θ, its gradient and its moments have one shape"
        );
        adam::update(t, &g, ms, vs, first, &step);
        (theta, m, v)
    }

    fn fused_ema(ema: FlexTensor, theta: FlexTensor, decay: f64) -> FlexTensor {
        let mut ema = writable(ema);
        let theta = values(&theta);
        let e = ema.storage_mut::<f32>();
        assert_eq!(e.len(), theta.len(), "θ_ema and θ have one shape");
        ema::update(e, &theta, decay);
        ema
    }

    fn fused_silu(x: FlexTensor) -> FlexTensor {
        let xs = values(&x);
        let mut y = output_buffer(xs.len());
        silu::forward(&xs, &mut y);
        tensor(y, dims(&x))
    }
}

/// `t` as a contiguous tensor whose storage holds exactly its values, to be written in place
/// (`storage_mut` copies it first if the storage is shared).
fn writable(t: FlexTensor) -> FlexTensor {
    let layout = t.layout();
    if t.dtype() == DType::F32
        && layout.is_contiguous()
        && layout.start_offset() == 0
        && t.storage::<f32>().len() == layout.num_elements()
    {
        t
    } else {
        tensor(values(&t).into_owned(), dims(&t))
    }
}

/// dx, dW, db of a convolution for the output gradient `dy`, each registered where its parent
/// is tracked.
fn conv_backward(
    (x, w, options): (FlexTensor, FlexTensor, ConvOptions<2>),
    dy: &FlexTensor,
    [node_x, node_w, node_b]: [Option<NodeId>; 3],
    grads: &mut Gradients,
) {
    let s = conv_shape(&x, &w, &options);
    let dy_values = values(dy);
    if let Some(node) = node_x {
        let mut dx = output_buffer(s.lens()[0]);
        conv2d::backward_input(&s, &values(&w), &dy_values, &mut dx);
        grads.register::<Flex>(node, tensor(dx, dims(&x)));
    }
    if let Some(node) = node_w {
        let mut dw = vec![0.0f32; s.lens()[1]];
        conv2d::backward_weight(&s, &values(&x), &dy_values, &mut dw);
        grads.register::<Flex>(node, tensor(dw, dims(&w)));
    }
    if let Some(node) = node_b {
        let mut db = vec![0.0f32; s.c_out];
        conv2d::backward_bias(&s, &dy_values, &mut db);
        grads.register::<Flex>(node, tensor(db, vec![s.c_out]));
    }
}

#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 3> for Conv2dBackward {
    type State = (FlexTensor, FlexTensor, ConvOptions<2>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        conv_backward(ops.state, &dy, ops.parents.map(|p| p.map(|n| n.id)), grads);
    }
}

#[derive(Debug)]
struct Conv2dResidualBackward;

impl Backward<Flex, 4> for Conv2dResidualBackward {
    type State = (FlexTensor, FlexTensor, ConvOptions<2>);

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b, node_r] = ops.parents.map(|p| p.map(|n| n.id));
        let dy = grads.consume::<Flex>(&ops.node);
        conv_backward(ops.state, &dy, [node_x, node_w, node_b], grads);
        // d(residual) = dy: shared, not copied.
        if let Some(node) = node_r {
            grads.register::<Flex>(node, dy);
        }
    }
}

/// The state a GroupNorm+SiLU keeps for its backward: x, the shift `[N, C]` if any, γ, β, the
/// forward's (μ, r) per (image, group), G.
type NormState = (
    FlexTensor,
    Option<Vec<f32>>,
    FlexTensor,
    FlexTensor,
    Vec<f32>,
    usize,
);

/// dx (and ds), dγ, dβ of a GroupNorm+SiLU for the output gradient `dy`, each registered where
/// its parent is tracked.
fn norm_backward(
    (x, shift, gamma, beta, stats, groups): NormState,
    dy: &FlexTensor,
    [node_x, node_shift, node_gamma, node_beta]: [Option<NodeId>; 4],
    grads: &mut Gradients,
) {
    let s = norm_shape(&x, groups);
    let xs = values(&x);
    let mut dx = output_buffer(xs.len());
    let mut dgamma = vec![0.0f32; s.channels];
    let mut dbeta = vec![0.0f32; s.channels];
    let mut dshift = vec![
        0.0f32;
        if node_shift.is_some() {
            s.batch * s.channels
        } else {
            0
        }
    ];
    group_norm_silu::backward(
        &s,
        &xs,
        shift.as_deref(),
        &values(&gamma),
        &values(&beta),
        &stats,
        &values(dy),
        group_norm_silu::Gradients {
            dx: &mut dx,
            dgamma: &mut dgamma,
            dbeta: &mut dbeta,
            dshift: node_shift.is_some().then_some(&mut dshift[..]),
        },
    );
    if let Some(node) = node_x {
        grads.register::<Flex>(node, tensor(dx, dims(&x)));
    }
    if let Some(node) = node_shift {
        grads.register::<Flex>(node, tensor(dshift, vec![s.batch, s.channels]));
    }
    if let Some(node) = node_gamma {
        grads.register::<Flex>(node, tensor(dgamma, vec![s.channels]));
    }
    if let Some(node) = node_beta {
        grads.register::<Flex>(node, tensor(dbeta, vec![s.channels]));
    }
}

#[derive(Debug)]
struct GroupNormSiluBackward;

impl Backward<Flex, 3> for GroupNormSiluBackward {
    type State = NormState;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents.map(|p| p.map(|n| n.id));
        let dy = grads.consume::<Flex>(&ops.node);
        norm_backward(ops.state, &dy, [node_x, None, node_gamma, node_beta], grads);
    }
}

#[derive(Debug)]
struct GroupNormSiluShiftBackward;

impl Backward<Flex, 4> for GroupNormSiluShiftBackward {
    type State = NormState;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        norm_backward(ops.state, &dy, ops.parents.map(|p| p.map(|n| n.id)), grads);
    }
}

/// SiLU's backward pass; its state is x.
#[derive(Debug)]
struct SiluBackward;

impl Backward<Flex, 1> for SiluBackward {
    type State = FlexTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x] = ops.parents.map(|p| p.map(|n| n.id));
        let dy = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_x {
            let x = ops.state;
            let xs = values(&x);
            let mut dx = output_buffer(xs.len());
            silu::backward(&xs, &values(&dy), &mut dx);
            grads.register::<Flex>(node, tensor(dx, dims(&x)));
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
                let y = conv_forward(&x, &w, &b, None, &options);
                prep.finish((x, w, options), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(conv_forward(
                x.primitive(),
                weight.primitive(),
                bias.primitive(),
                None,
                &options,
            )),
        }
    }

    fn fused_conv2d_residual(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        residual: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        let prep = Conv2dResidualBackward
            .prepare::<C>([x.node(), weight.node(), bias.node(), residual.node()])
            .compute_bound()
            .stateful();
        match prep {
            OpsKind::Tracked(prep) => {
                let (x, w, b) = (
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                );
                let y = conv_forward(&x, &w, &b, Some(residual.primitive()), &options);
                prep.finish((x, w, options), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(conv_forward(
                x.primitive(),
                weight.primitive(),
                bias.primitive(),
                Some(residual.primitive()),
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
                let (y, stats) = norm_forward(&x, None, &gamma, &beta, groups, epsilon);
                prep.finish((x, None, gamma, beta, stats, groups), y)
            }
            OpsKind::UnTracked(prep) => {
                let (y, _) = norm_forward(
                    x.primitive(),
                    None,
                    gamma.primitive(),
                    beta.primitive(),
                    groups,
                    epsilon,
                );
                prep.finish(y)
            }
        }
    }

    fn fused_group_norm_silu_shift(
        x: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        let prep = GroupNormSiluShiftBackward
            .prepare::<C>([x.node(), shift.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        match prep {
            OpsKind::Tracked(prep) => {
                let (x, shift, gamma, beta) = (
                    x.into_primitive(),
                    shift.into_primitive(),
                    gamma.into_primitive(),
                    beta.into_primitive(),
                );
                let (y, stats) = norm_forward(&x, Some(&shift), &gamma, &beta, groups, epsilon);
                let shift = values(&shift).into_owned();
                prep.finish((x, Some(shift), gamma, beta, stats, groups), y)
            }
            OpsKind::UnTracked(prep) => {
                let (y, _) = norm_forward(
                    x.primitive(),
                    Some(shift.primitive()),
                    gamma.primitive(),
                    beta.primitive(),
                    groups,
                    epsilon,
                );
                prep.finish(y)
            }
        }
    }

    // The optimiser's steps see plain tensors; on autodiff ones they run untracked.
    fn fused_adam(
        theta: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        step: adam::AdamStep,
        first: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (t, m, v) = <Flex as FusedCpuOps>::fused_adam(
            theta.into_primitive(),
            grad.into_primitive(),
            m.into_primitive(),
            v.into_primitive(),
            step,
            first,
        );
        (
            Self::from_inner(t),
            Self::from_inner(m),
            Self::from_inner(v),
        )
    }

    fn fused_ema(
        ema: FloatTensor<Self>,
        theta: FloatTensor<Self>,
        decay: f64,
    ) -> FloatTensor<Self> {
        Self::from_inner(<Flex as FusedCpuOps>::fused_ema(
            ema.into_primitive(),
            theta.into_primitive(),
            decay,
        ))
    }

    fn fused_silu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match SiluBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let x = x.into_primitive();
                let y = <Flex as FusedCpuOps>::fused_silu(x.clone());
                prep.finish(x, y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(<Flex as FusedCpuOps>::fused_silu(x.into_primitive()))
            }
        }
    }
}
