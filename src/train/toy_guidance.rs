//! Guided sampling in the 1-D/2-D worlds (classifier-free guidance, `diffusion::guidance`) and
//! the sweep over the guidance scale w that measures it against the data's exact p(c | x).

use super::toy::ToyTrainer;
use crate::data::points::ToyData;
use crate::diffusion::guidance::{class_metrics, guide};
use crate::diffusion::process::fill_standard_normal;
use crate::diffusion::{SamplerKind, Trajectory};

use rand::SeedableRng;

/// What a guidance sweep measured at one w, averaged over the classes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GuidancePoint {
    /// the guidance scale (1: plain conditional, 0: unconditional)
    pub w: f64,
    /// share of samples with p(c | x) > 0.9 for the class they were asked for
    pub precision: f64,
    /// mean distance of the samples to their class's mean
    pub spread: f64,
    /// mean distance between two samples of the same class
    pub diversity: f64,
}

impl ToyTrainer {
    /// ε̃ = (1 − w)·ε(x, ∅) + w·ε(x, c) of the EMA, both halves in one batch of 2n rows.
    /// An unconditional model gives its plain ε̂.
    pub fn predict_eps_guided(&self, x_t: &[f32], ts: &[usize], class: usize, w: f64) -> Vec<f32> {
        self.predict_eps_guided_rows(x_t, ts, &vec![class; ts.len()], w)
    }

    /// [`Self::predict_eps_guided`] with a class per row.
    pub fn predict_eps_guided_rows(
        &self,
        x_t: &[f32],
        ts: &[usize],
        row_classes: &[usize],
        w: f64,
    ) -> Vec<f32> {
        let classes = self.config().classes();
        if classes == 0 {
            return self.predict_eps(x_t, ts);
        }
        let dim = self.config().data.dim();
        let n = x_t.len() / dim;
        let (x_model, labels, points) = self.inputs_at_timesteps(x_t, ts);
        let mut both = x_model.clone();
        both.extend_from_slice(&x_model);
        let time: Vec<f64> = labels.iter().chain(&labels).copied().collect();
        let classes_of_rows: Vec<usize> = (0..2 * n)
            .map(|i| {
                if i < n {
                    row_classes.get(i).copied().unwrap_or(0).min(classes - 1)
                } else {
                    classes
                }
            })
            .collect();
        // [2n, dim]: conditional, then ∅; guidance mixes the raw outputs, which every
        // target's conversion maps affinely to ε̂
        let out = self.raw_output(both, &time, Some(&classes_of_rows));
        let (cond, uncond) = out.split_at(n * dim);
        self.eps_from_raw(&x_model, guide(uncond, cond, w), &points)
    }

    /// Run `sampler` from x_T = `z` with class `class` at guidance scale `w`.
    pub fn reverse_guided(
        &self,
        sampler: SamplerKind,
        z: Vec<f32>,
        frames: usize,
        seed: u64,
        class: usize,
        w: f64,
    ) -> Trajectory {
        self.reverse_with(sampler, z, frames, seed, |x, ts| {
            self.predict_eps_guided(x, ts, class, w)
        })
    }

    /// For the labelled 2-D mixture: `n` samples per class at every w, from the same x_T and
    /// noise for every w, scored by the data's exact p(c | x). None for other data or an
    /// unconditional model. Also returns every w's samples, [class][w] → [n, 2].
    pub fn guidance_sweep(
        &self,
        ws: &[f64],
        n: usize,
        seed: u64,
    ) -> Option<(Vec<GuidancePoint>, Vec<Vec<Vec<f32>>>)> {
        let ToyData::Overlap(mix) = &self.config().data else {
            return None;
        };
        let classes = self.config().classes();
        if classes == 0 {
            return None;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut samples = vec![Vec::new(); classes];
        let mut sums = vec![(0.0, 0.0, 0.0); ws.len()];
        for (c, per_class) in samples.iter_mut().enumerate() {
            let mut z = vec![0.0f32; n * 2];
            fill_standard_normal(&mut rng, &mut z);
            for (k, &w) in ws.iter().enumerate() {
                let traj =
                    self.reverse_guided(SamplerKind::Ddpm, z.clone(), 2, seed ^ c as u64, c, w);
                let x0 = traj.final_x0().to_vec();
                let m = class_metrics(mix, &x0, c);
                sums[k].0 += m.precision / classes as f64;
                sums[k].1 += m.spread / classes as f64;
                sums[k].2 += m.diversity / classes as f64;
                per_class.push(x0);
            }
        }
        let points = ws
            .iter()
            .zip(sums)
            .map(|(&w, (precision, spread, diversity))| GuidancePoint {
                w,
                precision,
                spread,
                diversity,
            })
            .collect();
        Some((points, samples))
    }
}

impl ToyTrainer {
    /// [`Self::guidance_sweep`] with the data's *exact* ε(x, c) and ε(x, ∅) in place of the
    /// network (the labelled mixture's closed form), from the same x_T and noise: what
    /// guidance does with a perfect model, the reference for the trained one.
    pub fn exact_guidance_sweep(
        &self,
        ws: &[f64],
        n: usize,
        seed: u64,
    ) -> Option<Vec<GuidancePoint>> {
        let ToyData::Overlap(mix) = &self.config().data else {
            return None;
        };
        let classes = mix.classes();
        let schedule = self.schedule().clone();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut sums = vec![(0.0, 0.0, 0.0); ws.len()];
        for c in 0..classes {
            let mut z = vec![0.0f32; n * 2];
            fill_standard_normal(&mut rng, &mut z);
            for (k, &w) in ws.iter().enumerate() {
                let traj =
                    self.reverse_with(SamplerKind::Ddpm, z.clone(), 2, seed ^ c as u64, |x, ts| {
                        let mut out = Vec::with_capacity(x.len());
                        for (p, &t) in x.chunks(2).zip(ts) {
                            let ab = schedule.alpha_bar(t);
                            let p = [p[0] as f64, p[1] as f64];
                            let u = mix.eps_exact(p, ab, None);
                            let e = mix.eps_exact(p, ab, Some(c));
                            for d in 0..2 {
                                out.push(((1.0 - w) * u[d] + w * e[d]) as f32);
                            }
                        }
                        out
                    });
                let m = class_metrics(mix, traj.final_x0(), c);
                sums[k].0 += m.precision / classes as f64;
                sums[k].1 += m.spread / classes as f64;
                sums[k].2 += m.diversity / classes as f64;
            }
        }
        Some(
            ws.iter()
                .zip(sums)
                .map(|(&w, (precision, spread, diversity))| GuidancePoint {
                    w,
                    precision,
                    spread,
                    diversity,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::DeviceInfo;
    use crate::train::toy::ToyConfig;
    use burn::tensor::{Tensor, TensorData};

    fn conditional(steps: usize) -> ToyTrainer {
        let config = ToyConfig {
            conditional: true,
            ..ToyConfig::new(ToyData::parse("overlap").unwrap(), 0)
        };
        let mut t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        for _ in 0..steps {
            t.train_step();
        }
        t
    }

    /// With the data's exact ε the conditional sampler (w = 1) draws each class itself: the
    /// mean distance of an isotropic 2-D Gaussian's draws to its mean is sd·√(π/2), less
    /// 6–9 % because DDPM's reverse variance β̃ with T = 100 steps under-disperses; the
    /// unconditional one (w = 0) spreads over every class; guidance at w = 3 is precise. And
    /// even this perfect model does not pull a class toward its mean: spread at w = 5 is no
    /// smaller than at w = 1 (BENCHMARKS.md, "Guidance").
    #[test]
    fn the_exact_guided_sampler_reproduces_the_classes_and_sharpens_them() {
        let t = conditional(0);
        let sweep = t
            .exact_guidance_sweep(&[0.0, 1.0, 3.0, 5.0], 400, 5)
            .unwrap();
        let want = 0.45 * (std::f64::consts::PI / 2.0).sqrt();
        assert!(
            sweep[1].spread < want && sweep[1].spread > 0.88 * want,
            "{} vs {want}",
            sweep[1].spread
        );
        assert!(sweep[0].spread > 1.5 * want, "{}", sweep[0].spread);
        assert!(sweep[2].precision > 0.95, "{}", sweep[2].precision);
        assert!(sweep[2].precision > sweep[1].precision + 0.2);
        assert!(sweep[3].spread > sweep[1].spread, "{sweep:?}");
        assert!(sweep[3].diversity < sweep[1].diversity, "{sweep:?}");
        // The closed form against a finite difference of the noised mixture's log density.
        let mix = crate::diffusion::guidance::LabelledMixture2d::overlap();
        let (ab, x) = (0.6, [0.3, -0.2]);
        let log_p = |x: [f64; 2]| -> f64 {
            let a = f64::sqrt(ab);
            mix.components
                .iter()
                .map(|c| {
                    let v = ab * c.sd * c.sd + 1.0 - ab;
                    let d2 = (x[0] - a * c.mean[0]).powi(2) + (x[1] - a * c.mean[1]).powi(2);
                    c.weight * (-d2 / (2.0 * v)).exp() / v
                })
                .sum::<f64>()
                .ln()
        };
        let e = mix.eps_exact(x, ab, None);
        let h = 1e-5;
        for d in 0..2 {
            let mut hi = x;
            let mut lo = x;
            hi[d] += h;
            lo[d] -= h;
            let grad = (log_p(hi) - log_p(lo)) / (2.0 * h);
            assert!((e[d] + (1.0 - ab).sqrt() * grad).abs() < 1e-6, "{d}");
        }
    }

    /// At w = 1 the guided sampler is the conditional one and at w = 0 the unconditional
    /// one, bit for bit (the same network calls, the guided batch holds both halves).
    #[test]
    fn guided_sampling_at_one_and_zero_is_conditional_and_unconditional_bit_for_bit() {
        let t = conditional(50);
        let mut z = vec![0.0f32; 64 * 2];
        fill_standard_normal(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1), &mut z);
        let plain = |class: Option<usize>| {
            t.reverse_with(SamplerKind::Ddpm, z.clone(), 2, 9, |x, ts| {
                let time: Vec<f64> = ts.iter().map(|&s| s as f64).collect();
                let n = ts.len();
                let labels = vec![class.unwrap_or(3); n];
                let x =
                    Tensor::<2>::from_data(TensorData::new(x.to_vec(), [n, 2]), &t.plain_device());
                t.ema()
                    .forward_conditional(x, &time, Some(&labels))
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap()
            })
        };
        let at = |w: f64| t.reverse_guided(SamplerKind::Ddpm, z.clone(), 2, 9, 1, w);
        assert_eq!(at(1.0).final_x0(), plain(Some(1)).final_x0());
        assert_eq!(at(0.0).final_x0(), plain(None).final_x0());
        assert_ne!(at(3.0).final_x0(), at(1.0).final_x0());
    }
}
