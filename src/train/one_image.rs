//! "Train on this image": the image under study becomes the whole training set, with
//! settings that make it appear in the samples within the first half minute on a laptop's CPU.
//!
//! A run trained on a dataset moves slowly toward a single new image at its own batch and
//! learning rate, and its EMA (decay 0.999) would hide the change for another thousand
//! steps. So the switch restarts the EMA from the current weights (see
//! [`Trainer::set_dataset`]), takes smaller batches (more steps a second: with one image,
//! a batch only varies t and ε) and a larger learning rate. The worker's notice names the
//! settings it changed.

use super::trainer::{TrainError, Trainer};
use super::worker::Command;
use crate::data::{DataSource, Dataset, ImageRgb};

/// Images per step while training on one image.
pub const BATCH: usize = 8;
/// Adam's learning rate while training on one image.
pub const LR: f64 = 2e-3;

/// The commands for training on `image` alone (model-size, unit space), in order.
pub fn commands(image: ImageRgb) -> Vec<Command> {
    vec![Command::TrainOnImage(image), Command::Start]
}

/// What [`apply`] changed: the batch and learning rate before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Switched {
    /// the batch before
    pub was_batch: usize,
    /// the learning rate before
    pub was_lr: f64,
}

/// Make `image` the training set of `trainer` with the one-image settings.
pub fn apply(trainer: &mut Trainer, image: ImageRgb) -> Result<Switched, TrainError> {
    let was = Switched {
        was_batch: trainer.config().batch,
        was_lr: trainer.config().lr,
    };
    trainer.set_batch(BATCH)?;
    trainer.set_lr(LR)?;
    trainer.set_dataset(DataSource::dropped(1), Dataset::Images(vec![image]));
    Ok(was)
}
