//! The vector instructions the kernels' own loops use, chosen at run time: the release binary
//! is built for baseline x86-64 (SSE2) and still runs there, while [`dispatch`] runs a loop
//! compiled again for AVX2+FMA or AVX-512 when the CPU at hand has them.
//!
//! `dispatch(#[inline(always)] || …)` inlines the closure (and the `#[inline]` iterator code in
//! it) into a copy of a small function compiled with those target features, so LLVM vectorises
//! it for that instruction set. Work spread over rayon's pool must call `dispatch` inside each
//! task: a closure handed to another thread is not inlined into the dispatching function.
//!
//! `DIFFUSION_PLAYGROUND_SIMD=baseline|avx2|avx512` caps the level for the whole process (for
//! benchmarks and tests of the slower paths); [`force`] does the same from inside a process.
//! A level above what the CPU has is never used.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// The environment variable that caps the instruction set of the kernels' own loops.
pub const SIMD_ENV: &str = "DIFFUSION_PLAYGROUND_SIMD";

/// An instruction-set level for the kernels' own loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// What the binary was built for (SSE2 on x86-64, NEON on aarch64).
    Baseline = 1,
    /// AVX2 and FMA (x86-64).
    Avx2 = 2,
    /// AVX-512 F/VL/BW/DQ (x86-64).
    Avx512 = 3,
}

impl Level {
    fn from_u8(v: u8) -> Option<Level> {
        match v {
            1 => Some(Level::Baseline),
            2 => Some(Level::Avx2),
            3 => Some(Level::Avx512),
            _ => None,
        }
    }

    /// The name used by [`SIMD_ENV`] and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "baseline" | "scalar" | "sse2" | "none" => Some(Level::Baseline),
            "avx2" => Some(Level::Avx2),
            "avx512" | "avx-512" => Some(Level::Avx512),
            _ => None,
        }
    }
}

/// The highest level this CPU supports.
pub fn detected() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx2;
        }
    }
    Level::Baseline
}

/// The level from [`SIMD_ENV`] and the CPU, read once.
fn from_environment() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = std::env::var(SIMD_ENV)
            .ok()
            .and_then(|v| Level::parse(&v))
            .unwrap_or(Level::Avx512);
        detected().min(cap)
    })
}

/// 0: no override; else a [`Level`] set by [`force`].
static FORCED: AtomicU8 = AtomicU8::new(0);

/// The level [`dispatch`] uses now.
pub fn level() -> Level {
    let env = from_environment();
    match Level::from_u8(FORCED.load(Ordering::Relaxed)) {
        Some(forced) => forced.min(detected()),
        None => env,
    }
}

/// Use `level` (capped at what the CPU has) everywhere from now on; `None` goes back to the
/// environment's choice. For tests of each path.
pub fn force(level: Option<Level>) {
    FORCED.store(level.map_or(0, |l| l as u8), Ordering::Relaxed);
}

/// Run `f`, compiled for the highest level in use (see the module's doc comment).
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: `level()` never exceeds `detected()`, which checked these features.
        Level::Avx512 => return unsafe { x86::avx512(f) },
        // SAFETY: as above.
        Level::Avx2 => return unsafe { x86::avx2(f) },
        Level::Baseline => {}
    }
    f()
}

/// Σ f(a_k, b_k) in 16 `f32` lanes (a loop LLVM vectorises), each lane's sum moved into an
/// `f64` total every 1024 values.
#[inline(always)]
pub fn lane_sum(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    const LANES: usize = 16;
    let mut total = 0.0f64;
    for (ca, cb) in a.chunks(1024).zip(b.chunks(1024)) {
        let mut acc = [0.0f32; LANES];
        let (ea, eb) = (ca.chunks_exact(LANES), cb.chunks_exact(LANES));
        let (ra, rb) = (ea.remainder(), eb.remainder());
        for (xa, xb) in ea.zip(eb) {
            for l in 0..LANES {
                acc[l] += f(xa[l], xb[l]);
            }
        }
        total += acc.iter().map(|&v| v as f64).sum::<f64>();
        total += ra
            .iter()
            .zip(rb)
            .map(|(&x, &y)| f(x, y) as f64)
            .sum::<f64>();
    }
    total
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
    pub fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
    pub fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_never_exceed_the_cpu() {
        assert_eq!(Level::parse(" AVX2 "), Some(Level::Avx2));
        assert_eq!(Level::parse("scalar"), Some(Level::Baseline));
        assert_eq!(Level::parse("avx-512"), Some(Level::Avx512));
        assert_eq!(Level::parse("sse9"), None);
        assert!(from_environment() <= detected());
        // A closure runs the same at every level.
        let sum = |v: &[f32]| dispatch(|| v.iter().sum::<f32>());
        assert_eq!(sum(&[1.0, 2.0, 3.5]), 6.5);
    }
}
