//! 2-D convolution of one group (NCHW, row-major `f32` slices) as GEMMs, forward and backward.
//!
//! Shapes: x `[N, C_in, H, W]`, w `[C_out, C_in, k_h, k_w]`, b `[C_out]`, y `[N, C_out, H_o, W_o]`,
//! H_o = ⌊(H + p_top + p_bottom − d_h·(k_h − 1) − 1) / s_h⌋ + 1 (W_o likewise).
//! With K = C_in·k_h·k_w and P = H_o·W_o, the im2col matrix of one image is `col(x_n)` `[K, P]`:
//!
//! col(x_n)[(c·k_h + i)·k_w + j, o_y·W_o + o_x] = x_n[c, o_y·s_h − p_top + i·d_h, o_x·s_w − p_left + j·d_w]
//! (0 outside the image). Then, with W seen as `[C_out, K]`:
//!
//! - forward:      y_n = W · col(x_n) + b·1ᵀ
//! - input grad:   dx_n = col⁻¹(Wᵀ · dy_n), col⁻¹ the adjoint of col (a scatter-add); for stride 1
//!   and dilation 1 this is itself a convolution, dx_n = conv(dy_n, W̃) with W̃[c_i, c_o, i, j] =
//!   W[c_o, c_i, k_h−1−i, k_w−1−j] and padding k − 1 − p, which writes dx without a scatter
//! - weight grad:  dW = Σ_n dy_n · col(x_n)ᵀ
//! - bias grad:    db = Σ_n dy_n · 1
//!
//! A 1×1 convolution with stride 1 and no padding needs no im2col: col(x_n) = x_n.
//! The GEMMs are the `gemm` crate's (the one burn's flex backend uses). Images are spread over
//! rayon's pool; with fewer images than threads the GEMMs themselves run in parallel. The im2col
//! scratch is one growing buffer per thread, reused and never re-zeroed (im2col writes all of it);
//! [`super::im2col`] fills it.

use super::im2col::{Im2col, Im2row, col2im_add};
use super::winograd;
use gemm::Parallelism;
use rayon::prelude::*;
use std::cell::RefCell;

/// The sizes of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    /// N
    pub batch: usize,
    /// C_in
    pub c_in: usize,
    /// C_out
    pub c_out: usize,
    /// [H, W] of the input
    pub input: [usize; 2],
    /// [k_h, k_w]
    pub kernel: [usize; 2],
    /// [s_h, s_w], non-zero
    pub stride: [usize; 2],
    /// [(p_top, p_bottom), (p_left, p_right)]
    pub padding: [(usize, usize); 2],
    /// [d_h, d_w], non-zero
    pub dilation: [usize; 2],
}

impl Conv2dShape {
    /// [H_o, W_o], or None when the dilated kernel is larger than the padded input.
    pub fn output(&self) -> Option<[usize; 2]> {
        let side = |d: usize| {
            let padded = self.input[d] + self.padding[d].0 + self.padding[d].1;
            let reach = self.dilation[d] * (self.kernel[d].max(1) - 1) + 1;
            (self.stride[d] > 0 && padded >= reach).then(|| (padded - reach) / self.stride[d] + 1)
        };
        Some([side(0)?, side(1)?])
    }

    pub(super) fn rows(&self) -> usize {
        self.c_in * self.kernel[0] * self.kernel[1]
    }

    pub(super) fn pixels_out(&self) -> usize {
        self.output().map_or(0, |[h, w]| h * w)
    }

    pub(super) fn pixels_in(&self) -> usize {
        self.input[0] * self.input[1]
    }

    fn pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [(0, 0), (0, 0)]
    }

    /// Lengths of x, w, y.
    pub fn lens(&self) -> [usize; 3] {
        [
            self.batch * self.c_in * self.pixels_in(),
            self.c_out * self.rows(),
            self.batch * self.c_out * self.pixels_out(),
        ]
    }
}

/// y = conv(x, w) + b (see the module's doc comment). `y` is overwritten. Stride-1 3×3
/// convolutions take [`super::winograd`]'s F(2×2, 3×3) unless [`super::winograd_enabled`] says no.
pub fn forward(s: &Conv2dShape, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    if takes_winograd(s) {
        return winograd::forward(s, x, w, b, y);
    }
    forward_im2col(s, x, w, b, y);
}

/// The smallest output side that Winograd computes; smaller outputs take im2col. With the
/// channels innermost (see [`winograd`]) the 16×16 model's 4×4 convolutions ran 1.34–1.49×
/// faster by Winograd than by im2col and im2row in one timing run; at 2×2 (128 → 128
/// channels) im2col was faster (295 against 430 µs forward; BENCHMARKS.md).
const WINOGRAD_MIN_SIDE: usize = 4;

/// The fewest input channels that Winograd computes; fewer take im2col. With 3 (the RGB
/// input's first convolution) each of the 16 GEMMs sums over 3 values and the transforms
/// dominate: im2col was 2.1× faster forward and im2row 1.6× for the weight gradient (16 images,
/// 16×16 and 32×32, in one process).
const WINOGRAD_MIN_CHANNELS: usize = 8;

/// Whether [`forward`] computes this convolution by Winograd on this thread.
pub fn takes_winograd(s: &Conv2dShape) -> bool {
    winograd::applies(s)
        && super::winograd_enabled()
        && s.c_in >= WINOGRAD_MIN_CHANNELS
        && s.output()
            .is_some_and(|[h, w]| h.min(w) >= WINOGRAD_MIN_SIDE)
}

/// [`forward`] through im2col and one GEMM per group of images, whatever the kernel.
pub fn forward_im2col(s: &Conv2dShape, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    let group = images_per_group(s.pixels_out(), MIN_COLUMNS, s.batch);
    forward_in_groups(s, x, w, b, y, group);
}

/// [`forward`] with `group` images per GEMM (1: one GEMM per image, straight into y).
fn forward_in_groups(
    s: &Conv2dShape,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    group: usize,
) {
    let [x_len, w_len, y_len] = s.lens();
    assert!(x.len() == x_len && w.len() == w_len && y.len() == y_len && s.output().is_some());
    if let Some(b) = b {
        assert_eq!(b.len(), s.c_out);
    }
    let (k, p, per_x) = (s.rows(), s.pixels_out(), s.c_in * s.pixels_in());
    let per_y = s.c_out * p;
    let columns = Im2col::of(s);
    if group > 1 {
        // Small images: one GEMM over the im2col columns of `group` images, so W is packed
        // once per group, then each image's rows are copied out with the bias added.
        let run = |n0: usize, y_g: &mut [f32], par: Parallelism| {
            let count = y_g.len() / per_y;
            let cols = count * p;
            with_scratch(k * cols + s.c_out * cols, |buf| {
                let (col, out) = buf.split_at_mut(k * cols);
                for j in 0..count {
                    let x_n = &x[(n0 + j) * per_x..(n0 + j + 1) * per_x];
                    columns.fill(x_n, col, cols, j * p);
                }
                // [C_out, K] · [K, count·P]
                // (as outᵀ [count·P, C_out] = colᵀ · Wᵀ: colᵀ is column-major, so the GEMM reads it
                // without packing it)
                matmul(
                    cols,
                    s.c_out,
                    k,
                    (out, cols, 1),
                    false,
                    (col, cols, 1),
                    (w, k, 1),
                    par,
                );
                for j in 0..count {
                    for c in 0..s.c_out {
                        let src = &out[c * cols + j * p..c * cols + (j + 1) * p];
                        let dst = &mut y_g[(j * s.c_out + c) * p..(j * s.c_out + c + 1) * p];
                        match b {
                            Some(b) => {
                                for (d, &v) in dst.iter_mut().zip(src) {
                                    *d = v + b[c];
                                }
                            }
                            None => dst.copy_from_slice(src),
                        }
                    }
                }
            });
        };
        for_each_chunk(s.batch, group, y, per_y, run);
        return;
    }
    let image = |n: usize, y_n: &mut [f32], par: Parallelism| {
        let x_n = &x[n * per_x..(n + 1) * per_x];
        if let Some(b) = b {
            for (row, &bias) in y_n.chunks_exact_mut(p).zip(b) {
                row.fill(bias);
            }
        }
        let acc = b.is_some();
        if s.pointwise() {
            // [C_out, C_in] · [C_in, P]
            // (as y_nᵀ = x_nᵀ · Wᵀ, see below)
            matmul(p, s.c_out, k, (y_n, p, 1), acc, (x_n, p, 1), (w, k, 1), par);
        } else {
            with_scratch(k * p, |col| {
                columns.fill(x_n, col, p, 0);
                // [C_out, K] · [K, P]
                // (as y_nᵀ [P, C_out] = colᵀ · Wᵀ: colᵀ is column-major, read without packing)
                matmul(p, s.c_out, k, (y_n, p, 1), acc, (col, p, 1), (w, k, 1), par);
            });
        }
    };
    for_each_chunk(s.batch, 1, y, s.c_out * p, image);
}

/// dx for the output gradient dy (see the module's doc comment). `dx` is overwritten.
pub fn backward_input(s: &Conv2dShape, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let [x_len, w_len, y_len] = s.lens();
    assert!(dx.len() == x_len && w.len() == w_len && dy.len() == y_len && s.output().is_some());
    let [kh, kw] = s.kernel;
    let flip_pads = s
        .padding
        .iter()
        .zip(s.kernel)
        .all(|(&(a, b), k)| a < k && b < k);
    if s.stride == [1, 1] && s.dilation == [1, 1] && flip_pads && !s.pointwise() {
        // A stride-1 convolution's input gradient is the convolution of dy with the flipped,
        // transposed kernel: written straight into dx.
        let mut flipped = vec![0.0f32; w.len()];
        for co in 0..s.c_out {
            for ci in 0..s.c_in {
                for i in 0..kh {
                    for j in 0..kw {
                        flipped[((ci * s.c_out + co) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)] =
                            w[((co * s.c_in + ci) * kh + i) * kw + j];
                    }
                }
            }
        }
        let out = s.output().unwrap_or([0, 0]);
        let transposed = Conv2dShape {
            batch: s.batch,
            c_in: s.c_out,
            c_out: s.c_in,
            input: out,
            kernel: s.kernel,
            stride: [1, 1],
            padding: [
                (kh - 1 - s.padding[0].0, kh - 1 - s.padding[0].1),
                (kw - 1 - s.padding[1].0, kw - 1 - s.padding[1].1),
            ],
            dilation: [1, 1],
        };
        debug_assert_eq!(transposed.output(), Some(s.input));
        forward(&transposed, dy, &flipped, None, dx);
        return;
    }
    let (k, p, per_x) = (s.rows(), s.pixels_out(), s.c_in * s.pixels_in());
    let image = |n: usize, dx_n: &mut [f32], par: Parallelism| {
        let dy_n = &dy[n * s.c_out * p..(n + 1) * s.c_out * p];
        if s.pointwise() {
            // Wᵀ [C_in, C_out] · dy_n [C_out, P]
            matmul(
                s.c_in,
                p,
                s.c_out,
                (dx_n, 1, p),
                false,
                (w, k, 1),
                (dy_n, 1, p),
                par,
            );
        } else {
            with_scratch(k * p, |dcol| {
                // Wᵀ [K, C_out] · dy_n [C_out, P]
                matmul(
                    k,
                    p,
                    s.c_out,
                    (dcol, 1, p),
                    false,
                    (w, k, 1),
                    (dy_n, 1, p),
                    par,
                );
                dx_n.fill(0.0);
                col2im_add(s, dcol, dx_n);
            });
        }
    };
    for_each_chunk(s.batch, 1, dx, per_x, image);
}

/// dW = Σ_n dy_n · col(x_n)ᵀ. `dw` is overwritten; the images' sum is [`sum_over_runs`]'s.
pub fn backward_weight(s: &Conv2dShape, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    if takes_winograd(s) {
        return winograd::backward_weight(s, x, dy, dw);
    }
    backward_weight_im2row(s, x, dy, dw);
}

/// [`backward_weight`] through im2row, whatever the kernel.
pub fn backward_weight_im2row(s: &Conv2dShape, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let [x_len, w_len, y_len] = s.lens();
    assert!(x.len() == x_len && dw.len() == w_len && dy.len() == y_len && s.output().is_some());
    let (k, p, per_x) = (s.rows(), s.pixels_out(), s.c_in * s.pixels_in());
    let per_y = s.c_out * p;
    // Images per GEMM (small images: one GEMM over several images' pixels).
    let group = MIN_COLUMNS.div_ceil(p.max(1));
    let im2row = Im2row::of(s);
    // Adds the images n0..end to acc.
    let add_images = |n0: usize, end: usize, acc: &mut [f32], par: Parallelism| {
        if s.pointwise() {
            for n in n0..end {
                let x_n = &x[n * per_x..(n + 1) * per_x];
                let dy_n = &dy[n * per_y..(n + 1) * per_y];
                // dy_n [C_out, P] · x_nᵀ [P, C_in]
                matmul(
                    s.c_out,
                    k,
                    p,
                    (acc, 1, k),
                    true,
                    (dy_n, 1, p),
                    (x_n, p, 1),
                    par,
                );
            }
            return;
        }
        let mut n = n0;
        while n < end {
            let count = group.min(end - n);
            let cols = count * p;
            let dy_len = if count > 1 { per_y * count } else { 0 };
            with_scratch(k * cols + dy_len, |buf| {
                // Σ_n dy_n [C_out, P] · colᵀ [P, K], computed as dWᵀ [K, C_out] += col · dyᵀ with
                // col in column-major order (one K-row per output pixel, image after image),
                // which the GEMM reads without packing it: packing a [K, P] operand per image
                // cost as much as the products themselves.
                let (rows, dy_group) = buf.split_at_mut(k * cols);
                for j in 0..count {
                    let x_n = &x[(n + j) * per_x..(n + j + 1) * per_x];
                    im2row.fill(x_n, &mut rows[j * p * k..(j + 1) * p * k]);
                }
                let dy_cols: &[f32] = if count > 1 {
                    // dy of the group as [C_out, count·P]
                    for j in 0..count {
                        for c in 0..s.c_out {
                            let src = (n + j) * per_y + c * p;
                            dy_group[c * cols + j * p..c * cols + (j + 1) * p]
                                .copy_from_slice(&dy[src..src + p]);
                        }
                    }
                    dy_group
                } else {
                    &dy[n * per_y..(n + 1) * per_y]
                };
                matmul(
                    k,
                    s.c_out,
                    cols,
                    (acc, k, 1),
                    true,
                    (rows, k, 1),
                    (dy_cols, cols, 1),
                    par,
                );
            });
            n += count;
        }
    };
    sum_over_runs(s.batch, dw, add_images);
}

/// acc = Σ over the images 0..batch of what `add_images(first, end, acc, parallelism)` adds.
/// With fewer images than threads: one call, with parallel GEMMs. Else the batch is cut into
/// [`RUNS_PER_THREAD`] runs per thread, each summed into its own buffer on rayon's pool, and
/// those are added in a fixed order (the same sum whatever thread ran which run).
pub(super) fn sum_over_runs(
    batch: usize,
    acc: &mut [f32],
    add_images: impl Fn(usize, usize, &mut [f32], Parallelism) + Sync,
) {
    let threads = rayon::current_num_threads().max(1);
    acc.fill(0.0);
    // In a shard of a batch split over the cores (`super::shards`), every core has a shard
    // already: one run, whose GEMMs the other cores may still help with.
    if batch < threads || super::shards::in_shard() {
        add_images(0, batch, acc, Parallelism::Rayon(0));
        return;
    }
    let chunks = (RUNS_PER_THREAD * threads).min(batch);
    let per_chunk = batch.div_ceil(chunks);
    let partials: Vec<Vec<f32>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut part = vec![0.0f32; acc.len()];
            let start = (c * per_chunk).min(batch);
            let end = ((c + 1) * per_chunk).min(batch);
            add_images(start, end, &mut part, Parallelism::None);
            part
        })
        .collect();
    add_in_order(acc, &partials);
}

/// acc += Σ partials, each element summed in the partials' order (so the result does not
/// depend on which thread ran which part); spread over rayon's pool.
fn add_in_order(acc: &mut [f32], partials: &[Vec<f32>]) {
    const CHUNK: usize = 4096;
    acc.par_chunks_mut(CHUNK).enumerate().for_each(|(i, out)| {
        for part in partials {
            for (d, v) in out.iter_mut().zip(&part[i * CHUNK..]) {
                *d += v;
            }
        }
    });
}

/// db[c] = Σ_{n, p} dy[n, c, p], each image's row by [`super::simd::lane_sum`], the rows in
/// f64; channels spread over rayon's pool. `db` is overwritten.
pub fn backward_bias(s: &Conv2dShape, dy: &[f32], db: &mut [f32]) {
    let p = s.pixels_out();
    assert!(dy.len() == s.lens()[2] && db.len() == s.c_out);
    db.par_iter_mut().enumerate().for_each(|(c, d)| {
        super::simd::dispatch(
            #[inline(always)]
            || {
                let mut sum = 0.0f64;
                for n in 0..s.batch {
                    let row = &dy[(n * s.c_out + c) * p..(n * s.c_out + c + 1) * p];
                    sum += super::simd::lane_sum(row, row, |v, _| v);
                }
                *d = sum as f32;
            },
        )
    });
}

/// Runs of images per thread for a weight gradient's partial sums: more than one, so that a
/// thread slowed by something else leaves its last runs to the others instead of keeping them
/// waiting (CPU use of a 16×16 training step 163–167 % → 170–172 % on 2 cores).
pub(super) const RUNS_PER_THREAD: usize = 4;

/// Columns a GEMM should have for W's packing to be amortised.
const MIN_COLUMNS: usize = 1024;

/// Images per group: enough for `min_columns` GEMM columns (`per_image` each), but leaving at
/// least one group per thread when the batch allows.
pub(super) fn images_per_group(per_image: usize, min_columns: usize, batch: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    min_columns
        .div_ceil(per_image.max(1))
        .min((batch / threads).max(1))
        .min(batch.max(1))
}

/// Run `f(first_image, out_chunk, parallelism)` for each run of `group` images (the last one
/// may be shorter): over rayon's pool when there are at least as many runs as threads, else
/// one after another with parallel GEMMs.
pub(super) fn for_each_chunk(
    batch: usize,
    group: usize,
    out: &mut [f32],
    per_image: usize,
    f: impl Fn(usize, &mut [f32], Parallelism) + Sync,
) {
    if per_image == 0 || group == 0 {
        return;
    }
    let runs = batch.div_ceil(group);
    if runs >= rayon::current_num_threads().max(2) {
        out.par_chunks_mut(group * per_image)
            .enumerate()
            .for_each(|(i, o)| f(i * group, o, Parallelism::None));
    } else {
        for (i, o) in out.chunks_mut(group * per_image).enumerate() {
            f(i * group, o, Parallelism::Rayon(0));
        }
    }
}

/// One operand of a GEMM: the slice, its column stride and its row stride (in elements).
pub(super) type Operand<'a> = (&'a [f32], usize, usize);

/// dst `[m, n]` = (dst if `accumulate`) + lhs `[m, k]` · rhs `[k, n]`, each given with its
/// column and row strides.
#[allow(clippy::too_many_arguments)]
pub(super) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    (dst, dst_cs, dst_rs): (&mut [f32], usize, usize),
    accumulate: bool,
    lhs: Operand<'_>,
    rhs: Operand<'_>,
    parallelism: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        (m - 1) * dst_rs + (n - 1) * dst_cs < dst.len(),
        "GEMM output out of bounds"
    );
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * dst_rs + j * dst_cs] = 0.0;
                }
            }
        }
        return;
    }
    let last = |(data, cs, rs): Operand<'_>, rows: usize, cols: usize| {
        assert!(
            (rows - 1) * rs + (cols - 1) * cs < data.len(),
            "GEMM operand out of bounds"
        );
        data.as_ptr()
    };
    let lhs_ptr = last(lhs, m, k);
    let rhs_ptr = last(rhs, k, n);
    // SAFETY: every index the GEMM reads or writes was bounds-checked just above; dst does not
    // alias lhs or rhs (it is a distinct &mut).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_cs as isize,
            dst_rs as isize,
            accumulate,
            lhs_ptr,
            lhs.1 as isize,
            lhs.2 as isize,
            rhs_ptr,
            rhs.1 as isize,
            rhs.2 as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Lend `f` a buffer of `len` floats: this thread's scratch, grown when needed and never cleared
/// (callers overwrite what they read). A nested call gets a fresh buffer.
pub(super) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        }
        Err(_) => f(&mut vec![0.0; len]),
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Call `f(y_index, x_index, w_index)` for every product x·w in the definition
    /// y[n, o, a, b] = b[o] + Σ_{c, i, j} x[n, c, a·s − p + i·d, b·s − p + j·d] · w[o, c, i, j].
    fn for_each_product(s: &Conv2dShape, mut f: impl FnMut(usize, usize, usize)) {
        let [h, wd] = s.input;
        let [kh, kw] = s.kernel;
        let [ho, wo] = s.output().unwrap();
        for n in 0..s.batch {
            for o in 0..s.c_out {
                for a in 0..ho {
                    for bb in 0..wo {
                        let yi = ((n * s.c_out + o) * ho + a) * wo + bb;
                        for c in 0..s.c_in {
                            for i in 0..kh {
                                for j in 0..kw {
                                    let iy = (a * s.stride[0] + i * s.dilation[0]) as isize
                                        - s.padding[0].0 as isize;
                                    let ix = (bb * s.stride[1] + j * s.dilation[1]) as isize
                                        - s.padding[1].0 as isize;
                                    if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd
                                    {
                                        let xi =
                                            ((n * s.c_in + c) * h + iy as usize) * wd + ix as usize;
                                        f(yi, xi, ((o * s.c_in + c) * kh + i) * kw + j);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// y by the definition, in f64.
    pub(in super::super) fn direct(s: &Conv2dShape, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f64> {
        let per_channel = s.output().map_or(0, |[h, w]| h * w);
        let mut y: Vec<f64> = (0..s.lens()[2])
            .map(|yi| b[(yi / per_channel) % s.c_out] as f64)
            .collect();
        for_each_product(s, |yi, xi, wi| y[yi] += x[xi] as f64 * w[wi] as f64);
        y
    }

    /// dx and dW by the definition (f64): every product x·w in y scatters dy·w into dx and
    /// dy·x into dW.
    pub(in super::super) fn direct_grads(
        s: &Conv2dShape,
        x: &[f32],
        w: &[f32],
        dy: &[f32],
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut dx, mut dw) = (vec![0.0; x.len()], vec![0.0; w.len()]);
        for_each_product(s, |yi, xi, wi| {
            let g = dy[yi] as f64;
            dx[xi] += g * w[wi] as f64;
            dw[wi] += g * x[xi] as f64;
        });
        (dx, dw)
    }

    pub(in super::super) fn shapes() -> impl Strategy<Value = Conv2dShape> {
        (
            // c_in up to 9: Winograd takes 8 or more
            (1usize..4, 1usize..10, 1usize..5),
            (1usize..11, 1usize..11),
            prop_oneof![Just(1usize), Just(3)],
            (1usize..3, 1usize..3),
            (0usize..3, 0usize..3, 0usize..3, 0usize..3),
            1usize..3,
        )
            .prop_map(
                |((batch, c_in, c_out), (h, w), k, (sh, sw), (pt, pb, pl, pr), d)| Conv2dShape {
                    batch,
                    c_in,
                    c_out,
                    input: [h, w],
                    kernel: [k, k],
                    stride: [sh, sw],
                    padding: [(pt, pb), (pl, pr)],
                    dilation: [d, d],
                },
            )
            .prop_filter("kernel fits", |s| s.output().is_some())
    }

    pub(in super::super) fn values(len: usize, seed: u64) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Forward and the three gradients, element by element, against the definition in f64.
        #[test]
        fn forward_and_adjoints_match_the_definition(s in shapes(), seed in 0u64..1000) {
            let [xl, wl, yl] = s.lens();
            let (x, w, b, dy) = (values(xl, seed), values(wl, seed + 1), values(s.c_out, seed + 2), values(yl, seed + 3));
            let mut y = vec![f32::NAN; yl];
            let want = direct(&s, &x, &w, &b);
            // One GEMM per image, and several images per GEMM.
            for group in [1, 2, s.batch] {
                y.fill(f32::NAN);
                forward_in_groups(&s, &x, &w, Some(&b), &mut y, group);
                for (g, r) in y.iter().zip(&want) {
                    prop_assert!((*g as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "forward ({group} per GEMM) {g} vs {r}");
                }
            }
            // Winograd (where it applies) and im2col.
            for winograd in [true, false] {
                let path = if winograd { "winograd" } else { "im2col" };
                let run = |f: &mut dyn FnMut()| if winograd { f() } else { super::super::without_winograd(f) };
                let mut y = vec![f32::NAN; yl];
                run(&mut || forward(&s, &x, &w, Some(&b), &mut y));
                for (g, r) in y.iter().zip(&want) {
                    prop_assert!((*g as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "forward ({path}) {g} vs {r}");
                }
                let (want_dx, want_dw) = direct_grads(&s, &x, &w, &dy);
                let mut dx = vec![f32::NAN; xl];
                run(&mut || backward_input(&s, &w, &dy, &mut dx));
                for (g, r) in dx.iter().zip(&want_dx) {
                    prop_assert!((*g as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "input grad ({path}) {g} vs {r}");
                }
                let mut dw = vec![f32::NAN; wl];
                run(&mut || backward_weight(&s, &x, &dy, &mut dw));
                for (g, r) in dw.iter().zip(&want_dw) {
                    prop_assert!((*g as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "weight grad ({path}) {g} vs {r}");
                }
            }
            let mut db = vec![f32::NAN; s.c_out];
            backward_bias(&s, &dy, &mut db);
            let p = y.len() / (s.batch * s.c_out);
            for (c, &g) in db.iter().enumerate() {
                let want: f64 = (0..s.batch).flat_map(|n| dy[(n * s.c_out + c) * p..(n * s.c_out + c + 1) * p].iter()).map(|&v| v as f64).sum();
                prop_assert!((g as f64 - want).abs() < 1e-4 * (1.0 + want.abs()));
            }
        }
    }

    #[test]
    fn output_sizes() {
        let s = Conv2dShape {
            batch: 1,
            c_in: 1,
            c_out: 1,
            input: [32, 31],
            kernel: [3, 3],
            stride: [2, 2],
            padding: [(1, 1), (1, 1)],
            dilation: [1, 1],
        };
        assert_eq!(s.output(), Some([16, 16]));
        let too_small = Conv2dShape {
            input: [1, 1],
            padding: [(0, 0), (0, 0)],
            ..s
        };
        assert_eq!(too_small.output(), None);
    }
}
