//! `nll`: the exact likelihood of a checkpoint's probability-flow ODE on a split of images,
//! in bits/dim of their 8-bit bins, beside the −ELBO (every t) of the same images and the
//! same network.

use super::evaluate::{check_images, note_fewer, open, open_split, parse_split, progress_bar};
use super::{CliError, ckpt_err};
use crate::data::DataSource;
use crate::data::split::Split;
use crate::diffusion::TimestepPlan;
use crate::diffusion::flow_ode::OdeSolver;
use crate::train::checkpoint;
use crate::train::ode_nll::NllRequest;
use clap::Args;
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `nll`.
#[derive(Args, Debug, Clone)]
pub struct NllArgs {
    /// A checkpoint folder.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The images: builtin:shapes, builtin:digits or a folder.
    #[arg(long)]
    pub data: String,
    /// How many images to evaluate.
    #[arg(long, default_value_t = 8)]
    pub images: usize,
    /// Which images: heldout, train or all.
    #[arg(long, default_value = "heldout")]
    pub split: String,
    /// K Rademacher probes per image for the trace (Hutchinson).
    #[arg(long, default_value_t = 1)]
    pub probes: usize,
    /// The integrator: rk45 (adaptive) or heun (fixed steps).
    #[arg(long, default_value = "rk45")]
    pub solver: String,
    /// RK45's relative tolerance.
    #[arg(long, default_value_t = 1e-5)]
    pub rtol: f64,
    /// RK45's absolute tolerance.
    #[arg(long, default_value_t = 1e-5)]
    pub atol: f64,
    /// Heun's steps.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Seed of the dequantisation and the probes.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Skip the same images' −ELBO (every t).
    #[arg(long)]
    pub no_elbo: bool,
    /// Device, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// One image's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NllImage {
    /// the ODE's bits/dim of this image's bins
    pub bits: f64,
    /// its −ELBO over every t, bits/dim (absent with --no-elbo)
    pub elbo_bits: Option<f64>,
}

/// What `nll --json` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NllReport {
    /// the probability-flow ODE's bits/dim of the images' 8-bit bins (dequantised once per
    /// image), the mean over the images
    pub bits_per_dim: f64,
    /// its standard error over the images (it covers the dequantisation and the probes too)
    pub stderr_bits: f64,
    /// field evaluations (network calls, each with its vector–Jacobian product) per solve
    pub nfe: f64,
    /// images evaluated
    pub images: usize,
    /// which images
    pub split: Split,
    /// K Hutchinson probes per image
    pub probes: usize,
    /// uniform dequantisation draws per image (each image's point inside its 8-bit bins)
    pub dequantisation_draws: usize,
    /// the integrator
    pub method: String,
    /// the same images' −ELBO, every t, bits/dim (absent with --no-elbo)
    pub elbo_bits: Option<f64>,
    /// its standard error over the images
    pub elbo_stderr_bits: Option<f64>,
    /// seconds of the ODE per image
    pub seconds_per_image: f64,
    /// the checkpoint's training step
    pub step: u64,
    /// per image
    pub per_image: Vec<NllImage>,
}

impl NllReport {
    /// The human-readable form.
    pub fn to_table(&self) -> String {
        let or_na = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"));
        let mut out = crate::tr!(
            "nll-table",
            bits = format!("{:.4}", self.bits_per_dim),
            se = or_na(self.stderr_bits.is_finite().then_some(self.stderr_bits)),
            elbo = or_na(self.elbo_bits),
            elbo_se = or_na(self.elbo_stderr_bits.filter(|v| v.is_finite())),
            images = self.images,
            split = self.split.name(),
            probes = self.probes,
            method = self.method.clone(),
            nfe = format!("{:.0}", self.nfe),
            seconds = format!("{:.2}", self.seconds_per_image),
            step = self.step
        );
        out.push('\n');
        out
    }
}

/// The solver the arguments ask for.
fn solver(args: &NllArgs) -> Result<OdeSolver, CliError> {
    match args.solver.trim().to_ascii_lowercase().as_str() {
        "rk45" => {
            for (name, v) in [("--rtol", args.rtol), ("--atol", args.atol)] {
                if !(1e-10..=1e-1).contains(&v) {
                    return Err(CliError::Usage(format!(
                        "{name} must be between 1e-10 and 0.1, got {v}"
                    )));
                }
            }
            Ok(OdeSolver::Rk45 {
                rtol: args.rtol,
                atol: args.atol,
            })
        }
        "heun" => {
            if !(1..=10_000).contains(&args.steps) {
                return Err(CliError::Usage(format!(
                    "--steps must be between 1 and 10000, got {}",
                    args.steps
                )));
            }
            Ok(OdeSolver::Heun { steps: args.steps })
        }
        other => Err(CliError::Usage(format!(
            "--solver must be rk45 or heun, got '{other}'"
        ))),
    }
}

/// Run `nll`.
pub fn nll(args: &NllArgs) -> Result<NllReport, CliError> {
    let solver = solver(args)?;
    check_images(args.images)?;
    if !(1..=64).contains(&args.probes) {
        return Err(CliError::Usage(format!(
            "--probes must be between 1 and 64, got {}",
            args.probes
        )));
    }
    let split = parse_split(&args.split)?;
    let source = DataSource::parse(&args.data).map_err(|e| CliError::Usage(e.to_string()))?;
    let info = checkpoint::info(&args.checkpoint).map_err(ckpt_err(&args.checkpoint))?;
    let size = info.config.model.image_size;
    let (dataset, chosen) = open_split(&source, split, args.images, size)?;
    note_fewer(&chosen, split, &args.data, args.images);
    let trainer = open(&args.checkpoint, &args.device, Some((source, dataset)))?;
    let bar = progress_bar(chosen.count, "images (ODE)");
    let started = Instant::now();
    let request = NllRequest {
        solver,
        probes: args.probes,
        seed: args.seed,
        dequantise: true,
    };
    let est = trainer
        .ode_nll(&chosen.values, &request, |done, _| {
            bar.set_position(done as u64);
            ControlFlow::Continue(())
        })
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let seconds_per_image = started.elapsed().as_secs_f64() / chosen.count.max(1) as f64;
    bar.finish_and_clear();
    let elbo = if args.no_elbo {
        None
    } else {
        let rounds = trainer.schedule().timesteps() + 1;
        let bar = progress_bar(rounds, "t (−ELBO)");
        let e = crate::diffusion::estimate_vlb(
            trainer.schedule(),
            &chosen.values,
            trainer.image_dim(),
            TimestepPlan::All,
            args.seed,
            |x, ts| {
                bar.inc(1);
                trainer.predict_eps_at(x, ts)
            },
        )
        .map_err(|e| CliError::Usage(e.to_string()))?;
        bar.finish_and_clear();
        Some(e)
    };
    let per_image = est
        .per_image_bits
        .iter()
        .enumerate()
        .map(|(i, &bits)| NllImage {
            bits,
            elbo_bits: elbo.as_ref().and_then(|e| e.per_image_bpd.get(i).copied()),
        })
        .collect();
    Ok(NllReport {
        bits_per_dim: est.bits_per_dim,
        stderr_bits: est.stderr_bits,
        nfe: est.nfe,
        images: chosen.count,
        split,
        probes: est.probes,
        dequantisation_draws: 1,
        method: est.method,
        elbo_bits: elbo.as_ref().map(|e| e.total_bpd()),
        elbo_stderr_bits: elbo.as_ref().map(|e| e.total_stderr_bpd),
        seconds_per_image,
        step: trainer.step_count(),
        per_image,
    })
}
