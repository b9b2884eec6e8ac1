//! `guidance`: what classifier-free guidance does to a class-conditional checkpoint's
//! samples, at each w, judged by a classifier trained on the labelled data for the purpose.

use super::evaluate::{open, progress_bar};
use super::{CliError, ckpt_err, sampler_kind};
use crate::data::{DataSource, Dataset};
use crate::diffusion::guidance::check_scale;
use crate::train::checkpoint;
use crate::train::classifier::{DEFAULT_STEPS, train_classifier};
use crate::train::guidance_eval::{GuidanceRow, GuidanceSweep, measure, saturated_share};
use crate::train::guided::class_index;
use clap::Args;
use rand::SeedableRng;
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::PathBuf;

/// Arguments of `guidance`.
#[derive(Args, Debug, Clone)]
pub struct GuidanceArgs {
    /// A class-conditional checkpoint (`train --conditional`).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The class to sample, by name or index, or "all" for every class.
    #[arg(long, default_value = "all")]
    pub class: String,
    /// The guidance scales, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,4,8")]
    pub w: Vec<f64>,
    /// Samples per class and scale.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Seed of the samples' x_T (the same for every w) and of the classifier.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The labelled data the classifier learns from [default: the checkpoint's].
    #[arg(long)]
    pub data: Option<String>,
    /// Steps of the classifier's training (batch 64).
    #[arg(long, default_value_t = DEFAULT_STEPS)]
    pub classifier_steps: usize,
    /// ddpm or ddim.
    #[arg(long, default_value = "ddim")]
    pub sampler: String,
    /// DDIM steps.
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// Device, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// One scale's figures, with the classifier's own held-out accuracy beside them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GuidancePointReport {
    /// the measures
    #[serde(flatten)]
    pub row: GuidanceRow,
    /// the judge's accuracy on held-out labelled images (the same for every w)
    pub classifier_heldout_accuracy: f64,
}

/// What `guidance --json` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GuidanceReport {
    /// the checkpoint's classes
    pub classes: Vec<String>,
    /// the classes sampled
    pub sampled: Vec<String>,
    /// samples per class and scale
    pub n: usize,
    /// the sampler, e.g. "ddim (50 steps, η 0)"
    pub sampler: String,
    /// the classifier's accuracy on held-out labelled images
    pub classifier_heldout_accuracy: f64,
    /// how many images that is over
    pub classifier_heldout_images: usize,
    /// what they are
    pub classifier_heldout_source: String,
    /// share of the training data's values at 0 or 255, for comparison with the samples'
    pub data_saturated: f64,
    /// per w
    pub guidance: Vec<GuidancePointReport>,
    /// the checkpoint's step
    pub step: u64,
}

impl GuidanceReport {
    /// The table printed without --json.
    pub fn to_table(&self) -> String {
        let mut out = crate::tr!(
            "guidance-table-head",
            sampled = self.sampled.join(", "),
            n = self.n,
            sampler = self.sampler.clone(),
            acc = format!("{:.3}", self.classifier_heldout_accuracy),
            images = self.classifier_heldout_images,
            source = self.classifier_heldout_source.clone(),
            step = self.step
        );
        out.push('\n');
        out.push_str(
            "     w   accuracy ± se   diversity   pixel diversity   nearest (levels)   saturated\n",
        );
        for p in &self.guidance {
            let r = &p.row;
            out.push_str(&format!(
                "{:>6}   {:.3} ± {:.3}   {:>9.4}   {:>15.4}   {:>16.1}   {:>9.4}\n",
                r.w,
                r.accuracy,
                r.accuracy_stderr,
                r.diversity,
                r.pixel_diversity,
                r.nearest_rms_levels,
                r.saturated
            ));
        }
        out.push_str(&format!(
            "(training data: {:.4} of values saturated)\n",
            self.data_saturated
        ));
        out
    }
}

/// Run `guidance`.
pub fn guidance(args: &GuidanceArgs) -> Result<GuidanceReport, CliError> {
    let sampler = sampler_kind(&args.sampler, args.steps, 0.0)?;
    if !(2..=1024).contains(&args.n) {
        return Err(CliError::Usage(format!(
            "--n must be between 2 and 1024, got {}",
            args.n
        )));
    }
    if args.w.is_empty() || args.w.len() > 32 {
        return Err(CliError::Usage("--w takes 1 to 32 scales".into()));
    }
    for &w in &args.w {
        check_scale(w).map_err(|e| CliError::Usage(format!("--w: {e}")))?;
    }
    if !(1..=100_000).contains(&args.classifier_steps) {
        return Err(CliError::Usage(format!(
            "--classifier-steps must be between 1 and 100000, got {}",
            args.classifier_steps
        )));
    }
    let info = checkpoint::info(&args.checkpoint).map_err(ckpt_err(&args.checkpoint))?;
    let classes = info.config.classes.clone();
    if classes.is_empty() {
        return Err(CliError::Usage(format!(
            "{} is unconditional: guidance needs a class-conditional model (train one with --conditional)",
            args.checkpoint.display()
        )));
    }
    let sampled: Vec<usize> = if args.class.trim().eq_ignore_ascii_case("all") {
        (0..classes.len()).collect()
    } else {
        vec![class_index(&classes, &args.class).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown class '{}': the checkpoint's classes are {} (or their index, or all)",
                args.class,
                classes.join(", ")
            ))
        })?]
    };
    let source = match &args.data {
        Some(d) => DataSource::parse(d).map_err(|e| CliError::Usage(e.to_string()))?,
        None => info.config.data.clone(),
    };
    let size = info.config.model.image_size;
    let (dataset, _) =
        Dataset::open(&source, size).map_err(|e| CliError::Usage(format!("{source}: {e}")))?;
    let trainer = open(
        &args.checkpoint,
        &args.device,
        Some((source.clone(), dataset.clone())),
    )?;
    let bar = progress_bar(args.classifier_steps, "classifier steps");
    let device_info = trainer.device_info().clone();
    let judge = train_classifier(
        &dataset,
        &classes,
        size,
        &device_info,
        args.classifier_steps,
        args.seed,
        |done, _| {
            bar.set_position(done as u64);
            ControlFlow::Continue(())
        },
    )
    .map_err(|e| CliError::Usage(format!("{source}: {e}")))?;
    bar.finish_and_clear();
    eprintln!(
        "classifier: {:.3} right on {} held-out images ({})",
        judge.heldout_accuracy, judge.heldout_images, judge.heldout_source
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed ^ 0x2EF);
    let reference = dataset.batch(&mut rng, 512, size);
    let sweep = GuidanceSweep {
        classes: sampled.clone(),
        ws: args.w.clone(),
        n: args.n,
        sampler,
        seed: args.seed,
    };
    let bar = progress_bar(0, "sampler steps");
    let rows = measure(&trainer, &judge, &sweep, &reference, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        ControlFlow::Continue(())
    })
    .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    let sampler_name = match sampler {
        crate::diffusion::SamplerKind::Ddpm => "ddpm".to_owned(),
        crate::diffusion::SamplerKind::Ddim { steps, eta } => {
            format!("ddim ({steps} steps, η {eta})")
        }
    };
    Ok(GuidanceReport {
        sampled: sampled.iter().map(|&c| classes[c].clone()).collect(),
        classes,
        n: args.n,
        sampler: sampler_name,
        classifier_heldout_accuracy: judge.heldout_accuracy,
        classifier_heldout_images: judge.heldout_images,
        classifier_heldout_source: judge.heldout_source.to_owned(),
        data_saturated: saturated_share(&reference),
        guidance: rows
            .into_iter()
            .map(|row| GuidancePointReport {
                row,
                classifier_heldout_accuracy: judge.heldout_accuracy,
            })
            .collect(),
        step: trainer.step_count(),
    })
}
