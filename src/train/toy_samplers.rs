//! The worlds' sampler comparison: every sampler from the same starting noise at a budget of
//! network calls (NFE), scored by the sliced Wasserstein distance to the data.
//!
//! DDPM (ancestral, DDIM with η = 1) and DDIM (η = 0) run on the model's own timesteps; Euler,
//! Heun and DPM-Solver++(2M) ([`crate::diffusion::samplers`]) run on the Karras σ grid through
//! the denoiser D(x, σ) = x̂₀ of the network at the continuous time s where
//! √((1 − ᾱ(s))/ᾱ(s)) = σ ([`FlowSchedule`]), between σ at t = 1 and at t = T. A
//! flow-matching model runs every sampler on its own line, uniform in t from pure noise.

use super::toy::{ToyTrainer, swd};
use crate::data::points::ToyData;
use crate::diffusion::SamplerKind;
use crate::diffusion::flow_ode::FlowSchedule;
use crate::diffusion::objective::Target;
use crate::diffusion::process::fill_standard_normal;
use crate::diffusion::samplers::{
    Denoised, OdeSampler, Path, denoised_from_x0, flow_times, karras_sigmas, sample_ddim,
    sample_ode,
};
use rand::SeedableRng;

/// A denoiser in place of the network: (path, x, τ) → (x̂₀, ε̂).
type ExactDenoiser<'a> = dyn Fn(Path, &[f64], f64) -> Denoised + 'a;

/// A sampler of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepSampler {
    /// ancestral sampling on `nfe` timesteps (DDIM with η = 1)
    Ddpm,
    /// deterministic DDIM on `nfe` timesteps
    Ddim,
    /// a sampler on the Karras grid
    Ode(OdeSampler),
}

impl SweepSampler {
    /// Every sampler.
    pub const ALL: [SweepSampler; 5] = [
        Self::Ddpm,
        Self::Ddim,
        Self::Ode(OdeSampler::Euler),
        Self::Ode(OdeSampler::Heun),
        Self::Ode(OdeSampler::DpmPp2m),
    ];

    /// ddpm, ddim, euler, heun or dpmpp2m.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ddpm => "ddpm",
            Self::Ddim => "ddim",
            Self::Ode(k) => k.name(),
        }
    }

    /// The sampler of that name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// One sampler at one budget.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    /// the sampler's name
    pub sampler: String,
    /// the budget asked for
    pub nfe: usize,
    /// network calls made (Heun's steps cost two, so it may use one fewer)
    pub calls: usize,
    /// sliced Wasserstein distance of its samples to the data
    pub swd: f64,
}

/// The Karras grid's ρ.
const RHO: f64 = 7.0;

impl ToyTrainer {
    /// `n` samples of every sampler at every budget of `nfes`, from the same x_T (drawn from
    /// `seed`), each scored by its SWD to the data.
    pub fn nfe_sweep(
        &self,
        samplers: &[SweepSampler],
        nfes: &[usize],
        n: usize,
        seed: u64,
    ) -> Vec<SweepPoint> {
        self.nfe_sweep_samples(samplers, nfes, n, seed).0
    }

    /// [`Self::nfe_sweep`] with every point's samples ([n, dim] each, in the same order).
    pub fn nfe_sweep_samples(
        &self,
        samplers: &[SweepSampler],
        nfes: &[usize],
        n: usize,
        seed: u64,
    ) -> (Vec<SweepPoint>, Vec<Vec<f32>>) {
        self.sweep_with(samplers, nfes, n, seed, None)
    }

    /// The same sweep with the data's exact denoiser E[x₀ | x] in place of the network, on the
    /// same grids from the same x_T (DDPM and DDIM on the ODE samplers' grid): the reference a
    /// perfect model would reach. None for data without a closed form (the labelled mixture
    /// only).
    pub fn exact_nfe_sweep(
        &self,
        samplers: &[SweepSampler],
        nfes: &[usize],
        n: usize,
        seed: u64,
    ) -> Option<Vec<SweepPoint>> {
        let ToyData::Overlap(mix) = &self.config().data else {
            return None;
        };
        let exact = |path: Path, x: &[f64], tau: f64| -> Denoised {
            let p = path.point(tau);
            // the variance-exploding point with the same σ (pure noise: far out)
            let a = p.a.max(1e-9);
            let (sigma, scale) = (p.s / a, 1.0 / a);
            let d = x
                .chunks(2)
                .flat_map(|q| mix.denoise_exact([q[0] * scale, q[1] * scale], sigma))
                .collect();
            denoised_from_x0(p, x, d)
        };
        Some(self.sweep_with(samplers, nfes, n, seed, Some(&exact)).0)
    }

    /// The sweep with the network (`exact` None) or the given denoiser.
    fn sweep_with(
        &self,
        samplers: &[SweepSampler],
        nfes: &[usize],
        n: usize,
        seed: u64,
        exact: Option<&ExactDenoiser<'_>>,
    ) -> (Vec<SweepPoint>, Vec<Vec<f32>>) {
        let dim = self.config().data.dim();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut z = vec![0.0f32; n * dim];
        fill_standard_normal(&mut rng, &mut z);
        let z64: Vec<f64> = z.iter().map(|&v| v as f64).collect();
        let flow = FlowSchedule::new(self.schedule());
        let t_max = self.schedule().timesteps();
        let ve = |s: f64| {
            let ab = flow.alpha_bar(s);
            ((1.0 - ab) / ab).sqrt()
        };
        let (sigma_min, sigma_max) = (ve(1.0), ve(t_max as f64));
        // a flow model: every sampler on its own line, uniform in t; a diffusion model: the
        // Karras grid between σ at t = 1 and t = T
        let path = if self.config().objective == Target::Flow {
            Path::Flow
        } else {
            Path::Ve
        };
        let grid = |steps: usize| match path {
            Path::Flow => flow_times(steps),
            Path::Ve => karras_sigmas(steps, sigma_min, sigma_max, RHO),
        };
        let denoise = |x: &[f64], tau: f64| match exact {
            Some(f) => f(path, x, tau),
            None => self.denoise_on(path, x, tau),
        };
        let to_f32 = |v: Vec<f64>| -> Vec<f32> { v.iter().map(|&v| v as f32).collect() };
        let mut points = Vec::new();
        let mut all_samples = Vec::new();
        for &sampler in samplers {
            for &nfe in nfes {
                let (samples, calls): (Vec<f32>, usize) = match sampler {
                    // a diffusion network: DDPM and DDIM on its own timesteps
                    SweepSampler::Ddpm | SweepSampler::Ddim
                        if path == Path::Ve && exact.is_none() =>
                    {
                        let steps = nfe.clamp(1, t_max);
                        let eta = if sampler == SweepSampler::Ddpm {
                            1.0
                        } else {
                            0.0
                        };
                        let traj = self.reverse(
                            SamplerKind::Ddim { steps, eta },
                            z.clone(),
                            2,
                            seed ^ 0xD0,
                        );
                        (traj.final_x0().to_vec(), steps)
                    }
                    SweepSampler::Ddpm | SweepSampler::Ddim => {
                        let eta = if sampler == SweepSampler::Ddpm {
                            1.0
                        } else {
                            0.0
                        };
                        let mut noise_rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xD0);
                        let res = sample_ddim(
                            path,
                            &grid(nfe),
                            eta,
                            &z64,
                            |len| {
                                let mut xi = vec![0.0f32; len];
                                fill_standard_normal(&mut noise_rng, &mut xi);
                                xi.iter().map(|&v| v as f64).collect()
                            },
                            denoise,
                        );
                        (to_f32(res.x0), res.nfe)
                    }
                    SweepSampler::Ode(kind) => {
                        let (steps, last) = kind.plan(path, nfe);
                        let res = sample_ode(kind, path, &grid(steps), last, &z64, denoise);
                        (to_f32(res.x0), res.nfe)
                    }
                };
                points.push(SweepPoint {
                    sampler: sampler.name().to_owned(),
                    nfe,
                    calls,
                    swd: swd(&self.config().data, &samples, seed).model,
                });
                all_samples.push(samples);
            }
        }
        (points, all_samples)
    }
}

/// Budgets of the lab's NFE sweep.
pub const LAB_NFES: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Samples per point of the lab's sweep.
pub const LAB_SAMPLES: usize = 1000;
/// Paths of the lab's straightness.
pub const LAB_PATHS: usize = 500;

/// What the lab measures of a run on request: every sampler at every budget of [`LAB_NFES`]
/// from the same x_T, the SWD floor, and the paths' straightness.
#[derive(Clone, Debug, PartialEq)]
pub struct LabMeasure {
    /// the training step measured
    pub step: u64,
    /// every sampler at every budget
    pub sweep: Vec<SweepPoint>,
    /// SWD between two independent data draws
    pub floor: f64,
    /// straightness and one-step SWD of the learned paths
    pub paths: PathStraightness,
    /// the labelled mixture: the same sweep with the exact denoiser (empty otherwise)
    pub exact: Vec<SweepPoint>,
    /// the labelled mixture: (t, relative score error) at 11 timesteps (empty otherwise)
    pub score_error: Vec<(usize, f64)>,
}

/// Straightness S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1 of a model's paths and the SWD of one Euler step
/// from pure noise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathStraightness {
    /// S over [`LAB_PATHS`] paths, 32 Euler steps on the flow line
    pub straightness: f64,
    /// SWD of one Euler step to the data ([`LAB_SAMPLES`] samples)
    pub one_step_swd: f64,
}

impl ToyTrainer {
    /// The lab's straightness figures, from `seed`.
    pub fn path_straightness(&self, seed: u64) -> PathStraightness {
        PathStraightness {
            straightness: self.straightness(LAB_PATHS, 32, seed ^ 0x57A1),
            one_step_swd: self.one_step_swd(LAB_SAMPLES, seed ^ 0x0E5D),
        }
    }

    /// The lab's measurement now.
    pub fn lab_measure(&self) -> LabMeasure {
        let seed = self.config().seed;
        LabMeasure {
            step: self.step_count(),
            sweep: self.nfe_sweep(&SweepSampler::ALL, &LAB_NFES, LAB_SAMPLES, seed ^ 0x5EE9),
            floor: swd(
                &self.config().data,
                &vec![0.0; 2 * self.config().data.dim()],
                seed ^ 0x5EE9,
            )
            .floor,
            paths: self.path_straightness(seed),
            exact: self
                .exact_nfe_sweep(&SweepSampler::ALL, &LAB_NFES, LAB_SAMPLES, seed ^ 0x5EE9)
                .unwrap_or_default(),
            score_error: self
                .score_error_per_t(11, LAB_SAMPLES, seed ^ 0x5C0E)
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::points::ToyData;
    use crate::diffusion::SamplerKind;
    use crate::train::DeviceInfo;
    use crate::train::toy::ToyConfig;

    #[test]
    fn every_sampler_keeps_its_budget_and_more_calls_come_closer_to_the_data() {
        let config = ToyConfig::new(ToyData::Moons, 0);
        let mut t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        for _ in 0..600 {
            t.train_step();
        }
        let sweep = t.nfe_sweep(&SweepSampler::ALL, &[2, 32], 500, 1);
        assert_eq!(sweep.len(), 10);
        for pair in sweep.chunks(2) {
            let (few, many) = (&pair[0], &pair[1]);
            assert!(few.calls <= 2 && many.calls <= 32, "{pair:?}");
            assert!(many.swd < few.swd, "{pair:?}");
        }
        assert_eq!(
            SweepSampler::parse("DPMPP2M"),
            Some(SweepSampler::Ode(OdeSampler::DpmPp2m))
        );
        assert_eq!(SweepSampler::parse("lms"), None);
    }

    /// DDIM at η = 0 is deterministic: the same x_T gives the same samples, bit for bit, in
    /// every run; at η = 1 (ancestral) its SWD matches full DDPM's within the spread of
    /// its own seeds.
    #[test]
    fn ddim_is_deterministic_at_eta_zero_and_like_ddpm_at_eta_one() {
        let config = ToyConfig::new(ToyData::Moons, 0);
        let mut t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        for _ in 0..800 {
            t.train_step();
        }
        let mut z = vec![0.0f32; 1000 * 2];
        fill_standard_normal(&mut rand_chacha::ChaCha8Rng::seed_from_u64(3), &mut z);
        let ddim = |seed| {
            t.reverse(
                SamplerKind::Ddim {
                    steps: 20,
                    eta: 0.0,
                },
                z.clone(),
                2,
                seed,
            )
            .final_x0()
            .to_vec()
        };
        assert_eq!(ddim(1), ddim(2), "η = 0 draws no noise");
        let swd_of = |kind: SamplerKind, seed: u64| {
            let x = t.reverse(kind, z.clone(), 2, seed).final_x0().to_vec();
            swd(&t.config().data, &x, 7).model
        };
        let eta1: Vec<f64> = (0..6)
            .map(|s| {
                swd_of(
                    SamplerKind::Ddim {
                        steps: 100,
                        eta: 1.0,
                    },
                    s,
                )
            })
            .collect();
        let ddpm: Vec<f64> = (0..6).map(|s| swd_of(SamplerKind::Ddpm, s)).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let spread = |v: &[f64]| {
            let m = mean(v);
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        };
        let gap = (mean(&eta1) - mean(&ddpm)).abs();
        let noise = 3.0 * (spread(&eta1).powi(2) / 6.0 + spread(&ddpm).powi(2) / 6.0).sqrt();
        assert!(gap < noise.max(1e-3), "η = 1 {eta1:?} vs DDPM {ddpm:?}");
    }

    /// Moons from scratch with flow matching: Heun at 10 calls is no worse than Euler at 20,
    /// and DPM-Solver++(2M) at 10 is within 1.5× the SWD floor.
    #[test]
    fn on_flow_moons_heun_at_10_beats_euler_at_20_and_dpm_solver_reaches_the_floor() {
        let config = ToyConfig {
            objective: crate::diffusion::objective::Target::Flow,
            ..ToyConfig::new(ToyData::Moons, 0)
        };
        let mut t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        for _ in 0..3000 {
            t.train_step();
        }
        let heun = SweepSampler::Ode(OdeSampler::Heun);
        let euler = SweepSampler::Ode(OdeSampler::Euler);
        let dpm = SweepSampler::Ode(OdeSampler::DpmPp2m);
        let at = |s: SweepSampler, nfe: usize| t.nfe_sweep(&[s], &[nfe], 2000, 0x5EE9)[0].clone();
        let (h10, e20, d10) = (at(heun, 10), at(euler, 20), at(dpm, 10));
        assert_eq!((h10.calls, e20.calls, d10.calls), (10, 20, 10));
        assert!(h10.swd <= e20.swd, "Heun 10 {h10:?} vs Euler 20 {e20:?}");
        let floor = swd(&t.config().data, &[0.0; 4], 0x5EE9).floor;
        assert!(
            d10.swd < 1.5 * floor,
            "DPM-Solver++ 10 {d10:?}, floor {floor}"
        );
    }

    /// The exact denoiser through the same sweep: on the labelled mixture DPM-Solver++(2M) at
    /// 32 calls comes within 1.5× the floor whatever the network is (here untrained), and other
    /// data has no exact sweep.
    #[test]
    fn the_exact_sweep_is_the_reference_on_the_mixture() {
        let config = ToyConfig::new(
            ToyData::Overlap(crate::diffusion::guidance::LabelledMixture2d::overlap()),
            0,
        );
        let t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        let dpm = SweepSampler::Ode(OdeSampler::DpmPp2m);
        let exact = t.exact_nfe_sweep(&[dpm], &[2, 32], 2000, 3).unwrap();
        let floor = swd(&t.config().data, &[0.0; 4], 3).floor;
        assert!(exact[1].swd < 1.5 * floor, "{exact:?} floor {floor}");
        assert!(exact[0].swd > exact[1].swd);
        let moons = ToyTrainer::new(
            ToyConfig::new(ToyData::Moons, 0),
            &DeviceInfo::flex(String::new()),
        );
        assert!(moons.exact_nfe_sweep(&[dpm], &[2], 10, 0).is_none());
    }
}
