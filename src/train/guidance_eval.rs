//! What guidance does to image samples, measured by something other than the model itself:
//! a classifier trained on the labelled data ([`super::classifier`]) says how often a sample
//! is of the class it was asked for; the mean pairwise distance says how varied they are; the
//! distance to the nearest training image and the share of saturated values say whether they
//! left the data.

use super::classifier::TrainedClassifier;
use super::trainer::{TrainError, Trainer, Weights};
use crate::data::image::unit_to_u8;
use crate::diffusion::{SampleError, SampleRequest, SamplerKind, Start};
use serde::Serialize;
use std::ops::ControlFlow;

/// The measures at one guidance scale, over every class asked for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuidanceRow {
    /// the guidance scale (1: plain conditional, 0: unconditional)
    pub w: f64,
    /// share of samples the classifier puts in the class they were asked for
    pub accuracy: f64,
    /// its standard error, √(a(1 − a)/N) over the N samples
    pub accuracy_stderr: f64,
    /// mean distance between two samples of the same class in the classifier's feature space
    /// (its pooled features, as FID-style measures use a network's), relative to the same
    /// distance between two training images; averaged over the classes
    pub diversity: f64,
    /// mean RMS distance between two samples of the same class in pixel space (unit space,
    /// per value), averaged over the classes: it also grows with contrast, not only variety
    pub pixel_diversity: f64,
    /// mean RMS distance of a sample to its nearest reference image, in 8-bit levels
    pub nearest_rms_levels: f64,
    /// share of the samples' values at 0 or 255 (8-bit)
    pub saturated: f64,
    /// accuracy per class, in the order asked for
    pub per_class_accuracy: Vec<f64>,
}

/// A guidance measurement's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidanceSweep {
    /// class indices to sample
    pub classes: Vec<usize>,
    /// guidance scales
    pub ws: Vec<f64>,
    /// samples per class and scale
    pub n: usize,
    /// the sampler
    pub sampler: SamplerKind,
    /// seed of x_T (the same x_T for every w of a class)
    pub seed: u64,
}

/// Share of values at the extreme 8-bit levels.
pub fn saturated_share(values: &[f32]) -> f64 {
    let ends = values
        .iter()
        .filter(|&&v| matches!(unit_to_u8(v), 0 | 255))
        .count();
    ends as f64 / values.len().max(1) as f64
}

/// Mean RMS distance over every pair of the `n` images in `values`: the Euclidean distance
/// per √dim.
pub fn mean_pairwise_rms(values: &[f32], n: usize) -> f64 {
    let dim = values.len() / n.max(1);
    mean_pairwise_l2(values, n) / (dim.max(1) as f64).sqrt()
}

/// Mean Euclidean distance over every pair of the `n` rows of `values`.
pub fn mean_pairwise_l2(values: &[f32], n: usize) -> f64 {
    let dim = values.len() / n.max(1);
    let (mut sum, mut pairs) = (0.0f64, 0usize);
    for i in 0..n {
        for j in i + 1..n {
            let a = &values[i * dim..(i + 1) * dim];
            let b = &values[j * dim..(j + 1) * dim];
            let d2: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
            sum += d2.sqrt();
            pairs += 1;
        }
    }
    sum / pairs.max(1) as f64
}

/// Mean over the `n` images of `values` of the RMS distance to the nearest of `reference`
/// (same layout), in 8-bit levels.
pub fn mean_nearest_rms_levels(values: &[f32], n: usize, reference: &[f32]) -> f64 {
    let dim = values.len() / n.max(1);
    if dim == 0 || reference.len() < dim {
        return f64::NAN;
    }
    let mut sum = 0.0;
    for s in values.chunks(dim) {
        let best = reference
            .chunks(dim)
            .map(|r| r.iter().zip(s).map(|(a, b)| (a - b) * (a - b)).sum::<f32>())
            .fold(f32::INFINITY, f32::min);
        sum += ((best / dim as f32).sqrt() * 127.5) as f64;
    }
    sum / n.max(1) as f64
}

/// One (w, class) cell of a sweep, measured.
#[derive(Clone, Debug, PartialEq)]
struct Cell {
    hits: usize,
    diversity: f64,
    pixel_diversity: f64,
    nearest: f64,
    saturated: f64,
}

/// A guidance sweep measured one (w, class) cell at a time, so that a caller (the worker's
/// loop) can do other work in between; [`measure`] runs it through.
pub struct Measurement {
    sweep: GuidanceSweep,
    reference: Vec<f32>,
    /// the mean feature distance between two reference images: the unit of `diversity`
    data_spread: f64,
    cells: Vec<Cell>,
}

impl Measurement {
    /// Start measuring `sweep` with `classifier`; `reference` holds training images for the
    /// nearest-image distance and the unit of diversity.
    pub fn new(
        trainer: &Trainer,
        classifier: &TrainedClassifier,
        sweep: GuidanceSweep,
        reference: Vec<f32>,
    ) -> Self {
        let size = trainer.config().model.image_size;
        let device = trainer.device_info().device();
        let reference_n = reference.len() / (3 * size * size).max(1);
        let data_spread =
            mean_pairwise_l2(&classifier.features(&reference, size, &device), reference_n)
                .max(1e-12);
        Self {
            sweep,
            reference,
            data_spread,
            cells: Vec::new(),
        }
    }

    /// (cells done, cells in all): one cell is `n` samples of one class at one w.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.cells.len(),
            self.sweep.ws.len() * self.sweep.classes.len(),
        )
    }

    /// Sampler steps of one cell.
    pub fn steps_per_cell(&self, trainer: &Trainer) -> usize {
        crate::diffusion::sampler::timesteps_for(self.sweep.sampler, trainer.schedule().timesteps())
            .len()
    }

    /// Sample and score the next cell (`progress` counts its sampler steps and may break to
    /// cancel); every w's row once the last one is done.
    pub fn advance(
        &mut self,
        trainer: &Trainer,
        classifier: &TrainedClassifier,
        progress: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<Option<Vec<GuidanceRow>>, SampleError<TrainError>> {
        let (done, total) = self.progress();
        if done < total {
            let k = self.sweep.classes.len();
            let (w, class) = (self.sweep.ws[done / k], self.sweep.classes[done % k]);
            let size = trainer.config().model.image_size;
            let device = trainer.device_info().device();
            let n = self.sweep.n;
            let request = SampleRequest {
                sampler: self.sweep.sampler,
                n,
                // the same x_T for every w of a class
                seed: self.sweep.seed ^ (class as u64).wrapping_mul(0x9E37_79B9),
                max_frames: 2,
                clip_x0: true,
            };
            let traj = trainer.sample_guided(
                Weights::Ema,
                &request,
                Start::Noise,
                &[class],
                &[w],
                progress,
            )?;
            let x0 = traj.final_x0();
            let predicted = classifier.classify(x0, size, &device);
            self.cells.push(Cell {
                hits: predicted.iter().filter(|&&p| p == class).count(),
                diversity: mean_pairwise_l2(&classifier.features(x0, size, &device), n)
                    / self.data_spread,
                pixel_diversity: mean_pairwise_rms(x0, n),
                nearest: mean_nearest_rms_levels(x0, n, &self.reference),
                saturated: saturated_share(x0),
            });
        }
        Ok((self.cells.len() == total).then(|| self.rows()))
    }

    /// Every w's row from the cells (all of them done).
    fn rows(&self) -> Vec<GuidanceRow> {
        let k = self.sweep.classes.len().max(1);
        let n = self.sweep.n.max(1);
        self.sweep
            .ws
            .iter()
            .zip(self.cells.chunks(k))
            .map(|(&w, cells)| {
                let total_n = (n * cells.len()).max(1) as f64;
                let right: usize = cells.iter().map(|c| c.hits).sum();
                let accuracy = right as f64 / total_n;
                let mean = |f: fn(&Cell) -> f64| cells.iter().map(f).sum::<f64>() / k as f64;
                GuidanceRow {
                    w,
                    accuracy,
                    accuracy_stderr: (accuracy * (1.0 - accuracy) / total_n).sqrt(),
                    diversity: mean(|c| c.diversity),
                    pixel_diversity: mean(|c| c.pixel_diversity),
                    nearest_rms_levels: mean(|c| c.nearest),
                    saturated: mean(|c| c.saturated),
                    per_class_accuracy: cells.iter().map(|c| c.hits as f64 / n as f64).collect(),
                }
            })
            .collect()
    }
}

/// Sample `sweep.n` images of every class at every w (the same x_T for every w of a class)
/// with the EMA, and measure them. `reference` holds training images for the nearest-image
/// distance. `progress(done, total)` counts sampler steps and may break to cancel.
pub fn measure(
    trainer: &Trainer,
    classifier: &TrainedClassifier,
    sweep: &GuidanceSweep,
    reference: &[f32],
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<Vec<GuidanceRow>, SampleError<TrainError>> {
    let mut m = Measurement::new(trainer, classifier, sweep.clone(), reference.to_vec());
    let per_cell = m.steps_per_cell(trainer);
    let total = per_cell * m.progress().1;
    loop {
        let base = m.progress().0 * per_cell;
        if let Some(rows) = m.advance(trainer, classifier, |d, _| progress(base + d, total))? {
            return Ok(rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measures_match_hand_computed_values() {
        // Two images of 4 values: distance 0.5 everywhere, so RMS 0.5.
        let v = [0.0f32, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5];
        assert!((mean_pairwise_rms(&v, 2) - 0.5).abs() < 1e-12);
        // Three images: pairs (0,1) 0.5, (0,2) 1, (1,2) 0.5.
        let v3 = [0.0f32, 0.0, 0.5, 0.5, 1.0, 1.0];
        assert!((mean_pairwise_rms(&v3, 3) - 2.0 / 3.0).abs() < 1e-12);
        // Euclidean: (0,0)–(3,4) is 5.
        assert!((mean_pairwise_l2(&[0.0, 0.0, 3.0, 4.0], 2) - 5.0).abs() < 1e-12);
        // The nearest of two references, in 8-bit levels.
        let r = [0.1f32, 0.1, 0.9, 0.9];
        let s = [0.0f32, 0.0];
        assert!((mean_nearest_rms_levels(&s, 1, &r) - 0.1 * 127.5).abs() < 1e-4);
        // −1 and 1 are the extreme levels; 0.99 rounds to 254.
        assert_eq!(saturated_share(&[-1.0, 1.0, 1.5, 0.99]), 0.75);
    }
}
