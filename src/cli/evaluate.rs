//! `elbo` and `likelihood`: the two likelihood quantities of the study note, for a
//! checkpoint, as one JSON object each.
//!
//! - `elbo`: −ELBO = L_T + Σ_{t=2}^{T} L_{t−1} + L_0 in bits/dim on a batch of images, with
//!   the sum over every t (`--strata all`) or its unbiased stratified estimate.
//! - `likelihood`: P(x) = ∫ N(z; 0, I) N(x; G(z), σ²I) dz by Monte Carlo over prior draws,
//!   and the indicator likelihood's hits G(z) = x.

use super::{CliError, ckpt_err, device_choice};
use crate::data::split::{Split, SplitImages, split_images};
use crate::data::{DataSource, Dataset};
use crate::diffusion::marginal::{
    FEW_EFFECTIVE_DRAWS, MarginalEstimate, SIGMA_RANGE, estimate_marginal,
};
use crate::diffusion::{TimestepPlan, VlbEstimate};
use crate::train::Trainer;
use crate::train::checkpoint;
use crate::train::generator::{DEFAULT_G_STEPS, generate};
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Arguments of `elbo`.
#[derive(Args, Debug, Clone)]
pub struct ElboArgs {
    /// A checkpoint folder.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The images: builtin:shapes, builtin:digits or a folder.
    #[arg(long)]
    pub data: String,
    /// How many images to evaluate.
    #[arg(long, default_value_t = 64)]
    pub images: usize,
    /// Which images: heldout, train or all.
    #[arg(long, default_value = "heldout")]
    pub split: String,
    /// K strata of t (one random t in each, per image), or `all` for every t.
    #[arg(long, default_value = "20")]
    pub strata: String,
    /// Seed of the random t and the noise (the images stay the same for every seed).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Device, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `likelihood`.
#[derive(Args, Debug, Clone)]
pub struct LikelihoodArgs {
    /// A checkpoint folder.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The image x.
    #[arg(long, required_unless_present = "data", conflicts_with = "data")]
    pub image: Option<PathBuf>,
    /// Instead of one image: a dataset (builtin:shapes, builtin:digits or a folder), whose
    /// --images images of --split are each scored with the same prior draws.
    #[arg(long)]
    pub data: Option<String>,
    /// With --data: how many images.
    #[arg(long, default_value_t = 8)]
    pub images: usize,
    /// With --data: which images, heldout, train or all.
    #[arg(long, default_value = "heldout")]
    pub split: String,
    /// N, the number of prior draws z ~ N(0, I).
    #[arg(long, default_value_t = 64)]
    pub draws: usize,
    /// σ of p(x|z) = N(x; G(z), σ²I), from 0.001 to 10.
    #[arg(long, default_value_t = 0.1)]
    pub sigma: f64,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// DDIM steps of G.
    #[arg(long, default_value_t = DEFAULT_G_STEPS)]
    pub steps: usize,
    /// Device, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// What `elbo --json` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ElboReport {
    /// L_T, bits/dim
    pub l_t_bits: f64,
    /// Σ_{t=2}^{T} L_{t−1}, bits/dim
    pub l_sum_bits: f64,
    /// its standard error over the images
    pub l_sum_stderr_bits: f64,
    /// L_0, bits/dim
    pub l_0_bits: f64,
    /// −ELBO = L_T + Σ L_{t−1} + L_0, bits/dim: an upper bound on the NLL
    pub total_bits: f64,
    /// its standard error over the images
    pub total_stderr_bits: f64,
    /// timesteps of Σ L_{t−1} evaluated per image
    pub timesteps_evaluated: usize,
    /// "all" or the number of strata
    pub strata: String,
    /// images evaluated
    pub images: usize,
    /// T
    pub timesteps: usize,
    /// the checkpoint's training step
    pub step: u64,
    /// (t, L_{t−1} in bits/dim averaged over the images), t = 1 holding L_0
    pub per_t: Vec<(usize, f64)>,
}

impl ElboReport {
    fn new(e: &VlbEstimate, timesteps: usize, step: u64) -> Self {
        Self {
            l_t_bits: e.prior_bpd,
            l_sum_bits: e.diffusion_bpd,
            l_sum_stderr_bits: e.diffusion_stderr_bpd,
            l_0_bits: e.decoder_bpd,
            total_bits: e.total_bpd(),
            total_stderr_bits: e.total_stderr_bpd,
            timesteps_evaluated: e.timesteps_evaluated,
            strata: e
                .strata
                .map(|k| k.to_string())
                .unwrap_or_else(|| "all".into()),
            images: e.images,
            timesteps,
            step,
            per_t: e.per_t.clone(),
        }
    }

    /// The human-readable form.
    pub fn to_table(&self) -> String {
        let mut out = crate::tr!(
            "elbo-table",
            total = format!("{:.4}", self.total_bits),
            // One image has no spread to estimate a standard error from.
            se = if self.total_stderr_bits.is_finite() {
                format!("{:.4}", self.total_stderr_bits)
            } else {
                "n/a".to_owned()
            },
            prior = format!("{:.3e}", self.l_t_bits),
            sum = format!("{:.4}", self.l_sum_bits),
            decoder = format!("{:.4}", self.l_0_bits),
            k = self.timesteps_evaluated,
            images = self.images,
            step = self.step
        );
        out.push('\n');
        out
    }
}

/// What `likelihood --json` prints: the estimate's keys (`log_p_x_nats` and
/// `log_p_x_stderr_nats` of x's 8-bit bins, `bits_per_dim`, `effective_draws`,
/// `log_p_x_density_nats` and its `log_p_x_density_stderr_nats`, `indicator_hits`, `draws`,
/// `dims`, `sigma`) and these.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LikelihoodReport {
    /// P(x) over the prior draws, and the indicator's hits
    #[serde(flatten)]
    pub estimate: MarginalEstimate,
    /// DDIM steps of G
    pub g_steps: usize,
    /// RMS distance of the nearest G(z) to x, in unit space
    pub nearest_rms: f64,
    /// the checkpoint's training step
    pub step: u64,
}

impl LikelihoodReport {
    /// The human-readable form.
    pub fn to_table(&self) -> String {
        let e = &self.estimate;
        let mut out = crate::tr!(
            "likelihood-table",
            log_p = format!("{:.2}", e.log_p_x_nats),
            se = if e.log_p_x_stderr_nats.is_finite() {
                format!("{:.2}", e.log_p_x_stderr_nats)
            } else {
                "n/a".to_owned()
            },
            bpd = format!("{:.4}", e.bits_per_dim),
            eff = format!("{:.1}", e.effective_draws),
            density = format!("{:.2}", e.log_p_x_density_nats),
            hits = e.indicator_hits,
            draws = e.draws,
            dims = e.dims,
            sigma = e.sigma
        );
        out.push('\n');
        if e.effective_draws < FEW_EFFECTIVE_DRAWS {
            out.push_str(&crate::tr!("likelihood-table-few-draws"));
            out.push('\n');
        }
        out
    }
}

/// One image of `likelihood --data`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LikelihoodImage {
    /// log P(x's 8-bit bins), nats
    pub log_p_x_nats: f64,
    /// its standard error over the draws (delta method)
    pub log_p_x_stderr_nats: f64,
    /// bits/dim of the bins
    pub bits_per_dim: f64,
    /// (Σw)²/Σw² of the draws' weights
    pub effective_draws: f64,
}

/// What `likelihood --data … --json` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LikelihoodSetReport {
    /// the images' mean bits/dim of their 8-bit bins under P_θ = G (DDIM) plus σ
    pub bits_per_dim: f64,
    /// its standard error over the images
    pub stderr_bits: f64,
    /// the least effective number of draws of any image (below 2: that image's log P is
    /// biased low)
    pub min_effective_draws: f64,
    /// σ of p(x|z)
    pub sigma: f64,
    /// N prior draws, shared by every image
    pub draws: usize,
    /// images scored
    pub images: usize,
    /// which images
    pub split: Split,
    /// DDIM steps of G
    pub g_steps: usize,
    /// the checkpoint's training step
    pub step: u64,
    /// per image
    pub per_image: Vec<LikelihoodImage>,
}

/// What `likelihood` prints: one image, or a set of them.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LikelihoodOutput {
    /// `--image`
    One(LikelihoodReport),
    /// `--data`
    Set(LikelihoodSetReport),
}

impl LikelihoodOutput {
    /// The human-readable form.
    pub fn to_table(&self) -> String {
        match self {
            Self::One(r) => r.to_table(),
            Self::Set(r) => {
                let mut out = crate::tr!(
                    "likelihood-set-table",
                    bpd = format!("{:.4}", r.bits_per_dim),
                    se = format!("{:.4}", r.stderr_bits),
                    images = r.images,
                    split = r.split.name(),
                    sigma = r.sigma,
                    draws = r.draws,
                    eff = format!("{:.1}", r.min_effective_draws)
                );
                out.push('\n');
                if r.min_effective_draws < FEW_EFFECTIVE_DRAWS {
                    out.push_str(&crate::tr!("likelihood-table-few-draws"));
                    out.push('\n');
                }
                out
            }
        }
    }
}

/// `--split`'s value.
pub(super) fn parse_split(s: &str) -> Result<Split, CliError> {
    Split::parse(s)
        .ok_or_else(|| CliError::Usage(format!("--split must be heldout, train or all, got '{s}'")))
}

/// `--images`, from 1 to 1024.
pub(super) fn check_images(n: usize) -> Result<(), CliError> {
    if (1..=1024).contains(&n) {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "--images must be between 1 and 1024, got {n}"
        )))
    }
}

/// The dataset of `source` at `size` and up to `n` of its images of `split`, each once.
pub(super) fn open_split(
    source: &DataSource,
    split: Split,
    n: usize,
    size: usize,
) -> Result<(Dataset, SplitImages), CliError> {
    let (dataset, _) = Dataset::open(source, size).map_err(|e| CliError::Usage(e.to_string()))?;
    let chosen =
        split_images(&dataset, split, n, size).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok((dataset, chosen))
}

/// Say on stderr when the split held fewer images than `--images` asked for.
pub(super) fn note_fewer(chosen: &SplitImages, split: Split, data: &str, asked: usize) {
    if chosen.count < asked {
        eprintln!(
            "note: the {split} split of {data} holds {} images: evaluating all {} (asked for --images {asked})",
            chosen.available, chosen.count
        );
    }
}

/// Open a checkpoint for evaluation, with `data` as its dataset.
pub(super) fn open(
    dir: &Path,
    device: &Option<String>,
    data: Option<(DataSource, Dataset)>,
) -> Result<Trainer, CliError> {
    let choice = device_choice(device)?;
    let info = checkpoint::info(dir).map_err(ckpt_err(dir))?;
    let data = data.unwrap_or((
        info.config.data.clone(),
        Dataset::Builtin(crate::data::Builtin::Shapes),
    ));
    checkpoint::load(dir, super::open_device(choice), Some(data)).map_err(ckpt_err(dir))
}

pub(super) fn progress_bar(total: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {what} [{{elapsed}} < {{eta}}]"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Run `elbo`.
pub fn elbo(args: &ElboArgs) -> Result<ElboReport, CliError> {
    let plan = TimestepPlan::parse(&args.strata).ok_or_else(|| {
        CliError::Usage(format!(
            "--strata must be a whole number ≥ 1 or 'all', got '{}'",
            args.strata
        ))
    })?;
    check_images(args.images)?;
    let split = parse_split(&args.split)?;
    let source = DataSource::parse(&args.data).map_err(|e| CliError::Usage(e.to_string()))?;
    let info = checkpoint::info(&args.checkpoint).map_err(ckpt_err(&args.checkpoint))?;
    let size = info.config.model.image_size;
    let schedule = info.config.schedule.build()?;
    let head = crate::diffusion::elbo::head_end(&schedule);
    let span = schedule.timesteps().saturating_sub(head);
    if let TimestepPlan::Stratified { strata } = plan
        && strata > span
    {
        eprintln!(
            "note: --strata {strata} is more than the {span} terms of Σ L_(t−1) after its exact head t = 2 … {head} (T = {}): using {span} strata, one t each",
            schedule.timesteps()
        );
    }
    // The images do not depend on --seed, so estimates with different seeds can be averaged.
    let (dataset, chosen) = open_split(&source, split, args.images, size)?;
    note_fewer(&chosen, split, &args.data, args.images);
    let x0 = chosen.values;
    let trainer = open(&args.checkpoint, &args.device, Some((source, dataset)))?;
    let rounds = plan.timesteps_per_image(trainer.schedule()) + 1;
    let bar = progress_bar(rounds, "t");
    let estimate = crate::diffusion::estimate_vlb(
        trainer.schedule(),
        &x0,
        trainer.image_dim(),
        plan,
        args.seed,
        |x, ts| {
            bar.inc(1);
            trainer.predict_eps_at(x, ts)
        },
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    Ok(ElboReport::new(
        &estimate,
        trainer.schedule().timesteps(),
        trainer.step_count(),
    ))
}

/// Run `likelihood`.
pub fn likelihood(args: &LikelihoodArgs) -> Result<LikelihoodOutput, CliError> {
    let (lo, hi) = SIGMA_RANGE;
    if !(lo..=hi).contains(&args.sigma) {
        return Err(CliError::Usage(format!(
            "--sigma must be between {lo} and {hi}, got {}",
            args.sigma
        )));
    }
    if !(1..=4096).contains(&args.draws) {
        return Err(CliError::Usage(format!(
            "--draws must be between 1 and 4096, got {}",
            args.draws
        )));
    }
    let info = checkpoint::info(&args.checkpoint).map_err(ckpt_err(&args.checkpoint))?;
    let t_max = info.config.schedule.timesteps;
    if !(1..=t_max).contains(&args.steps) {
        return Err(CliError::Usage(format!(
            "--steps must be between 1 and T = {t_max}, got {}",
            args.steps
        )));
    }
    let size = info.config.model.image_size;
    // The images: one file, or a split of a dataset.
    let (images, split) = match (&args.image, &args.data) {
        (Some(path), _) => {
            let x = crate::data::load_image(path, size).map_err(|source| CliError::Image {
                path: path.clone(),
                source,
            })?;
            (x.data, None)
        }
        (None, Some(spec)) => {
            let split = parse_split(&args.split)?;
            check_images(args.images)?;
            let source = DataSource::parse(spec).map_err(|e| CliError::Usage(e.to_string()))?;
            let (_, chosen) = open_split(&source, split, args.images, size)?;
            (chosen.values, Some(split))
        }
        (None, None) => {
            return Err(CliError::Usage("give --image or --data".into()));
        }
    };
    let trainer = open(&args.checkpoint, &args.device, None)?;
    let bar = progress_bar(1, "G(z)");
    let generated = generate(
        &trainer,
        args.draws,
        args.seed,
        args.steps,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            std::ops::ControlFlow::Continue(())
        },
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    let dim = 3 * size * size;
    let step = trainer.step_count();
    let Some(split) = split else {
        let est = estimate_marginal(&images, &generated.g, args.sigma);
        let best = &generated.g[est.best_draw * dim..(est.best_draw + 1) * dim];
        let nearest_rms = (best
            .iter()
            .zip(&images)
            .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
            .sum::<f64>()
            / dim as f64)
            .sqrt();
        return Ok(LikelihoodOutput::One(LikelihoodReport {
            estimate: est,
            g_steps: args.steps,
            nearest_rms,
            step,
        }));
    };
    let per_image: Vec<LikelihoodImage> = images
        .chunks(dim)
        .map(|x| {
            let e = estimate_marginal(x, &generated.g, args.sigma);
            LikelihoodImage {
                log_p_x_nats: e.log_p_x_nats,
                log_p_x_stderr_nats: e.log_p_x_stderr_nats,
                bits_per_dim: e.bits_per_dim,
                effective_draws: e.effective_draws,
            }
        })
        .collect();
    let bits: Vec<f64> = per_image.iter().map(|p| p.bits_per_dim).collect();
    Ok(LikelihoodOutput::Set(LikelihoodSetReport {
        bits_per_dim: crate::diffusion::elbo::mean(&bits),
        stderr_bits: crate::diffusion::elbo::std_error(&bits),
        min_effective_draws: per_image
            .iter()
            .map(|p| p.effective_draws)
            .fold(f64::INFINITY, f64::min),
        sigma: args.sigma,
        draws: args.draws,
        images: per_image.len(),
        split,
        g_steps: args.steps,
        step,
        per_image,
    }))
}
