//! Fused CPU kernels for burn's flex backend, added through burn's backend-extension mechanism
//! (no fork of burn): a convolution whose forward and backward are GEMMs, GroupNorm + SiLU in
//! one pass, SiLU alone, and the optimiser's steps ([`adam`], [`ema`], and [`adam_ema`] for a
//! whole model at once). [`conv2d`], [`group_norm_silu`] and [`silu()`] take burn's own modules
//! or tensors and call the fused kernel when the tensor lives on the flex device (with or
//! without autodiff) and the case is covered; everywhere else (wgpu, other dtypes, grouped
//! convolutions) they call burn's op.
//!
//! Each kernel's file states the formula it computes and the shapes it expects, and carries
//! property tests against the definition; the tests below compare the whole extension, forward
//! and gradients, with burn's reference ops on the same device.
//!
//! `DIFFUSION_PLAYGROUND_KERNELS=burn` makes the process use burn's ops throughout (for a
//! before/after benchmark), and [`with_burn_ops`] does the same for one call on one thread;
//! `DIFFUSION_PLAYGROUND_KERNELS=im2col` keeps the fused kernels but computes every
//! convolution through im2col instead of [`winograd`]. [`simd`] picks the vector instructions
//! of the kernels' own loops at run time.

pub mod adam;
pub mod adam_ema;
mod conv2d;
pub mod ema;
mod exp;
mod extension;
mod group_norm_silu;
mod im2col;
pub mod shards;
mod silu;
pub mod simd;
mod transpose;
mod weight_cache;
mod winograd;

use burn::backend::Dispatch;
use burn::nn::conv::Conv2d;
use burn::nn::{GroupNorm, PaddingConfig2d};
use burn::tensor::activation;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Device, Tensor};
use extension::FusedCpuOps;
use std::cell::Cell;
use std::sync::OnceLock;

/// The environment variable that turns the fused kernels off (`burn`) for the whole process.
pub const KERNELS_ENV: &str = "DIFFUSION_PLAYGROUND_KERNELS";

thread_local! {
    static BURN_OPS_HERE: Cell<bool> = const { Cell::new(false) };
    static NO_WINOGRAD_HERE: Cell<bool> = const { Cell::new(false) };
}

/// The CPU kernels a process uses, from [`KERNELS_ENV`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernels {
    /// burn's own ops
    Burn,
    /// the fused kernels, every convolution through im2col
    Im2col,
    /// the fused kernels, stride-1 3×3 convolutions by Winograd F(2×2, 3×3)
    Fused,
}

fn kernels() -> Kernels {
    static KERNELS: OnceLock<Kernels> = OnceLock::new();
    *KERNELS.get_or_init(|| {
        match std::env::var(KERNELS_ENV)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            Ok("burn") => Kernels::Burn,
            Ok("im2col") => Kernels::Im2col,
            _ => Kernels::Fused,
        }
    })
}

/// Whether the fused kernels are in use for this process (unless [`with_burn_ops`] says otherwise).
pub fn fused_by_default() -> bool {
    kernels() != Kernels::Burn
}

/// Whether the fused kernels run for tensors on `device` on this thread: the flex device, with
/// the fused kernels in use.
pub fn fused_on(device: &Device) -> bool {
    fused_by_default() && !BURN_OPS_HERE.with(Cell::get) && *device == Device::flex()
}

/// Whether stride-1 3×3 convolutions take Winograd F(2×2, 3×3) on this thread.
fn winograd_enabled() -> bool {
    kernels() == Kernels::Fused && !NO_WINOGRAD_HERE.with(Cell::get)
}

/// "fused", "im2col" or "burn" (which CPU kernels this process uses) and the vector
/// instructions of their own loops, for reports.
pub fn kernels_name() -> String {
    match kernels() {
        Kernels::Burn => "burn".to_owned(),
        Kernels::Im2col => format!("fused, im2col, {}", simd::level().name()),
        Kernels::Fused => format!("fused, Winograd, {}", simd::level().name()),
    }
}

/// Run `f` on this thread with every fused convolution computed through im2col.
#[cfg(test)]
fn without_winograd<R>(f: impl FnOnce() -> R) -> R {
    let before = NO_WINOGRAD_HERE.with(|c| c.replace(true));
    let out = f();
    NO_WINOGRAD_HERE.with(|c| c.set(before));
    out
}

/// Run `f` on this thread with burn's own ops in place of the fused kernels.
pub fn with_burn_ops<R>(f: impl FnOnce() -> R) -> R {
    let before = BURN_OPS_HERE.with(|c| c.replace(true));
    let out = f();
    BURN_OPS_HERE.with(|c| c.set(before));
    out
}

/// The fused path applies: flex (autodiff or not), `f32`, not switched off.
fn fused_here<const D: usize>(x: &Tensor<D>) -> bool {
    x.dtype() == DType::F32 && fused_on(&x.device())
}

/// The explicit (top, bottom), (left, right) padding of `conv`, or None for `Same`.
fn conv_padding(conv: &Conv2d) -> Option<[(usize, usize); 2]> {
    match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some([(top, bottom), (left, right)]),
        PaddingConfig2d::Valid => Some([(0, 0), (0, 0)]),
        PaddingConfig2d::Same => None,
    }
}

/// `conv.forward(x)`: x `[N, C_in, H, W]` → `[N, C_out, H_o, W_o]`.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let padding = conv_padding(conv);
    match (&conv.bias, padding) {
        (Some(bias), Some(padding)) if conv.groups == 1 && fused_here(&x) => {
            let options = ConvOptions::new_with_padding(conv.stride, padding, conv.dilation, 1);
            Tensor::from_dispatch(<Dispatch as FusedCpuOps>::fused_conv2d(
                x.into_dispatch(),
                conv.weight.val().into_dispatch(),
                bias.val().into_dispatch(),
                options,
            ))
        }
        _ => conv.forward(x),
    }
}

/// `conv.forward(x) + residual`: x `[N, C_in, H, W]`, residual `[N, C_out, H_o, W_o]` →
/// `[N, C_out, H_o, W_o]`, the residual added as the output is written.
pub fn conv2d_residual(conv: &Conv2d, x: Tensor<4>, residual: Tensor<4>) -> Tensor<4> {
    let padding = conv_padding(conv);
    match (&conv.bias, padding) {
        (Some(bias), Some(padding)) if conv.groups == 1 && fused_here(&x) => {
            let options = ConvOptions::new_with_padding(conv.stride, padding, conv.dilation, 1);
            let out = conv_output_dims(&x, conv, &options);
            if residual.dims() != out {
                return conv.forward(x) + residual;
            }
            Tensor::from_dispatch(<Dispatch as FusedCpuOps>::fused_conv2d_residual(
                x.into_dispatch(),
                conv.weight.val().into_dispatch(),
                bias.val().into_dispatch(),
                residual.into_dispatch(),
                options,
            ))
        }
        _ => conv.forward(x) + residual,
    }
}

/// The output shape of `conv` on x.
fn conv_output_dims(x: &Tensor<4>, conv: &Conv2d, o: &ConvOptions<2>) -> [usize; 4] {
    let [n, _, h, w] = x.dims();
    let [c_out, _, kh, kw] = conv.weight.dims();
    let side = |i: usize, len: usize, k: usize| {
        let (a, b) = o.padding[i];
        (len + a + b).saturating_sub(o.dilation[i] * (k - 1) + 1) / o.stride[i] + 1
    };
    [n, c_out, side(0, h, kh), side(1, w, kw)]
}

/// `silu(norm.forward(x))`: x `[N, C, H, W]` → `[N, C, H, W]`.
pub fn group_norm_silu(norm: &GroupNorm, x: Tensor<4>) -> Tensor<4> {
    match (&norm.gamma, &norm.beta) {
        (Some(gamma), Some(beta))
            if norm.affine && x.dims()[1] == norm.num_channels && fused_here(&x) =>
        {
            Tensor::from_dispatch(<Dispatch as FusedCpuOps>::fused_group_norm_silu(
                x.into_dispatch(),
                gamma.val().into_dispatch(),
                beta.val().into_dispatch(),
                norm.num_groups,
                norm.epsilon,
            ))
        }
        _ => activation::silu(norm.forward(x)),
    }
}

/// SiLU x·σ(x) of a tensor of any shape: the fused kernel on the flex device (with or without
/// autodiff), burn's op elsewhere.
pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if !fused_here(&x) {
        return activation::silu(x);
    }
    Tensor::from_dispatch(<Dispatch as FusedCpuOps>::fused_silu(x.into_dispatch()))
}

/// `silu(norm.forward(x + shift))` with the shift `[N, C]` broadcast over the pixels (a U-Net's
/// time embedding): x `[N, C, H, W]` → `[N, C, H, W]`.
pub fn group_norm_silu_shift(norm: &GroupNorm, x: Tensor<4>, shift: Tensor<2>) -> Tensor<4> {
    let [n, c, _, _] = x.dims();
    match (&norm.gamma, &norm.beta) {
        (Some(gamma), Some(beta))
            if norm.affine
                && c == norm.num_channels
                && shift.dims() == [n, c]
                && fused_here(&x) =>
        {
            Tensor::from_dispatch(<Dispatch as FusedCpuOps>::fused_group_norm_silu_shift(
                x.into_dispatch(),
                shift.into_dispatch(),
                gamma.val().into_dispatch(),
                beta.val().into_dispatch(),
                norm.num_groups,
                norm.epsilon,
            ))
        }
        _ => activation::silu(norm.forward(x + shift.unsqueeze_dim::<3>(2).unsqueeze_dim::<4>(3))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::nn::GroupNormConfig;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::TensorData;
    use proptest::prelude::*;

    fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    /// max |a − b| ≤ 1e-4 · max(1, max |b|): relative to the reference's scale.
    fn close(a: &[f32], b: &[f32], what: &str) -> Result<(), TestCaseError> {
        prop_assert_eq!(a.len(), b.len());
        let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let worst = a
            .iter()
            .zip(b)
            .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        prop_assert!(
            worst <= 1e-4 * scale,
            "{}: max diff {} at scale {}",
            what,
            worst,
            scale
        );
        Ok(())
    }

    /// Uniform values in [−scale, scale) + shift from a seeded generator (reproducible cases).
    fn seeded<const D: usize>(
        dims: [usize; D],
        seed: u64,
        scale: f32,
        shift: f32,
        device: &Device,
    ) -> Tensor<D> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = dims.iter().product::<usize>();
        let v: Vec<f32> = (0..n)
            .map(|_| rng.random_range(-scale..scale) + shift)
            .collect();
        Tensor::from_data(TensorData::new(v, dims), device)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The fused conv2d through autodiff against burn's conv2d: output, and the gradients of
        /// x, weight and bias for the loss Σ y·r with a random r.
        #[test]
        fn conv2d_matches_burn(
            (batch, c_in, c_out, h, w) in (1usize..4, 1usize..6, 1usize..6, 2usize..10, 2usize..10),
            k in prop_oneof![Just(1usize), Just(3)],
            stride in 1usize..3,
            pad in 0usize..2,
            seed in 0u64..100,
        ) {
            prop_assume!(h + 2 * pad >= k && w + 2 * pad >= k);
            let device = Device::flex().autodiff();
            let conv = Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .init(&device);
            // A non-zero bias, so its path is exercised.
            let bias = seeded([c_out], seed + 5, 0.5, 0.3, &device);
            let conv = Conv2d { bias: Some(Param::from_tensor(bias)), ..conv };
            let x = seeded([batch, c_in, h, w], seed, 1.0 + (seed % 3) as f32, 0.0, &device).require_grad();
            let ours = conv2d(&conv, x.clone());
            let theirs = with_burn_ops(|| conv2d(&conv, x.clone()));
            let r = seeded(ours.dims(), seed + 7, 1.0, 0.0, &device);
            let g_ours = ours.clone().mul(r.clone()).sum().backward();
            let g_theirs = theirs.clone().mul(r).sum().backward();
            close(&host(ours), &host(theirs), "forward")?;
            close(&host(x.grad(&g_ours).unwrap()), &host(x.grad(&g_theirs).unwrap()), "input grad")?;
            let wv = conv.weight.val();
            close(&host(wv.grad(&g_ours).unwrap()), &host(wv.grad(&g_theirs).unwrap()), "weight grad")?;
            let bv = conv.bias.as_ref().unwrap().val();
            close(&host(bv.grad(&g_ours).unwrap()), &host(bv.grad(&g_theirs).unwrap()), "bias grad")?;
        }

        /// The fused SiLU through autodiff against burn's silu: output and the gradient of x for
        /// the loss Σ y·r, inputs up to ±12 (σ near 0 and 1), of rank 2 and 4, and the
        /// untracked (plain) path.
        #[test]
        fn silu_matches_burn(
            (rows, cols) in (1usize..40, 1usize..300),
            scale in prop_oneof![Just(0.5f32), Just(12.0f32)],
            seed in 0u64..100,
        ) {
            let device = Device::flex().autodiff();
            let x = seeded([rows, cols], seed, scale, 0.0, &device).require_grad();
            let ours = silu(x.clone());
            let theirs = with_burn_ops(|| silu(x.clone()));
            let r = seeded([rows, cols], seed + 7, 1.0, 0.0, &device);
            let g_ours = ours.clone().mul(r.clone()).sum().backward();
            let g_theirs = theirs.clone().mul(r).sum().backward();
            close(&host(ours), &host(theirs.clone()), "forward")?;
            close(&host(x.grad(&g_ours).unwrap()), &host(x.grad(&g_theirs).unwrap()), "input grad")?;
            let plain = x.clone().inner().reshape([rows, 1, cols, 1]);
            close(&host(silu(plain)), &host(theirs), "plain, rank 4")?;
        }

        /// Fused GroupNorm + SiLU against burn's GroupNorm then silu: output and the gradients of
        /// x, γ and β.
        #[test]
        fn group_norm_silu_matches_burn(
            (batch, groups, per_group, h, w) in (1usize..4, 1usize..5, 1usize..4, 1usize..7, 1usize..7),
            seed in 0u64..100,
        ) {
            // burn's group_norm refuses inputs of two values or fewer (it checks the element
            // count where it means the rank).
            prop_assume!(batch * groups * per_group * h * w > 2);
            // And as in group_norm_silu's own test: enough values per group for f32 to resolve dx.
            prop_assume!(per_group * h * w >= 8);
            let device = Device::flex().autodiff();
            let channels = groups * per_group;
            let norm = GroupNormConfig::new(groups, channels).init(&device);
            let gamma = seeded([channels], seed + 1, 0.8, 1.0, &device);
            let beta = seeded([channels], seed + 2, 0.8, 0.0, &device);
            let norm = GroupNorm { gamma: Some(Param::from_tensor(gamma)), beta: Some(Param::from_tensor(beta)), ..norm };
            let x = seeded([batch, channels, h, w], seed, 2.0, 0.5, &device).require_grad();
            let ours = group_norm_silu(&norm, x.clone());
            let theirs = with_burn_ops(|| group_norm_silu(&norm, x.clone()));
            let r = seeded(ours.dims(), seed + 7, 1.0, 0.0, &device);
            let g_ours = ours.clone().mul(r.clone()).sum().backward();
            let g_theirs = theirs.clone().mul(r).sum().backward();
            close(&host(ours), &host(theirs), "forward")?;
            close(&host(x.grad(&g_ours).unwrap()), &host(x.grad(&g_theirs).unwrap()), "input grad")?;
            let gv = norm.gamma.as_ref().unwrap().val();
            let bv = norm.beta.as_ref().unwrap().val();
            close(&host(gv.grad(&g_ours).unwrap()), &host(gv.grad(&g_theirs).unwrap()), "γ grad")?;
            close(&host(bv.grad(&g_ours).unwrap()), &host(bv.grad(&g_theirs).unwrap()), "β grad")?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// A residual block's fusions against burn's ops: conv2d + residual, and GroupNorm+SiLU
        /// of x plus a per-(image, channel) shift; outputs and every gradient, the residual's and
        /// the shift's included.
        #[test]
        fn fused_residual_and_shift_match_burn(
            (batch, groups, per_group, h, w) in (1usize..4, 1usize..4, 2usize..4, 2usize..7, 2usize..7),
            c_out in 1usize..5,
            seed in 0u64..100,
        ) {
            let device = Device::flex().autodiff();
            let channels = groups * per_group;
            let norm = GroupNormConfig::new(groups, channels).init(&device);
            let gamma = seeded([channels], seed + 1, 0.8, 1.0, &device);
            let beta = seeded([channels], seed + 2, 0.8, 0.0, &device);
            let norm = GroupNorm { gamma: Some(Param::from_tensor(gamma)), beta: Some(Param::from_tensor(beta)), ..norm };
            let conv = Conv2dConfig::new([channels, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(&device);
            let x = seeded([batch, channels, h, w], seed, 2.0, 0.5, &device).require_grad();
            let shift = seeded([batch, channels], seed + 3, 2.0, 0.0, &device).require_grad();
            let residual = seeded([batch, c_out, h, w], seed + 4, 1.0, 0.0, &device).require_grad();
            let block = || conv2d_residual(&conv, group_norm_silu_shift(&norm, x.clone(), shift.clone()), residual.clone());
            let ours = block();
            let theirs = with_burn_ops(block);
            let r = seeded(ours.dims(), seed + 7, 1.0, 0.0, &device);
            let g_ours = ours.clone().mul(r.clone()).sum().backward();
            let g_theirs = theirs.clone().mul(r).sum().backward();
            close(&host(ours), &host(theirs), "forward")?;
            close(&host(x.grad(&g_ours).unwrap()), &host(x.grad(&g_theirs).unwrap()), "input grad")?;
            close(&host(shift.grad(&g_ours).unwrap()), &host(shift.grad(&g_theirs).unwrap()), "shift grad")?;
            close(&host(residual.grad(&g_ours).unwrap()), &host(residual.grad(&g_theirs).unwrap()), "residual grad")?;
            let gv = norm.gamma.as_ref().unwrap().val();
            close(&host(gv.grad(&g_ours).unwrap()), &host(gv.grad(&g_theirs).unwrap()), "γ grad")?;
            let wv = conv.weight.val();
            close(&host(wv.grad(&g_ours).unwrap()), &host(wv.grad(&g_theirs).unwrap()), "weight grad")?;
        }
    }

    #[test]
    fn plain_flex_and_other_cases_take_the_right_path() {
        // Inference on flex without autodiff goes through the extension too.
        let device = Device::flex();
        let conv = Conv2dConfig::new([2, 3], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device);
        let x = Tensor::<4>::from_data(
            TensorData::new(
                (0..50).map(|v| v as f32 / 10.0).collect::<Vec<_>>(),
                [1, 2, 5, 5],
            ),
            &device,
        );
        let ours = host(conv2d(&conv, x.clone()));
        let theirs = host(conv.forward(x.clone()));
        let worst = ours
            .iter()
            .zip(&theirs)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-4, "{worst}");
        // The same weights again (Winograd's transform from the cache), with a residual, and
        // a shifted GroupNorm+SiLU, all without autodiff.
        let r = seeded([1, 3, 5, 5], 3, 1.0, 0.0, &device);
        let ours = host(conv2d_residual(&conv, x.clone(), r.clone()));
        let theirs = host(conv.forward(x.clone()) + r);
        let worst = ours
            .iter()
            .zip(&theirs)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-4, "residual: {worst}");
        let norm = GroupNormConfig::new(1, 2).init(&device);
        let shift = seeded([1, 2], 4, 1.0, 0.0, &device);
        let ours = host(group_norm_silu_shift(&norm, x.clone(), shift.clone()));
        let theirs = host(with_burn_ops(|| {
            group_norm_silu_shift(&norm, x.clone(), shift.clone())
        }));
        let worst = ours
            .iter()
            .zip(&theirs)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-4, "shift: {worst}");
        // `Same` padding and grouped convolutions fall back to burn's op.
        let same = Conv2dConfig::new([2, 2], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&device);
        assert_eq!(conv2d(&same, x.clone()).dims(), [1, 2, 5, 5]);
        let grouped = Conv2dConfig::new([2, 2], [3, 3])
            .with_groups(2)
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device);
        let a = host(conv2d(&grouped, x.clone()));
        let b = host(grouped.forward(x));
        assert_eq!(a, b);
    }
}
