//! The true answer for mixture data: the labelled 2-D mixture's score ∇log p_t is a closed
//! form ([`LabelledMixture2d::eps_exact`]), so the network's score error can be measured per
//! t: E‖s_θ − ∇log p_t‖² / E‖∇log p_t‖² over x_t ~ q(x_t). For an ε-predictor
//! s_θ = −ε̂/√(1 − ᾱ_t), so the ratio is E‖ε̂ − ε*‖² / E‖ε*‖² with ε* the exact ε-prediction.

use super::toy::ToyTrainer;
use crate::data::points::ToyData;
use crate::diffusion::process::fill_standard_normal;
use rand::SeedableRng;

impl ToyTrainer {
    /// The relative score error of the EMA (∅ for a conditional model) at `points` timesteps
    /// evenly spread over 1 … T, each over `n` draws of x_t ~ q(x_t): (t, error) pairs. None
    /// for data without a closed-form score.
    pub fn score_error_per_t(
        &self,
        points: usize,
        n: usize,
        seed: u64,
    ) -> Option<Vec<(usize, f64)>> {
        let ToyData::Overlap(mix) = &self.config().data else {
            return None;
        };
        let t_max = self.schedule().timesteps();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let ts: Vec<usize> = (0..points.max(1))
            .map(|i| 1 + i * (t_max - 1) / points.saturating_sub(1).max(1))
            .collect();
        let mut out = Vec::with_capacity(ts.len());
        for &t in &ts {
            let ab = self.schedule().alpha_bar(t);
            let (x0, _) = mix.sample(&mut rng, n);
            let mut eps = vec![0.0f32; 2 * n];
            fill_standard_normal(&mut rng, &mut eps);
            let (a, s) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
            let x_t: Vec<f32> = x0.iter().zip(&eps).map(|(x, e)| a * x + s * e).collect();
            let eps_hat = self.predict_eps(&x_t, &vec![t; n]);
            let (mut num, mut den) = (0.0, 0.0);
            for (p, e) in x_t.chunks(2).zip(eps_hat.chunks(2)) {
                let exact = mix.eps_exact([p[0] as f64, p[1] as f64], ab, None);
                for d in 0..2 {
                    num += (e[d] as f64 - exact[d]).powi(2);
                    den += exact[d].powi(2);
                }
            }
            out.push((t, num / den.max(1e-300)));
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::DeviceInfo;
    use crate::train::toy::ToyConfig;

    /// An untrained network (its output layer starts near zero) has error about 1 at every t;
    /// training brings the error down.
    #[test]
    fn the_score_error_falls_as_the_network_trains() {
        let config = ToyConfig::new(ToyData::parse("overlap").unwrap(), 0);
        let mut t = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
        let before = t.score_error_per_t(5, 2000, 1).unwrap();
        assert_eq!(before.first().map(|p| p.0), Some(1));
        assert_eq!(before.last().map(|p| p.0), Some(100));
        for _ in 0..1500 {
            t.train_step();
        }
        let after = t.score_error_per_t(5, 2000, 1).unwrap();
        let mean = |v: &[(usize, f64)]| v.iter().map(|p| p.1).sum::<f64>() / v.len() as f64;
        assert!(mean(&before) > 0.5, "{before:?}");
        assert!(mean(&after) < 0.3 * mean(&before), "{before:?} → {after:?}");
        assert!(
            ToyTrainer::new(
                ToyConfig::new(ToyData::Moons, 0),
                &DeviceInfo::flex(String::new())
            )
            .score_error_per_t(5, 10, 1)
            .is_none()
        );
    }
}
