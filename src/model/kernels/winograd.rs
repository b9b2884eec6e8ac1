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
//! V = Bᵀ d B `[16, T, C_in]` over the T tiles of a group of images, M_ξ = V_ξ · U_ξᵀ
//! `[T, C_out]` is one GEMM per ξ of the 16 positions: 16 products per tile and channel pair
//! where direct convolution takes 36 (2.25× fewer).
//!
//! Weight gradient, for the output gradient dY: dM = A·dY·Aᵀ per tile (the adjoint of the
//! output transform), dU_ξ = Σ_tiles dM_ξᵀ · V_ξ (16 GEMMs, no im2row), dW = Gᵀ·dU·G.
//!
//! **Channels innermost.** V, M and dM keep a tile's channels together (`[16, T, C]`), and the
//! transforms move each image between NCHW and that layout with [`super::transpose`]: every
//! transform then adds and subtracts whole vectors of C channels, one tile at a time, and the
//! GEMMs read and write the same layout through their strides. In NCHW the transforms ran over
//! the tiles of one channel's plane, loops of 4–9 tiles at the 8×8 and 16×16 levels; the
//! 16×16 model's convolutions at 8×8 ran 1.7–2.4× faster this way, at 16×16 0.98–1.4× (one
//! shard, BENCHMARKS.md), and the 4×4 level is now faster by Winograd than by im2col. The
//! output convolution (32 → 3) is the exception: vectors of 3 channels, 579 against 370 µs.
//!
//! Tiles past an odd output's edge are computed and dropped (forward) or given dY = 0 (weight
//! gradient). The transforms run under [`super::simd::dispatch`], so they use the vector
//! instructions of the CPU at hand.

use super::conv2d::{
    Conv2dShape, for_each_chunk, images_per_group, matmul, sum_over_runs, with_scratch,
};
use super::simd;
use super::transpose::transpose;
use gemm::Parallelism;
use rayon::prelude::*;

/// Tiles per group of images: enough for the 16 GEMMs to amortise their packing, few enough
/// that a group's V and M stay in cache (64–128 trained fastest on a 2-core Zen 3, 512 a fifth
/// slower; with channels innermost 64, 128 and 256 timed alike on Zen 4; BENCHMARKS.md).
const MIN_TILES: usize = 128;

/// Whether F(2×2, 3×3) computes this convolution.
pub fn applies(s: &Conv2dShape) -> bool {
    s.kernel == [3, 3] && s.stride == [1, 1] && s.dilation == [1, 1] && s.output().is_some()
}

/// The tiles of one image of a convolution that [`applies`].
#[derive(Clone, Copy, Debug)]
struct Tiles {
    /// [H_o, W_o]
    out: [usize; 2],
    /// tiles down, ⌈H_o / 2⌉
    th: usize,
    /// tiles across, ⌈W_o / 2⌉
    tw: usize,
    /// tiles per image, t_h · t_w
    per_image: usize,
}

impl Tiles {
    fn of(s: &Conv2dShape) -> Tiles {
        let [ho, wo] = s.output().unwrap_or([0, 0]);
        let (th, tw) = (ho.div_ceil(2), wo.div_ceil(2));
        Tiles {
            out: [ho, wo],
            th,
            tw,
            per_image: th * tw,
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

/// `out += a · x` over the length of `out`.
#[inline(always)]
fn axpy(out: &mut [f32], a: f32, x: &[f32]) {
    let x = &x[..out.len()];
    for (o, &v) in out.iter_mut().zip(x) {
        *o += a * v;
    }
}

/// U = G g Gᵀ for every (o, c): `[16, C_out, C_in]`. The kernels transposed to `[9, C_out·C_in]`
/// first, so that each of the 16 planes (on rayon's pool) is a sum of whole rows of them.
pub fn transform_weights(s: &Conv2dShape, w: &[f32]) -> Vec<f32> {
    let pairs = s.c_out * s.c_in;
    let coef = transform_coefficients();
    let mut w_by_tap = vec![0.0f32; 9 * pairs];
    simd::dispatch(
        #[inline(always)]
        || transpose(w, 9, &mut w_by_tap, pairs, pairs, 9),
    );
    let mut u = vec![0.0f32; 16 * pairs];
    u.par_chunks_mut(pairs.max(1))
        .zip(coef.par_iter())
        .for_each(|(plane, c)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for (k, &ck) in c.iter().enumerate() {
                        if ck != 0.0 {
                            axpy(plane, ck, &w_by_tap[k * pairs..]);
                        }
                    }
                },
            )
        });
    u
}

/// dW = Gᵀ·dU·G for every (o, c), from dU `[16, C_out, C_in]`; `dw` is overwritten. The 9 taps'
/// rows `[9, C_out·C_in]` on rayon's pool, then transposed into dW.
fn weight_transform_adjoint(s: &Conv2dShape, du: &[f32], dw: &mut [f32]) {
    let pairs = s.c_out * s.c_in;
    let coef = transform_coefficients();
    let mut by_tap = vec![0.0f32; 9 * pairs];
    by_tap
        .par_chunks_mut(pairs.max(1))
        .enumerate()
        .for_each(|(k, row)| {
            simd::dispatch(
                #[inline(always)]
                || {
                    for (xi, c) in coef.iter().enumerate() {
                        if c[k] != 0.0 {
                            axpy(row, c[k], &du[xi * pairs..]);
                        }
                    }
                },
            )
        });
    simd::dispatch(
        #[inline(always)]
        || transpose(&by_tap, pairs, dw, 9, 9, pairs),
    );
}

/// Four disjoint windows `buf[start_i..start_i + len]`, the starts increasing by at least `len`.
fn four_mut(buf: &mut [f32], starts: [usize; 4], len: usize) -> [&mut [f32]; 4] {
    let (_, rest) = buf.split_at_mut(starts[0]);
    let (a, rest) = rest.split_at_mut(starts[1] - starts[0]);
    let (b, rest) = rest.split_at_mut(starts[2] - starts[1]);
    let (c, d) = rest.split_at_mut(starts[3] - starts[2]);
    [&mut a[..len], &mut b[..len], &mut c[..len], &mut d[..len]]
}

/// `buf[at..]` cut into four consecutive slices of `len`.
fn four(buf: &[f32], at: usize, len: usize) -> [&[f32]; 4] {
    let b = &buf[at..][..4 * len];
    [
        &b[..len],
        &b[len..][..len],
        &b[2 * len..][..len],
        &b[3 * len..],
    ]
}

/// Bᵀ·(d_0, d_1, d_2, d_3) value by value, over the length of the outputs:
/// (d_0 − d_2, d_1 + d_2, d_2 − d_1, d_1 − d_3).
#[inline(always)]
fn bt(d: [&[f32]; 4], out: [&mut [f32]; 4]) {
    let [o0, o1, o2, o3] = out;
    let n = o0.len();
    let (o1, o2, o3) = (&mut o1[..n], &mut o2[..n], &mut o3[..n]);
    let (d0, d1, d2, d3) = (&d[0][..n], &d[1][..n], &d[2][..n], &d[3][..n]);
    for k in 0..n {
        o0[k] = d0[k] - d2[k];
        o1[k] = d1[k] + d2[k];
        o2[k] = d2[k] - d1[k];
        o3[k] = d1[k] - d3[k];
    }
}

/// One image of x `[C, H, W]` into `xp` `[2·t_h + 2, 2·t_w + 2, C]`: the zero-padded input the
/// tiles read, channels innermost (a transpose). Only the image's own values are written: `xp`
/// starts as zeros and every image of a group fills the same places, so the padding stays 0.
#[inline(always)]
fn pad_channels_last(s: &Conv2dShape, t: &Tiles, image: &[f32], xp: &mut [f32]) {
    let [h, w] = s.input;
    let (wp, ch) = (2 * t.tw + 2, s.c_in);
    let (pt, pl) = (s.padding[0].0, s.padding[1].0);
    for iy in 0..h {
        let dst = &mut xp[((iy + pt) * wp + pl) * ch..];
        transpose(&image[iy * w..], h * w, dst, ch, ch, w);
    }
}

/// V = Bᵀ d B for the tiles of `count` images `x_group` `[count, C_in, H, W]`:
/// v `[16, T, C_in]`, T = count · t_h · t_w, tile t = (image, t_y, t_x) in that order.
///
/// Per image: the padded input with channels innermost, then per tile row Bᵀ· down the
/// columns over whole rows (4 padded rows in, 4 rows out), then ·B per tile on vectors of
/// C_in channels.
fn input_transform(s: &Conv2dShape, x_group: &[f32], count: usize, v: &mut [f32]) {
    let t = Tiles::of(s);
    let t_all = count * t.per_image;
    let ch = s.c_in;
    let row_len = (2 * t.tw + 2) * ch;
    let per_x = s.c_in * s.input[0] * s.input[1];
    simd::dispatch(
        #[inline(always)]
        || {
            let mut xp = vec![0.0f32; (2 * t.th + 2) * row_len];
            let mut sums = vec![0.0f32; 4 * row_len];
            for j in 0..count {
                pad_channels_last(s, &t, &x_group[j * per_x..][..per_x], &mut xp);
                for ty in 0..t.th {
                    // Tile row t_y reads padded rows 2t_y..2t_y + 3.
                    let [s0, s1, s2, s3] =
                        four_mut(&mut sums, [0, row_len, 2 * row_len, 3 * row_len], row_len);
                    bt(four(&xp, 2 * ty * row_len, row_len), [s0, s1, s2, s3]);
                    for tx in 0..t.tw {
                        let tile = (j * t.th + ty) * t.tw + tx;
                        for i in 0..4 {
                            // Tile t_x reads columns 2t_x..2t_x + 3 of each row of sums.
                            let d = four(&sums, i * row_len + 2 * tx * ch, ch);
                            let at = |jx: usize| ((i * 4 + jx) * t_all + tile) * ch;
                            bt(d, four_mut(v, [at(0), at(1), at(2), at(3)], ch));
                        }
                    }
                }
            }
        },
    );
}

/// `out[k] = f(a[k], b[k], c[k])` over the length of `out`.
#[inline(always)]
fn map3(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32], f: impl Fn(f32, f32, f32) -> f32) {
    let n = out.len();
    let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
    for k in 0..n {
        out[k] = f(a[k], b[k], c[k]);
    }
}

/// The two columns of a row of Aᵀ M times A, plus the bias, value by value:
/// left = a_0 + a_1 + a_2 + b, right = a_1 − a_2 − a_3 + b.
#[inline(always)]
fn times_a(a: [&[f32]; 4], bias: &[f32], left: &mut [f32], right: &mut [f32]) {
    let n = left.len();
    let right = &mut right[..n];
    let (a0, a1, a2, a3, b) = (&a[0][..n], &a[1][..n], &a[2][..n], &a[3][..n], &bias[..n]);
    for k in 0..n {
        left[k] = a0[k] + a1[k] + a2[k] + b[k];
        right[k] = a1[k] - a2[k] - a3[k] + b[k];
    }
}

/// y_group `[count, C_out, H_o, W_o]` = Aᵀ M A (+ bias) from m `[16, T, C_out]`.
///
/// Per tile row: Aᵀ· over the whole row (the tiles of a row are consecutive in M), ·A per tile
/// into two output rows with channels innermost, then those rows transposed into y.
fn output_transform(s: &Conv2dShape, m: &[f32], count: usize, bias: Option<&[f32]>, y: &mut [f32]) {
    let t = Tiles::of(s);
    let [ho, wo] = t.out;
    let t_all = count * t.per_image;
    let ch = s.c_out;
    let plane = ho * wo;
    let row_len = t.tw * ch;
    let bias: Vec<f32> = (0..ch)
        .map(|o| bias.and_then(|b| b.get(o)).copied().unwrap_or(0.0))
        .collect();
    simd::dispatch(
        #[inline(always)]
        || {
            // Aᵀ·M of one tile row: rows 0 (top) and 1 (bottom), columns k = 0..4.
            let mut rows = vec![0.0f32; 8 * row_len];
            // Two output rows, 2·t_w pixels each, channels innermost.
            let mut out = vec![0.0f32; 2 * 2 * row_len];
            for j in 0..count {
                for ty in 0..t.th {
                    let first = (j * t.th + ty) * t.tw;
                    let row = |xi: usize| &m[(xi * t_all + first) * ch..][..row_len];
                    for (k, pair) in rows.chunks_exact_mut(2 * row_len).enumerate() {
                        // Aᵀ·M: rows m_0· + m_1· + m_2· and m_1· − m_2· − m_3· (ξ = 4·row + column).
                        let (top, bottom) = pair.split_at_mut(row_len);
                        map3(top, row(k), row(4 + k), row(8 + k), |a, b, c| a + b + c);
                        map3(bottom, row(4 + k), row(8 + k), row(12 + k), |a, b, c| {
                            a - b - c
                        });
                    }
                    for (half, out_row) in out.chunks_exact_mut(2 * row_len).enumerate() {
                        for (tx, pixels) in out_row.chunks_exact_mut(2 * ch).enumerate() {
                            let a = |k: usize| &rows[(2 * k + half) * row_len + tx * ch..][..ch];
                            let (left, right) = pixels.split_at_mut(ch);
                            times_a([a(0), a(1), a(2), a(3)], &bias, left, right);
                        }
                    }
                    for (half, out_row) in out.chunks_exact(2 * row_len).enumerate() {
                        let oy = 2 * ty + half;
                        if oy >= ho {
                            break;
                        }
                        let dst = &mut y[j * s.c_out * plane + oy * wo..];
                        transpose(out_row, ch, dst, plane, wo, s.c_out);
                    }
                }
            }
        },
    );
}

/// One row of A·dY·Aᵀ, value by value: with (u_0, u_1) = (f(y_00, y_10), f(y_01, y_11)) the
/// row's pair of A·dY, the outputs are (u_0, u_0 + u_1, u_0 − u_1, −u_1).
#[inline(always)]
fn adjoint_row(y: [&[f32]; 4], f: impl Fn(f32, f32) -> f32, out: [&mut [f32]; 4]) {
    let [d0, d1, d2, d3] = out;
    let n = d0.len();
    let (d1, d2, d3) = (&mut d1[..n], &mut d2[..n], &mut d3[..n]);
    let (y00, y01, y10, y11) = (&y[0][..n], &y[1][..n], &y[2][..n], &y[3][..n]);
    for k in 0..n {
        let (u0, u1) = (f(y00[k], y10[k]), f(y01[k], y11[k]));
        d0[k] = u0;
        d1[k] = u0 + u1;
        d2[k] = u0 - u1;
        d3[k] = -u1;
    }
}

/// dM = A·dY·Aᵀ for the tiles of `count` images of dy `[count, C_out, H_o, W_o]`:
/// dm `[16, T, C_out]` (outputs past the edge count as 0).
///
/// Per tile row: its two rows of dY transposed to channels innermost, then per tile the four
/// rows of dM on vectors of C_out channels.
fn grad_output_transform(s: &Conv2dShape, dy: &[f32], count: usize, dm: &mut [f32]) {
    let t = Tiles::of(s);
    let [ho, wo] = t.out;
    let t_all = count * t.per_image;
    let ch = s.c_out;
    let plane = ho * wo;
    let row_len = 2 * t.tw * ch;
    simd::dispatch(
        #[inline(always)]
        || {
            // Output rows 2t_y and 2t_y + 1, channels innermost (0 past the edges).
            let mut g = vec![0.0f32; 2 * row_len];
            for j in 0..count {
                for ty in 0..t.th {
                    // Whole rows of dY overwrite g, unless the tile row or its last tile
                    // reaches past the output's edge.
                    if wo % 2 == 1 || 2 * ty + 2 > ho {
                        g.fill(0.0);
                    }
                    for (half, g_row) in g.chunks_exact_mut(row_len).enumerate() {
                        let oy = 2 * ty + half;
                        if oy >= ho {
                            break;
                        }
                        let src = &dy[j * s.c_out * plane + oy * wo..];
                        transpose(src, plane, g_row, ch, s.c_out, wo);
                    }
                    for tx in 0..t.tw {
                        let tile = (j * t.th + ty) * t.tw + tx;
                        let px = |half: usize, dx: usize| {
                            &g[half * row_len + (2 * tx + dx) * ch..][..ch]
                        };
                        let y = [px(0, 0), px(0, 1), px(1, 0), px(1, 1)];
                        // Row i of A·dY: (y0·, y0· + y1·, y0· − y1·, −y1·).
                        let at = |i: usize, jx: usize| ((i * 4 + jx) * t_all + tile) * ch;
                        let quad = |i: usize| [at(i, 0), at(i, 1), at(i, 2), at(i, 3)];
                        adjoint_row(y, |a, _| a, four_mut(dm, quad(0), ch));
                        adjoint_row(y, |a, b| a + b, four_mut(dm, quad(1), ch));
                        adjoint_row(y, |a, b| a - b, four_mut(dm, quad(2), ch));
                        adjoint_row(y, |_, b| -b, four_mut(dm, quad(3), ch));
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
    let t = Tiles::of(s);
    let [ho, wo] = t.out;
    let per_x = s.c_in * s.input[0] * s.input[1];
    let per_y = s.c_out * ho * wo;
    let group = images_per_group(t.per_image, MIN_TILES, s.batch);
    let run = |n0: usize, y_g: &mut [f32], par: Parallelism| {
        let count = y_g.len() / per_y.max(1);
        let tiles = count * t.per_image;
        let (v_len, m_len) = (s.c_in * tiles, s.c_out * tiles);
        with_scratch(16 * (v_len + m_len), |buf| {
            let (v, m) = buf.split_at_mut(16 * v_len);
            input_transform(s, &x[n0 * per_x..(n0 + count) * per_x], count, v);
            for xi in 0..16 {
                // M_ξ [T, C_out] = V_ξ [T, C_in] · U_ξᵀ [C_in, C_out], channels innermost
                matmul(
                    tiles,
                    s.c_out,
                    s.c_in,
                    (&mut m[xi * m_len..][..m_len], 1, s.c_out),
                    false,
                    (&v[xi * v_len..][..v_len], 1, s.c_in),
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
    let t = Tiles::of(s);
    let [ho, wo] = t.out;
    let per_x = s.c_in * s.input[0] * s.input[1];
    let per_y = s.c_out * ho * wo;
    let pairs = s.c_out * s.c_in;
    let group = MIN_TILES.div_ceil(t.per_image.max(1));
    // Adds the images n0..end to du [16, C_out, C_in].
    let add_images = |n0: usize, end: usize, du: &mut [f32], par: Parallelism| {
        let mut n = n0;
        while n < end {
            let count = group.min(end - n);
            let tiles = count * t.per_image;
            let (v_len, m_len) = (s.c_in * tiles, s.c_out * tiles);
            with_scratch(16 * (v_len + m_len), |buf| {
                let (v, dm) = buf.split_at_mut(16 * v_len);
                input_transform(s, &x[n * per_x..(n + count) * per_x], count, v);
                grad_output_transform(s, &dy[n * per_y..(n + count) * per_y], count, dm);
                for xi in 0..16 {
                    // dU_ξ [C_out, C_in] += dM_ξᵀ [C_out, T] · V_ξ [T, C_in]
                    matmul(
                        s.c_out,
                        s.c_in,
                        tiles,
                        (&mut du[xi * pairs..][..pairs], 1, s.c_in),
                        true,
                        (&dm[xi * m_len..][..m_len], s.c_out, 1),
                        (&v[xi * v_len..][..v_len], 1, s.c_in),
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
        /// this CPU has: odd and even sizes (partial tiles), asymmetric padding 0–2, channel
        /// counts below and above the transposes' 8×8 blocks.
        #[test]
        fn matches_the_definition(
            (batch, c_in, c_out) in (1usize..5, 1usize..12, 1usize..12),
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
