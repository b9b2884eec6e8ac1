//! `toy`: train the 1-D/2-D world's MLP from scratch and report how close its samples come to
//! the data (sliced Wasserstein distance), as one JSON object.

use super::CliError;
use crate::data::points::{PointsError, ToyData, image_cloud};
use crate::diffusion::elbo::{mean, std_error};
use crate::diffusion::objective::Target;
use crate::train::DeviceInfo;
use crate::train::toy::{Swd, ToyConfig, ToyTrainer, view};
use crate::train::toy_guidance::GuidancePoint;
use crate::train::toy_objective::{FlowTime, REFLOW_PAIRS};
use crate::train::toy_samplers::{SweepPoint, SweepSampler};
use clap::Args;
use serde::Serialize;
use std::path::Path;

/// Held-out points whose likelihoods `toy` reports.
const HELD_OUT_POINTS: usize = 256;

/// Samples of every sampler at every budget of an NFE sweep.
const NFE_SAMPLES: usize = 2000;

/// Samples per class at each w of a guidance sweep.
const GUIDANCE_SAMPLES: usize = 500;

/// The sweep's CSV: the training data (one draw per sample of a class) and every w's
/// samples, one row each: source (data|sample), class, w, x, y.
fn write_samples_csv(
    path: &Path,
    trainer: &ToyTrainer,
    ws: &[f64],
    samples: &[Vec<Vec<f32>>],
) -> Result<(), CliError> {
    use rand::SeedableRng;
    use std::fmt::Write as _;
    let mut out = String::from("source,class,w,x,y\n");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xDA7A);
    let (data, labels) = trainer
        .config()
        .data
        .sample_labelled(&mut rng, GUIDANCE_SAMPLES * samples.len());
    for (p, c) in data.chunks(2).zip(&labels) {
        let _ = writeln!(out, "data,{c},,{},{}", p[0], p[1]);
    }
    for (c, per_w) in samples.iter().enumerate() {
        for (w, pts) in ws.iter().zip(per_w) {
            for p in pts.chunks(2) {
                let _ = writeln!(out, "sample,{c},{w},{},{}", p[0], p[1]);
            }
        }
    }
    std::fs::write(path, out).map_err(|e| CliError::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// The NFE sweep's CSV: the data (as many points as one sampler's samples) and every
/// sampler's samples at every budget, one row each: source (data|sample), sampler, nfe, x, y
/// (1-D data: y empty).
fn write_sweep_csv(
    path: &Path,
    trainer: &ToyTrainer,
    points: &[SweepPoint],
    samples: &[Vec<f32>],
) -> Result<(), CliError> {
    use rand::SeedableRng;
    use std::fmt::Write as _;
    let dim = trainer.config().data.dim();
    let row = |p: &[f32]| match p {
        [x, y] => format!("{x},{y}"),
        [x] => format!("{x},"),
        _ => String::new(),
    };
    let mut out = String::from("source,sampler,nfe,x,y\n");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xDA7A);
    for p in trainer
        .config()
        .data
        .sample(&mut rng, NFE_SAMPLES)
        .chunks(dim)
    {
        let _ = writeln!(out, "data,,,{}", row(p));
    }
    for (point, pts) in points.iter().zip(samples) {
        for p in pts.chunks(dim) {
            let _ = writeln!(out, "sample,{},{},{}", point.sampler, point.nfe, row(p));
        }
    }
    std::fs::write(path, out).map_err(|e| CliError::Output {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Arguments of `toy`.
#[derive(Args, Debug, Clone)]
pub struct ToyArgs {
    /// moons, spiral, rings, grid, mixture, or an image file (its dark pixels become the 2-D
    /// data; --pixels bright takes the bright ones, --pixels both both as two classes).
    #[arg(long)]
    pub data: String,
    /// With an image file as --data: which pixels become points: dark, bright, or both (two
    /// classes, for --conditional).
    #[arg(long, default_value = "dark")]
    pub pixels: String,
    /// Training steps.
    #[arg(long, default_value_t = 3000)]
    pub steps: u64,
    /// Seed of the weights, batches and noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Adam's learning rate.
    #[arg(long, default_value_t = ToyConfig::DEFAULT_LR)]
    pub lr: f64,
    /// Points per training step.
    #[arg(long, default_value_t = ToyConfig::DEFAULT_BATCH)]
    pub batch: usize,
    /// Train a class-conditional model (a labelled set: overlap, moons, spiral) for
    /// classifier-free guidance.
    #[arg(long)]
    pub conditional: bool,
    /// With --conditional: the probability that a class is replaced by the null class.
    #[arg(long, default_value_t = ToyConfig::DEFAULT_P_UNCOND)]
    pub p_uncond: f64,
    /// With --conditional on overlap: guidance scales w to sample at, e.g. 0,1,2,3,5 (w = 1 is
    /// plain conditional, w = 0 unconditional).
    #[arg(long, value_delimiter = ',')]
    pub guidance_sweep: Vec<f64>,
    /// With --guidance-sweep: write the training data and every w's samples to this CSV
    /// (source, class, w, x, y); with --nfe-sweep: every sampler's samples at every budget
    /// (source, sampler, nfe, x, y).
    #[arg(long)]
    pub samples_csv: Option<std::path::PathBuf>,
    /// With --nfe-sweep: the samplers to compare, comma-separated: ddpm, ddim, euler, heun,
    /// dpmpp2m.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ddpm,ddim,euler,heun,dpmpp2m"
    )]
    pub sampler: Vec<String>,
    /// Network-call budgets to sample every --sampler at, from the same x_T, e.g.
    /// 1,2,4,8,16,32,64; the JSON's `sweep` gives each one's SWD to the data.
    #[arg(long, value_delimiter = ',')]
    pub nfe_sweep: Vec<usize>,
    /// What the network predicts: eps, x0, v, or flow (flow matching: the velocity ε − x₀ on
    /// x_t = (1 − t)x₀ + tε).
    #[arg(long, default_value = "eps")]
    pub objective: String,
    /// With --objective flow: how t is drawn, uniform or logit-normal.
    #[arg(long, default_value = "uniform")]
    pub flow_time: String,
    /// With --objective flow: pair each batch's data with its noise by exact optimal
    /// transport.
    #[arg(long)]
    pub ot: bool,
    /// With --objective flow: after --steps, retrain for --steps more on the model's own
    /// (noise, sample) pairs; the JSON's `before_reflow` has the first model's figures.
    #[arg(long)]
    pub reflow: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Straightness and one-step quality of a model's paths.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Straightness {
    /// S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1 over 2000 paths (64 Euler steps on the flow line): 0 for
    /// straight paths
    pub straightness: f64,
    /// SWD to the data of one Euler step from pure noise (2000 samples)
    pub one_step_swd: f64,
}

impl Straightness {
    fn of(trainer: &ToyTrainer, seed: u64) -> Self {
        Self {
            straightness: trainer.straightness(STRAIGHTNESS_PATHS, 64, seed ^ 0x57A1),
            one_step_swd: trainer.one_step_swd(NFE_SAMPLES, seed ^ 0x0E5D),
        }
    }
}

/// Paths whose straightness `toy` reports.
const STRAIGHTNESS_PATHS: usize = 2000;

/// What `toy --json` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToyReport {
    /// the data
    pub data: String,
    /// what the network predicts: eps, x0, v or flow
    pub objective: String,
    /// flow matching: uniform or logit-normal t (null otherwise)
    pub flow_time: Option<String>,
    /// flow matching: exact optimal-transport pairing within each batch
    pub ot: bool,
    /// the final model's straightness and one-step SWD
    #[serde(flatten)]
    pub paths: Straightness,
    /// with --reflow: the same figures of the model before its reflow (after the first
    /// --steps); `steps` then counts both rounds
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_reflow: Option<Straightness>,
    /// steps trained
    pub steps: u64,
    /// wall-clock seconds of training
    pub seconds: f64,
    /// training speed
    pub steps_per_s: f64,
    /// SWD between 2000 samples and 2000 data points (samples: DDPM through every t; a
    /// flow-matching model's ODE through every t)
    pub swd: f64,
    /// SWD between two independent data draws of 2000
    pub swd_floor: f64,
    /// SWD between N(0, I) and the data
    pub swd_start: f64,
    /// held-out points (fresh draws of the data)
    pub held_out: usize,
    /// their mean exact −log p of the EMA's probability-flow ODE, nats per point
    pub ode_nll_nats: f64,
    /// its standard error over the points
    pub ode_nll_stderr_nats: f64,
    /// their mean −ELBO of the same network (every t), nats per point: an upper bound on the
    /// diffusion model's −log p, not on the ODE's (two models from one network)
    pub neg_elbo_nats: f64,
    /// its standard error over the points
    pub neg_elbo_stderr_nats: f64,
    /// field evaluations of the ODE solve (RK45, rtol = atol = 1e-5)
    pub ode_nfe: usize,
    /// per held-out point: x, `ode_nll_nats`, `neg_elbo_nats`
    pub per_point: Vec<ToyPoint>,
    /// with --guidance-sweep: per w, the share of samples whose data p(c | x) > 0.9 and
    /// their mean distance to the class mean, averaged over the classes
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guidance: Vec<GuidancePoint>,
    /// with --guidance-sweep: the same measures with the data's exact ε(x, c) and ε(x, ∅) in
    /// place of the network, from the same x_T and noise (what a perfect model would do)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guidance_exact: Vec<GuidancePoint>,
    /// with --nfe-sweep: every sampler's SWD to the data at every budget, from the same x_T
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweep: Vec<crate::train::toy_samplers::SweepPoint>,
    /// with --nfe-sweep on the labelled mixture (overlap): the same sweep with the data's exact
    /// denoiser in place of the network (the reference a perfect model would reach)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweep_exact: Vec<crate::train::toy_samplers::SweepPoint>,
    /// for data with a closed-form score (overlap): [t, E‖s_θ − ∇log p_t‖² / E‖∇log p_t‖²]
    /// at 11 timesteps over 1 … T, 2000 draws of x_t each
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub score_error_per_t: Vec<(usize, f64)>,
}

/// One held-out point of `toy --json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToyPoint {
    /// the point
    pub x: Vec<f32>,
    /// −log p_ODE(x), nats
    pub ode_nll_nats: f64,
    /// −ELBO(x) of the same network, nats
    pub neg_elbo_nats: f64,
}

impl ToyReport {
    /// The human-readable form.
    pub fn to_table(&self) -> String {
        let mut out = crate::tr!(
            "toy-table",
            data = self.data,
            steps = self.steps,
            seconds = format!("{:.1}", self.seconds),
            rate = format!("{:.0}", self.steps_per_s),
            swd = format!("{:.4}", self.swd),
            floor = format!("{:.4}", self.swd_floor),
            start = format!("{:.4}", self.swd_start)
        );
        out.push('\n');
        out.push_str(&crate::tr!(
            "toy-table-likelihood",
            points = self.held_out,
            ode = format!("{:.3}", self.ode_nll_nats),
            ode_se = format!("{:.3}", self.ode_nll_stderr_nats),
            elbo = format!("{:.3}", self.neg_elbo_nats),
            elbo_se = format!("{:.3}", self.neg_elbo_stderr_nats),
            nfe = self.ode_nfe
        ));
        out.push('\n');
        out
    }
}

/// The data named by `--data`: a built-in set, or the dark (or bright) pixels of an image;
/// `bright` None: both, as two classes.
pub fn toy_data(spec: &str, bright: Option<bool>) -> Result<ToyData, CliError> {
    match ToyData::parse(spec) {
        Ok(d) => Ok(d),
        Err(named) => {
            let path = Path::new(spec);
            if !path.exists() {
                // A name with a folder or an extension was meant as a file.
                let looks_like_a_file = path.extension().is_some() || spec.contains(['/', '\\']);
                return Err(CliError::Usage(if looks_like_a_file {
                    format!("{spec}: no such file")
                } else {
                    named.to_string()
                }));
            }
            let image = crate::data::load_image(path, 32).map_err(|source| CliError::Image {
                path: path.to_owned(),
                source,
            })?;
            match bright {
                Some(bright) => image_cloud(&image, bright),
                None => crate::data::points::image_classes(&image),
            }
            .map_err(|e| {
                let reason = match e {
                    // The app's hint names its menu; here the flag.
                    PointsError::NoPixels { bright: true } => {
                        "the image has no bright pixels to make points of (try --pixels dark)"
                            .into()
                    }
                    PointsError::NoPixels { bright: false } => {
                        "the image has no dark pixels to make points of (try --pixels bright)"
                            .into()
                    }
                    other => other.to_string(),
                };
                CliError::Usage(format!("{}: {reason}", path.display()))
            })
        }
    }
}

/// Run `toy`.
pub fn toy(args: &ToyArgs) -> Result<ToyReport, CliError> {
    if !(1..=1_000_000).contains(&args.steps) {
        return Err(CliError::Usage(format!(
            "--steps must be between 1 and 1000000, got {}",
            args.steps
        )));
    }
    let bright = match args.pixels.trim().to_ascii_lowercase().as_str() {
        "dark" => Some(false),
        "bright" => Some(true),
        "both" => None,
        other => {
            return Err(CliError::Usage(format!(
                "unknown --pixels '{other}': expected dark, bright or both"
            )));
        }
    };
    let data = toy_data(&args.data, bright)?;
    let name = data.name().to_owned();
    if !(args.lr > 0.0 && args.lr <= 1.0 && (1..=65536).contains(&args.batch)) {
        return Err(CliError::Usage(format!(
            "--lr must be in (0, 1] and --batch in 1..=65536, got {} and {}",
            args.lr, args.batch
        )));
    }
    if args.conditional && data.classes() == 0 {
        return Err(CliError::Usage(format!(
            "--conditional needs a labelled set (overlap, moons, spiral, or an image with --pixels both); {} has no classes",
            data.name()
        )));
    }
    if !(0.0..1.0).contains(&args.p_uncond) {
        return Err(CliError::Usage(format!(
            "--p-uncond must be in [0, 1), got {}",
            args.p_uncond
        )));
    }
    if !args.guidance_sweep.is_empty() {
        if !(args.conditional && matches!(data, crate::data::points::ToyData::Overlap(_))) {
            return Err(CliError::Usage(
                "--guidance-sweep needs --conditional and --data overlap (its p(c | x) is known exactly)".into(),
            ));
        }
        if let Some(w) = args
            .guidance_sweep
            .iter()
            .find(|w| !(0.0..=20.0).contains(*w))
        {
            return Err(CliError::Usage(format!(
                "--guidance-sweep values must be between 0 and 20, got {w}"
            )));
        }
    }
    let samplers: Vec<SweepSampler> = args
        .sampler
        .iter()
        .map(|name| {
            SweepSampler::parse(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown --sampler '{name}': expected ddpm, ddim, euler, heun or dpmpp2m"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    if let Some(n) = args.nfe_sweep.iter().find(|&&n| !(1..=1000).contains(&n)) {
        return Err(CliError::Usage(format!(
            "--nfe-sweep values must be between 1 and 1000, got {n}"
        )));
    }
    let objective = Target::parse(&args.objective).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown --objective '{}': expected eps, x0, v or flow",
            args.objective
        ))
    })?;
    let flow_time = FlowTime::parse(&args.flow_time).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown --flow-time '{}': expected uniform or logit-normal",
            args.flow_time
        ))
    })?;
    let flow = objective == Target::Flow;
    if (args.ot || args.reflow) && !flow {
        return Err(CliError::Usage(
            "--ot and --reflow belong to flow matching: add --objective flow".into(),
        ));
    }
    if args.samples_csv.is_some() && !args.nfe_sweep.is_empty() && !args.guidance_sweep.is_empty() {
        return Err(CliError::Usage(
            "--samples-csv writes one sweep: give --nfe-sweep or --guidance-sweep, not both".into(),
        ));
    }
    let config = ToyConfig {
        lr: args.lr,
        batch: args.batch,
        conditional: args.conditional,
        p_uncond: args.p_uncond,
        objective,
        flow_time,
        ot: args.ot,
        ..ToyConfig::new(data, args.seed)
    };
    let mut trainer = ToyTrainer::new(config, &DeviceInfo::flex(String::new()));
    let start = std::time::Instant::now();
    for _ in 0..args.steps {
        trainer.train_step();
    }
    let before_reflow = if args.reflow {
        let before = Straightness::of(&trainer, args.seed);
        trainer.reflow(REFLOW_PAIRS, args.seed ^ 0x2EF1);
        for _ in 0..args.steps {
            trainer.train_step();
        }
        Some(before)
    } else {
        None
    };
    let steps = trainer.step_count();
    let seconds = start.elapsed().as_secs_f64();
    let Swd {
        model,
        floor,
        start,
    } = view(&trainer).swd;
    let lik = trainer
        .held_out_likelihoods(HELD_OUT_POINTS, args.seed ^ 0x4E1D)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let dim = trainer.config().data.dim();
    let per_point = lik
        .points
        .chunks(dim)
        .zip(lik.ode_nll_nats.iter().zip(&lik.neg_elbo_nats))
        .map(|(x, (&ode, &elbo))| ToyPoint {
            x: x.to_vec(),
            ode_nll_nats: ode,
            neg_elbo_nats: elbo,
        })
        .collect();
    let guidance_exact = trainer
        .exact_guidance_sweep(&args.guidance_sweep, GUIDANCE_SAMPLES, args.seed ^ 0x6D1D)
        .filter(|_| !args.guidance_sweep.is_empty())
        .unwrap_or_default();
    let guidance = if args.guidance_sweep.is_empty() {
        Vec::new()
    } else {
        let (points, samples) = trainer
            .guidance_sweep(&args.guidance_sweep, GUIDANCE_SAMPLES, args.seed ^ 0x6D1D)
            .ok_or_else(|| CliError::Usage("no guidance sweep for this data".into()))?;
        if let Some(path) = &args
            .samples_csv
            .as_ref()
            .filter(|_| args.nfe_sweep.is_empty())
        {
            write_samples_csv(path, &trainer, &args.guidance_sweep, &samples)?;
        }
        points
    };
    let sweep = if args.nfe_sweep.is_empty() {
        Vec::new()
    } else {
        let (points, samples) =
            trainer.nfe_sweep_samples(&samplers, &args.nfe_sweep, NFE_SAMPLES, args.seed ^ 0x5EE9);
        if let Some(path) = &args.samples_csv {
            write_sweep_csv(path, &trainer, &points, &samples)?;
        }
        points
    };
    let sweep_exact = if args.nfe_sweep.is_empty() {
        Vec::new()
    } else {
        trainer
            .exact_nfe_sweep(&samplers, &args.nfe_sweep, NFE_SAMPLES, args.seed ^ 0x5EE9)
            .unwrap_or_default()
    };
    let score_error_per_t = trainer
        .score_error_per_t(11, 2000, args.seed ^ 0x5C0E)
        .unwrap_or_default();
    Ok(ToyReport {
        objective: objective.name().to_owned(),
        flow_time: flow.then(|| flow_time.name().to_owned()),
        ot: args.ot,
        paths: Straightness::of(&trainer, args.seed),
        before_reflow,
        guidance,
        guidance_exact,
        sweep,
        sweep_exact,
        score_error_per_t,
        held_out: HELD_OUT_POINTS,
        ode_nll_nats: mean(&lik.ode_nll_nats),
        ode_nll_stderr_nats: std_error(&lik.ode_nll_nats),
        neg_elbo_nats: mean(&lik.neg_elbo_nats),
        neg_elbo_stderr_nats: std_error(&lik.neg_elbo_nats),
        ode_nfe: lik.nfe,
        per_point,
        data: name,
        steps,
        seconds,
        steps_per_s: steps as f64 / seconds.max(1e-9),
        swd: model,
        swd_floor: floor,
        swd_start: start,
    })
}
