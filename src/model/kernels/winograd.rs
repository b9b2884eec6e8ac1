//! Winograd F(2×2, 3×3): 3×3 convolutions with stride 1 and dilation 1 (any padding), forward
//! and weight gradient, in 16 GEMMs instead of one GEMM over an im2col matrix. The input
//! gradient of such a convolution is itself one (the flipped kernel, see [`super::conv2d`]), so
//! it runs through [`forward`] too.
//!
//! Each 2×2 tile of the output comes from the 4×4 block d of the zero-padded input whose corner
//! is (2·t_y − p_top, 2·t_x − p_left):
//!
//! Y = Aᵀ [ Σ_c (G g_{o,c} Gᵀ) ⊙ (Bᵀ d_c B) ] A
//!
//! Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//! Aᵀ = [1 1 1 0; 0 1 −1 −1] (Lavin & Gray 2015). With U = G g Gᵀ `[16, C_out, C_in]` and
//! V = Bᵀ d B `[16, C_in, T]` over the T tiles of a group of images, M_ξ = U_ξ · V_ξ is one GEMM
//! per ξ of the 16 positions: 16 products per tile and channel pair where direct convolution
//! takes 36 (2.25× fewer).
//!
//! Weight gradient, for the output gradient dY: dM = A·dY·Aᵀ per tile (the adjoint of the
//! output transform), dU_ξ = Σ_tiles dM_ξ · V_ξᵀ (16 GEMMs, no im2row), dW = Gᵀ·dU·G.
//!
//! Tiles past an odd output's edge are computed and dropped (forward) or given dY = 0 (weight
//! gradient). The transforms run under [`super::simd::dispatch`], so they use the vector
//! instructions of the CPU at hand.

use super::conv2d::{
    Conv2dShape, for_each_chunk, images_per_group, matmul, sum_over_runs, with_scratch,
};
use super::simd;
use gemm::Parallelism;
use rayon::prelude::*;

/// Tile slots per group of images: enough for the 16 GEMMs to amortise their packing, few
/// enough that a group's V and M stay in cache (64–128 trained fastest on a 2-core Zen 3, 512
/// a fifth slower; BENCHMARKS.md).
const MIN_TILES: usize = 128;

/// Whether F(2×2, 3×3) computes this convolution.
pub fn applies(s: &Conv2dShape) -> bool {
    s.kernel == [3, 3] && s.stride == [1, 1] && s.dilation == [1, 1] && s.output().is_some()
}

/// The tiles of one image of a convolution that [`applies`].
///
/// The transforms store each tile row with one more slot than it has tiles (t_w + 1), so that
/// they can run over whole planes in long loops; the extra slots cost 1/t_w more GEMM work
/// and are dropped (forward) or given dY = 0 (weight gradient).
#[derive(Clone, Copy, Debug)]
struct Tiles {
    /// [H_o, W_o]
    out: [usize; 2],
    /// tiles down, ⌈H_o / 2⌉
    th: usize,
    /// tiles across, ⌈W_o / 2⌉
    tw: usize,
    /// tile slots per image, t_h · (t_w + 1)
    slots: usize,
}

impl Tiles {
    fn of(s: &Conv2dShape) -> Tiles {
        let [ho, wo] = s.output().unwrap_or([0, 0]);
        let (th, tw) = (ho.div_ceil(2), wo.div_ceil(2));
        Tiles {
            out: [ho, wo],
            th,
            tw,
            slots: th * (tw + 1),
        }
    }
}

/// The coefficients of U_ξ = (G g Gᵀ)_(i, j) in the 9 kernel values, ξ = 4i + j:
/// U_ξ = Σ_(a, b) G_(i, a) G_(j, b) g_(a, b). dW = Gᵀ dU G uses the same ones, transposed.
fn transform_coefficients() -> [[f32; 9]; 16] {
    const G: [[f32; 3]; 4] = [
        [1.0, 0.0, 0.0],
        [0.5, 0.5, 0.5],
        [0.5, -0.5, 0.5],
        [0.0, 0.0, 1.0],
    ];
    let mut c = [[0.0f32; 9]; 16];
    for (xi, row) in c.iter_mut().enumerate() {
        let (i, j) = (xi / 4, xi % 4);
        for (k, v) in row.iter_mut().enumerate() {
            *v = G[i][k / 3] * G[j][k % 3];
        }
    }
    c
}

/// U = G g Gᵀ for every (o, c): `[16, C_out, C_in]`, each of the 16 planes written in one pass
/// on rayon's pool.
pub fn transform_weights(s: &Conv2dShape, w: &[f32]) -> Vec<f32> {
    let pairs = s.c_out * s.c_in;
    let coef = transform_coefficients();
    let mut u = vec![0.0f32; 16 * pairs];
    u.par_chunks_mut(pairs.max(1))
        .zip(coef.par_iter())
        .for_each(|(plane, c)| {
            for (v, g) in plane.iter_mut().zip(w.chunks_exact(9)) {
                *v = c.iter().zip(g).map(|(a, b)| a * b).sum();
            }
        });
    u
}

/// dW = Gᵀ·dU·G for every (o, c), from dU `[16, C_out, C_in]`; `dw` is overwritten. Blocks
/// of (o, c) pairs on rayon's pool.
fn weight_transform_adjoint(s: &Conv2dShape, du: &[f32], dw: &mut [f32]) {
    const BLOCK: usize = 256;
    let pairs = s.c_out * s.c_in;
    let coef = transform_coefficients();
    dw.par_chunks_mut(9 * BLOCK)
        .enumerate()
        .for_each(|(block, dw_block)| {
            for (q, g) in dw_block.chunks_exact_mut(9).enumerate() {
                let pair = block * BLOCK + q;
                g.fill(0.0);
                for (xi, c) in coef.iter().enumerate() {
                    let d = du[xi * pairs + pair];
                    for (gk, ck) in g.iter_mut().zip(c) {
                        *gk += ck * d;
                    }
                }
            }
        });
}

/// `out[k] = f(a[k], b[k])` over the length of `out` (a loop LLVM vectorises).
#[inline(always)]
fn map2(out: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = f(a, b);
    }
}

/// Split `row` into its even- and odd-indexed values.
#[inline(always)]
fn deinterleave(row: &[f32], even: &mut [f32], odd: &mut [f32]) {
    for ((pair, e), o) in row.chunks_exact(2).zip(even.iter_mut()).zip(odd.iter_mut()) {
        *e = pair[0];
        *o = pair[1];
    }
}

/// Write `left` and `right` alternately into `row` (`row.len()` values: an odd length drops the
/// last of `right`).
#[inline(always)]
fn interleave(row: &mut [f32], left: &[f32], right: &[f32]) {
    let half = row.len() / 2;
    let mut pairs = row.chunks_exact_mut(2);
    for ((pair, &l), &r) in (&mut pairs).zip(left).zip(right) {
        pair[0] = l;
        pair[1] = r;
    }
    if let ([last], Some(&l)) = (pairs.into_remainder(), left.get(half)) {
        *last = l;
    }
}

/// Four disjoint windows `buf[start_i..start_i + len]`, the starts increasing by at least `len`.
fn four_mut(buf: &mut [f32], starts: [usize; 4], len: usize) -> [&mut [f32]; 4] {
    let (_, rest) = buf.split_at_mut(starts[0]);
    let (a, rest) = rest.split_at_mut(starts[1] - starts[0]);
    let (b, rest) = rest.split_at_mut(starts[2] - starts[1]);
    let (c, d) = rest.split_at_mut(starts[3] - starts[2]);
    [&mut a[..len], &mut b[..len], &mut c[..len], &mut d[..len]]
}

/// V = Bᵀ d B for the tiles of `count` images `x_group` `[count, C_in, H, W]`: v `[16, C_in, T]`,
/// T = count · [`tile_slots`] (each tile row has one unused slot, see there).
///
/// Whole planes at a time, so that every loop is long: the padded image split into its even
/// and odd rows (Bᵀ· down the columns is then four subtractions of shifted planes), those
/// results split into even and odd columns (·B along the rows likewise).
fn input_transform(s: &Conv2dShape, x_group: &[f32], count: usize, v: &mut [f32]) {
    let [h, w] = s.input;
    let Tiles { th, tw, slots, .. } = Tiles::of(s);
    let t_all = count * slots;
    let (pad_top, pad_left) = (s.padding[0].0 as isize, s.padding[1].0);
    // A padded row is 2·t_w + 2 wide; column k holds x[.., k − p_left].
    let wp = 2 * tw + 2;
    let (lo, hi) = (pad_left.min(wp), (pad_left + w).min(wp));
    simd::dispatch(
        #[inline(always)]
        || {
            let half_plane = (th + 1) * wp;
            let mut scratch = vec![0.0f32; 2 * half_plane + 4 * th * wp + 2 * slots];
            let (rows, rest) = scratch.split_at_mut(2 * half_plane);
            let (even_rows, odd_rows) = rows.split_at_mut(half_plane);
            let (sums, rest) = rest.split_at_mut(4 * th * wp);
            let (even, odd) = rest.split_at_mut(slots);
            for j in 0..count {
                for c in 0..s.c_in {
                    let plane = &x_group[(j * s.c_in + c) * h * w..][..h * w];
                    for r in 0..2 * th + 2 {
                        let half = if r % 2 == 0 {
                            &mut *even_rows
                        } else {
                            &mut *odd_rows
                        };
                        let row = &mut half[(r / 2) * wp..][..wp];
                        let iy = r as isize - pad_top;
                        if iy >= 0 && (iy as usize) < h && hi > lo {
                            row[..lo].fill(0.0);
                            row[lo..hi].copy_from_slice(&plane[iy as usize * w..][..hi - lo]);
                            row[hi..].fill(0.0);
                        } else {
                            row.fill(0.0);
                        }
                    }
                    // Bᵀ·d: tile row t_y reads padded rows 2t_y..2t_y + 3, that is even rows
                    // t_y, t_y + 1 and odd rows t_y, t_y + 1.
                    let n = th * wp;
                    let (e0, e1) = (&even_rows[..n], &even_rows[wp..][..n]);
                    let (o0, o1) = (&odd_rows[..n], &odd_rows[wp..][..n]);
                    let [s0, s1, s2, s3] = four_mut(sums, [0, n, 2 * n, 3 * n], n);
                    map2(s0, e0, e1, |a, b| a - b);
                    map2(s1, o0, e1, |a, b| a + b);
                    map2(s2, e1, o0, |a, b| a - b);
                    map2(s3, o0, o1, |a, b| a - b);
                    // ·B: tile t_x reads even columns t_x, t_x + 1 and odd columns t_x, t_x + 1.
                    // Over the whole plane (rows of t_w + 1 column pairs), the last slot of each
                    // tile row mixes two rows: computed, and never read back.
                    let base = j * slots;
                    for i in 0..4 {
                        deinterleave(&sums[i * n..][..n], even, odd);
                        let at = |xi: usize| ((i * 4 + xi) * s.c_in + c) * t_all + base;
                        let [v0, v1, v2, v3] = four_mut(v, [at(0), at(1), at(2), at(3)], slots);
                        let m = slots - 1;
                        let (e0, e1, o0, o1) = (&even[..m], &even[1..], &odd[..m], &odd[1..]);
                        map2(&mut v0[..m], e0, e1, |a, b| a - b);
                        map2(&mut v1[..m], o0, e1, |a, b| a + b);
                        map2(&mut v2[..m], e1, o0, |a, b| a - b);
                        map2(&mut v3[..m], o0, o1, |a, b| a - b);
                        for vx in [v0, v1, v2, v3] {
                            vx[m] = 0.0;
                        }
                    }
                }
            }
        },
    );
}

/// y_group `[count, C_out, H_o, W_o]` = Aᵀ M A (+ bias) from m `[16, C_out, T]`.
fn output_transform(s: &Conv2dShape, m: &[f32], count: usize, bias: Option<&[f32]>, y: &mut [f32]) {
    let Tiles {
        out: [ho, wo],
        th,
        tw,
        slots,
    } = Tiles::of(s);
    let t_all = count * slots;
    simd::dispatch(
        #[inline(always)]
        || {
            // The 2×2 outputs of every tile slot of one image: top-left, top-right,
            // bottom-left, bottom-right.
            let mut out = vec![0.0f32; 4 * slots];
            for j in 0..count {
                for o in 0..s.c_out {
                    let b = bias.map_or(0.0, |b| b[o]);
                    let at = |xi: usize| &m[(xi * s.c_out + o) * t_all + j * slots..][..slots];
                    let (m0, m1, m2, m3) = (at(0), at(1), at(2), at(3));
                    let (m4, m5, m6, m7) = (at(4), at(5), at(6), at(7));
                    let (m8, m9, m10, m11) = (at(8), at(9), at(10), at(11));
                    let (m12, m13, m14, m15) = (at(12), at(13), at(14), at(15));
                    let [tl, tr, bl, br] =
                        four_mut(&mut out, [0, slots, 2 * slots, 3 * slots], slots);
                    for q in 0..slots {
                        // Aᵀ·M: rows m_0· + m_1· + m_2· and m_1· − m_2· − m_3· (ξ = 4·row + column).
                        let a0 = m0[q] + m4[q] + m8[q];
                        let a1 = m1[q] + m5[q] + m9[q];
                        let a2 = m2[q] + m6[q] + m10[q];
                        let a3 = m3[q] + m7[q] + m11[q];
                        let c0 = m4[q] - m8[q] - m12[q];
                        let c1 = m5[q] - m9[q] - m13[q];
                        let c2 = m6[q] - m10[q] - m14[q];
                        let c3 = m7[q] - m11[q] - m15[q];
                        // ·A: columns a_0 + a_1 + a_2 and a_1 − a_2 − a_3.
                        tl[q] = a0 + a1 + a2 + b;
                        tr[q] = a1 - a2 - a3 + b;
                        bl[q] = c0 + c1 + c2 + b;
                        br[q] = c1 - c2 - c3 + b;
                    }
                    let plane = &mut y[(j * s.c_out + o) * ho * wo..][..ho * wo];
                    for ty in 0..th {
                        let row = ty * (tw + 1);
                        let dst = &mut plane[2 * ty * wo..][..wo];
                        interleave(dst, &tl[row..][..tw], &tr[row..][..tw]);
                        if 2 * ty + 1 < ho {
                            let dst = &mut plane[(2 * ty + 1) * wo..][..wo];
                            interleave(dst, &bl[row..][..tw], &br[row..][..tw]);
                        }
                    }
                }
            }
        },
    );
}

/// dM = A·dY·Aᵀ for the tiles of `count` images of dy `[count, C_out, H_o, W_o]`:
/// dm `[16, C_out, T]` (outputs past the edge, and the unused slots, count as 0).
fn grad_output_transform(s: &Conv2dShape, dy: &[f32], count: usize, dm: &mut [f32]) {
    let Tiles {
        out: [ho, wo],
        th,
        tw,
        slots,
    } = Tiles::of(s);
    let t_all = count * slots;
    simd::dispatch(
        #[inline(always)]
        || {
            // dY of every tile slot of one image: y00, y01, y10, y11 (zero where there is no
            // output).
            let mut g = vec![0.0f32; 4 * slots];
            for j in 0..count {
                for o in 0..s.c_out {
                    let plane = &dy[(j * s.c_out + o) * ho * wo..][..ho * wo];
                    g.fill(0.0);
                    {
                        let [y00, y01, y10, y11] =
                            four_mut(&mut g, [0, slots, 2 * slots, 3 * slots], slots);
                        for ty in 0..th {
                            let row = ty * (tw + 1);
                            for (half, (left, right)) in
                                [(&mut *y00, &mut *y01), (&mut *y10, &mut *y11)]
                                    .into_iter()
                                    .enumerate()
                            {
                                let oy = 2 * ty + half;
                                if oy < ho {
                                    let src = &plane[oy * wo..][..wo];
                                    deinterleave(
                                        src,
                                        &mut left[row..][..tw],
                                        &mut right[row..][..tw],
                                    );
                                    if wo % 2 == 1 {
                                        left[row + tw - 1] = src[wo - 1];
                                    }
                                }
                            }
                        }
                    }
                    let (y00, y01, y10, y11) = (
                        &g[..slots],
                        &g[slots..][..slots],
                        &g[2 * slots..][..slots],
                        &g[3 * slots..][..slots],
                    );
                    // Row i of A·dY is (u0, u1): (y0·, y0· + y1·, y0· − y1·, −y1·);
                    // then ·Aᵀ gives (u0, u0 + u1, u0 − u1, −u1).
                    let base = j * slots;
                    for i in 0..4 {
                        let at = |xi: usize| ((i * 4 + xi) * s.c_out + o) * t_all + base;
                        let [d0, d1, d2, d3] = four_mut(dm, [at(0), at(1), at(2), at(3)], slots);
                        for q in 0..slots {
                            let (u0, u1) = match i {
                                0 => (y00[q], y01[q]),
                                1 => (y00[q] + y10[q], y01[q] + y11[q]),
                                2 => (y00[q] - y10[q], y01[q] - y11[q]),
                                _ => (-y10[q], -y11[q]),
                            };
                            d0[q] = u0;
                            d1[q] = u0 + u1;
                            d2[q] = u0 - u1;
                            d3[q] = -u1;
                        }
                    }
                }
            }
        },
    );
}

/// y = conv(x, w) + b for a convolution that [`applies`]. `y` is overwritten.
pub fn forward(s: &Conv2dShape, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    assert_eq!(w.len(), s.lens()[1]);
    forward_transformed(s, x, &transform_weights(s, w), b, y);
}

/// [`forward`] from the weights already transformed by [`transform_weights`] (an inference
/// pass reuses them from call to call).
pub fn forward_transformed(
    s: &Conv2dShape,
    x: &[f32],
    u: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
) {
    let [x_len, _, y_len] = s.lens();
    assert!(applies(s) && x.len() == x_len && u.len() == 16 * s.c_out * s.c_in && y.len() == y_len);
    let Tiles {
        out: [ho, wo],
        slots,
        ..
    } = Tiles::of(s);
    let per_x = s.c_in * s.input[0] * s.input[1];
    let per_y = s.c_out * ho * wo;
    let group = images_per_group(slots, MIN_TILES, s.batch);
    let run = |n0: usize, y_g: &mut [f32], par: Parallelism| {
        let count = y_g.len() / per_y.max(1);
        let t = count * slots;
        with_scratch(16 * (s.c_in + s.c_out) * t, |buf| {
            let (v, m) = buf.split_at_mut(16 * s.c_in * t);
            input_transform(s, &x[n0 * per_x..(n0 + count) * per_x], count, v);
            for xi in 0..16 {
                // M_ξ [C_out, T] = U_ξ [C_out, C_in] · V_ξ [C_in, T]
                // (as M_ξᵀ = V_ξᵀ · U_ξᵀ: V_ξᵀ is column-major, read without packing)
                matmul(
                    t,
                    s.c_out,
                    s.c_in,
                    (&mut m[xi * s.c_out * t..][..s.c_out * t], t, 1),
                    false,
                    (&v[xi * s.c_in * t..][..s.c_in * t], t, 1),
                    (&u[xi * s.c_out * s.c_in..][..s.c_out * s.c_in], s.c_in, 1),
                    par,
                );
            }
            output_transform(s, m, count, b, y_g);
        });
    };
    for_each_chunk(s.batch, group, y, per_y, run);
}

/// dW for a convolution that [`applies`], from its input x and output gradient dy. `dw` is
/// overwritten; the images' sum of dU is [`sum_over_runs`]'s, as for im2row.
pub fn backward_weight(s: &Conv2dShape, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let [x_len, w_len, y_len] = s.lens();
    assert!(applies(s) && x.len() == x_len && dw.len() == w_len && dy.len() == y_len);
    let Tiles {
        out: [ho, wo],
        slots,
        ..
    } = Tiles::of(s);
    let per_x = s.c_in * s.input[0] * s.input[1];
    let per_y = s.c_out * ho * wo;
    let pairs = s.c_out * s.c_in;
    let group = MIN_TILES.div_ceil(slots.max(1));
    // Adds the images n0..end to du [16, C_out, C_in].
    let add_images = |n0: usize, end: usize, du: &mut [f32], par: Parallelism| {
        let mut n = n0;
        while n < end {
            let count = group.min(end - n);
            let t = count * slots;
            with_scratch(16 * (s.c_in + s.c_out) * t, |buf| {
                let (v, dm) = buf.split_at_mut(16 * s.c_in * t);
                input_transform(s, &x[n * per_x..(n + count) * per_x], count, v);
                grad_output_transform(s, &dy[n * per_y..(n + count) * per_y], count, dm);
                for xi in 0..16 {
                    // dU_ξ [C_out, C_in] += dM_ξ [C_out, T] · V_ξᵀ [T, C_in]
                    matmul(
                        s.c_out,
                        s.c_in,
                        t,
                        (&mut du[xi * pairs..][..pairs], 1, s.c_in),
                        true,
                        (&dm[xi * s.c_out * t..][..s.c_out * t], 1, t),
                        (&v[xi * s.c_in * t..][..s.c_in * t], t, 1),
                        par,
                    );
                }
            });
            n += count;
        }
    };
    let mut du = vec![0.0f32; 16 * pairs];
    sum_over_runs(s.batch, &mut du, add_images);
    weight_transform_adjoint(s, &du, dw);
}

#[cfg(test)]
mod tests {
    use super::super::conv2d::tests::{direct, direct_grads, values};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]

        /// Forward and weight gradient against the definition in f64, at every vector level
        /// this CPU has: odd and even sizes (partial tiles), asymmetric padding 0–2.
        #[test]
        fn matches_the_definition(
            (batch, c_in, c_out) in (1usize..5, 1usize..7, 1usize..7),
            (h, w) in (1usize..12, 1usize..12),
            (pt, pb, pl, pr) in (0usize..3, 0usize..3, 0usize..3, 0usize..3),
            seed in 0u64..1000,
        ) {
            let s = Conv2dShape {
                batch, c_in, c_out, input: [h, w], kernel: [3, 3], stride: [1, 1],
                padding: [(pt, pb), (pl, pr)], dilation: [1, 1],
            };
            prop_assume!(s.output().is_some());
            let [xl, wl, yl] = s.lens();
            let (x, wt, b, dy) = (values(xl, seed), values(wl, seed + 1), values(c_out, seed + 2), values(yl, seed + 3));
            let want = direct(&s, &x, &wt, &b);
            let (_, want_dw) = direct_grads(&s, &x, &wt, &dy);
            for level in [simd::Level::Baseline, simd::Level::Avx2, simd::Level::Avx512] {
                if level > simd::detected() {
                    continue;
                }
                simd::force(Some(level));
                let mut y = vec![f32::NAN; yl];
                forward(&s, &x, &wt, Some(&b), &mut y);
                let mut dw = vec![f32::NAN; wl];
                backward_weight(&s, &x, &dy, &mut dw);
                simd::force(None);
                for (g, r) in y.iter().zip(&want) {
                    prop_assert!((*g as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "forward ({level:?}) {g} vs {r}");
                }
                for (g, r) in dw.iter().zip(&want_dw) {
                    prop_assert!((*g as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "weight grad ({level:?}) {g} vs {r}");
                }
            }
        }
    }

    #[test]
    fn the_transforms_reproduce_a_single_tile() {
        // One 4×4 input, one 3×3 kernel, no padding: the 2×2 output by the definition.
        let s = Conv2dShape {
            batch: 1,
            c_in: 1,
            c_out: 1,
            input: [4, 4],
            kernel: [3, 3],
            stride: [1, 1],
            padding: [(0, 0), (0, 0)],
            dilation: [1, 1],
        };
        let x: Vec<f32> = (0..16).map(|v| (v as f32 * 0.37).sin()).collect();
        let w: Vec<f32> = (0..9).map(|v| (v as f32 * 0.91).cos()).collect();
        let mut y = vec![f32::NAN; 4];
        forward(&s, &x, &w, Some(&[0.25]), &mut y);
        for a in 0..2 {
            for b in 0..2 {
                let mut want = 0.25f64;
                for i in 0..3 {
                    for j in 0..3 {
                        want += x[(a + i) * 4 + b + j] as f64 * w[i * 3 + j] as f64;
                    }
                }
                assert!((y[a * 2 + b] as f64 - want).abs() < 1e-5, "{a},{b}");
            }
        }
    }
}
