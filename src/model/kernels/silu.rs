//! SiLU and its gradient in one vectorised pass each, element by element:
//!
//! ```text
//! y  = x·σ(x),                σ(x) = 1 / (1 + e⁻ˣ)
//! dx = dy·σ(x)·(1 + x·(1 − σ(x)))
//! ```
//!
//! burn's flex op computes σ through libm's `expf`, one call per value, which keeps the loop
//! scalar: in the 1-D/2-D world's MLP that was half of a training step. Here σ uses
//! [`super::exp`], plain arithmetic the compiler vectorises at the [`simd`] level in use, and
//! long slices are spread over rayon's pool. Relative error of σ below 10⁻⁶ (the exp's 3·10⁻⁷
//! and the division), so y and dx agree with the f64 definition to a few 10⁻⁷.

use super::exp::sigmoid;
use super::simd;
use rayon::prelude::*;

/// Values per rayon task.
const BLOCK: usize = 1 << 14;
/// Shorter slices run on the calling thread: a vectorised pass over 128 Ki values takes about
/// as long as waking rayon's workers, who then spin (the world's MLP layers have 32 Ki).
const PARALLEL_FROM: usize = 1 << 17;

/// y = x·σ(x) on host slices of one length.
pub fn forward(x: &[f32], y: &mut [f32]) {
    let block = |(x, y): (&[f32], &mut [f32])| {
        simd::dispatch(
            #[inline(always)]
            || {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = x * sigmoid(x);
                }
            },
        )
    };
    if x.len() < PARALLEL_FROM {
        return block((x, y));
    }
    x.par_chunks(BLOCK)
        .zip(y.par_chunks_mut(BLOCK))
        .for_each(block);
}

/// dx = dy·σ(x)·(1 + x·(1 − σ(x))) on host slices of one length.
pub fn backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let block = |((x, dy), dx): ((&[f32], &[f32]), &mut [f32])| {
        simd::dispatch(
            #[inline(always)]
            || {
                for ((dx, &x), &dy) in dx.iter_mut().zip(x).zip(dy) {
                    let s = sigmoid(x);
                    *dx = dy * s * (1.0 + x * (1.0 - s));
                }
            },
        )
    };
    if x.len() < PARALLEL_FROM {
        return block(((x, dy), dx));
    }
    x.par_chunks(BLOCK)
        .zip(dy.par_chunks(BLOCK))
        .zip(dx.par_chunks_mut(BLOCK))
        .for_each(block);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sigma(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    fn seeded(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-scale..scale)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// y and dx against the f64 definition, at every SIMD level the CPU has, on both sides
        /// of the parallel split, for inputs up to ±30 (σ saturates) and tiny ones.
        #[test]
        fn silu_matches_the_definition(
            n in prop_oneof![1usize..100, 130_000usize..140_000],
            scale in prop_oneof![Just(1e-3f32), Just(4.0f32), Just(30.0f32)],
            seed in 0u64..1000,
        ) {
            let x = seeded(n, seed, scale);
            let dy = seeded(n, seed + 1, 1.0);
            for level in [simd::Level::Baseline, simd::Level::Avx2, simd::Level::Avx512] {
                if level > simd::detected() {
                    continue;
                }
                simd::force(Some(level));
                let (mut y, mut dx) = (vec![0.0; n], vec![0.0; n]);
                forward(&x, &mut y);
                backward(&x, &dy, &mut dx);
                simd::force(None);
                for i in 0..n {
                    let (xi, g) = (x[i] as f64, dy[i] as f64);
                    let s = sigma(xi);
                    let want_y = xi * s;
                    let want_dx = g * s * (1.0 + xi * (1.0 - s));
                    prop_assert!((y[i] as f64 - want_y).abs() <= 1e-6 * (1e-30 + want_y.abs()),
                        "{:?} y({}) = {} vs {}", level, xi, y[i], want_y);
                    // dx's terms reach |x|·σ(1 − σ)·|dy| ≤ 0.3 before they cancel
                    prop_assert!((dx[i] as f64 - want_dx).abs() <= 1e-6 * (0.3 * g.abs() + want_dx.abs()),
                        "{:?} dx({}) = {} vs {}", level, xi, dx[i], want_dx);
                }
            }
        }
    }
}
