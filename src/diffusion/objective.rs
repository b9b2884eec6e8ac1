//! What a network predicts, and the plain conversions between the targets, in f64.
//!
//! A variance-preserving diffusion writes x_t = a·x₀ + s·ε with a = √ᾱ_t, s = √(1 − ᾱ_t)
//! (a² + s² = 1). A network may predict
//! - ε (Ho et al. 2020): the noise;
//! - x₀: the clean data;
//! - v = a·ε − s·x₀ (Salimans & Ho 2022): then x₀ = a·x_t − s·v and ε = s·x_t + a·v.
//!
//! Flow matching / rectified flow (Lipman et al. 2023, Liu et al. 2023) writes instead
//! x_t = (1 − t)·x₀ + t·ε for t ∈ [0, 1] and predicts the velocity u = ε − x₀; then
//! x₀ = x_t − t·u and ε = x_t + (1 − t)·u.
//!
//! Every sampler works on x̂₀ (or ε̂) whatever the network predicts, through [`Target::x0_eps`].

use serde::{Deserialize, Serialize};

/// The quantity a network is trained to predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// the noise ε
    Eps,
    /// the clean data x₀
    X0,
    /// v = a·ε − s·x₀
    V,
    /// the flow-matching velocity u = ε − x₀ (on the path x_t = (1 − t)x₀ + tε)
    Flow,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [Self::Eps, Self::X0, Self::V, Self::Flow];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Eps => "eps",
            Self::X0 => "x0",
            Self::V => "v",
            Self::Flow => "flow",
        }
    }

    /// `eps`, `x0`, `v` or `flow`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// Where on its path a point x_t lies: the coefficients of x_t = a·x₀ + s·ε.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathPoint {
    /// the coefficient of x₀ (√ᾱ for diffusion, 1 − t for flow)
    pub a: f64,
    /// the coefficient of ε (√(1 − ᾱ) for diffusion, t for flow)
    pub s: f64,
}

impl PathPoint {
    /// A diffusion point at ᾱ.
    pub fn diffusion(alpha_bar: f64) -> Self {
        Self {
            a: alpha_bar.sqrt(),
            s: (1.0 - alpha_bar).sqrt(),
        }
    }

    /// A flow-matching point at time t ∈ [0, 1].
    pub fn flow(t: f64) -> Self {
        Self { a: 1.0 - t, s: t }
    }

    /// The noise-to-signal ratio σ = s / a of the same point in the variance-exploding
    /// parametrisation x/a = x₀ + σ·ε (Karras et al. 2022).
    pub fn sigma(self) -> f64 {
        self.s / self.a
    }
}

/// How flow matching draws t.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowTime {
    /// t ~ U(0, 1)
    #[default]
    Uniform,
    /// t = sigmoid(n), n ~ N(0, 1): more steps in the middle (Esser et al. 2024, SD3)
    LogitNormal,
}

impl FlowTime {
    /// Both.
    pub const ALL: [FlowTime; 2] = [Self::Uniform, Self::LogitNormal];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Uniform => "uniform",
            Self::LogitNormal => "logit-normal",
        }
    }

    /// `uniform` or `logit-normal`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }

    /// One t in (0, 1).
    pub fn draw(self, rng: &mut impl rand::Rng) -> f64 {
        match self {
            // (0, 1]: never exactly 0, where x_t is the data itself
            Self::Uniform => 1.0 - rng.random::<f64>(),
            Self::LogitNormal => {
                let n: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
                1.0 / (1.0 + (-n).exp())
            }
        }
    }
}

/// The two families of paths a model can be trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    /// variance preserving: a² + s² = 1 (ε, x₀ and v models)
    Vp,
    /// flow matching: a + s = 1 (a = 1 − t, s = t)
    Flow,
}

impl Target {
    /// The path this target's model is trained on.
    pub fn path(self) -> PathKind {
        match self {
            Self::Flow => PathKind::Flow,
            _ => PathKind::Vp,
        }
    }
}

impl PathPoint {
    /// The point of the family `kind` with the same σ = s / a: the same x₀ + σε up to a
    /// positive scale, so the same x̂₀ and ε̂. Works at a = 0 (pure noise) too.
    pub fn same_sigma(self, kind: PathKind) -> PathPoint {
        let norm = match kind {
            PathKind::Vp => self.a.hypot(self.s),
            PathKind::Flow => self.a + self.s,
        };
        PathPoint {
            a: self.a / norm,
            s: self.s / norm,
        }
    }

    /// The factor that takes a point x here to the point with the same x₀ and ε at `other`
    /// (which must have the same σ): other.a / a, or other.s / s where a = 0.
    pub fn scale_to(self, other: PathPoint) -> f64 {
        if self.a > 0.0 {
            other.a / self.a
        } else {
            other.s / self.s
        }
    }
}

impl Target {
    /// (x̂₀, ε̂) from a prediction `pred` of this target at x_t, value by value.
    ///
    /// For ε, x₀ and v the point must be a diffusion point (a² + s² = 1); flow predictions
    /// use the flow point of the same x_t. Any pair (a, s) with a, s > 0 works for ε and x₀.
    pub fn x0_eps(self, x_t: f64, pred: f64, p: PathPoint) -> (f64, f64) {
        let PathPoint { a, s } = p;
        match self {
            Self::Eps => ((x_t - s * pred) / a, pred),
            Self::X0 => (pred, (x_t - a * pred) / s),
            // with a² + s² = 1
            Self::V => (a * x_t - s * pred, s * x_t + a * pred),
            // x_t = (1 − t)x₀ + tε with a = 1 − t, s = t, u = ε − x₀
            Self::Flow => (x_t - s * pred, x_t + a * pred),
        }
    }

    /// The prediction of this target that (x₀, ε) at the point `p` gives: the training target.
    pub fn from_x0_eps(self, x0: f64, eps: f64, p: PathPoint) -> f64 {
        match self {
            Self::Eps => eps,
            Self::X0 => x0,
            Self::V => p.a * eps - p.s * x0,
            Self::Flow => eps - x0,
        }
    }
}

/// Where a network trained on `target` over `schedule` reads a point `p` of any path: the
/// point of its own path with the same σ, the factor that takes x there, and its time label
/// (a diffusion timestep's own t where given, the continuous s with the same log-SNR between
/// timesteps, t·T for flow). A diffusion model noisier than t = T (pure noise included) is read
/// at its last point, where it was trained, keeping the noise's scale, rather than at
/// x̂₀ = (x − ε̂)/0.
pub fn model_point(
    target: Target,
    schedule: &super::Schedule,
    flow: &super::flow_ode::FlowSchedule,
    p: PathPoint,
    timestep: Option<usize>,
) -> (PathPoint, f64, f64) {
    let t_max = schedule.timesteps() as f64;
    match target.path() {
        PathKind::Flow => {
            let q = p.same_sigma(PathKind::Flow);
            (q, p.scale_to(q), q.s * t_max)
        }
        PathKind::Vp => {
            // a timestep of the schedule is the model's own point, exactly
            if let Some(t) = timestep {
                return (p, 1.0, t as f64);
            }
            let q = p.same_sigma(PathKind::Vp);
            let last = PathPoint::diffusion(schedule.alpha_bar(schedule.timesteps()));
            if q.a <= last.a {
                (last, last.s / p.s, t_max)
            } else {
                let label = flow.s_for_log_snr(2.0 * (q.a / q.s).ln(), 1.0);
                (q, p.scale_to(q), label)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_round_trips_in_f64() {
        let values = [-2.5, -1.0, -0.1, 0.0, 0.3, 1.0, 3.7];
        for target in Target::ALL {
            for &ab_or_t in &[1e-4, 0.01, 0.3, 0.5, 0.9, 0.9999] {
                let p = match target {
                    Target::Flow => PathPoint::flow(ab_or_t),
                    _ => PathPoint::diffusion(ab_or_t),
                };
                for &x0 in &values {
                    for &eps in &values {
                        let x_t = p.a * x0 + p.s * eps;
                        let pred = target.from_x0_eps(x0, eps, p);
                        let (x0_back, eps_back) = target.x0_eps(x_t, pred, p);
                        // the conversions divide by a or s for ε and x₀ only
                        let scale = 1.0 / p.a.min(p.s);
                        let tol = 1e-12 * scale * 10.0;
                        assert!(
                            (x0_back - x0).abs() < tol && (eps_back - eps).abs() < tol,
                            "{target:?} at {ab_or_t}: ({x0}, {eps}) → ({x0_back}, {eps_back})"
                        );
                    }
                }
            }
        }
    }

    /// The two logit-normal and uniform draws of t stay inside (0, 1), and the logit-normal
    /// puts more mass in the middle.
    #[test]
    fn flow_times_are_drawn_in_the_open_interval() {
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let middle = |k: FlowTime, rng: &mut rand_chacha::ChaCha8Rng| {
            (0..20_000)
                .map(|_| k.draw(rng))
                .inspect(|t| assert!(*t > 0.0 && *t <= 1.0))
                .filter(|t| (0.25..0.75).contains(t))
                .count()
        };
        let (u, l) = (
            middle(FlowTime::Uniform, &mut rng),
            middle(FlowTime::LogitNormal, &mut rng),
        );
        assert!((u as f64 / 20_000.0 - 0.5).abs() < 0.02, "{u}");
        // P(|n| < logit(0.75) = 1.0986) = 0.728
        assert!((l as f64 / 20_000.0 - 0.728).abs() < 0.02, "{l}");
        assert_eq!(FlowTime::parse("Logit-Normal"), Some(FlowTime::LogitNormal));
    }

    #[test]
    fn a_point_moves_between_paths_keeping_x0_and_eps() {
        let (x0, eps) = (0.7, -1.3);
        for &ab in &[1e-4, 0.2, 0.5, 0.97] {
            let vp = PathPoint::diffusion(ab);
            for kind in [PathKind::Vp, PathKind::Flow] {
                let q = vp.same_sigma(kind);
                assert!((q.sigma() - vp.sigma()).abs() < 1e-12 * vp.sigma().max(1.0));
                let x_vp = vp.a * x0 + vp.s * eps;
                let x_q = x_vp * vp.scale_to(q);
                assert!(
                    (x_q - (q.a * x0 + q.s * eps)).abs() < 1e-12,
                    "{kind:?} at {ab}"
                );
            }
        }
        // pure noise: the flow's t = 1 is the diffusion's a = 0
        let noise = PathPoint::flow(1.0);
        assert_eq!(noise.same_sigma(PathKind::Vp), PathPoint { a: 0.0, s: 1.0 });
        assert_eq!(noise.scale_to(PathPoint { a: 0.0, s: 1.0 }), 1.0);
        assert_eq!(Target::V.path(), PathKind::Vp);
        assert_eq!(Target::Flow.path(), PathKind::Flow);
    }

    #[test]
    fn v_and_flow_match_their_definitions() {
        // v = a ε − s x₀ (Salimans & Ho 2022, eq. 7 with α = a, σ = s)
        let p = PathPoint::diffusion(0.64); // a = 0.8, s = 0.6
        assert!((Target::V.from_x0_eps(1.0, 2.0, p) - (0.8 * 2.0 - 0.6)).abs() < 1e-15);
        // flow: u = ε − x₀ is dx_t/dt along x_t = (1 − t)x₀ + tε
        let (x0, eps, t, h) = (0.7, -1.3, 0.4, 1e-6);
        let x = |t: f64| (1.0 - t) * x0 + t * eps;
        let u = (x(t + h) - x(t - h)) / (2.0 * h);
        assert!((Target::Flow.from_x0_eps(x0, eps, PathPoint::flow(t)) - u).abs() < 1e-8);
        assert_eq!(PathPoint::flow(0.25).sigma(), 0.25 / 0.75);
        assert_eq!(Target::parse("V"), Some(Target::V));
        assert_eq!(Target::parse("noise"), None);
    }
}
