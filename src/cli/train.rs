//! `train`: train the image model on a dataset and save checkpoints, from the command line.
//!
//! A new run takes its settings from the flags and their defaults; a resumed one keeps its
//! checkpoint's unless a flag overrides them, and refuses flags that contradict its model's
//! shape. Every argument and output path is checked before the device is chosen.

use super::{CliError, ckpt_err, device_choice, output};
use crate::data::{DataSource, Dataset};
use crate::diffusion::objective::{FlowTime, Target};
use crate::diffusion::{SampleRequest, SamplerKind, ScheduleKind, Start};
use crate::model::UNetConfig;
use crate::train::checkpoint::{self, CheckpointError, CheckpointInfo};
use crate::train::{TrainConfig, Trainer};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `train`.
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Training data: builtin:shapes, builtin:digits, or a folder of images.
    #[arg(long)]
    pub data: String,
    /// Number of optimisation steps to take (in addition to a resumed checkpoint's). Give
    /// --steps, --seconds or both.
    #[arg(long, required_unless_present = "seconds")]
    pub steps: Option<u64>,
    /// Stop after this many seconds of training (time spent sampling not counted), or at
    /// --steps, whichever comes first. Give --steps, --seconds or both.
    #[arg(long)]
    pub seconds: Option<f64>,
    /// At these seconds of training (comma-separated), write a grid of 16 DDIM-50 samples
    /// from the EMA weights, seed 0, to OUT/sample-<seconds>s.png.
    #[arg(long, value_delimiter = ',')]
    pub sample_at: Vec<f64>,
    /// Images per step [default: 32; with --resume, the checkpoint's].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Side of the square images, in pixels, a multiple of 4 [default: 32; with --resume,
    /// the checkpoint's, which it must match].
    #[arg(long)]
    pub size: Option<usize>,
    /// auto: a real GPU if there is one, else the CPU; gpu: wgpu even on a software adapter;
    /// cpu: burn's flex backend. Defaults to $DIFFUSION_PLAYGROUND_DEVICE, then auto.
    #[arg(long)]
    pub device: Option<String>,
    /// Folder to write the checkpoint into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite --out even if it holds another run's checkpoint.
    #[arg(long)]
    pub force: bool,
    /// Continue from this checkpoint (its model, schedule, optimizer state and step, and its
    /// batch, learning rate and seed unless given).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Append step,loss,images_per_s rows to this CSV file (its folder is created).
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// Adam learning rate [default: 2e-4; with --resume, the checkpoint's].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed of the initial weights and of every batch [default: 0; with --resume, the
    /// checkpoint's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// β schedule: linear, cosine or sigmoid [default: linear; with --resume, the
    /// checkpoint's, which it must match].
    #[arg(long)]
    pub schedule: Option<String>,
    /// T, the number of diffusion steps [default: 1000; with --resume, the checkpoint's,
    /// which it must match].
    #[arg(long)]
    pub timesteps: Option<usize>,
    /// Width of the U-Net's first level (later levels are multiples of it) [default: 48;
    /// with --resume, the checkpoint's, which it must match].
    #[arg(long)]
    pub base_channels: Option<usize>,
    /// Save a checkpoint every N steps as well as at the end (0: only at the end).
    #[arg(long, default_value_t = 500)]
    pub save_every: u64,
    /// Train a class-conditional model for classifier-free guidance, on the data's classes
    /// (shapes: circle, square, triangle; digits: 0–9; a folder: its sub-folders).
    #[arg(long)]
    pub conditional: bool,
    /// With --conditional: the probability that an image's class is replaced by the null
    /// class ∅ [default: 0.1; with --resume, the checkpoint's].
    #[arg(long)]
    pub p_uncond: Option<f64>,
    /// What the network predicts: eps (default), x0, v, or flow (flow matching: the velocity
    /// ε − x₀ on x_t = (1 − t)x₀ + tε). A resumed run keeps its checkpoint's.
    #[arg(long)]
    pub objective: Option<String>,
    /// With --objective flow: how t is drawn, uniform (default) or logit-normal.
    #[arg(long)]
    pub flow_time: Option<String>,
}

/// `train`'s defaults for a new run.
pub mod train_defaults {
    /// --batch
    pub const BATCH: usize = 32;
    /// --size
    pub const SIZE: usize = 32;
    /// --lr
    pub const LR: f64 = 2e-4;
    /// --seed
    pub const SEED: u64 = 0;
    /// --timesteps
    pub const TIMESTEPS: usize = 1000;
    /// --base-channels
    pub const BASE_CHANNELS: usize = 48;
}

/// What `train` did.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    /// the step reached
    pub step: u64,
    /// the mean loss of the last 50 steps
    pub recent_loss: f32,
    /// the device used
    pub device: String,
    /// folder-load report, if any
    pub data_report: Option<String>,
}

/// Run `train`. Every argument and output path is checked before the device is chosen.
pub fn train(args: &TrainArgs) -> Result<TrainSummary, CliError> {
    // 1. The arguments alone.
    let source = DataSource::parse(&args.data).map_err(|e| CliError::Usage(e.to_string()))?;
    let choice = device_choice(&args.device)?;
    if args.steps == Some(0) {
        return Err(CliError::Usage("--steps must be at least 1".into()));
    }
    if let Some(s) = args.seconds.filter(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(CliError::Usage(format!(
            "--seconds must be positive, got {s}"
        )));
    }
    if let Some(s) = args
        .sample_at
        .iter()
        .find(|s| !(s.is_finite() && **s >= 0.0))
    {
        return Err(CliError::Usage(format!(
            "--sample-at takes seconds ≥ 0, got {s}"
        )));
    }
    if args.p_uncond.is_some() && !args.conditional {
        return Err(CliError::Usage(
            "--p-uncond needs --conditional (the probability of training on the null class)".into(),
        ));
    }
    let resumed = match &args.resume {
        Some(dir) => Some((dir, checkpoint::info(dir).map_err(ckpt_err(dir))?)),
        None => None,
    };
    if let Some((dir, info)) = &resumed {
        let was = info.config.model.class_count() > 0;
        if was != args.conditional {
            return Err(CliError::Usage(format!(
                "{} holds {} model; {}",
                dir.display(),
                if was {
                    "a class-conditional"
                } else {
                    "an unconditional"
                },
                if was {
                    "pass --conditional to resume it"
                } else {
                    "--conditional cannot be added on resume: train a new run"
                }
            )));
        }
    }
    let mut settings = resolve(args, resumed.as_ref().map(|(_, i)| i), source.clone())?;
    settings
        .config
        .validate()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    // 2. The outputs, before any work they could waste.
    output::check_checkpoint_dir(&args.out, args.resume.as_deref(), args.force)?;
    let mut metrics = match &args.metrics {
        Some(path) => Some(open_metrics(path)?),
        None => None,
    };
    output::create_checkpoint_dir(&args.out)?;
    if let (Some((dir, info)), Some(notice)) = (&resumed, settings.notice()) {
        eprintln!("resuming {} at step {}: {notice}", dir.display(), info.step);
    }
    // 3. The data.
    let (dataset, report) = Dataset::open(&source, settings.config.model.image_size)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let data_report = (report.loaded > 0).then(|| report.summary());
    if let Some(r) = &data_report {
        eprintln!("data: {r}");
    }
    if args.conditional && resumed.is_none() {
        let classes = dataset
            .conditional_classes(&source.to_string())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        eprintln!("classes: {}", classes.join(", "));
        settings.config = settings.config.with_classes(classes);
        if let Some(p) = args.p_uncond {
            settings.config.p_uncond = p;
        }
        settings
            .config
            .validate()
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    let mut sample_marks: Vec<f64> = args.sample_at.clone();
    sample_marks.sort_by(f64::total_cmp);
    let mut sample_marks = std::collections::VecDeque::from(sample_marks);
    let max_steps = args.steps.unwrap_or(u64::MAX);
    // 4. The device and the model.
    let device = super::open_device(choice);
    let mut trainer = match &args.resume {
        Some(dir) => {
            let mut t =
                checkpoint::load(dir, device, Some((source, dataset))).map_err(ckpt_err(dir))?;
            t.apply_settings(&settings.config)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            t
        }
        None => Trainer::new(settings.config.clone(), device, dataset)
            .map_err(|e| CliError::Usage(e.to_string()))?,
    };
    // A resumed run continues the history saved beside its checkpoint.
    let mut history = args
        .resume
        .as_deref()
        .map(|dir| crate::train::history::History::load(dir, trainer.step_count()))
        .unwrap_or_default();
    let start_step = trainer.step_count();
    let bar = match args.steps {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::no_length(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} steps  {msg}  [{elapsed} < {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    // Training time only: sampling for --sample-at pauses this clock.
    let mut sampling_time = std::time::Duration::ZERO;
    let training_seconds =
        |sampling: std::time::Duration| (started.elapsed().saturating_sub(sampling)).as_secs_f64();
    let mut recent: std::collections::VecDeque<f32> = std::collections::VecDeque::new();
    let out_err = |path: &std::path::Path| {
        let path = path.to_owned();
        move |e: CheckpointError| CliError::Output {
            path,
            reason: e.to_string(),
        }
    };
    let batch = trainer.config().batch as f64;
    let mut i = 0u64;
    while i < max_steps {
        let elapsed = training_seconds(sampling_time);
        while sample_marks.front().is_some_and(|&mark| mark <= elapsed) {
            let mark = sample_marks.pop_front().unwrap_or(elapsed);
            let t0 = std::time::Instant::now();
            write_sample_grid(&trainer, &args.out, mark, trainer.step_count())?;
            sampling_time += t0.elapsed();
        }
        if args.seconds.is_some_and(|limit| elapsed >= limit) {
            break;
        }
        let stats = match trainer.train_step() {
            Ok(s) => s,
            Err(e) => {
                bar.abandon();
                return Err(CliError::Usage(e.to_string()));
            }
        };
        recent.push_back(stats.loss);
        if recent.len() > 50 {
            recent.pop_front();
        }
        let ips = (i + 1) as f64 * batch / training_seconds(sampling_time).max(1e-9);
        bar.set_position(i + 1);
        bar.set_message(format!(
            "step {}  loss {:.4}  {:.1} img/s",
            stats.step, stats.loss, ips
        ));
        if let Some(f) = metrics.as_mut() {
            let _ = writeln!(f, "{},{},{:.3}", stats.step, stats.loss, ips);
        }
        history.push(crate::train::StepReport {
            step: stats.step,
            loss: stats.loss,
            images_per_s: ips,
        });
        i += 1;
        if args.save_every > 0 && stats.step % args.save_every == 0 && i < max_steps {
            checkpoint::save(&trainer, &args.out).map_err(out_err(&args.out))?;
            history.save(&args.out).map_err(|e| CliError::Output {
                path: args.out.clone(),
                reason: e.to_string(),
            })?;
        }
    }
    bar.finish();
    // Marks the run reached only at its end (e.g. --sample-at 120 with --seconds 120).
    let elapsed = training_seconds(sampling_time);
    while let Some(mark) = sample_marks.pop_front() {
        if mark <= elapsed + 0.5 {
            write_sample_grid(&trainer, &args.out, mark, trainer.step_count())?;
        }
    }
    checkpoint::save(&trainer, &args.out).map_err(out_err(&args.out))?;
    history.save(&args.out).map_err(|e| CliError::Output {
        path: args.out.clone(),
        reason: e.to_string(),
    })?;
    let recent_loss = recent.iter().sum::<f32>() / recent.len().max(1) as f32;
    eprintln!(
        "trained steps {}..{} ; mean loss of the last {} steps {:.4}; saved {}",
        start_step,
        trainer.step_count(),
        recent.len(),
        recent_loss,
        args.out.display()
    );
    if crate::train::phases::enabled() {
        eprint!("{}", trainer.phase_times().to_table());
    }
    Ok(TrainSummary {
        step: trainer.step_count(),
        recent_loss,
        device: trainer.device_info().label(),
        data_report,
    })
}

/// `OUT/sample-<seconds>s.png`: 16 DDIM-50 samples (η = 0, EMA weights, seed 0) in a 4×4 grid.
fn write_sample_grid(
    trainer: &Trainer,
    out: &std::path::Path,
    seconds: f64,
    step: u64,
) -> Result<(), CliError> {
    let request = SampleRequest {
        sampler: SamplerKind::Ddim {
            steps: 50,
            eta: 0.0,
        },
        n: 16,
        seed: 0,
        max_frames: 2,
        clip_x0: true,
    };
    let traj = trainer
        .sample(&request, Start::Noise, |_, _| {
            std::ops::ControlFlow::Continue(())
        })
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let path = out.join(format!("sample-{seconds:03.0}s.png"));
    std::fs::create_dir_all(out).map_err(|e| CliError::Output {
        path: out.to_owned(),
        reason: e.to_string(),
    })?;
    let size = trainer.config().model.image_size;
    crate::export::grid(traj.final_x0(), 16, size, 2)
        .save_with_format(&path, image::ImageFormat::Png)
        .map_err(|e| CliError::Output {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    eprintln!(
        "{}: step {step}, {seconds:.0} s of training",
        path.display()
    );
    Ok(())
}

/// The run's settings, and which a resumed run kept or took from the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// what the run trains with
    pub config: TrainConfig,
    /// resumed: the checkpoint's settings kept, as "name value"
    pub kept: Vec<String>,
    /// resumed: the settings a flag changed, as "name new (was old)"
    pub overridden: Vec<String>,
}

impl Settings {
    /// One line for stderr when resuming.
    pub fn notice(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.kept.is_empty() {
            parts.push(format!("kept {}", self.kept.join(", ")));
        }
        if !self.overridden.is_empty() {
            parts.push(format!("overridden {}", self.overridden.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The settings of the run `args` asks for: from the flags and the defaults for a new run;
/// for a resumed one, the checkpoint's unless a flag overrides them. The model's shape (size,
/// width, schedule, T) cannot change on resume: such a flag must match the checkpoint.
pub fn resolve(
    args: &TrainArgs,
    resumed: Option<&CheckpointInfo>,
    data: DataSource,
) -> Result<Settings, CliError> {
    use train_defaults as d;
    let schedule_flag = args
        .schedule
        .as_deref()
        .map(str::parse::<ScheduleKind>)
        .transpose()?;
    let objective_flag = args
        .objective
        .as_deref()
        .map(|name| {
            Target::parse(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown --objective '{name}': expected eps, x0, v or flow"
                ))
            })
        })
        .transpose()?;
    let flow_time_flag = args
        .flow_time
        .as_deref()
        .map(|name| {
            FlowTime::parse(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown --flow-time '{name}': expected uniform or logit-normal"
                ))
            })
        })
        .transpose()?;
    let flow = objective_flag.map_or(
        resumed.is_some_and(|i| i.config.objective == Target::Flow),
        |o| o == Target::Flow,
    );
    if flow_time_flag.is_some() && !flow {
        return Err(CliError::Usage(
            "--flow-time belongs to flow matching: add --objective flow".into(),
        ));
    }
    let Some(info) = resumed else {
        let config = TrainConfig {
            model: UNetConfig::new()
                .with_image_size(args.size.unwrap_or(d::SIZE))
                .with_base_channels(args.base_channels.unwrap_or(d::BASE_CHANNELS)),
            schedule: crate::diffusion::ScheduleConfig {
                kind: schedule_flag.unwrap_or(ScheduleKind::Linear),
                timesteps: args.timesteps.unwrap_or(d::TIMESTEPS),
            },
            batch: args.batch.unwrap_or(d::BATCH),
            lr: args.lr.unwrap_or(d::LR),
            ema_decay: 0.999,
            seed: args.seed.unwrap_or(d::SEED),
            data,
            classes: Vec::new(),
            p_uncond: crate::train::trainer::DEFAULT_P_UNCOND,
            objective: objective_flag.unwrap_or(Target::Eps),
            flow_time: flow_time_flag.unwrap_or_default(),
        };
        return Ok(Settings {
            config,
            kept: Vec::new(),
            overridden: Vec::new(),
        });
    };
    let mut config = info.config.clone();
    config.data = data;
    if let Some(p) = args.p_uncond {
        config.p_uncond = p;
    }
    // The shape: a flag may repeat the checkpoint's value, never change it.
    let shape = [
        (
            "--size",
            args.size.map(|v| v.to_string()),
            config.model.image_size.to_string(),
        ),
        (
            "--base-channels",
            args.base_channels.map(|v| v.to_string()),
            config.model.base_channels.to_string(),
        ),
        (
            "--schedule",
            schedule_flag.map(|k| k.name().to_owned()),
            config.schedule.kind.name().to_owned(),
        ),
        (
            "--timesteps",
            args.timesteps.map(|v| v.to_string()),
            config.schedule.timesteps.to_string(),
        ),
        (
            "--objective",
            objective_flag.map(|o| o.name().to_owned()),
            config.objective.name().to_owned(),
        ),
        (
            "--flow-time",
            flow_time_flag.map(|f| f.name().to_owned()),
            config.flow_time.name().to_owned(),
        ),
    ];
    for (flag, given, theirs) in &shape {
        if let Some(given) = given
            && given != theirs
        {
            return Err(CliError::Usage(format!(
                "{flag} {given} contradicts the checkpoint, which has {theirs}: a resumed run keeps its model's shape (drop {flag}, or start a new run with another --out)"
            )));
        }
    }
    let mut kept: Vec<String> = shape
        .iter()
        .map(|(flag, _, theirs)| format!("{} {theirs}", flag.trim_start_matches("--")))
        .collect();
    let mut overridden = Vec::new();
    let mut track = |name: &str, given: Option<String>, theirs: String| match given {
        Some(v) if v != theirs => overridden.push(format!("{name} {v} (was {theirs})")),
        _ => kept.push(format!("{name} {theirs}")),
    };
    track(
        "batch",
        args.batch.map(|v| v.to_string()),
        config.batch.to_string(),
    );
    track(
        "lr",
        args.lr.map(|v| format!("{v:e}")),
        format!("{:e}", config.lr),
    );
    track(
        "seed",
        args.seed.map(|v| v.to_string()),
        config.seed.to_string(),
    );
    config.batch = args.batch.unwrap_or(config.batch);
    config.lr = args.lr.unwrap_or(config.lr);
    config.seed = args.seed.unwrap_or(config.seed);
    Ok(Settings {
        config,
        kept,
        overridden,
    })
}

/// Open the metrics CSV for appending (its folder created), with a header if it is new.
fn open_metrics(path: &Path) -> Result<std::fs::File, CliError> {
    output::prepare_file(path)?;
    let err = |e: std::io::Error| CliError::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let exists = path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    if !exists {
        writeln!(f, "step,loss,images_per_s").map_err(err)?;
    }
    Ok(f)
}
