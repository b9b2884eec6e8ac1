//! Transpose of a strided block of `f32`: dst[j·dst_stride + i] = src[i·src_stride + j] for
//! i < rows, j < cols.
//!
//! [`super::winograd`] moves its images between NCHW and channels innermost with it. 8×8
//! blocks go through registers: with AVX (every level from AVX2 up) by the usual eight
//! unpacks, eight shuffles and eight lane permutes; otherwise (and at the edges) value by
//! value. LLVM does not find the shuffles itself: a copy through a `[[f32; 8]; 8]` compiles
//! to 64 scalar moves through the stack.

use super::simd;

/// Values per side of a block.
const B: usize = 8;

/// dst[j·dst_stride + i] = src[i·src_stride + j] for i < `rows`, j < `cols`; nothing else of
/// `dst` is written. Panics if a slice is too short for that.
pub fn transpose(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
    rows: usize,
    cols: usize,
) {
    let (full_rows, full_cols) = (rows - rows % B, cols - cols % B);
    #[cfg(target_arch = "x86_64")]
    if simd::level() >= simd::Level::Avx2 {
        // SAFETY: `level()` never exceeds what the CPU has, and AVX2 implies AVX.
        unsafe { x86::blocks(src, src_stride, dst, dst_stride, full_rows, full_cols) };
    } else {
        blocks(src, src_stride, dst, dst_stride, full_rows, full_cols);
    }
    #[cfg(not(target_arch = "x86_64"))]
    blocks(src, src_stride, dst, dst_stride, full_rows, full_cols);
    // The edges, each a loop along one row of dst or of src: the columns past the last whole
    // block for the rows of the blocks (for a 9-tap kernel's transform, one value in 9), then
    // the rows past the last block, every column.
    for j in full_cols..cols {
        let to = &mut dst[j * dst_stride..][..full_rows];
        for (i, v) in to.iter_mut().enumerate() {
            *v = src[i * src_stride + j];
        }
    }
    for i in full_rows..rows {
        for (j, &v) in src[i * src_stride..][..cols].iter().enumerate() {
            dst[j * dst_stride + i] = v;
        }
    }
}

/// The whole 8×8 blocks of rows 0..`rows`, columns 0..`cols` (multiples of 8), value by value.
fn blocks(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
    rows: usize,
    cols: usize,
) {
    for i0 in (0..rows).step_by(B) {
        for j0 in (0..cols).step_by(B) {
            for i in i0..i0 + B {
                let row = &src[i * src_stride + j0..][..B];
                for (c, &v) in row.iter().enumerate() {
                    dst[(j0 + c) * dst_stride + i] = v;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::B;
    use std::arch::x86_64::{
        __m256, _mm256_loadu_ps, _mm256_permute2f128_ps, _mm256_setzero_ps, _mm256_shuffle_ps,
        _mm256_storeu_ps, _mm256_unpackhi_ps, _mm256_unpacklo_ps,
    };

    /// [`super::blocks`] in AVX registers.
    #[target_feature(enable = "avx")]
    pub fn blocks(
        src: &[f32],
        src_stride: usize,
        dst: &mut [f32],
        dst_stride: usize,
        rows: usize,
        cols: usize,
    ) {
        for i0 in (0..rows).step_by(B) {
            for j0 in (0..cols).step_by(B) {
                let mut r = [_mm256_setzero_ps(); B];
                for (k, v) in r.iter_mut().enumerate() {
                    let row = &src[(i0 + k) * src_stride + j0..][..B];
                    // SAFETY: `row` holds the 8 values read.
                    *v = unsafe { _mm256_loadu_ps(row.as_ptr()) };
                }
                let out = transpose8(r);
                for (k, v) in out.iter().enumerate() {
                    let row = &mut dst[(j0 + k) * dst_stride + i0..][..B];
                    // SAFETY: `row` holds the 8 values written.
                    unsafe { _mm256_storeu_ps(row.as_mut_ptr(), *v) };
                }
            }
        }
    }

    /// Rows r_0..r_7 of an 8×8 block to its columns.
    #[target_feature(enable = "avx")]
    fn transpose8(r: [__m256; B]) -> [__m256; B] {
        // Pairs of rows interleaved: (a0 b0 a1 b1 | a4 b4 a5 b5) and (a2 b2 a3 b3 | a6 b6 a7 b7).
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        // Four rows' values of one column per 128-bit lane: (a0 b0 c0 d0 | a4 b4 c4 d4) and so on.
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        // The low lanes of rows 0–3 and 4–7 make columns 0–3, the high lanes columns 4–7.
        [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Every value lands where the definition puts it, at every vector level this CPU has;
        /// the rest of `dst` (strides wider than the block) is left as it was.
        #[test]
        fn matches_the_definition(
            (rows, cols) in (0usize..27, 0usize..27),
            (src_pad, dst_pad) in (0usize..5, 0usize..5),
        ) {
            let (ss, ds) = (cols + src_pad, rows + dst_pad);
            let src: Vec<f32> = (0..rows * ss).map(|v| v as f32).collect();
            for level in [simd::Level::Baseline, simd::Level::Avx2, simd::Level::Avx512] {
                if level > simd::detected() {
                    continue;
                }
                simd::force(Some(level));
                let mut dst = vec![-1.0f32; cols * ds];
                transpose(&src, ss, &mut dst, ds, rows, cols);
                simd::force(None);
                for j in 0..cols {
                    for k in 0..ds {
                        let want = if k < rows { src[k * ss + j] } else { -1.0 };
                        prop_assert_eq!(dst[j * ds + k], want, "({:?}) row {} column {}", level, j, k);
                    }
                }
            }
        }
    }
}
