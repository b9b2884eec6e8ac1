//! One exponential-moving-average step of one parameter in a single pass, element by element:
//!
//! ```text
//! θ_ema ← θ_ema·d + θ·(1 − d)
//! ```
//!
//! in f32 with d and 1 − d rounded to f32 as burn's `mul_scalar` rounds them, so the result
//! equals burn's `ema.mul_scalar(d) + θ.mul_scalar(1 − d)` (three passes on one thread) value
//! for value; here one pass over rayon's pool, in place when θ_ema's storage is not shared.

use super::extension::FusedCpuOps;
use super::simd;
use burn::backend::Dispatch;
use burn::tensor::Tensor;
use rayon::prelude::*;

/// Values per rayon task.
const BLOCK: usize = 1 << 14;

/// θ_ema ← θ_ema·d + θ·(1 − d) on host slices of one length.
pub fn update(ema: &mut [f32], theta: &[f32], decay: f64) {
    if ema.len() < 2 * BLOCK {
        update_block(ema, theta, decay);
        return;
    }
    ema.par_chunks_mut(BLOCK)
        .zip(theta.par_chunks(BLOCK))
        .for_each(|(e, t)| update_block(e, t, decay));
}

/// [`update`] on this thread.
pub(super) fn update_block(ema: &mut [f32], theta: &[f32], decay: f64) {
    let (d, rest) = (decay as f32, (1.0 - decay) as f32);
    simd::dispatch(
        #[inline(always)]
        || {
            for (e, &t) in ema.iter_mut().zip(theta) {
                *e = *e * d + t * rest;
            }
        },
    )
}

/// θ_ema·d + θ·(1 − d) for plain tensors of one shape: the single pass on the flex device in
/// `f32` (unless the fused kernels are off), burn's ops elsewhere.
pub fn ema_step<const D: usize>(ema: Tensor<D>, theta: Tensor<D>, decay: f64) -> Tensor<D> {
    let fused =
        super::fused_here(&ema) && super::fused_here(&theta) && ema.shape() == theta.shape();
    if !fused {
        return ema.mul_scalar(decay) + theta.mul_scalar(1.0 - decay);
    }
    Tensor::from_dispatch(<Dispatch as FusedCpuOps>::fused_ema(
        ema.into_dispatch(),
        theta.into_dispatch(),
        decay,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn vals<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    fn seeded(n: usize, seed: u64) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    /// Equal to burn's two scalings and an addition, value for value, on both sides of the
    /// parallel split; within f32 rounding of the f64 definition; and a tensor sharing the
    /// EMA's storage keeps its values.
    #[test]
    fn equals_burns_ops_and_the_definition() {
        let device = Device::flex();
        for (n, decay) in [(37usize, 0.5f64), (70_001, 0.999), (100_000, 0.1)] {
            let e0 = seeded(n, n as u64);
            let t0 = seeded(n, n as u64 + 1);
            let ema = Tensor::<1>::from_data(TensorData::new(e0.clone(), [n]), &device);
            let theta = Tensor::<1>::from_data(TensorData::new(t0.clone(), [n]), &device);
            let shared = ema.clone();
            let theirs =
                vals(ema.clone().mul_scalar(decay) + theta.clone().mul_scalar(1.0 - decay));
            let ours = vals(ema_step(ema, theta, decay));
            assert_eq!(ours, theirs, "n = {n}");
            assert_eq!(vals(shared), e0, "the shared storage was written");
            for i in 0..n {
                let want = e0[i] as f64 * decay + t0[i] as f64 * (1.0 - decay);
                assert!((ours[i] as f64 - want).abs() <= 3e-7 * (1.0 + want.abs()));
            }
        }
    }
}
