//! The bundled model's size beside PyTorch: training at batch 32 and DDIM-50 of 16 images with
//! the architecture of `assets/pretrained` (16×16, base 32), both timed here and by the
//! reference script with `--image-size 16 --base 32`. The default 32×32 model spends most of
//! its time in large convolutions; this one in small ones and in everything around them.

use super::{
    BenchError, BenchOptions, Reference, SampleFigure, TrainFigure, ddim_figure, default_config,
    fail, run_reference_with, train_throughput_of,
};
use crate::data::{Builtin, Dataset};
use crate::train::{DeviceInfo, Trainer};
use serde::Serialize;

/// The bundled model's image side.
pub const IMAGE_SIZE: usize = 16;
/// The bundled model's top-level channels.
pub const BASE_CHANNELS: usize = 32;
/// Training batch, as for the default model's first figure.
const BATCH: usize = 32;
/// Images per DDIM run, as for the default model.
const SAMPLES: usize = 16;

/// Training and DDIM at the bundled model's size, and PyTorch's figures for the same.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BundledSizeFigure {
    /// image side
    pub image_size: usize,
    /// top-level channels
    pub base_channels: usize,
    /// parameters
    pub params: usize,
    /// training at batch 32
    pub train: TrainFigure,
    /// DDIM-50 of 16 images
    pub ddim: SampleFigure,
    /// the PyTorch reference at the same size
    pub reference: Reference,
}

/// Measure the bundled model's size here and in the reference.
pub fn measure(
    options: &BenchOptions,
    device: &DeviceInfo,
) -> Result<BundledSizeFigure, BenchError> {
    let mut config = default_config(BATCH);
    config.model.image_size = IMAGE_SIZE;
    config.model.base_channels = BASE_CHANNELS;
    let train = train_throughput_of(device, config.clone(), options.repeats, options.progress)?;
    config.batch = SAMPLES;
    let trainer =
        Trainer::new(config, device.clone(), Dataset::Builtin(Builtin::Shapes)).map_err(fail)?;
    let params = trainer.num_params();
    let ddim = ddim_figure(&trainer, SAMPLES, options.repeats, options.progress)?;
    let extra = [
        "--image-size".to_owned(),
        IMAGE_SIZE.to_string(),
        "--base".to_owned(),
        BASE_CHANNELS.to_string(),
    ];
    let reference = match run_reference_with(options, device, &[BATCH], &extra, options.progress) {
        Ok(run) => Reference::Measured {
            train_speed_ratio: run
                .train
                .iter()
                .filter(|r| r.batch == BATCH)
                .map(|r| (BATCH, r.ms_per_step / train.ms_per_step))
                .collect(),
            ddim_speed_ratio: run.ddim.total_ms / ddim.total_ms,
            run,
        },
        Err(reason) => Reference::Unavailable { reason },
    };
    Ok(BundledSizeFigure {
        image_size: IMAGE_SIZE,
        base_channels: BASE_CHANNELS,
        params,
        train,
        ddim,
        reference,
    })
}

impl BundledSizeFigure {
    /// Lines for the bench's table.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "bundled model's size ({0}×{0}, base {1}, {2} parameters)\n",
            self.image_size, self.base_channels, self.params
        );
        s += &format!(
            "  training batch {:>3}: {:>9.1} ms/step  {:>8.1} images/s  CPU {}\n",
            self.train.batch,
            self.train.ms_per_step,
            self.train.images_per_s,
            self.train
                .cpu_percent
                .map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} %"))
        );
        s += &format!(
            "  DDIM-50, {} images: {:>9.0} ms\n",
            self.ddim.n, self.ddim.total_ms
        );
        if let Some(phases) = &self.train.phases {
            s += &phases.to_table();
        }
        match &self.reference {
            Reference::Measured {
                run,
                train_speed_ratio,
                ddim_speed_ratio,
            } => {
                s += &format!("  PyTorch {}:\n", run.torch_version);
                s += &super::ratio_lines(run, train_speed_ratio, *ddim_speed_ratio);
            }
            Reference::Unavailable { reason } => s += &format!("  PyTorch: {reason}\n"),
        }
        s
    }
}
