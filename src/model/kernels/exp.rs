//! `eˣ` for `f32` in plain arithmetic, so that loops over slices vectorise (a call into libm's
//! `expf` stops the compiler from vectorising the loop around it).
//!
//! Formula: x = n·ln 2 + r with n = round(x / ln 2), |r| ≤ ln 2 / 2, then
//! eˣ = 2ⁿ · (1 + r + r²/2! + … + r⁶/6!), 2ⁿ built from the exponent bits.
//! The truncation error is below r⁷/7! ≤ 1.2·10⁻⁷ relative; inputs are clamped to [−87, 88],
//! where eˣ stays a normal `f32` (e⁻⁸⁷ ≈ 1.6·10⁻³⁸, e⁸⁸ ≈ 1.7·10³⁸).

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two so that n·LN2_HI is exact for |n| < 2⁸ (Cody–Waite).
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// 1.5·2²³: adding and subtracting it rounds an `f32` of magnitude < 2²² to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// eˣ, relative error < 3·10⁻⁷ on [−87, 88] (see the module's doc comment).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2_E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// σ(x) = 1 / (1 + e⁻ˣ).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_over_the_whole_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.001_37;
        }
        assert!(worst < 3e-7, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) > 0.0 && exp(-1000.0) < 1e-37);
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn sigmoid_is_the_logistic_function() {
        for x in [-30.0f32, -3.0, -0.5, 0.0, 0.25, 4.0, 40.0] {
            let want = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((sigmoid(x) as f64 - want).abs() < 1e-7, "σ({x})");
        }
    }
}
