//! Train the small image classifier of [`crate::model::classifier`] on a dataset's labelled
//! images, and score it on images it never saw: the judge of what guidance does to samples.

use super::device::DeviceInfo;
use super::trainer::{TrainError, step_rng};
use crate::data::Dataset;
use crate::data::dataset::HOLD_OUT_FROM;
use crate::data::split::{Split, split_images};
use crate::model::classifier::{Classifier, ClassifierConfig};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use std::ops::ControlFlow;

/// Steps the classifier trains by default (batch 64): about 5 s on two CPU cores at 16×16.
pub const DEFAULT_STEPS: usize = 1200;
/// Images a step.
const BATCH: usize = 64;
/// Fresh draws of a built-in dataset the classifier is scored on.
const FRESH_HELDOUT: usize = 512;

/// A trained classifier and how well it does on held-out images.
pub struct TrainedClassifier {
    /// the network, on the plain device
    pub model: Classifier,
    /// share of held-out images it classifies right
    pub heldout_accuracy: f64,
    /// how many held-out images that share is over
    pub heldout_images: usize,
    /// what they were: fresh draws, a folder's held-out tenth, or (under ten images) its
    /// training images
    pub heldout_source: &'static str,
}

impl TrainedClassifier {
    /// The most likely class of each image ([n, 3, size, size] in unit space), in chunks.
    pub fn classify(&self, images: &[f32], size: usize, device: &Device) -> Vec<usize> {
        let dim = 3 * size * size;
        let mut out = Vec::with_capacity(images.len() / dim.max(1));
        for chunk in images.chunks(256 * dim.max(1)) {
            let n = chunk.len() / dim.max(1);
            let x =
                Tensor::<4>::from_data(TensorData::new(chunk.to_vec(), [n, 3, size, size]), device);
            out.extend(self.model.predict(x));
        }
        out
    }
}

impl TrainedClassifier {
    /// The classifier's pooled features of each image, row-major [n, features].
    pub fn features(&self, images: &[f32], size: usize, device: &Device) -> Vec<f32> {
        let dim = 3 * size * size;
        let mut out = Vec::new();
        for chunk in images.chunks(256 * dim.max(1)) {
            let n = chunk.len() / dim.max(1);
            let x =
                Tensor::<4>::from_data(TensorData::new(chunk.to_vec(), [n, 3, size, size]), device);
            out.extend(
                self.model
                    .features(x)
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap_or_default(),
            );
        }
        out
    }
}

/// The images of `values` ([n, dim]) whose label `map` knows, and their classes.
fn keep_labelled(
    values: &[f32],
    labels: &[Option<usize>],
    map: &[Option<usize>],
    dim: usize,
) -> (Vec<f32>, Vec<usize>) {
    let mut x = Vec::with_capacity(values.len());
    let mut y = Vec::with_capacity(labels.len());
    for (img, label) in values.chunks(dim).zip(labels) {
        if let Some(c) = label.and_then(|l| map.get(l).copied().flatten()) {
            x.extend_from_slice(img);
            y.push(c);
        }
    }
    (x, y)
}

/// A classifier in training, a chunk of steps at a time (the worker advances it between its
/// other work; [`train_classifier`] runs it through).
pub struct ClassifierTraining {
    model: Classifier,
    optim: ModuleOptimizer,
    map: Vec<Option<usize>>,
    device: Device,
    plain: Device,
    size: usize,
    seed: u64,
    step: usize,
    steps: usize,
}

impl ClassifierTraining {
    /// A fresh classifier for `classes` on `dataset`'s labelled images (side `size`), to
    /// train `steps` steps of Adam (lr 2·10⁻³, batch 64).
    pub fn new(
        dataset: &Dataset,
        classes: &[String],
        size: usize,
        device_info: &DeviceInfo,
        steps: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        let map = dataset.class_map(classes);
        if classes.len() < 2 || map.iter().all(Option::is_none) {
            return Err(TrainError::Invalid(format!(
                "the data has no images labelled with the model's classes ({})",
                classes.join(", ")
            )));
        }
        let plain = device_info.device();
        let device = plain.clone().autodiff();
        device.seed(seed);
        Ok(Self {
            model: ClassifierConfig::new(classes.len()).init(&device),
            optim: super::adam::module_adam(),
            map,
            device,
            plain,
            size,
            seed,
            step: 0,
            steps,
        })
    }

    /// (steps done, steps in all).
    pub fn progress(&self) -> (usize, usize) {
        (self.step, self.steps)
    }

    /// Train up to `chunk` more steps; true once every step is done.
    pub fn advance(&mut self, dataset: &Dataset, chunk: usize) -> bool {
        let dim = 3 * self.size * self.size;
        let end = (self.step + chunk).min(self.steps);
        while self.step < end {
            let mut rng = step_rng(self.seed ^ 0xC1A5, self.step as u64);
            let (values, labels) = dataset.batch_labelled(&mut rng, BATCH, self.size);
            let (x, y) = keep_labelled(&values, &labels, &self.map, dim);
            if !y.is_empty() {
                let s = self.size;
                let x =
                    Tensor::<4>::from_data(TensorData::new(x, [y.len(), 3, s, s]), &self.device);
                let loss = self.model.loss(x, &y);
                let grads = GradientsParams::from_grads(loss.backward(), &self.model);
                let model = self.model.clone();
                self.model = self.optim.step(2e-3, model, grads);
            }
            self.step += 1;
        }
        self.step >= self.steps
    }

    /// The trained classifier, scored on held-out images.
    pub fn finish(self, dataset: &Dataset) -> TrainedClassifier {
        let model = self.model.valid().to_device(&self.plain);
        let (images, labels, source) = heldout(dataset, &self.map, self.size);
        let mut trained = TrainedClassifier {
            model,
            heldout_accuracy: 0.0,
            heldout_images: labels.len(),
            heldout_source: source,
        };
        let predicted = trained.classify(&images, self.size, &self.plain);
        let right = predicted
            .iter()
            .zip(&labels)
            .filter(|(p, l)| p == l)
            .count();
        trained.heldout_accuracy = right as f64 / labels.len().max(1) as f64;
        trained
    }
}

/// Train a classifier for `classes` on `dataset`'s labelled images (side `size`) for
/// `steps` steps of Adam (lr 2·10⁻³, batch 64), then score it on held-out images.
/// `progress(done, total)` may break to cancel.
pub fn train_classifier(
    dataset: &Dataset,
    classes: &[String],
    size: usize,
    device_info: &DeviceInfo,
    steps: usize,
    seed: u64,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<TrainedClassifier, TrainError> {
    let mut training = ClassifierTraining::new(dataset, classes, size, device_info, steps, seed)?;
    while !training.advance(dataset, 25) {
        let (done, total) = training.progress();
        if progress(done, total).is_break() {
            return Err(TrainError::Cancelled);
        }
    }
    Ok(training.finish(dataset))
}

/// Labelled images the classifier never trained on, with their classes and what they are.
fn heldout(
    dataset: &Dataset,
    map: &[Option<usize>],
    size: usize,
) -> (Vec<f32>, Vec<usize>, &'static str) {
    let dim = 3 * size * size;
    let Some(images) = dataset.images() else {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x4E1D);
        let (values, labels) = dataset.batch_labelled(&mut rng, FRESH_HELDOUT, size);
        let (x, y) = keep_labelled(&values, &labels, map, dim);
        return (x, y, "fresh draws");
    };
    let held = images.len() >= HOLD_OUT_FROM;
    let split = if held { Split::Heldout } else { Split::All };
    let (x, y) = match split_images(dataset, split, images.len(), size) {
        Ok(chosen) => keep_labelled(&chosen.values, &chosen.labels, map, dim),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let source = if held {
        "held-out tenth of the folder"
    } else {
        "the training images (under ten: none held out)"
    };
    (x, y, source)
}
