//! The worker's guidance measurement for panel ②, a piece at a time: the judge (a small
//! classifier) trains 100 steps per turn of the worker's loop, then one class at one w is
//! sampled and scored per turn. Training waits while it runs (the EMA must not move between
//! the scales it compares); commands are answered between pieces.

use super::classifier::{ClassifierTraining, DEFAULT_STEPS, TrainedClassifier};
use super::guidance_eval::{GuidanceRow, GuidanceSweep, Measurement};
use super::{TrainError, Trainer};
use crate::diffusion::{SampleError, SamplerKind};
use rand::SeedableRng;
use std::ops::ControlFlow;

/// Classifier steps per turn of the worker's loop.
const CLASSIFIER_CHUNK: usize = 100;
/// Reference training images for the nearest-image distance and the unit of diversity.
const REFERENCE: usize = 256;

/// What the panel asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidanceRequest {
    /// the guidance scales
    pub ws: Vec<f64>,
    /// samples per class and scale
    pub n: usize,
    /// the sampler
    pub sampler: SamplerKind,
    /// seed of the classifier and of x_T
    pub seed: u64,
}

/// A finished measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidanceResult {
    /// the training step of the weights measured
    pub step: u64,
    /// the classes (all of them are sampled)
    pub classes: Vec<String>,
    /// samples per class and scale
    pub n: usize,
    /// the sampler
    pub sampler: SamplerKind,
    /// the judge's accuracy on held-out labelled images
    pub classifier_heldout_accuracy: f64,
    /// how many images that is over
    pub classifier_heldout_images: usize,
    /// per w
    pub rows: Vec<GuidanceRow>,
}

enum Phase {
    Judge(Box<ClassifierTraining>),
    Sampling(Box<TrainedClassifier>, Box<Measurement>),
}

/// A measurement in progress.
pub struct GuidanceJob {
    request: GuidanceRequest,
    classes: Vec<String>,
    step: u64,
    reference: Vec<f32>,
    phase: Option<Phase>,
}

impl GuidanceJob {
    /// Start measuring `trainer`'s EMA (a class-conditional model).
    pub fn new(trainer: &Trainer, request: GuidanceRequest) -> Result<Self, TrainError> {
        let classes = trainer.classes().to_vec();
        if classes.is_empty() {
            return Err(TrainError::Invalid(
                "the model is unconditional: guidance needs a class-conditional model".into(),
            ));
        }
        let size = trainer.config().model.image_size;
        let judge = ClassifierTraining::new(
            trainer.dataset(),
            &classes,
            size,
            trainer.device_info(),
            DEFAULT_STEPS,
            request.seed,
        )?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(request.seed ^ 0x2EF);
        let reference = trainer.dataset().batch(&mut rng, REFERENCE, size);
        Ok(Self {
            request,
            classes,
            step: trainer.step_count(),
            reference,
            phase: Some(Phase::Judge(Box::new(judge))),
        })
    }

    /// The step of the weights being measured.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Whether the job still measures `trainer` as it was when it started.
    pub fn matches(&self, trainer: &Trainer) -> bool {
        trainer.step_count() == self.step && trainer.classes() == self.classes.as_slice()
    }

    /// The share done, in [0, 1]: the judge's training counts for a fifth.
    pub fn fraction(&self) -> f32 {
        match &self.phase {
            Some(Phase::Judge(j)) => {
                let (done, total) = j.progress();
                0.2 * done as f32 / total.max(1) as f32
            }
            Some(Phase::Sampling(_, m)) => {
                let (done, total) = m.progress();
                0.2 + 0.8 * done as f32 / total.max(1) as f32
            }
            None => 1.0,
        }
    }

    /// Do the next piece; the result once the last one is done.
    pub fn advance(&mut self, trainer: &Trainer) -> Result<Option<GuidanceResult>, TrainError> {
        match self.phase.take() {
            Some(Phase::Judge(mut judge)) => {
                if judge.advance(trainer.dataset(), CLASSIFIER_CHUNK) {
                    let judge = judge.finish(trainer.dataset());
                    let sweep = GuidanceSweep {
                        classes: (0..self.classes.len()).collect(),
                        ws: self.request.ws.clone(),
                        n: self.request.n,
                        sampler: self.request.sampler,
                        seed: self.request.seed,
                    };
                    let m = Measurement::new(trainer, &judge, sweep, self.reference.clone());
                    self.phase = Some(Phase::Sampling(Box::new(judge), Box::new(m)));
                } else {
                    self.phase = Some(Phase::Judge(judge));
                }
                Ok(None)
            }
            Some(Phase::Sampling(judge, mut m)) => {
                let rows = m
                    .advance(trainer, &judge, |_, _| ControlFlow::Continue(()))
                    .map_err(|e| match e {
                        SampleError::Model(e) => e,
                        other => TrainError::Invalid(other.to_string()),
                    })?;
                match rows {
                    Some(rows) => Ok(Some(GuidanceResult {
                        step: self.step,
                        classes: self.classes.clone(),
                        n: self.request.n,
                        sampler: self.request.sampler,
                        classifier_heldout_accuracy: judge.heldout_accuracy,
                        classifier_heldout_images: judge.heldout_images,
                        rows,
                    })),
                    None => {
                        self.phase = Some(Phase::Sampling(judge, m));
                        Ok(None)
                    }
                }
            }
            None => Ok(None),
        }
    }
}
