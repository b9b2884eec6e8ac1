//! One Adam step of one parameter in a single pass over its values, as burn's `Adam` computes it
//! (no weight decay, no AMSGrad), element by element:
//!
//! ```text
//! m ← β₁·m + (1 − β₁)·g                      (m = (1 − β₁)·g at the first step)
//! v ← β₂·v + (1 − β₂)·g²                     (v = (1 − β₂)·g² at the first step)
//! c₂ = √(1 − β₂ᵗ),  c = c₂ / (1 − β₁ᵗ)
//! θ ← θ − lr · (m·c) / (√v + ε·c₂)
//! ```
//!
//! with t the step count after this step. burn runs this as about fourteen element-wise ops,
//! each a pass over the tensor on one thread; here it is one pass that reads θ, g, m, v and
//! writes θ, m, v, spread over rayon's pool for large tensors, in f32 with the same operations
//! in the same order, so the result equals burn's value for value (the test checks it).
//! θ, m and v are updated in place when their storage is not shared (a rollback point or an EMA
//! that shares a parameter's storage gets a copy first, as burn's own ops would).

use super::extension::FusedCpuOps;
use super::simd;
use burn::backend::Dispatch;
use burn::tensor::Tensor;
use rayon::prelude::*;

/// The scalars of one Adam step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    /// β₁
    pub beta_1: f32,
    /// β₂
    pub beta_2: f32,
    /// ε
    pub epsilon: f32,
    /// the learning rate
    pub lr: f32,
    /// t: the step count after this step (1 at the first step)
    pub time: i32,
}

impl AdamStep {
    /// (c, ε·c₂): the bias corrections, computed as burn computes them.
    fn corrections(&self) -> (f32, f32) {
        let c2 = (1.0 - self.beta_2.powi(self.time)).sqrt();
        (c2 / (1.0 - self.beta_1.powi(self.time)), self.epsilon * c2)
    }
}

/// Values per rayon task: small enough to spread a 1 M-value tensor over the cores, large
/// enough that a task's overhead is lost in it.
const BLOCK: usize = 1 << 14;

/// One block of (θ, g, m, v), as the parallel iterators zip them.
type Block<'a> = (((&'a mut [f32], &'a [f32]), &'a mut [f32]), &'a mut [f32]);

/// The step on host slices of one parameter (all of one length). `first`: m and v hold nothing
/// yet (their values are ignored and overwritten).
pub fn update(
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    first: bool,
    step: &AdamStep,
) {
    if theta.len() < 2 * BLOCK {
        update_block(theta, grad, m, v, first, step);
        return;
    }
    theta
        .par_chunks_mut(BLOCK)
        .zip(grad.par_chunks(BLOCK))
        .zip(m.par_chunks_mut(BLOCK))
        .zip(v.par_chunks_mut(BLOCK))
        .for_each(|(((t, g), m), v): Block<'_>| update_block(t, g, m, v, first, step));
}

/// [`update`] on this thread (slices of one length).
pub(super) fn update_block(
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    first: bool,
    step: &AdamStep,
) {
    let (c, eps) = step.corrections();
    let (b1, b2, lr) = (step.beta_1, step.beta_2, step.lr);
    let (f1, f2) = (1.0 - b1, 1.0 - b2);
    simd::dispatch(
        #[inline(always)]
        || {
            for (((t, &g), m), v) in theta
                .iter_mut()
                .zip(grad)
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                let (m_old, v_old) = if first { (0.0, 0.0) } else { (*m, *v) };
                // burn: m·β₁ + g·(1 − β₁); v·β₂ + (g·g)·(1 − β₂); the first step without
                // the old moment (0·β + x = x exactly, so one formula serves both).
                let m_new = m_old * b1 + g * f1;
                let v_new = v_old * b2 + (g * g) * f2;
                *m = m_new;
                *v = v_new;
                *t -= (m_new * c) / (v_new.sqrt() + eps) * lr;
            }
        },
    )
}

/// Whether the fused step applies to `param`: an `f32` tensor on the flex device, with the
/// fused kernels switched on (the fused convolutions' own test).
pub fn fused_for<const D: usize>(param: &Tensor<D>) -> bool {
    super::fused_here(param)
}

/// One step of `param` with its gradient and its moments (None at the first step), all of one
/// shape; returns (θ, m, v). Only where [`fused_for`] holds for every tensor.
pub fn adam_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    moments: Option<(Tensor<D>, Tensor<D>)>,
    step: &AdamStep,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    let first = moments.is_none();
    // At the first step m and v are only written: zeros as their storage.
    let (m, v) = moments.unwrap_or_else(|| (param.zeros_like(), param.zeros_like()));
    let (theta, m, v) = <Dispatch as FusedCpuOps>::fused_adam(
        param.into_dispatch(),
        grad.into_dispatch(),
        m.into_dispatch(),
        v.into_dispatch(),
        *step,
        first,
    );
    (
        Tensor::from_dispatch(theta),
        Tensor::from_dispatch(m),
        Tensor::from_dispatch(v),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, GradientsParams, Optimizer};
    use burn::tensor::{Device, TensorData};
    use proptest::prelude::*;

    fn vals<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    /// The f64 definition of one Adam step (from the moments m, v of the step before).
    fn definition(
        theta: &[f32],
        grad: &[f32],
        m: &[f32],
        v: &[f32],
        step: &AdamStep,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (b1, b2) = (step.beta_1 as f64, step.beta_2 as f64);
        let t = step.time;
        let mut out = (vec![], vec![], vec![]);
        for i in 0..theta.len() {
            let g = grad[i] as f64;
            let m1 = b1 * m[i] as f64 + (1.0 - b1) * g;
            let v1 = b2 * v[i] as f64 + (1.0 - b2) * g * g;
            let m_hat = m1 / (1.0 - b1.powi(t));
            let v_hat = v1 / (1.0 - b2.powi(t));
            let th =
                theta[i] as f64 - step.lr as f64 * m_hat / (v_hat.sqrt() + step.epsilon as f64);
            out.0.push(th);
            out.1.push(m1);
            out.2.push(v1);
        }
        out
    }

    fn seeded(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-scale..scale)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Against the f64 definition: θ, m and v within f32 rounding, at any length (both
        /// sides of the parallel split), the first step and a later one.
        #[test]
        fn adam_matches_the_definition(
            n in prop_oneof![1usize..100, 32_000usize..70_000],
            time in 1i32..2000,
            first in any::<bool>(),
            seed in 0u64..1000,
        ) {
            let time = if first { 1 } else { time };
            let step = AdamStep { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-5, lr: 2e-3, time };
            let theta0 = seeded(n, seed, 1.0);
            let grad = seeded(n, seed + 1, 0.3);
            let (m0, v0) = if first {
                (vec![0.0; n], vec![0.0; n])
            } else {
                let m = seeded(n, seed + 2, 0.05);
                (m, seeded(n, seed + 3, 0.01).iter().map(|x| x.abs()).collect())
            };
            let (mut theta, mut m, mut v) = (theta0.clone(), m0.clone(), v0.clone());
            update(&mut theta, &grad, &mut m, &mut v, first, &step);
            let (want_t, want_m, want_v) = definition(&theta0, &grad, &m0, &v0, &step);
            for i in 0..n {
                prop_assert!((m[i] as f64 - want_m[i]).abs() <= 1e-6 * (1.0 + want_m[i].abs()));
                prop_assert!((v[i] as f64 - want_v[i]).abs() <= 1e-6 * (1e-3 + want_v[i].abs()));
                // the update is at most lr/(1 − β₁)… in size; f32 rounding of θ itself
                prop_assert!((theta[i] as f64 - want_t[i]).abs() <= 2e-6 * (1.0 + want_t[i].abs()),
                    "θ[{}] {} vs {}", i, theta[i], want_t[i]);
            }
        }
    }

    /// Every SIMD level the CPU has gives the same values, bit for bit (no fused multiply-add
    /// is contracted, and √ and ÷ are correctly rounded at every level).
    #[test]
    fn every_simd_level_agrees() {
        let step = AdamStep {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-5,
            lr: 1e-3,
            time: 7,
        };
        let n = 40_000;
        let grad = seeded(n, 5, 0.5);
        let run = |level| {
            simd::force(Some(level));
            let (mut t, mut m, mut v) = (seeded(n, 1, 1.0), seeded(n, 2, 0.1), seeded(n, 3, 0.1));
            v.iter_mut().for_each(|x| *x = x.abs());
            update(&mut t, &grad, &mut m, &mut v, false, &step);
            simd::force(None);
            (t, m, v)
        };
        let base = run(simd::Level::Baseline);
        for level in [simd::Level::Avx2, simd::Level::Avx512] {
            if level <= simd::detected() {
                assert!(run(level) == base, "{level:?}");
            }
        }
    }

    /// Against burn's own `Adam` on a layer, three steps from the same gradients: θ, m and v
    /// equal value for value.
    #[test]
    fn equals_burns_adam() {
        let device = Device::flex().autodiff();
        let layer: Linear = LinearConfig::new(300, 200).init(&device);
        let adam = AdamConfig::new().build();
        let step_of = |time| AdamStep {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-5,
            lr: 1e-2,
            time,
        };
        let mut burn_theta = layer.weight.val().inner();
        let mut burn_state = None;
        let mut ours = (layer.weight.val().inner(), None);
        for time in 1..=3 {
            let x = Tensor::<2>::from_data(
                TensorData::new(seeded(4 * 300, time as u64, 1.0), [4, 300]),
                &device,
            );
            let grads = layer.forward(x).powi_scalar(2).sum().backward();
            let grads = GradientsParams::from_grads(grads, &layer);
            let g: Tensor<2> = grads.get::<2>(layer.weight.id).expect("a gradient");
            let (t, s) = adam.step(1e-2, burn_theta, g.clone(), burn_state);
            burn_theta = t;
            burn_state = s;
            assert!(fused_for(&ours.0));
            let (t, m, v) = adam_step(ours.0, g, ours.1, &step_of(time));
            let state = burn_state.clone().expect("a state").momentum;
            assert_eq!(
                vals(t.clone()),
                vals(burn_theta.clone()),
                "θ at step {time}"
            );
            assert_eq!(vals(m.clone()), vals(state.moment_1), "m at step {time}");
            assert_eq!(vals(v.clone()), vals(state.moment_2), "v at step {time}");
            ours = (t, Some((m, v)));
        }
        // A tensor that shares the parameter's storage (a rollback point) keeps its values.
        let kept = layer.weight.val().inner();
        let before = vals(kept.clone());
        let g = Tensor::<2>::ones([300, 200], &Device::flex());
        let _ = adam_step(layer.weight.val().inner(), g, None, &step_of(1));
        assert_eq!(vals(kept), before);
    }
}
