//! GroupNorm followed by SiLU in one pass over the data, forward and backward
//! (NCHW, row-major `f32` slices), optionally of the input plus a per-(image, channel) shift
//! (a U-Net's time embedding, added without a pass of its own).
//!
//! Shapes: x, y `[N, C, H, W]`, the shift s `[N, C]` (zero when absent), γ, β `[C]`, G groups of
//! C_g = C / G consecutive channels, and M = C_g·H·W values per (image, group). For each (n, g),
//! with c the channel of each value and u = x + s_(n,c):
//!
//! - μ = (1/M) Σ u,  σ² = (1/M) Σ (u − μ)² (biased, as burn's GroupNorm),  r = 1/√(σ² + ε)
//!   (both from the moments of u − u₀, one pass)
//! - û = (u − μ)·r,  z = γ_c û + β_c,  y = z·σ(z)   (σ the logistic function: SiLU)
//!
//! Backward, for the output gradient g:
//!
//! - g_z = g·σ(z)·(1 + z(1 − σ(z)))
//! - dβ_c = Σ_{n, pixels} g_z,  dγ_c = Σ_{n, pixels} g_z·û
//! - dx = du = r·(γ_c g_z − A/M − û·B/M) with A = Σ_(n,g) γ_c g_z and B = Σ_(n,g) γ_c g_z û
//! - ds_(n,c) = Σ_pixels dx
//!
//! The forward reads x twice (statistics, then output); the backward reads x and g once and
//! its own partial result once. Work is spread over (image, group) pairs on rayon's pool; the
//! exponential is [`super::exp`]'s and sums run in 16 lanes, so the inner loops vectorise, for
//! the CPU's own vector instructions ([`super::simd`]).

use super::exp::sigmoid;
use super::simd::{self, lane_sum};
use rayon::prelude::*;

/// The sizes of one GroupNorm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupNormShape {
    /// N
    pub batch: usize,
    /// C, a multiple of `groups`
    pub channels: usize,
    /// H·W
    pub pixels: usize,
    /// G
    pub groups: usize,
}

impl GroupNormShape {
    fn per_group(&self) -> usize {
        self.channels / self.groups * self.pixels
    }

    fn check(&self, x: usize) {
        assert!(
            self.groups > 0 && self.channels % self.groups == 0,
            "C must be a multiple of G"
        );
        assert_eq!(
            x,
            self.batch * self.channels * self.pixels,
            "x has the wrong length"
        );
    }
}

/// y = SiLU(GroupNorm(x + shift)); `stats` receives (μ, r) for each (n, g), `[N·G, 2]`. `y` is
/// overwritten.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    s: &GroupNormShape,
    x: &[f32],
    shift: Option<&[f32]>,
    gamma: &[f32],
    beta: &[f32],
    epsilon: f64,
    y: &mut [f32],
    stats: &mut [f32],
) {
    s.check(x.len());
    assert!(y.len() == x.len() && gamma.len() == s.channels && beta.len() == s.channels);
    assert_eq!(stats.len(), 2 * s.batch * s.groups);
    if let Some(sh) = shift {
        assert_eq!(sh.len(), s.batch * s.channels, "the shift is [N, C]");
    }
    let m = s.per_group();
    if m == 0 || s.pixels == 0 {
        return;
    }
    let cg = s.channels / s.groups;
    let shift_of = |ng: usize, ci: usize| {
        shift.map_or(0.0, |sh| {
            sh[(ng / s.groups) * s.channels + (ng % s.groups) * cg + ci]
        })
    };
    x.par_chunks(m)
        .zip(y.par_chunks_mut(m))
        .zip(stats.par_chunks_mut(2))
        .enumerate()
        .for_each(|(ng, ((xs, ys), st))| {
            simd::dispatch(
                #[inline(always)]
                || {
                    // Moments of u − K with K = the first value (shifted data: no cancellation
                    // when the spread is small against the mean); in channel c, u − K is
                    // x − (K − s_c).
                    let first = xs[0] + shift_of(ng, 0);
                    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
                    for (ci, xc) in xs.chunks(s.pixels).enumerate() {
                        let k = first - shift_of(ng, ci);
                        sum += lane_sum(xc, xc, |v, _| v - k);
                        sum_sq += lane_sum(xc, xc, |v, _| (v - k) * (v - k));
                    }
                    let mean_shifted = sum / m as f64;
                    let var = (sum_sq / m as f64 - mean_shifted * mean_shifted).max(0.0);
                    let mean = first as f64 + mean_shifted;
                    let rstd = 1.0 / (var + epsilon).sqrt();
                    st[0] = mean as f32;
                    st[1] = rstd as f32;
                    let g = ng % s.groups;
                    for (ci, (xc, yc)) in
                        xs.chunks(s.pixels).zip(ys.chunks_mut(s.pixels)).enumerate()
                    {
                        let c = g * cg + ci;
                        let scale = gamma[c] * rstd as f32;
                        let shift = beta[c] + (shift_of(ng, ci) - mean as f32) * scale;
                        for (o, &v) in yc.iter_mut().zip(xc) {
                            let z = v * scale + shift;
                            *o = z * sigmoid(z);
                        }
                    }
                },
            )
        });
}

/// The gradients that [`backward`] writes, each overwritten.
pub struct Gradients<'a> {
    /// dx `[N, C, H, W]` (also du: the shift passes it through)
    pub dx: &'a mut [f32],
    /// dγ `[C]`
    pub dgamma: &'a mut [f32],
    /// dβ `[C]`
    pub dbeta: &'a mut [f32],
    /// ds `[N, C]`, when the forward had a shift
    pub dshift: Option<&'a mut [f32]>,
}

/// dx, dγ, dβ (and ds) for the output gradient `dy`, from the forward's input, shift and
/// `stats`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    s: &GroupNormShape,
    x: &[f32],
    shift: Option<&[f32]>,
    gamma: &[f32],
    beta: &[f32],
    stats: &[f32],
    dy: &[f32],
    out: Gradients<'_>,
) {
    let Gradients {
        dx,
        dgamma,
        dbeta,
        dshift,
    } = out;
    s.check(x.len());
    assert!(dy.len() == x.len() && dx.len() == x.len() && stats.len() == 2 * s.batch * s.groups);
    assert!(gamma.len() == s.channels && beta.len() == s.channels);
    assert!(dgamma.len() == s.channels && dbeta.len() == s.channels);
    let nc = s.batch * s.channels;
    assert!(shift.is_none_or(|sh| sh.len() == nc) && dshift.as_ref().is_none_or(|d| d.len() == nc));
    let m = s.per_group();
    let cg = s.channels / s.groups;
    // Per-image sums of each channel: [N, C] each, reduced over N at the end (and ds).
    let mut part_gamma = vec![0.0f64; nc];
    let mut part_beta = vec![0.0f64; nc];
    let mut part_shift = vec![0.0f32; nc];
    if m > 0 && s.pixels > 0 {
        let shift_of = |ng: usize, ci: usize| {
            shift.map_or(0.0, |sh| {
                sh[(ng / s.groups) * s.channels + (ng % s.groups) * cg + ci]
            })
        };
        let want_dshift = dshift.is_some();
        x.par_chunks(m)
            .zip(dy.par_chunks(m))
            .zip(dx.par_chunks_mut(m))
            .zip(
                part_gamma
                    .par_chunks_mut(cg)
                    .zip(part_beta.par_chunks_mut(cg))
                    .zip(part_shift.par_chunks_mut(cg)),
            )
            .enumerate()
            .for_each(|(ng, (((xs, gs), dxs), ((pg, pb), ps)))| {
                simd::dispatch(
                    #[inline(always)]
                    || {
                        let (mean_u, rstd) = (stats[2 * ng], stats[2 * ng + 1]);
                        let g = ng % s.groups;
                        let (mut a, mut b) = (0.0f64, 0.0f64);
                        // Pass 1: g_z into dx, and the channel sums.
                        for (ci, ((xc, gc), dc)) in xs
                            .chunks(s.pixels)
                            .zip(gs.chunks(s.pixels))
                            .zip(dxs.chunks_mut(s.pixels))
                            .enumerate()
                        {
                            // û = (x + s_c − μ)·r
                            let mean = mean_u - shift_of(ng, ci);
                            let c = g * cg + ci;
                            let (gam, bet) = (gamma[c], beta[c]);
                            for ((d, &v), &go) in dc.iter_mut().zip(xc).zip(gc) {
                                let z = gam * ((v - mean) * rstd) + bet;
                                let sig = sigmoid(z);
                                *d = go * sig * (1.0 + z * (1.0 - sig));
                            }
                            let sb = lane_sum(dc, dc, |gz, _| gz);
                            let sg = lane_sum(dc, xc, |gz, v| gz * ((v - mean) * rstd));
                            pb[ci] = sb;
                            pg[ci] = sg;
                            a += gam as f64 * sb;
                            b += gam as f64 * sg;
                        }
                        // Pass 2: dx = r (γ g_z − A/M − x̂ B/M), in place.
                        let (a_m, b_m) = ((a / m as f64) as f32, (b / m as f64) as f32);
                        for (ci, (xc, dc)) in xs
                            .chunks(s.pixels)
                            .zip(dxs.chunks_mut(s.pixels))
                            .enumerate()
                        {
                            let gam = gamma[g * cg + ci];
                            let mean = mean_u - shift_of(ng, ci);
                            for (d, &v) in dc.iter_mut().zip(xc) {
                                let xh = (v - mean) * rstd;
                                *d = rstd * (gam * *d - a_m - xh * b_m);
                            }
                            if want_dshift {
                                ps[ci] = lane_sum(dc, dc, |d, _| d) as f32;
                            }
                        }
                    },
                )
            });
    }
    for c in 0..s.channels {
        dgamma[c] = (0..s.batch)
            .map(|n| part_gamma[n * s.channels + c])
            .sum::<f64>() as f32;
        dbeta[c] = (0..s.batch)
            .map(|n| part_beta[n * s.channels + c])
            .sum::<f64>() as f32;
    }
    if let Some(ds) = dshift {
        ds.copy_from_slice(&part_shift);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition in f64: (y, dx, dγ, dβ) for the loss Σ y·dy, with dx from the
    /// chain rule written out term by term (the mean and variance depend on every x), for
    /// the input u = x + shift.
    fn reference(
        s: &GroupNormShape,
        x: &[f32],
        shift: Option<&[f32]>,
        gamma: &[f32],
        beta: &[f32],
        eps: f64,
        dy: &[f32],
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let m = s.per_group();
        let cg = s.channels / s.groups;
        let (mut y, mut dx) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        let (mut dg, mut db) = (vec![0.0; s.channels], vec![0.0; s.channels]);
        for ng in 0..s.batch * s.groups {
            let n = ng / s.groups;
            let xs: Vec<f64> = (0..m)
                .map(|i| {
                    let c = (ng % s.groups) * cg + i / s.pixels;
                    x[ng * m + i] as f64 + shift.map_or(0.0, |sh| sh[n * s.channels + c] as f64)
                })
                .collect();
            let mean = xs.iter().sum::<f64>() / m as f64;
            let var = xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m as f64;
            let r = 1.0 / (var + eps).sqrt();
            let chan = |i: usize| (ng % s.groups) * cg + i / s.pixels;
            let mut gxh = vec![0.0; m];
            for i in 0..m {
                let c = chan(i);
                let xh = (xs[i] - mean) * r;
                let z = gamma[c] as f64 * xh + beta[c] as f64;
                let sig = 1.0 / (1.0 + (-z).exp());
                y[ng * m + i] = z * sig;
                let gz = dy[ng * m + i] as f64 * (sig + z * sig * (1.0 - sig));
                db[c] += gz;
                dg[c] += gz * xh;
                gxh[i] = gz * gamma[c] as f64;
            }
            // x̂_i = (x_i − μ) r: ∂x̂_i/∂x_j = r(δ_ij − 1/M) − x̂_i x̂_j r / M.
            let xh: Vec<f64> = xs.iter().map(|v| (v - mean) * r).collect();
            let sum_g: f64 = gxh.iter().sum();
            let sum_gx: f64 = gxh.iter().zip(&xh).map(|(a, b)| a * b).sum();
            for j in 0..m {
                dx[ng * m + j] = r * (gxh[j] - sum_g / m as f64 - xh[j] * sum_gx / m as f64);
            }
        }
        (y, dx, dg, db)
    }

    fn values(len: usize, seed: u64, scale: f32) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..len).map(|_| rng.random_range(-scale..scale)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]

        #[test]
        fn matches_the_definition(
            // At least 8 values per group: with two or three, dx is almost all cancellation
            // (x̂ = ±1 leaves the output nearly independent of x) and f32 cannot resolve it.
            (batch, groups, cg, pixels) in (1usize..4, 1usize..5, 2usize..5, 4usize..300),
            seed in 0u64..1000,
            shifted in proptest::bool::ANY,
        ) {
            let s = GroupNormShape { batch, channels: groups * cg, pixels, groups };
            let n = batch * s.channels * pixels;
            // An offset mean and a spread of scales, as activations have.
            let x: Vec<f32> = values(n, seed, 2.0).iter().map(|v| v * 1.5 + 0.7).collect();
            let (gamma, beta, dy) = (values(s.channels, seed + 1, 1.5), values(s.channels, seed + 2, 1.0), values(n, seed + 3, 1.0));
            // A time embedding's shift: per (image, channel), of the data's own scale.
            let shift = shifted.then(|| values(batch * s.channels, seed + 4, 3.0));
            let eps = 1e-5;
            let (ry, rdx, rdg, rdb) = reference(&s, &x, shift.as_deref(), &gamma, &beta, eps, &dy);
            // ds_(n,c) = Σ_pixels dx
            let rds: Vec<f64> = rdx.chunks(pixels).map(|c| c.iter().sum()).collect();
            let close = |a: &[f32], b: &[f64], what: &str| -> Result<(), TestCaseError> {
                let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                for (g, r) in a.iter().zip(b) {
                    prop_assert!((*g as f64 - r).abs() <= 1e-4 * scale, "{what}: {g} vs {r}");
                }
                Ok(())
            };
            // Every vector level this CPU has (the release binary must run without AVX2).
            for level in [simd::Level::Baseline, simd::Level::Avx2, simd::Level::Avx512] {
                if level > simd::detected() {
                    continue;
                }
                simd::force(Some(level));
                let (mut y, mut stats) = (vec![f32::NAN; n], vec![f32::NAN; 2 * batch * groups]);
                forward(&s, &x, shift.as_deref(), &gamma, &beta, eps, &mut y, &mut stats);
                let (mut dx, mut dg, mut db) = (vec![f32::NAN; n], vec![f32::NAN; s.channels], vec![f32::NAN; s.channels]);
                let mut ds = vec![f32::NAN; batch * s.channels];
                let grads = Gradients {
                    dx: &mut dx,
                    dgamma: &mut dg,
                    dbeta: &mut db,
                    dshift: shift.is_some().then_some(&mut ds[..]),
                };
                backward(&s, &x, shift.as_deref(), &gamma, &beta, &stats, &dy, grads);
                simd::force(None);
                close(&y, &ry, "y")?;
                close(&dx, &rdx, "dx")?;
                close(&dg, &rdg, "dγ")?;
                close(&db, &rdb, "dβ")?;
                if shift.is_some() {
                    close(&ds, &rds, "ds")?;
                }
            }
        }
    }
}
