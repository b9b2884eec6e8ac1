//! The im2col matrix of one image, its transpose and its adjoint, for [`super::conv2d`]'s GEMMs.
//!
//! col(x_n)[(c·k_h + i)·k_w + j, o_y·W_o + o_x] = x_n[c, o_y·s_h − p_top + i·d_h, o_x·s_w − p_left + j·d_w]
//! (0 outside the image), `[K, P]`; im2row writes its transpose `[P, K]`.
//!
//! Two ways to fill them, the same values:
//! - **row copies**: each output row o_y of a kernel position is one slice of an input row
//!   (one `memcpy` each: fast for long rows);
//! - **taps**: a table of where each value comes from in its channel's plane (u32::MAX in the
//!   padding), read as a gather. im2col of small or strided outputs takes it: there a row copy
//!   moves 2–7 values per call, and im2col took half the forward time of the 16×16 model's
//!   4×4 level (246 of 504 µs for 16 images, 64 → 64 channels; 61 µs by taps). im2row always
//!   takes it (one output pixel's K values written in order), 1.2–1.65× faster than the
//!   per-value loop it replaces, at every size measured.

use super::conv2d::Conv2dShape;
use super::simd;

/// Output widths below this, and every stride other than 1, take the taps in im2col (at width
/// 16 row copies were 1.2× faster, at 32 1.3×).
const TAPS_BELOW_WIDTH: usize = 8;

/// The taps of `s`: for kernel position r = i·k_w + j and output pixel q = o_y·W_o + o_x, the
/// index (y·W + x) in a channel's plane of the value col holds there, or u32::MAX in the
/// padding; at `taps[r·P + q]` (`by_pixel`: at `taps[q·k_h·k_w + r]`).
fn taps(s: &Conv2dShape, by_pixel: bool) -> Vec<u32> {
    let [h, w] = s.input;
    let [kh, kw] = s.kernel;
    let [ho, wo] = s.output().unwrap_or([0, 0]);
    let (p, positions) = (ho * wo, kh * kw);
    let mut taps = vec![u32::MAX; positions * p];
    for i in 0..kh {
        for j in 0..kw {
            for oy in 0..ho {
                let iy = (oy * s.stride[0] + i * s.dilation[0]) as isize - s.padding[0].0 as isize;
                for ox in 0..wo {
                    let ix =
                        (ox * s.stride[1] + j * s.dilation[1]) as isize - s.padding[1].0 as isize;
                    if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                        let (r, q) = (i * kw + j, oy * wo + ox);
                        let at = if by_pixel {
                            q * positions + r
                        } else {
                            r * p + q
                        };
                        taps[at] = u32::try_from(iy as usize * w + ix as usize).unwrap_or(u32::MAX);
                    }
                }
            }
        }
    }
    taps
}

/// One value of a channel's plane by its tap, 0 for a tap past the plane (u32::MAX, the
/// padding). (Faster than reading a copy of the plane with a 0 after it through a clamped
/// index: 61 against 91 µs for the 4×4 level's im2col of 16 images.)
#[inline(always)]
fn tap(plane: &[f32], t: u32) -> f32 {
    plane.get(t as usize).copied().unwrap_or(0.0)
}

/// How one convolution's im2col is filled: built once per convolution call, shared by its
/// images.
pub(super) struct Im2col<'a> {
    s: &'a Conv2dShape,
    /// `[k_h·k_w, P]` (see [`taps`]), or None for row copies
    taps: Option<Vec<u32>>,
}

impl<'a> Im2col<'a> {
    /// `s`'s im2col, through taps where they pay.
    pub(super) fn of(s: &'a Conv2dShape) -> Im2col<'a> {
        let wo = s.output().map_or(0, |[_, w]| w);
        Im2col::with_taps(s, wo < TAPS_BELOW_WIDTH || s.stride[1] != 1)
    }

    /// `s`'s im2col through taps or row copies.
    fn with_taps(s: &'a Conv2dShape, through_taps: bool) -> Im2col<'a> {
        let fits = s.pixels_in() < u32::MAX as usize;
        Im2col {
            s,
            taps: (through_taps && fits).then(|| taps(s, false)),
        }
    }

    /// col `[K, P]` of one image `[C_in, H, W]`, its row r at `col[r·row_stride + offset..][..P]`
    /// (every element of those rows written).
    pub(super) fn fill(&self, x_n: &[f32], col: &mut [f32], row_stride: usize, offset: usize) {
        let s = self.s;
        let Some(taps) = &self.taps else {
            return im2col_rows(s, x_n, col, row_stride, offset);
        };
        let (hw, p) = (s.pixels_in(), s.pixels_out());
        let positions = s.kernel[0] * s.kernel[1];
        simd::dispatch(
            #[inline(always)]
            || {
                for c in 0..s.c_in {
                    let plane = &x_n[c * hw..][..hw];
                    for (r, from) in taps.chunks_exact(p).enumerate().take(positions) {
                        let row = &mut col[(c * positions + r) * row_stride + offset..][..p];
                        for (v, &t) in row.iter_mut().zip(from) {
                            *v = tap(plane, t);
                        }
                    }
                }
            },
        );
    }
}

/// How one convolution's im2row (colᵀ) is filled: taps by output pixel, built once per
/// convolution call.
pub(super) struct Im2row<'a> {
    s: &'a Conv2dShape,
    /// `[P, k_h·k_w]` (see [`taps`])
    taps: Vec<u32>,
}

impl<'a> Im2row<'a> {
    /// `s`'s im2row.
    pub(super) fn of(s: &'a Conv2dShape) -> Im2row<'a> {
        Im2row {
            s,
            taps: taps(s, true),
        }
    }

    /// colᵀ `[P, K]` of one image `[C_in, H, W]`: the values of [`Im2col::fill`], one row per
    /// output pixel (every element written).
    pub(super) fn fill(&self, x_n: &[f32], rows: &mut [f32]) {
        let s = self.s;
        let (hw, k) = (s.pixels_in(), s.rows());
        let positions = s.kernel[0] * s.kernel[1];
        // (planes have far fewer than 2³² values: images are at most 256×256)
        debug_assert!(hw < u32::MAX as usize);
        if positions == 0 {
            return rows.fill(0.0);
        }
        simd::dispatch(
            #[inline(always)]
            || {
                for (row, from) in rows
                    .chunks_exact_mut(k)
                    .zip(self.taps.chunks_exact(positions))
                {
                    for (out, plane) in row.chunks_exact_mut(positions).zip(x_n.chunks_exact(hw)) {
                        for (v, &t) in out.iter_mut().zip(from) {
                            *v = tap(plane, t);
                        }
                    }
                }
            },
        );
    }
}

/// [`Im2col::fill`] by row copies.
fn im2col_rows(s: &Conv2dShape, x_n: &[f32], col: &mut [f32], row_stride: usize, offset: usize) {
    let [h, w] = s.input;
    let [kh, kw] = s.kernel;
    let [ho, wo] = s.output().unwrap_or([0, 0]);
    let p = ho * wo;
    for c in 0..s.c_in {
        let plane = &x_n[c * h * w..(c + 1) * h * w];
        for i in 0..kh {
            for j in 0..kw {
                let row = &mut col[((c * kh + i) * kw + j) * row_stride + offset..][..p];
                let off = (j * s.dilation[1]) as isize - s.padding[1].0 as isize;
                let (lo, hi) = valid_columns(wo, w, s.stride[1], off);
                for oy in 0..ho {
                    let out = &mut row[oy * wo..(oy + 1) * wo];
                    let iy =
                        (oy * s.stride[0] + i * s.dilation[0]) as isize - s.padding[0].0 as isize;
                    if iy < 0 || iy >= h as isize {
                        out.fill(0.0);
                        continue;
                    }
                    let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                    out[..lo].fill(0.0);
                    out[hi..].fill(0.0);
                    if hi == lo {
                        continue;
                    }
                    if s.stride[1] == 1 {
                        let start = (lo as isize + off) as usize;
                        out[lo..hi].copy_from_slice(&src[start..start + (hi - lo)]);
                    } else {
                        for (ox, o) in out.iter_mut().enumerate().take(hi).skip(lo) {
                            *o = src[((ox * s.stride[1]) as isize + off) as usize];
                        }
                    }
                }
            }
        }
    }
}

/// The range of output columns o_x whose input column o_x·s + off lies in 0..w.
fn valid_columns(out_w: usize, w: usize, stride: usize, off: isize) -> (usize, usize) {
    let lo = if off >= 0 {
        0
    } else {
        ((-off) as usize).div_ceil(stride)
    };
    let lim = w as isize - 1 - off;
    let hi = if lim < 0 {
        0
    } else {
        lim as usize / stride + 1
    };
    (lo.min(out_w), hi.min(out_w).max(lo.min(out_w)))
}

/// dx_n `[C_in, H, W]` += col⁻¹(dcol), the adjoint of [`Im2col::fill`].
pub(super) fn col2im_add(s: &Conv2dShape, dcol: &[f32], dx_n: &mut [f32]) {
    let [h, w] = s.input;
    let [kh, kw] = s.kernel;
    let [ho, wo] = s.output().unwrap_or([0, 0]);
    let p = ho * wo;
    for c in 0..s.c_in {
        let plane = &mut dx_n[c * h * w..(c + 1) * h * w];
        for i in 0..kh {
            for j in 0..kw {
                let row = &dcol[((c * kh + i) * kw + j) * p..][..p];
                let off = (j * s.dilation[1]) as isize - s.padding[1].0 as isize;
                let (lo, hi) = valid_columns(wo, w, s.stride[1], off);
                for oy in 0..ho {
                    let iy =
                        (oy * s.stride[0] + i * s.dilation[0]) as isize - s.padding[0].0 as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    let dst = &mut plane[iy as usize * w..(iy as usize + 1) * w];
                    let src = &row[oy * wo..(oy + 1) * wo];
                    for ox in lo..hi {
                        dst[((ox * s.stride[1]) as isize + off) as usize] += src[ox];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conv2d::tests::{shapes, values};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Taps and row copies fill the same im2col, at every vector level this CPU has
        /// (strides, dilations, asymmetric padding, 1×1 and 3×3); im2row is its transpose.
        #[test]
        fn taps_rows_and_transpose_agree(s in shapes(), seed in 0u64..1000) {
            let s = Conv2dShape { batch: 1, ..s };
            let x = values(s.lens()[0], seed);
            let (k, p) = (s.rows(), s.pixels_out());
            let mut want = vec![f32::NAN; k * p];
            im2col_rows(&s, &x, &mut want, p, 0);
            for level in [simd::Level::Baseline, simd::Level::Avx2, simd::Level::Avx512] {
                if level > simd::detected() {
                    continue;
                }
                simd::force(Some(level));
                // rows of 2P, the columns at offset P (as a group's second image)
                let mut col = vec![f32::NAN; k * 2 * p];
                Im2col::with_taps(&s, true).fill(&x, &mut col, 2 * p, p);
                let mut rows = vec![f32::NAN; p * k];
                Im2row::of(&s).fill(&x, &mut rows);
                simd::force(None);
                for r in 0..k {
                    for q in 0..p {
                        let v = want[r * p + q];
                        prop_assert_eq!(col[r * 2 * p + p + q].to_bits(), v.to_bits(), "taps at ({}, {})", r, q);
                        prop_assert_eq!(rows[q * k + r].to_bits(), v.to_bits(), "im2row at ({}, {})", q, r);
                    }
                }
            }
        }
    }

    #[test]
    fn small_and_strided_outputs_take_the_taps() {
        let shape = |side: usize, stride: usize| Conv2dShape {
            batch: 1,
            c_in: 2,
            c_out: 2,
            input: [side, side],
            kernel: [3, 3],
            stride: [stride, stride],
            padding: [(1, 1), (1, 1)],
            dilation: [1, 1],
        };
        assert!(Im2col::of(&shape(4, 1)).taps.is_some());
        assert!(Im2col::of(&shape(16, 2)).taps.is_some());
        assert!(Im2col::of(&shape(16, 1)).taps.is_none());
    }
}
