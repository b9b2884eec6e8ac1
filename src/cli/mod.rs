//! The command line: `diffusion-playground [COMMAND]`. With no command it opens the app.
//!
//! Every subcommand calls the same library functions the app uses. Bad input ends with one
//! line on stderr and exit status 2 (see [`CliError`]).

use crate::data::{self, Dataset, ImageError};
use crate::diffusion::objective::Target;
use crate::diffusion::process::{mean_sq, prior_kl_bits_per_dim, q_sample, standard_normal_vec};
use crate::diffusion::{
    SampleRequest, SamplerKind, Schedule, ScheduleError, ScheduleKind, Start, Trajectory,
};
use crate::train::checkpoint::{self, CheckpointError};
use crate::train::{DeviceChoice, choose_device};
use clap::{Args, Parser, Subcommand};

pub mod evaluate;
pub mod guidance;
pub mod nll;
pub mod output;
pub mod toy;
pub mod train;
pub use evaluate::{
    ElboArgs, ElboReport, LikelihoodArgs, LikelihoodOutput, LikelihoodReport, elbo, likelihood,
};
pub use guidance::{GuidanceArgs, GuidanceReport, guidance};
pub use nll::{NllArgs, NllReport, nll};
use rand::SeedableRng;
use serde::Serialize;
use std::path::PathBuf;
pub use toy::{ToyArgs, ToyReport, toy};
pub use train::{TrainArgs, TrainSummary, train, train_defaults};

/// Learn diffusion models by training one live on your own machine.
///
/// Run with no command to open the desktop app. The commands below script the same
/// steps the app shows: inspect the forward (noising) process of an image, train a
/// model, sample from it, and benchmark.
#[derive(Parser, Debug)]
#[command(name = "diffusion-playground", version, about, long_about)]
pub struct Cli {
    /// The command to run; none opens the app.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// For the app: auto (a real GPU if there is one, else the CPU), gpu, or cpu.
    /// Defaults to $DIFFUSION_PLAYGROUND_DEVICE, then auto.
    #[arg(long, global = false)]
    pub device: Option<String>,
    /// For the app: open this checkpoint instead of the bundled one.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// For the app: start from an untrained model instead of the bundled one.
    #[arg(long)]
    pub fresh: bool,
}

/// The command line with every help text taken from the catalogue of this thread's language
/// (`cli-SCOPE-ID` keys; SCOPE is `app` or the subcommand), so `--help` follows the locale.
pub fn localized_command() -> clap::Command {
    use clap::CommandFactory;
    localize(Cli::command(), "app")
}

fn localize(mut cmd: clap::Command, scope: &str) -> clap::Command {
    use clap::{Arg, ArgAction};
    let cat = crate::i18n::catalogue(crate::i18n::lang());
    let get = |key: String| cat.get(key.as_str()).map(String::as_str);
    let options = crate::tr!("cli-heading-options");
    let about = get(format!("cli-{scope}-about"));
    if let Some(text) = about {
        cmd = cmd.about(text);
    }
    if let Some(text) = get(format!("cli-{scope}-long")) {
        // `--help` shows the long text alone: it opens with the one-line summary.
        cmd = cmd.long_about(match about {
            Some(a) if !text.starts_with(a) => format!("{a}\n\n{text}"),
            _ => text.to_owned(),
        });
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let help = get(format!("cli-{scope}-{}", id.replace('_', "-")));
        cmd = cmd.mut_arg(&id, |a| {
            let a = a.help_heading(options);
            match help {
                Some(h) => a.help(h),
                None => a,
            }
        });
    }
    cmd = cmd
        // `--t -5` is a bad value for --t, not an unknown flag `-5`.
        .allow_negative_numbers(true)
        .help_template(crate::tr!("cli-help-template"))
        .subcommand_help_heading(crate::tr!("cli-heading-commands"))
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(crate::tr!("cli-flag-help"))
                .help_heading(options),
        );
    if scope == "app" {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(crate::tr!("cli-flag-version"))
                .help_heading(options),
        );
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(&name, |s| localize(s, &name));
    }
    cmd
}

/// The app's start options from the top-level flags.
pub fn app_options(cli: &Cli) -> Result<crate::app::AppOptions, CliError> {
    let mut options = crate::app::AppOptions {
        device: device_choice(&cli.device)?,
        ..Default::default()
    };
    if cli.fresh {
        options.checkpoint = None;
    }
    if let Some(dir) = &cli.checkpoint {
        checkpoint::info(dir).map_err(ckpt_err(dir))?;
        options.checkpoint = Some(dir.clone());
    }
    Ok(options)
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show what the forward process q(x_t | x_0) does to an image at timestep t.
    ///
    /// x_t = √ᾱ_t · x_0 + √(1−ᾱ_t) · ε with ε ~ N(0, I). As t grows, ᾱ_t falls from 1
    /// toward 0, so the image fades and the noise takes over: by t = T, x_T is almost
    /// exactly N(0, I), which is what the reverse process starts from.
    Inspect(InspectArgs),
    /// Train the noise predictor ε_θ(x_t, t) on a dataset and save a checkpoint.
    ///
    /// Each step draws a batch x_0, a timestep t uniformly from 1..T and noise ε, builds
    /// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, and takes an Adam step on the L_simple loss
    /// ‖ε − ε_θ(x_t, t)‖². The loss starts near 1 (predicting nothing) and falls as the
    /// network learns what noise looks like on top of your data.
    Train(TrainArgs),
    /// Generate images from a checkpoint by running the reverse process from noise.
    ///
    /// DDPM walks back through every t = T … 1, adding a little fresh noise at each step.
    /// DDIM takes --steps evenly spaced jumps instead and is deterministic at --eta 0.
    Sample(SampleArgs),
    /// Estimate −ELBO (the variational upper bound on −log p(x)) of a checkpoint on a batch
    /// of images, in bits/dim, with its terms L_T, Σ L_(t−1) and L_0.
    ///
    /// Σ L_(t−1) has T−1 terms: --strata all evaluates every one; --strata K draws one t in
    /// each of K equal strata per image and weights it by the stratum's size, which is
    /// unbiased. Standard errors are over the images.
    Elbo(ElboArgs),
    /// Estimate P(x) = ∫ N(z; 0, I) N(x; G(z), σ²I) dz for one image by Monte Carlo over
    /// prior draws z, where G is the deterministic DDIM chain; and count the indicator
    /// likelihood's hits G(z) = x.
    ///
    /// The indicator likelihood (1 if G(z) = x, else 0) gives P(x) = 0 for almost every x;
    /// the Gaussian one gives every x a density, larger the nearer some G(z) comes to x.
    Likelihood(LikelihoodArgs),
    /// The exact likelihood of a checkpoint's probability-flow ODE on a split of images, in
    /// bits/dim of their 8-bit bins, beside the same images' −ELBO over every t.
    ///
    /// The reverse ODE is an invertible G of the data's own dimension, so
    /// P(x) = N(G⁻¹(x)) |det ∂G⁻¹/∂x| is finite: log p(x) = log N(x_T; 0, I) + ∫ div f dt,
    /// the divergence by Hutchinson's estimate with --probes Rademacher vectors, each image
    /// dequantised once inside its bins. Standard errors are over the images.
    Nll(NllArgs),
    /// Train the 1-D/2-D world's small MLP from scratch on a point dataset and report the
    /// sliced Wasserstein distance of its samples to the data, beside the data's own floor.
    ///
    /// The same schedule, loss and DDIM sampler as the image model, on points instead of
    /// pixels: it trains in seconds on any CPU.
    Toy(ToyArgs),
    /// What classifier-free guidance does to a class-conditional checkpoint's samples.
    ///
    /// A small classifier trains on the labelled data for a few seconds (its held-out accuracy
    /// is reported); then, for each w, samples of every class (the same x_T for every w) are
    /// scored: the share the classifier puts in their class, their diversity (mean pairwise
    /// RMS distance), their distance to the nearest training image and their saturated share.
    Guidance(GuidanceArgs),
    /// Measure training throughput, sampling latency, the app's frame times while it
    /// trains, start-up time and memory, against a PyTorch reference where one is installed.
    ///
    /// Every figure is timed after a warm-up; per-step figures are medians. See BENCHMARKS.md.
    Bench(BenchArgs),
    /// Train and sample continuously in the app (headless) for a while and report memory and
    /// backlog once a second: a long-run check (see RELIABILITY.md).
    Soak(SoakArgs),
    /// (internal) open the app headless, print "frame" and "ready": used by `bench`.
    #[command(hide = true)]
    BenchFirstFrame {
        /// device, as for train
        #[arg(long)]
        device: Option<String>,
    },
}

/// Arguments of `soak`.
#[derive(Args, Debug, Clone)]
pub struct SoakArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// And at least this many training steps, however slow the machine (default 0).
    #[arg(long, default_value_t = 0)]
    pub min_steps: u64,
    /// And at least this many sample sets, however slow the machine (default 0).
    #[arg(long, default_value_t = 0)]
    pub min_samples: u64,
    /// auto, gpu or cpu, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// Run `soak`.
pub fn soak(args: &SoakArgs) -> Result<crate::bench::SoakReport, CliError> {
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        return Err(CliError::Usage("--seconds must be positive".into()));
    }
    let until = crate::bench::SoakUntil {
        seconds: args.seconds,
        steps: args.min_steps,
        samples: args.min_samples,
    };
    crate::bench::soak(device_choice(&args.device)?, until, !args.json)
        .map_err(|e| CliError::Usage(format!("soak failed: {e}")))
}

/// Arguments of `bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// auto, gpu or cpu, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Timed training steps and DDIM runs per figure, after the warm-up.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// DDPM steps to time (1000 times a whole run; fewer are extrapolated to 1000 and
    /// marked so).
    #[arg(long, default_value_t = 1000)]
    pub ddpm_steps: usize,
    /// Frames of the app to drive while it trains.
    #[arg(long, default_value_t = 600)]
    pub frames: usize,
    /// The PyTorch reference script (default: benches/reference/unet_reference.py).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Python interpreter that runs the reference.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Measure only the 1-D/2-D world (a minute or two instead of a quarter of an hour).
    #[arg(long)]
    pub toy_only: bool,
    /// Open the real window (on the display there is: a desktop, or Xvfb) and measure
    /// scripted scenes in it: frames per second, whole-frame times, the UI thread's CPU and
    /// the trainer's speed in the window beside the same worker without one.
    #[arg(long, conflicts_with = "toy_only")]
    pub window: bool,
    /// With --window: measured seconds per scene (after a 3 s warm-up; "train on this image"
    /// runs at least 29 s when this is 10 or more, to read the samples at 30 s).
    #[arg(long, default_value_t = 20.0, requires = "window")]
    pub scene_seconds: f64,
    /// With --window: only these scenes (comma-separated): train-on-image, sampling,
    /// likelihood, world-1d, world-2d.
    #[arg(long, value_delimiter = ',', requires = "window")]
    pub scenes: Vec<String>,
}

/// Run `bench`.
pub fn bench(args: &BenchArgs) -> Result<crate::bench::BenchReport, CliError> {
    if args.repeats == 0 || args.frames == 0 || args.ddpm_steps == 0 {
        return Err(CliError::Usage(
            "--repeats, --frames and --ddpm-steps must be at least 1".into(),
        ));
    }
    crate::bench::run(&bench_options(args)?)
        .map_err(|e| CliError::Usage(format!("bench failed: {e}")))
}

fn bench_options(args: &BenchArgs) -> Result<crate::bench::BenchOptions, CliError> {
    Ok(crate::bench::BenchOptions {
        device: device_choice(&args.device)?,
        repeats: args.repeats,
        ddpm_steps: args.ddpm_steps,
        ui_frames: args.frames,
        reference: args.reference.clone(),
        python: args.python.clone(),
        progress: !args.json || std::io::IsTerminal::is_terminal(&std::io::stderr()),
    })
}

/// Run `bench --window`.
pub fn bench_window(args: &BenchArgs) -> Result<crate::bench::window::WindowReport, CliError> {
    if !(args.scene_seconds.is_finite() && args.scene_seconds > 0.0) {
        return Err(CliError::Usage("--scene-seconds must be positive".into()));
    }
    let scenes = if args.scenes.is_empty() {
        crate::bench::window::Scene::ALL.to_vec()
    } else {
        args.scenes
            .iter()
            .map(|name| {
                crate::bench::window::Scene::ALL
                    .into_iter()
                    .find(|s| s.name() == name.trim())
                    .ok_or_else(|| {
                        CliError::Usage(format!(
                            "unknown scene '{name}': expected train-on-image, sampling, likelihood, world-1d or world-2d"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let options = crate::bench::window::WindowOptions {
        scenes,
        scene_seconds: args.scene_seconds,
        device: device_choice(&args.device)?,
        progress: !args.json || std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    crate::bench::window::run(&options).map_err(|e| CliError::Usage(format!("bench failed: {e}")))
}

/// Run `bench --toy-only`.
pub fn bench_toy(args: &BenchArgs) -> Result<crate::bench::toy::ToyFigure, CliError> {
    if args.frames == 0 {
        return Err(CliError::Usage("--frames must be at least 1".into()));
    }
    crate::bench::toy::toy_figure(&bench_options(args)?)
        .map_err(|e| CliError::Usage(format!("bench failed: {e}")))
}

/// Arguments of `sample`.
#[derive(Args, Debug, Clone)]
pub struct SampleArgs {
    /// A checkpoint folder written by `train` (or assets/pretrained).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Number of images.
    #[arg(long, default_value_t = 16)]
    pub n: usize,
    /// ddpm (every step, stochastic), ddim (few steps, deterministic at eta 0), or the ODE
    /// samplers euler, heun and dpmpp2m (Karras σ grid, ρ = 7; a flow-matching model on its
    /// own line, uniform in t).
    #[arg(long, default_value = "ddim")]
    pub sampler: String,
    /// Steps of ddim, euler, heun or dpmpp2m (a Heun step costs two network calls; the
    /// count is printed).
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// DDIM η: 0 is deterministic, 1 adds DDPM-like noise.
    #[arg(long, default_value_t = 0.0)]
    pub eta: f64,
    /// Seed of the start noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the grid of samples here (PNG).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the reverse trajectory as an animated GIF (x_t left, x̂_0 right).
    #[arg(long)]
    pub trajectory: Option<PathBuf>,
    /// Device, as for train.
    #[arg(long)]
    pub device: Option<String>,
    /// A class-conditional checkpoint: sample this class, by name or index.
    #[arg(long)]
    pub class: Option<String>,
    /// Also print the samples' mean RMS distance to the nearest of N training images (fresh
    /// draws of a built-in dataset, seed 0x2EF, or a folder's first N), in 8-bit levels.
    #[arg(long, default_value_t = 0)]
    pub nearest: usize,
    /// With --class: the guidance scale w of ε̃ = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)); 1 is plain
    /// conditional sampling, 0 unconditional, larger pushes toward the class [default: 1].
    #[arg(long)]
    pub guidance: Option<f64>,
}

/// The guidance `--class` and `--guidance` ask for, checked against a checkpoint's classes.
pub fn guidance_of(
    classes: &[String],
    class: Option<&str>,
    w: Option<f64>,
) -> Result<Option<crate::diffusion::guidance::Guidance>, CliError> {
    let Some(name) = class else {
        return match w {
            Some(_) => Err(CliError::Usage(
                "--guidance needs --class: the class to guide toward".into(),
            )),
            None => Ok(None),
        };
    };
    if classes.is_empty() {
        return Err(CliError::Usage(
            "--class needs a class-conditional checkpoint (train one with --conditional); this one is unconditional".into(),
        ));
    }
    let class = crate::train::guided::class_index(classes, name).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown class '{name}': the checkpoint's classes are {} (or their index 0–{})",
            classes.join(", "),
            classes.len() - 1
        ))
    })?;
    let w = crate::diffusion::guidance::check_scale(w.unwrap_or(1.0))
        .map_err(|e| CliError::Usage(format!("--guidance: {e}")))?;
    Ok(Some(crate::diffusion::guidance::Guidance { class, w }))
}

/// Arguments of `inspect`.
#[derive(Args, Debug, Clone)]
pub struct InspectArgs {
    /// The image x_0 (PNG, JPEG, GIF, BMP, WebP, TIFF, …). It is centre-cropped,
    /// resized to --size and scaled to [-1, 1].
    #[arg(long)]
    pub image: PathBuf,
    /// The timestep t, from 1 (barely noised) to T (pure noise).
    #[arg(long)]
    pub t: usize,
    /// The β schedule: linear (Ho et al. 2020), cosine (Nichol & Dhariwal 2021) or sigmoid.
    /// Cosine destroys information more slowly at small t.
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    /// T, the number of diffusion steps (2 to 4000).
    #[arg(long, default_value_t = 1000)]
    pub timesteps: usize,
    /// Side of the square image the model sees, in pixels.
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Seed of the noise ε used for --out.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write x_t as a PNG here ([-1, 1] mapped to 0..255, clamped).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A failure the user caused and can fix: printed as one line, exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The image could not be used.
    #[error("{path}: {source}")]
    Image {
        /// the file given
        path: PathBuf,
        /// why
        source: ImageError,
    },
    /// A schedule argument is wrong.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// Any other bad argument.
    #[error("{0}")]
    Usage(String),
    /// Writing an output failed.
    #[error("cannot write {path}: {reason}")]
    Output {
        /// the file
        path: PathBuf,
        /// why
        reason: String,
    },
}

/// What `inspect --json` prints, key for key.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InspectReport {
    /// schedule name
    pub schedule: String,
    /// T
    pub timesteps: usize,
    /// t
    pub t: usize,
    /// β_t
    pub beta_t: f64,
    /// ᾱ_t
    pub alpha_bar_t: f64,
    /// ᾱ_t / (1 − ᾱ_t)
    pub snr_t: f64,
    /// β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)
    pub posterior_variance_t: f64,
    /// mean of x_0² over all values in [-1, 1]
    pub image_mean_sq: f64,
    /// KL(q(x_T|x_0) ‖ N(0, I)) per dimension, in bits
    pub prior_kl_bits_per_dim: f64,
}

/// Run `inspect`: returns the report and writes `--out` if asked.
pub fn inspect(args: &InspectArgs) -> Result<InspectReport, CliError> {
    let kind: ScheduleKind = args.schedule.parse()?;
    if !(1..=1024).contains(&args.size) {
        return Err(CliError::Usage(format!(
            "--size must be between 1 and 1024, got {}",
            args.size
        )));
    }
    let schedule = Schedule::new(kind, args.timesteps)?;
    schedule.check_t(args.t, 1)?;
    let out_format = args.out.as_deref().map(output::prepare_image).transpose()?;
    let x0 = data::load_image(&args.image, args.size).map_err(|source| CliError::Image {
        path: args.image.clone(),
        source,
    })?;
    let t = args.t;
    if let (Some(out), Some(format)) = (&args.out, out_format) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
        let eps = standard_normal_vec(&mut rng, x0.dim());
        let x_t = q_sample(&schedule, &x0.data, t, &eps);
        output::save_image(&data::image::chw_unit_to_rgb8(&x_t, x0.size), out, format)?;
    }
    Ok(InspectReport {
        schedule: kind.name().to_owned(),
        timesteps: schedule.timesteps(),
        t,
        beta_t: schedule.beta(t),
        alpha_bar_t: schedule.alpha_bar(t),
        snr_t: schedule.snr(t),
        posterior_variance_t: schedule.posterior_variance(t),
        image_mean_sq: mean_sq(&x0.data),
        prior_kl_bits_per_dim: prior_kl_bits_per_dim(&schedule, &x0.data),
    })
}

impl InspectReport {
    /// A human-readable table with one line of meaning per value.
    pub fn to_table(&self) -> String {
        let e6 = |v: f64| format!("{v:.6e}");
        let mut out = crate::tr!(
            "inspect-table",
            schedule = self.schedule,
            timesteps = self.timesteps,
            t = self.t,
            beta = e6(self.beta_t),
            alpha_bar = e6(self.alpha_bar_t),
            snr = e6(self.snr_t),
            posterior = e6(self.posterior_variance_t),
            mean_sq = format!("{:.6}", self.image_mean_sq),
            kl = format!("{:.3e}", self.prior_kl_bits_per_dim)
        );
        out.push('\n');
        out
    }
}

pub fn device_choice(flag: &Option<String>) -> Result<DeviceChoice, CliError> {
    let parsed = flag
        .as_deref()
        .map(str::parse::<DeviceChoice>)
        .transpose()
        .map_err(CliError::Usage)?;
    DeviceChoice::resolve(parsed).map_err(CliError::Usage)
}

/// Choose the device and say which on stderr: model work starts after this line, so every
/// check of the arguments comes before it.
pub fn open_device(choice: DeviceChoice) -> crate::train::DeviceInfo {
    let device = choose_device(choice);
    eprintln!(
        "device: {}{} — {}",
        device.label(),
        if device.details.is_empty() {
            String::new()
        } else {
            format!(" [{}]", device.details)
        },
        device.reason
    );
    device
}

fn ckpt_err(path: &std::path::Path) -> impl FnOnce(CheckpointError) -> CliError + '_ {
    move |e| CliError::Usage(format!("{}: {e}", path.display()))
}

/// Parse `ddpm` or `ddim` with its steps and η.
pub fn sampler_kind(name: &str, steps: usize, eta: f64) -> Result<SamplerKind, CliError> {
    match name.trim().to_ascii_lowercase().as_str() {
        "ddpm" => Ok(SamplerKind::Ddpm),
        "ddim" => {
            if steps == 0 {
                return Err(CliError::Usage("--steps must be at least 1".into()));
            }
            if !(0.0..=1.0).contains(&eta) {
                return Err(CliError::Usage(format!(
                    "--eta must be between 0 and 1, got {eta}"
                )));
            }
            Ok(SamplerKind::Ddim { steps, eta })
        }
        other => Err(CliError::Usage(format!(
            "unknown sampler '{other}': expected ddpm or ddim"
        ))),
    }
}

/// Run `sample`: writes the grid (and the GIF) and returns the trajectory.
pub fn sample(args: &SampleArgs) -> Result<Trajectory, CliError> {
    let ode = crate::diffusion::samplers::OdeSampler::parse(&args.sampler);
    if ode.is_some() && !(1..=1000).contains(&args.steps) {
        return Err(CliError::Usage(format!(
            "--steps must be between 1 and 1000, got {}",
            args.steps
        )));
    }
    let sampler = match ode {
        // the ODE samplers ignore it; DDIM's checks still apply to --eta
        Some(_) => sampler_kind("ddim", args.steps, args.eta),
        None => sampler_kind(&args.sampler, args.steps, args.eta).map_err(|_| {
            CliError::Usage(format!(
                "unknown sampler '{}': expected ddpm, ddim, euler, heun or dpmpp2m",
                args.sampler.trim()
            ))
        }),
    }?;
    if !(1..=256).contains(&args.n) {
        return Err(CliError::Usage(format!(
            "--n must be between 1 and 256, got {}",
            args.n
        )));
    }
    if args.nearest > 100_000 {
        return Err(CliError::Usage(format!(
            "--nearest must be at most 100000, got {}",
            args.nearest
        )));
    }
    let choice = device_choice(&args.device)?;
    let info = checkpoint::info(&args.checkpoint).map_err(ckpt_err(&args.checkpoint))?;
    let out_format = output::prepare_image(&args.out)?;
    if let Some(gif) = &args.trajectory {
        output::prepare_gif(gif)?;
    }
    let guidance = guidance_of(&info.config.classes, args.class.as_deref(), args.guidance)?;
    let t_max = info.config.schedule.timesteps;
    if ode.is_none() && matches!(sampler, SamplerKind::Ddim { steps, .. } if steps > t_max) {
        eprintln!(
            "note: --steps {} is more than the model's T = {t_max}: DDIM takes all {t_max} steps",
            args.steps
        );
    }
    let device = open_device(choice);
    // The checkpoint's dataset is not needed to sample: give it an empty built-in one.
    let ds = (
        info.config.data.clone(),
        Dataset::Builtin(crate::data::Builtin::Shapes),
    );
    let trainer =
        checkpoint::load(&args.checkpoint, device, Some(ds)).map_err(ckpt_err(&args.checkpoint))?;
    let request = SampleRequest {
        sampler,
        n: args.n,
        seed: args.seed,
        max_frames: 60,
        clip_x0: true,
    };
    let total =
        crate::diffusion::sampler::timesteps_for(sampler, trainer.schedule().timesteps()).len();
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} denoising steps [{elapsed} < {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: usize, _| {
        bar.set_position(done as u64);
        std::ops::ControlFlow::Continue(())
    };
    let traj = match (ode, guidance) {
        (Some(kind), g) => {
            let nfe = match (kind, trainer.objective()) {
                (crate::diffusion::samplers::OdeSampler::Heun, Target::Flow) => 2 * args.steps,
                (crate::diffusion::samplers::OdeSampler::Heun, _) => 2 * args.steps - 1,
                _ => args.steps,
            };
            bar.set_length(nfe as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} network calls [{elapsed} < {eta}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let traj = trainer
                .sample_ode_images(
                    crate::train::trainer::Weights::Ema,
                    kind,
                    nfe,
                    args.n,
                    args.seed,
                    g,
                    |done, _| bar.set_position(done as u64),
                )
                .map_err(|e| CliError::Usage(e.to_string()))?;
            bar.finish_and_clear();
            eprintln!(
                "{} steps of {}: {nfe} network calls",
                args.steps,
                kind.name()
            );
            Ok(traj)
        }
        (None, Some(g)) => trainer.sample_guided(
            crate::train::trainer::Weights::Ema,
            &request,
            Start::Noise,
            &[g.class],
            &[g.w],
            progress,
        ),
        (None, None) => trainer.sample(&request, Start::Noise, progress),
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    let size = trainer.config().model.image_size;
    let write_err = |path: &PathBuf| {
        let path = path.clone();
        move |e: image::ImageError| CliError::Output {
            path,
            reason: e.to_string(),
        }
    };
    output::save_image(
        &crate::export::grid(traj.final_x0(), args.n, size, 2),
        &args.out,
        out_format,
    )?;
    if let Some(gif) = &args.trajectory {
        let frames = crate::export::trajectory_frames(&traj, size, 2);
        crate::export::write_gif(&frames, 60, gif).map_err(write_err(gif))?;
    }
    if args.nearest > 0 {
        let source = &trainer.config().data;
        let (dataset, _) =
            Dataset::open(source, size).map_err(|e| CliError::Usage(format!("{source}: {e}")))?;
        let reference = match dataset.images() {
            Some(images) => {
                let dim = 3 * size * size;
                let mut out = vec![0.0f32; images.len().min(args.nearest) * dim];
                for (img, chunk) in images.iter().zip(out.chunks_mut(dim)) {
                    data::dataset::copy_resized(img, size, false, chunk);
                }
                out
            }
            None => {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x2EF);
                dataset.batch(&mut rng, args.nearest, size)
            }
        };
        let d = crate::train::guidance_eval::mean_nearest_rms_levels(
            traj.final_x0(),
            traj.n,
            &reference,
        );
        eprintln!(
            "mean RMS distance to the nearest of {} training images: {d:.2} levels (8-bit)",
            reference.len() / (3 * size * size).max(1)
        );
    }
    Ok(traj)
}
