//! The exact likelihood of a diffusion model: its probability-flow ODE (Song et al. 2021,
//! eq. 13 and appendix D.2), in the model's own discrete schedule, on the host in f64.
//!
//! **Continuous time.** Time s runs over [0, T] in units of the discrete steps. log ᾱ(s) is
//! the monotone cubic (Fritsch–Carlson) interpolation of the discrete log ᾱ_t through every
//! integer t, so ᾱ(t) is exactly the schedule's ᾱ_t at each step, and
//! β(s) = −d log ᾱ(s)/ds is continuous and ≥ 0 (on the step (t−1, t) it averages to
//! −log(1 − β_t) ≈ β_t). σ(s) = √(1 − ᾱ(s)). The network's time label is s itself,
//! through the same sinusoidal embedding at a real argument (Song et al.'s DDPM checkpoints
//! are evaluated the same way).
//!
//! **The ODE.** The variance-preserving SDE dx = −½β x ds + √β dW has the probability flow
//! dx/ds = f(x, s) = −½ β(s) [x + σ(s) ∇log p_s(x)] = −½ β(s) [x − ε_θ(x, s)/σ(s)],
//! with the score ∇log p_s(x) = −ε(x, s)/σ(s). (The minus sign in front of ε: a
//! denoiser's ε points away from the data, and the flow runs toward noise.)
//! Its divergence is div f = −½ β(s) [D − tr(∂ε_θ/∂x)/σ(s)], and along a solution x(s)
//!
//! log p_{s₀}(x(s₀)) = log N(x(T); 0, I) + ∫_{s₀}^{T} div f(x(s), s) ds.
//!
//! The flow is invertible and of the data's own dimension, so this density is finite: the
//! note's P(x) = ∫ P(z) P(x|z) dz with G = the reverse flow and no σ at all. It starts at
//! s₀ = 10⁻⁵·T (Song et al.'s ε = 10⁻⁵), where the noise σ(s₀) ≈ 10⁻³ is far below an 8-bit
//! bin (2/255).
//!
//! **Solvers.** An adaptive Dormand–Prince RK45 with rtol/atol on the whole state (points
//! and their log-determinants), or a fixed-step Heun on a grid uniform in the log
//! signal-to-noise ratio log(ᾱ/(1 − ᾱ)) (geometric in s near 0, where the divergence of
//! 8-bit data grows like D/(2s)). Both report the number of field evaluations (NFE).
//!
//! **Bits.** An 8-bit value v = −1 + 2k/255 owns the bin [v − 1/255, v + 1/255].
//! Dequantising, x = v + u with u ~ U(−1/255, 1/255)^D, gives
//! log P(bin) ≥ E_u[log p(v + u)] + D·log(2/255) (Jensen), so
//! bits/dim = −(log p(v + u) + D log(2/255)) / (D ln 2) is an unbiased estimate of an upper
//! bound on the discrete NLL, in the same unit as the −ELBO's discretised decoder, and never
//! below 0 in expectation. Without the dequantisation the same formula evaluates a density
//! at the bin's centre as if it were constant over the bin, and on saturated data it goes
//! negative (the tests show it).

use super::Schedule;
use rand::Rng;
use std::f64::consts::{LN_2, PI};

/// Song et al.'s start of the integration, as a fraction of T.
pub const START_FRACTION: f64 = 1e-5;

/// The model's discrete schedule made continuous (see the module docs).
#[derive(Clone, Debug)]
pub struct FlowSchedule {
    /// log ᾱ_t at t = 0..=T
    log_alpha_bar: Vec<f64>,
    /// d log ᾱ/ds at each integer t (Fritsch–Carlson slopes)
    slope: Vec<f64>,
}

impl FlowSchedule {
    /// The continuous version of `schedule`.
    pub fn new(schedule: &Schedule) -> Self {
        let log_alpha_bar: Vec<f64> = schedule.alpha_bars().iter().map(|a| a.ln()).collect();
        let n = log_alpha_bar.len();
        let d: Vec<f64> = log_alpha_bar.windows(2).map(|w| w[1] - w[0]).collect();
        let mut slope = vec![0.0; n];
        slope[0] = d[0];
        slope[n - 1] = d[n - 2];
        for i in 1..n - 1 {
            let (a, b) = (d[i - 1], d[i]);
            // Equal spacing: the harmonic mean of the neighbouring secants keeps the cubic
            // monotone (both ≤ 0 here, since ᾱ never grows).
            slope[i] = if a * b > 0.0 {
                2.0 / (1.0 / a + 1.0 / b)
            } else {
                0.0
            };
        }
        Self {
            log_alpha_bar,
            slope,
        }
    }

    /// T.
    pub fn t_max(&self) -> f64 {
        (self.log_alpha_bar.len() - 1) as f64
    }

    /// Where the integration starts: 10⁻⁵·T.
    pub fn s_start(&self) -> f64 {
        START_FRACTION * self.t_max()
    }

    /// The segment holding s and the position u ∈ [0, 1] in it.
    fn segment(&self, s: f64) -> (usize, f64) {
        let s = s.clamp(0.0, self.t_max());
        let i = (s.floor() as usize).min(self.log_alpha_bar.len() - 2);
        (i, s - i as f64)
    }

    /// log ᾱ(s).
    pub fn log_alpha_bar(&self, s: f64) -> f64 {
        let (i, u) = self.segment(s);
        let (u2, u3) = (u * u, u * u * u);
        let h00 = 2.0 * u3 - 3.0 * u2 + 1.0;
        let h10 = u3 - 2.0 * u2 + u;
        let h01 = -2.0 * u3 + 3.0 * u2;
        let h11 = u3 - u2;
        h00 * self.log_alpha_bar[i]
            + h10 * self.slope[i]
            + h01 * self.log_alpha_bar[i + 1]
            + h11 * self.slope[i + 1]
    }

    /// β(s) = −d log ᾱ(s)/ds.
    pub fn beta(&self, s: f64) -> f64 {
        let (i, u) = self.segment(s);
        let u2 = u * u;
        let d00 = 6.0 * u2 - 6.0 * u;
        let d10 = 3.0 * u2 - 4.0 * u + 1.0;
        let d01 = -6.0 * u2 + 6.0 * u;
        let d11 = 3.0 * u2 - 2.0 * u;
        -(d00 * self.log_alpha_bar[i]
            + d10 * self.slope[i]
            + d01 * self.log_alpha_bar[i + 1]
            + d11 * self.slope[i + 1])
    }

    /// ᾱ(s).
    pub fn alpha_bar(&self, s: f64) -> f64 {
        self.log_alpha_bar(s).exp()
    }

    /// σ(s) = √(1 − ᾱ(s)), without cancellation near s = 0.
    pub fn sigma(&self, s: f64) -> f64 {
        (-self.log_alpha_bar(s).exp_m1()).sqrt()
    }

    /// The time s ∈ [s₀, T] where the log signal-to-noise ratio is `lambda` (clamped to the
    /// ends), by bisection: λ(s) decreases in s.
    pub fn s_for_log_snr(&self, lambda: f64, s0: f64) -> f64 {
        let (mut lo, mut hi) = (s0, self.t_max());
        if lambda >= self.log_snr(lo) {
            return lo;
        }
        if lambda <= self.log_snr(hi) {
            return hi;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.log_snr(mid) > lambda {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// The log signal-to-noise ratio λ(s) = log(ᾱ/(1 − ᾱ)), decreasing in s.
    pub fn log_snr(&self, s: f64) -> f64 {
        let la = self.log_alpha_bar(s);
        la - (-la.exp_m1()).ln()
    }

    /// The s in [lo, hi] where λ(s) = `lambda` (bisection; λ is monotone).
    fn s_at_log_snr(&self, lambda: f64, lo: f64, hi: f64) -> f64 {
        let (mut a, mut b) = (lo, hi);
        for _ in 0..100 {
            let m = 0.5 * (a + b);
            if self.log_snr(m) > lambda {
                a = m;
            } else {
                b = m;
            }
        }
        0.5 * (a + b)
    }

    /// `steps` + 1 times from s0 to s1, uniform in λ: geometric in s near 0, where the field
    /// of 8-bit data grows like 1/s, and even elsewhere.
    pub fn log_snr_grid(&self, s0: f64, s1: f64, steps: usize) -> Vec<f64> {
        let (l0, l1) = (self.log_snr(s0), self.log_snr(s1));
        (0..=steps)
            .map(|i| match i {
                0 => s0,
                i if i == steps => s1,
                i => {
                    let lambda = l0 + (l1 - l0) * i as f64 / steps as f64;
                    self.s_at_log_snr(lambda, s0, s1)
                }
            })
            .collect()
    }
}

/// How the ODE is integrated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OdeSolver {
    /// Dormand–Prince 5(4) with an adaptive step: the error of each step, relative to
    /// atol + rtol·|y| and averaged in RMS over the whole state, stays below 1.
    Rk45 {
        /// relative tolerance
        rtol: f64,
        /// absolute tolerance
        atol: f64,
    },
    /// Heun's method on `steps` steps of a grid uniform in log-SNR (2·steps evaluations).
    Heun {
        /// steps
        steps: usize,
    },
}

impl OdeSolver {
    /// RK45 with rtol = atol = 10⁻⁵, as in Song et al.
    pub const DEFAULT: Self = Self::Rk45 {
        rtol: 1e-5,
        atol: 1e-5,
    };

    /// "rk45 (rtol …, atol …)" or "heun (N steps)".
    pub fn describe(&self) -> String {
        match self {
            Self::Rk45 { rtol, atol } => format!("rk45 (rtol {rtol:e}, atol {atol:e})"),
            Self::Heun { steps } => format!("heun ({steps} steps)"),
        }
    }
}

/// The network's side of the field at one time s, for a batch: ε̂ (batch × D) and, per point,
/// tr(∂ε̂/∂x) exactly or a Hutchinson estimate of it (the same probes at every s).
pub struct EpsAndTrace {
    /// ε̂, row-major [batch, D]
    pub eps: Vec<f64>,
    /// tr(∂ε̂/∂x) per point
    pub trace: Vec<f64>,
}

/// What [`log_likelihood`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct OdeLikelihood {
    /// log p_{s₀}(x) per point, nats (a density over the D values)
    pub log_p_nats: Vec<f64>,
    /// of which log N(x(T); 0, I), per point
    pub prior_nats: Vec<f64>,
    /// field evaluations (network calls on the batch)
    pub nfe: usize,
    /// accepted steps
    pub steps: usize,
    /// x(T), row-major [batch, D]
    pub x_end: Vec<f64>,
}

/// f and div f from the network's ε̂ and trace at s, into `dy` (points, then log-dets).
fn flow_field(fs: &FlowSchedule, s: f64, y: &[f64], dim: usize, et: &EpsAndTrace, dy: &mut [f64]) {
    let n = et.trace.len();
    let (beta, sigma) = (fs.beta(s), fs.sigma(s));
    for i in 0..n * dim {
        dy[i] = -0.5 * beta * (y[i] - et.eps[i] / sigma);
    }
    for (j, tr) in et.trace.iter().enumerate() {
        dy[n * dim + j] = -0.5 * beta * (dim as f64 - tr / sigma);
    }
}

/// log p(x) of the probability-flow ODE for every point of `x` (row-major [batch, dim]),
/// integrating from s₀ = [`FlowSchedule::s_start`] to T. `net(s, x)` evaluates the network
/// at time s on the batch; an error from it (a device error, or a cancel) ends the
/// integration.
pub fn log_likelihood<E>(
    fs: &FlowSchedule,
    x: &[f64],
    dim: usize,
    solver: OdeSolver,
    mut net: impl FnMut(f64, &[f64]) -> Result<EpsAndTrace, E>,
) -> Result<OdeLikelihood, E> {
    let n = if dim == 0 { 0 } else { x.len() / dim };
    let len = n * dim + n;
    let mut y = Vec::with_capacity(len);
    y.extend_from_slice(&x[..n * dim]);
    y.resize(len, 0.0);
    let (s0, s1) = (fs.s_start(), fs.t_max());
    let mut nfe = 0;
    let mut field = |s: f64, y: &[f64], dy: &mut [f64]| -> Result<(), E> {
        nfe += 1;
        let et = net(s, &y[..n * dim])?;
        flow_field(fs, s, y, dim, &et, dy);
        Ok(())
    };
    let steps = match solver {
        OdeSolver::Rk45 { rtol, atol } => rk45(&mut field, &mut y, s0, s1, rtol, atol)?,
        OdeSolver::Heun { steps } => {
            heun(&mut field, &mut y, &fs.log_snr_grid(s0, s1, steps.max(1)))?
        }
    };
    let x_end = y[..n * dim].to_vec();
    let prior_nats: Vec<f64> = x_end
        .chunks(dim.max(1))
        .map(|p| -0.5 * p.iter().map(|v| v * v + (2.0 * PI).ln()).sum::<f64>())
        .collect();
    let log_p_nats = prior_nats
        .iter()
        .zip(&y[n * dim..])
        .map(|(prior, integral)| prior + integral)
        .collect();
    Ok(OdeLikelihood {
        log_p_nats,
        prior_nats,
        nfe,
        steps,
        x_end,
    })
}

/// Heun's method (explicit trapezoid) over the times of `grid`.
fn heun<E>(
    field: &mut impl FnMut(f64, &[f64], &mut [f64]) -> Result<(), E>,
    y: &mut [f64],
    grid: &[f64],
) -> Result<usize, E> {
    let steps = grid.len() - 1;
    let at = |i: usize| grid[i];
    let len = y.len();
    let (mut k1, mut k2, mut y_mid) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
    field(at(0), y, &mut k1)?;
    for i in 0..steps {
        let (a, b) = (at(i), at(i + 1));
        let h = b - a;
        for j in 0..len {
            y_mid[j] = y[j] + h * k1[j];
        }
        field(b, &y_mid, &mut k2)?;
        for j in 0..len {
            y[j] += 0.5 * h * (k1[j] + k2[j]);
        }
        if i + 1 < steps {
            field(b, y, &mut k1)?;
        }
    }
    Ok(steps)
}

/// Dormand–Prince 5(4), first same as last, with the usual step-size controller.
fn rk45<E>(
    field: &mut impl FnMut(f64, &[f64], &mut [f64]) -> Result<(), E>,
    y: &mut [f64],
    s0: f64,
    s1: f64,
    rtol: f64,
    atol: f64,
) -> Result<usize, E> {
    const C: [f64; 6] = [1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
    const A: [&[f64]; 6] = [
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        &[
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
        ],
    ];
    // 5th-order weights minus the embedded 4th-order ones, for the 7 stages.
    const E: [f64; 7] = [
        35.0 / 384.0 - 5179.0 / 57600.0,
        0.0,
        500.0 / 1113.0 - 7571.0 / 16695.0,
        125.0 / 192.0 - 393.0 / 640.0,
        -2187.0 / 6784.0 + 92097.0 / 339200.0,
        11.0 / 84.0 - 187.0 / 2100.0,
        -1.0 / 40.0,
    ];
    let len = y.len();
    let mut k: Vec<Vec<f64>> = (0..7).map(|_| vec![0.0; len]).collect();
    let mut y_stage = vec![0.0; len];
    let mut s = s0;
    // The field near s₀ grows like 1/√s: start with a step of the order of s₀ itself.
    let mut h = (s0.max(1e-3 * (s1 - s0))).min(s1 - s0);
    let mut accepted = 0;
    field(s, y, &mut k[0])?;
    while s < s1 {
        h = h.min(s1 - s);
        for stage in 0..6 {
            let row = A[stage];
            for j in 0..len {
                let mut acc = y[j];
                for (m, a) in row.iter().enumerate() {
                    acc += h * a * k[m][j];
                }
                y_stage[j] = acc;
            }
            field(s + C[stage] * h, &y_stage, &mut k[stage + 1])?;
        }
        // y_stage is now the 5th-order solution (the last row of A is its weights).
        let mut err_sq = 0.0;
        for j in 0..len {
            let e: f64 = (0..7).map(|m| E[m] * k[m][j]).sum::<f64>() * h;
            let scale = atol + rtol * y[j].abs().max(y_stage[j].abs());
            err_sq += (e / scale).powi(2);
        }
        let err = (err_sq / len.max(1) as f64).sqrt();
        if err <= 1.0 || h <= 1e-12 * (s1 - s0) {
            s += h;
            y.copy_from_slice(&y_stage);
            k.swap(0, 6);
            accepted += 1;
        }
        let factor = if err == 0.0 {
            5.0
        } else {
            (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
        };
        h *= factor;
    }
    Ok(accepted)
}

/// x + u with u ~ U(−1/255, 1/255) in every value: a point drawn uniformly from x's 8-bit bin.
pub fn dequantise(x_unit: &[f32], rng: &mut impl Rng) -> Vec<f64> {
    const HALF_BIN: f64 = 1.0 / 255.0;
    x_unit
        .iter()
        .map(|&v| v as f64 + rng.random_range(-HALF_BIN..HALF_BIN))
        .collect()
}

/// bits/dim of the bins from a density at a point of them:
/// −(log p + D·log(2/255)) / (D ln 2) (see the module docs).
pub fn bits_per_dim_of_bins(log_density_nats: f64, dim: usize) -> f64 {
    let d = dim as f64;
    -(log_density_nats + d * (2.0f64 / 255.0).ln()) / (d * LN_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::ScheduleKind;
    use rand::SeedableRng;

    fn linear() -> FlowSchedule {
        FlowSchedule::new(&Schedule::new(ScheduleKind::Linear, 1000).unwrap())
    }

    #[test]
    fn the_continuous_schedule_passes_through_every_step_and_beta_is_its_derivative() {
        for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
            let sched = Schedule::new(kind, 1000).unwrap();
            let fs = FlowSchedule::new(&sched);
            for t in [0, 1, 2, 17, 500, 999, 1000] {
                let want = sched.alpha_bar(t);
                assert!((fs.alpha_bar(t as f64) - want).abs() <= 1e-12 * want.max(1e-300));
            }
            for s in [0.3, 1.5, 250.25, 700.9, 998.5] {
                let h = 1e-5;
                let numeric = -(fs.log_alpha_bar(s + h) - fs.log_alpha_bar(s - h)) / (2.0 * h);
                assert!(
                    (fs.beta(s) - numeric).abs() < 1e-6 * numeric.abs().max(1e-6),
                    "{kind:?} s {s}: β {} numeric {numeric}",
                    fs.beta(s)
                );
                assert!(fs.beta(s) >= 0.0);
            }
            // On (t−1, t) β(s) integrates to −log(1 − β_t).
            let t = 300;
            let integral: f64 = (0..1000)
                .map(|i| fs.beta(t as f64 - 1.0 + (i as f64 + 0.5) / 1000.0) / 1000.0)
                .sum();
            assert!((integral + (1.0 - sched.beta(t)).ln()).abs() < 1e-7);
        }
    }

    /// Data N(μ, s²) in every dimension: at time s the marginal is N(√ᾱ μ, v) with
    /// v = ᾱ s² + 1 − ᾱ, and the optimal ε̂ = σ (x − √ᾱ μ)/v, with trace D σ/v.
    fn gaussian_net(
        fs: &FlowSchedule,
        mu: f64,
        sd: f64,
        dim: usize,
    ) -> impl FnMut(f64, &[f64]) -> Result<EpsAndTrace, ()> + '_ {
        move |s, x| {
            let (ab, sigma) = (fs.alpha_bar(s), fs.sigma(s));
            let v = ab * sd * sd + 1.0 - ab;
            let eps = x
                .iter()
                .map(|xi| sigma * (xi - ab.sqrt() * mu) / v)
                .collect();
            let trace = vec![dim as f64 * sigma / v; x.len() / dim];
            Ok(EpsAndTrace { eps, trace })
        }
    }

    /// The flow keeps each point's z-score: x(T) = √ᾱ_T μ + √(v_T/v₀)(x − √ᾱ₀ μ), so the
    /// model's log p(x) = log N(x(T); 0, I) + (D/2) log(v_T/v₀).
    fn gaussian_closed_form(fs: &FlowSchedule, mu: f64, sd: f64, x: &[f64]) -> f64 {
        let v = |s: f64| fs.alpha_bar(s) * sd * sd + 1.0 - fs.alpha_bar(s);
        let (s0, s1) = (fs.s_start(), fs.t_max());
        let ratio = (v(s1) / v(s0)).sqrt();
        x.iter()
            .map(|&xi| {
                let end =
                    fs.alpha_bar(s1).sqrt() * mu + ratio * (xi - fs.alpha_bar(s0).sqrt() * mu);
                -0.5 * (end * end + (2.0 * PI).ln()) + ratio.ln()
            })
            .sum()
    }

    #[test]
    fn gaussian_data_with_its_optimal_predictor_matches_the_closed_form() {
        let fs = linear();
        let (mu, sd, dim) = (0.3, 0.5, 3);
        let x = [0.1, -0.7, 0.9, 0.3, 0.31, -0.2];
        for solver in [OdeSolver::DEFAULT, OdeSolver::Heun { steps: 400 }] {
            let out = log_likelihood(&fs, &x, dim, solver, gaussian_net(&fs, mu, sd, dim)).unwrap();
            for (p, point) in out.log_p_nats.iter().zip(x.chunks(dim)) {
                let want = gaussian_closed_form(&fs, mu, sd, point);
                assert!(
                    (p - want).abs() / dim as f64 <= 1e-3,
                    "{solver:?}: {p} vs {want} (nfe {})",
                    out.nfe
                );
            }
            // ...and the model is the data's own density up to the prior's tiny mismatch.
            let exact: f64 = x[..dim]
                .iter()
                .map(|&xi| crate::diffusion::gaussian::normal_log_pdf(xi, mu, (sd * sd).ln()))
                .sum();
            assert!(
                (out.log_p_nats[0] - exact).abs() < 0.01,
                "{} vs {exact}",
                out.log_p_nats[0]
            );
        }
    }

    #[test]
    fn a_wrong_sign_or_a_missing_trace_breaks_the_gaussian_oracle() {
        let fs = linear();
        let (mu, sd, dim) = (0.3, 0.5, 2);
        let x = [0.1, -0.7];
        let want = gaussian_closed_form(&fs, mu, sd, &x);
        let mut net = gaussian_net(&fs, mu, sd, dim);
        let flipped = log_likelihood(&fs, &x, dim, OdeSolver::DEFAULT, |s, x| {
            net(s, x).map(|mut et| {
                et.eps.iter_mut().for_each(|e| *e = -*e);
                et.trace.iter_mut().for_each(|t| *t = -*t);
                et
            })
        })
        .unwrap();
        assert!((flipped.log_p_nats[0] - want).abs() > 0.1);
        let mut net = gaussian_net(&fs, mu, sd, dim);
        let no_trace = log_likelihood(&fs, &x, dim, OdeSolver::DEFAULT, |s, x| {
            net(s, x).map(|mut et| {
                et.trace.iter_mut().for_each(|t| *t = 0.0);
                et
            })
        })
        .unwrap();
        assert!((no_trace.log_p_nats[0] - want).abs() > 0.1);
    }

    /// A 2-D mixture of isotropic Gaussians: its exact ε̂ = −σ ∇log p_s and the trace of its
    /// Jacobian, −σ Δ log p_s, in closed form.
    struct Mixture {
        weights: Vec<f64>,
        means: Vec<[f64; 2]>,
        sds: Vec<f64>,
    }

    impl Mixture {
        /// log p_s(x), ∇log p_s(x) and Δ log p_s(x).
        fn at(&self, ab: f64, x: [f64; 2]) -> (f64, [f64; 2], f64) {
            let parts: Vec<(f64, [f64; 2], f64)> = (0..self.weights.len())
                .map(|k| {
                    let v = ab * self.sds[k].powi(2) + 1.0 - ab;
                    let m = [ab.sqrt() * self.means[k][0], ab.sqrt() * self.means[k][1]];
                    let d = [x[0] - m[0], x[1] - m[1]];
                    let logn = -(2.0 * PI * v).ln() - (d[0] * d[0] + d[1] * d[1]) / (2.0 * v);
                    (
                        self.weights[k].ln() + logn,
                        [-d[0] / v, -d[1] / v],
                        -2.0 / v,
                    )
                })
                .collect();
            let top = parts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = parts.iter().map(|p| (p.0 - top).exp()).sum();
            let log_p = top + z.ln();
            let r: Vec<f64> = parts.iter().map(|p| (p.0 - log_p).exp()).collect();
            let mut g = [0.0; 2];
            let mut lap = 0.0;
            for (rk, p) in r.iter().zip(&parts) {
                g[0] += rk * p.1[0];
                g[1] += rk * p.1[1];
                lap += rk * (p.2 + p.1[0] * p.1[0] + p.1[1] * p.1[1]);
            }
            lap -= g[0] * g[0] + g[1] * g[1];
            (log_p, g, lap)
        }
    }

    #[test]
    fn a_2d_mixture_with_its_exact_score_gives_its_own_log_density() {
        let fs = linear();
        let mix = Mixture {
            weights: vec![0.5, 0.3, 0.2],
            means: vec![[-0.6, 0.2], [0.5, 0.5], [0.2, -0.7]],
            sds: vec![0.15, 0.25, 0.1],
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut x = Vec::new();
        for _ in 0..1000 {
            let u: f64 = rng.random();
            let k = if u < 0.5 {
                0
            } else if u < 0.8 {
                1
            } else {
                2
            };
            for c in 0..2 {
                let z: f64 =
                    rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                x.push(mix.means[k][c] + mix.sds[k] * z);
            }
        }
        let out = log_likelihood(&fs, &x, 2, OdeSolver::DEFAULT, |s, pts: &[f64]| {
            let (ab, sigma) = (fs.alpha_bar(s), fs.sigma(s));
            let mut eps = Vec::with_capacity(pts.len());
            let mut trace = Vec::new();
            for p in pts.chunks(2) {
                let (_, g, lap) = mix.at(ab, [p[0], p[1]]);
                eps.extend([-sigma * g[0], -sigma * g[1]]);
                trace.push(-sigma * lap);
            }
            Ok::<_, ()>(EpsAndTrace { eps, trace })
        })
        .unwrap();
        let s0_ab = fs.alpha_bar(fs.s_start());
        let mean_abs = out
            .log_p_nats
            .iter()
            .zip(x.chunks(2))
            .map(|(p, pt)| (p - mix.at(s0_ab, [pt[0], pt[1]]).0).abs())
            .sum::<f64>()
            / 1000.0;
        assert!(
            mean_abs < 0.05,
            "mean |log p_ODE − log p| = {mean_abs} (nfe {})",
            out.nfe
        );
    }

    #[test]
    fn without_dequantisation_saturated_data_reads_negative_bits() {
        // Every value saturated at 1, the model's density a narrow Gaussian there (sd 10⁻³):
        // its density at the bin's centre times the bin's width is above 1.
        let fs = linear();
        let (mu, sd, dim) = (1.0, 1e-3, 4);
        let x_unit = vec![1.0f32; dim];
        let centre: Vec<f64> = x_unit.iter().map(|&v| v as f64).collect();
        let at_centre = log_likelihood(
            &fs,
            &centre,
            dim,
            OdeSolver::DEFAULT,
            gaussian_net(&fs, mu, sd, dim),
        )
        .unwrap();
        let bits_centre = bits_per_dim_of_bins(at_centre.log_p_nats[0], dim);
        assert!(bits_centre < 0.0, "{bits_centre}");
        // Dequantised, the same model reads positive bits: it puts little mass on most of the bin.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let draws: Vec<f64> = (0..64)
            .flat_map(|_| dequantise(&x_unit, &mut rng))
            .collect();
        let out = log_likelihood(
            &fs,
            &draws,
            dim,
            OdeSolver::DEFAULT,
            gaussian_net(&fs, mu, sd, dim),
        )
        .unwrap();
        let bits: Vec<f64> = out
            .log_p_nats
            .iter()
            .map(|&l| bits_per_dim_of_bins(l, dim))
            .collect();
        let mean = bits.iter().sum::<f64>() / bits.len() as f64;
        assert!(mean > 0.0, "{mean}");
    }

    #[test]
    fn dequantised_points_stay_in_their_bins() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let x: Vec<f32> = (0..=255).map(|k| -1.0 + 2.0 * k as f32 / 255.0).collect();
        let d = dequantise(&x, &mut rng);
        for (v, dv) in x.iter().zip(&d) {
            assert!((dv - *v as f64).abs() <= 1.0 / 255.0);
        }
        assert!((bits_per_dim_of_bins(-(2.0f64 / 255.0).ln() * 3.0, 3)).abs() < 1e-12);
    }
}
