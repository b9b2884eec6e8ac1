//! One training update of every parameter of a model at once: the batch shards' gradients
//! summed, the global gradient norm clipped, one Adam step and one EMA step, element by element:
//!
//! ```text
//! g = g₀ + g₁ + … + g_{S−1}                    (the shards' gradients, added in this order)
//! ‖g‖ = √(Σ over every parameter of Σ g²),  f = max_norm / (‖g‖ + 10⁻⁶)
//! g ← g·f                                      (only where f < 1)
//! θ, m, v ← Adam(θ, g, m, v)                   (as [`super::adam`])
//! θ_ema ← θ_ema·d + θ·(1 − d)                  (as [`super::ema`], with the new θ)
//! ```
//!
//! Done parameter by parameter through burn's optimiser that is about five passes over each
//! parameter, one parameter after the other, most of them too small to spread over the cores.
//! Here the values of all the parameters are cut into blocks, and two parallel passes run over
//! all the blocks: the first adds the shards and sums g² per block (in `f64`, the blocks' sums
//! added in a fixed order, so the norm does not depend on the threads), the second scales,
//! steps and averages each block while it is in cache. Each operation is the one the per-tensor
//! kernels and burn's clipping perform, in `f32` in the same order, so the result differs from
//! them only by the order of the norm's sum.

use super::adam::{self, AdamStep};
use super::{ema, simd};
use burn::backend::DispatchTensor;
use rayon::prelude::*;

/// Values per block: a block's θ, g, m, v and θ_ema (320 KiB) stay in a core's L2 cache.
const BLOCK: usize = 1 << 14;

/// The scalars of one whole update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WholeStep {
    /// Adam's scalars (the same step count t for every parameter)
    pub adam: AdamStep,
    /// m and v hold nothing yet (the first step): their values are ignored and overwritten
    pub first: bool,
    /// the largest global L2 norm of the gradients
    pub max_norm: f64,
    /// the EMA's decay d
    pub ema_decay: f64,
}

/// (θ, m, v, θ_ema) of every parameter.
pub type WholeTensors<T> = (Vec<T>, Vec<T>, Vec<T>, Vec<T>);

/// One parameter's values, as host slices of one length.
pub struct Parameter<'a> {
    /// θ
    pub theta: &'a mut [f32],
    /// the first shard's gradient g₀; on return it holds the clipped sum g
    pub grad: &'a mut [f32],
    /// the other shards' gradients g₁ … g_{S−1}
    pub other_grads: Vec<&'a [f32]>,
    /// Adam's first moment
    pub m: &'a mut [f32],
    /// Adam's second moment
    pub v: &'a mut [f32],
    /// θ_ema
    pub ema: &'a mut [f32],
}

/// One block of one parameter.
struct Block<'a> {
    theta: &'a mut [f32],
    grad: &'a mut [f32],
    other_grads: Vec<&'a [f32]>,
    m: &'a mut [f32],
    v: &'a mut [f32],
    ema: &'a mut [f32],
}

/// The blocks of every parameter, in order.
fn blocks(params: Vec<Parameter<'_>>) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    for p in params {
        let n = p.theta.len();
        assert!(
            p.grad.len() == n
                && p.m.len() == n
                && p.v.len() == n
                && p.ema.len() == n
                && p.other_grads.iter().all(|g| g.len() == n),
            "θ, its gradients, its moments and θ_ema have one length"
        );
        let pieces = p
            .theta
            .chunks_mut(BLOCK)
            .zip(p.grad.chunks_mut(BLOCK))
            .zip(p.m.chunks_mut(BLOCK))
            .zip(p.v.chunks_mut(BLOCK))
            .zip(p.ema.chunks_mut(BLOCK));
        for (k, ((((theta, grad), m), v), ema)) in pieces.enumerate() {
            let range = k * BLOCK..(k * BLOCK + theta.len());
            out.push(Block {
                other_grads: p.other_grads.iter().map(|g| &g[range.clone()]).collect(),
                theta,
                grad,
                m,
                v,
                ema,
            });
        }
    }
    out
}

/// The update of every parameter (see the module's doc comment); returns ‖g‖ before clipping.
pub fn update(params: Vec<Parameter<'_>>, step: &WholeStep) -> f64 {
    let mut blocks = blocks(params);
    // Pass 1: g = Σ_s g_s, and Σ g² per block.
    let squares: Vec<f64> = blocks
        .par_iter_mut()
        .map(|b| {
            for other in &b.other_grads {
                simd::dispatch(
                    #[inline(always)]
                    || {
                        for (g, &o) in b.grad.iter_mut().zip(*other) {
                            *g += o;
                        }
                    },
                );
            }
            simd::dispatch(
                #[inline(always)]
                || simd::lane_sum(b.grad, b.grad, |a, b| a * b),
            )
        })
        .collect();
    let norm = squares.iter().sum::<f64>().max(0.0).sqrt();
    let factor = step.max_norm / (norm + 1e-6);
    // burn's mul_scalar rounds the factor to f32 first.
    let scale = (factor < 1.0).then_some(factor as f32);
    // Pass 2: clip, Adam, EMA.
    blocks.par_iter_mut().for_each(|b| {
        if let Some(f) = scale {
            simd::dispatch(
                #[inline(always)]
                || b.grad.iter_mut().for_each(|g| *g *= f),
            );
        }
        adam::update_block(b.theta, b.grad, b.m, b.v, step.first, &step.adam);
        ema::update_block(b.ema, b.theta, step.ema_decay);
    });
    norm
}

/// [`update`] on plain tensors on the flex device, as burn's dispatch primitives (any
/// shape; one number of values per parameter): `theta`, `m`, `v` and `ema` one tensor per
/// parameter, `grads` S ≥ 1 per parameter, parameter after parameter. Returns (θ, m, v, θ_ema),
/// written in place where their storage is not shared.
pub fn whole_step(
    theta: Vec<DispatchTensor>,
    grads: Vec<DispatchTensor>,
    m: Vec<DispatchTensor>,
    v: Vec<DispatchTensor>,
    ema: Vec<DispatchTensor>,
    step: &WholeStep,
) -> WholeTensors<DispatchTensor> {
    super::extension::fused_adam_ema(theta, grads, m, v, ema, *step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seeded(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-scale..scale)).collect()
    }

    /// One parameter's state: θ, the shards' gradients, m, v, θ_ema.
    type State = (Vec<f32>, Vec<Vec<f32>>, Vec<f32>, Vec<f32>, Vec<f32>);

    /// The f64 definition of the whole update; returns (θ, m, v, θ_ema) per parameter and ‖g‖.
    #[allow(clippy::type_complexity)]
    fn definition(
        state: &[State],
        step: &WholeStep,
    ) -> (Vec<(Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>)>, f64) {
        let sums: Vec<Vec<f64>> = state
            .iter()
            .map(|(theta, grads, ..)| {
                (0..theta.len())
                    .map(|i| grads.iter().map(|g| g[i] as f64).sum())
                    .collect()
            })
            .collect();
        let norm = sums.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
        let factor = (step.max_norm / (norm + 1e-6)).min(1.0);
        let (b1, b2) = (step.adam.beta_1 as f64, step.adam.beta_2 as f64);
        let t = step.adam.time;
        let out = state
            .iter()
            .zip(&sums)
            .map(|((theta, _, m, v, e), g)| {
                let mut out = (vec![], vec![], vec![], vec![]);
                for i in 0..theta.len() {
                    let g = g[i] * factor;
                    let (m0, v0) = if step.first {
                        (0.0, 0.0)
                    } else {
                        (m[i] as f64, v[i] as f64)
                    };
                    let m1 = b1 * m0 + (1.0 - b1) * g;
                    let v1 = b2 * v0 + (1.0 - b2) * g * g;
                    let m_hat = m1 / (1.0 - b1.powi(t));
                    let v_hat = v1 / (1.0 - b2.powi(t));
                    let th = theta[i] as f64
                        - step.adam.lr as f64 * m_hat / (v_hat.sqrt() + step.adam.epsilon as f64);
                    let d = step.ema_decay;
                    out.0.push(th);
                    out.1.push(m1);
                    out.2.push(v1);
                    out.3.push(e[i] as f64 * d + th * (1.0 - d));
                }
                out
            })
            .collect();
        (out, norm)
    }

    fn run(state: &mut [State], step: &WholeStep) -> f64 {
        let params = state
            .iter_mut()
            .map(|(theta, grads, m, v, ema)| {
                let (first, others) = grads.split_at_mut(1);
                Parameter {
                    theta,
                    grad: &mut first[0],
                    other_grads: others.iter().map(|g| g.as_slice()).collect(),
                    m,
                    v,
                    ema,
                }
            })
            .collect();
        update(params, step)
    }

    fn state(lens: &[usize], shards: usize, seed: u64, grad_scale: f32) -> Vec<State> {
        lens.iter()
            .enumerate()
            .map(|(k, &n)| {
                let s = seed * 100 + k as u64 * 10;
                let v: Vec<f32> = seeded(n, s + 3, 0.01).iter().map(|x| x.abs()).collect();
                (
                    seeded(n, s, 1.0),
                    (0..shards)
                        .map(|i| seeded(n, s + 5 + i as u64, grad_scale))
                        .collect(),
                    seeded(n, s + 2, 0.05),
                    v,
                    seeded(n, s + 4, 1.0),
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Against the f64 definition: the norm, θ, m, v and θ_ema within f32 rounding, for
        /// parameters on both sides of a block's length, one to three shards, the first step
        /// and a later one, clipped and not.
        #[test]
        fn whole_update_matches_the_definition(
            lens in prop::collection::vec(prop_oneof![1usize..70, 16_000usize..40_000], 1..4),
            shards in 1usize..4,
            time in 1i32..500,
            first in any::<bool>(),
            clipped in any::<bool>(),
            seed in 0u64..1000,
        ) {
            let time = if first { 1 } else { time };
            let mut step = WholeStep {
                adam: AdamStep { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-5, lr: 2e-3, time },
                first,
                max_norm: f64::INFINITY,
                ema_decay: 0.99,
            };
            let mut st = state(&lens, shards, seed, 1.0);
            // The limit half the norm (clipped) or twice it (not clipped).
            let (_, raw_norm) = definition(&st, &step);
            step.max_norm = raw_norm * if clipped { 0.5 } else { 2.0 };
            let (want, want_norm) = definition(&st, &step);
            let norm = run(&mut st, &step);
            prop_assert!((norm - want_norm).abs() <= 1e-5 * want_norm, "{} vs {}", norm, want_norm);
            for ((theta, _, m, v, e), (wt, wm, wv, we)) in st.iter().zip(&want) {
                for i in 0..theta.len() {
                    // m = β₁·m + (1 − β₁)·g can cancel: f32 rounding of terms up to 0.3 in size
                    prop_assert!((m[i] as f64 - wm[i]).abs() <= 1e-6 * (0.1 + wm[i].abs()));
                    prop_assert!((v[i] as f64 - wv[i]).abs() <= 1e-5 * (1e-6 + wv[i].abs()));
                    prop_assert!((theta[i] as f64 - wt[i]).abs() <= 3e-6 * (1.0 + wt[i].abs()),
                        "θ[{}] {} vs {}", i, theta[i], wt[i]);
                    prop_assert!((e[i] as f64 - we[i]).abs() <= 3e-6 * (1.0 + we[i].abs()));
                }
            }
        }
    }

    /// The same values as the per-tensor passes: the shards added, burn's scaling by the
    /// norm's factor, [`adam::update`] and [`ema::update`], given the same norm (bit for bit);
    /// and every SIMD level gives the same values.
    #[test]
    fn equals_the_per_tensor_passes_at_every_simd_level() {
        let step = WholeStep {
            adam: AdamStep {
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-5,
                lr: 1e-3,
                time: 7,
            },
            first: false,
            max_norm: 1.0,
            ema_decay: 0.999,
        };
        let start = state(&[5, 40_000, 300], 2, 9, 0.5);
        let mut whole = start.clone();
        simd::force(Some(simd::Level::Baseline));
        let norm = run(&mut whole, &step);
        simd::force(None);
        let scale = (step.max_norm / (norm + 1e-6)) as f32;
        assert!(scale < 1.0, "the test clips");
        for ((theta, grads, m, v, e), got) in start.iter().zip(&whole) {
            let (mut theta, mut m, mut v, mut e) = (theta.clone(), m.clone(), v.clone(), e.clone());
            let g: Vec<f32> = (0..theta.len())
                .map(|i| (grads[0][i] + grads[1][i]) * scale)
                .collect();
            adam::update(&mut theta, &g, &mut m, &mut v, false, &step.adam);
            ema::update(&mut e, &theta, step.ema_decay);
            assert!(theta == got.0 && m == got.2 && v == got.3 && e == got.4);
        }
        // A model without a parameter to update: nothing to do, no panic.
        let (t, m, v, e) = whole_step(vec![], vec![], vec![], vec![], vec![], &step);
        assert!(t.is_empty() && m.is_empty() && v.is_empty() && e.is_empty());
        for level in [simd::Level::Avx2, simd::Level::Avx512] {
            if level <= simd::detected() {
                let mut again = start.clone();
                simd::force(Some(level));
                let n = run(&mut again, &step);
                simd::force(None);
                assert_eq!(n, norm, "{level:?}");
                assert!(again == whole, "{level:?}");
            }
        }
    }
}
