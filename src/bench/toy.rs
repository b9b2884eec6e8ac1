//! The 1-D/2-D worlds in `bench`: the MLP's training speed, the time from scratch to samples
//! within twice the data's own SWD floor on the moons, the app's frame times while panel ⑤
//! trains, and the same MLP in PyTorch (benches/reference/mlp_reference.py) in the same run.

use super::{BenchError, BenchOptions, app_options, fail, headless_app, spinner, step_until};
use crate::app::AppCommand;
use crate::app::frame_times::quantile;
use crate::app::settings::Tab;
use crate::app::world::Choice;
use crate::data::points::ToyData;
use crate::train::DeviceInfo;
use crate::train::toy::{ToyConfig, ToyTrainer, view};
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Most training steps spent looking for SWD ≤ 2× floor.
pub const MAX_STEPS: u64 = 20_000;
/// Steps between SWD checks.
const CHECK_EVERY: u64 = 250;

/// The worlds' figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ToyFigure {
    /// training steps per second (batch 256, the 3×128 MLP, on the CPU)
    pub steps_per_s: f64,
    /// steps until SWD ≤ 2× floor on moons from scratch (checked every 250), if reached
    pub steps_to_twice_floor: Option<u64>,
    /// training seconds to get there (the SWD checks not counted)
    pub seconds_to_twice_floor: Option<f64>,
    /// SWD when the search stopped
    pub swd: f64,
    /// the floor (two independent data draws)
    pub swd_floor: f64,
    /// the app's frame times while panel ⑤ trains: median, 99th percentile, slowest (ms)
    pub ui_p50_ms: f64,
    /// see `ui_p50_ms`
    pub ui_p99_ms: f64,
    /// see `ui_p50_ms`
    pub ui_max_ms: f64,
    /// world training steps during the measured frames
    pub ui_steps_during: u64,
    /// PyTorch's steps per second for the same MLP and batch, on the CPU
    pub reference_steps_per_s: Option<f64>,
    /// why the reference did not run
    pub reference_error: Option<String>,
    /// steps_per_s / reference_steps_per_s (≥ 1: burn as fast)
    pub speed_ratio: Option<f64>,
}

/// Train moons from scratch until SWD ≤ 2× floor (or [`MAX_STEPS`]).
fn to_twice_floor(progress: bool) -> (f64, Option<u64>, Option<f64>, f64, f64) {
    let mut t = ToyTrainer::new(
        ToyConfig::new(ToyData::Moons, 0),
        &DeviceInfo::flex(String::new()),
    );
    let bar = spinner(progress, "1-D/2-D world: moons to 2× the SWD floor");
    let mut trained = Duration::ZERO;
    let (mut reached, mut swd, mut floor) = (None, f64::NAN, f64::NAN);
    while t.step_count() < MAX_STEPS {
        let begin = Instant::now();
        for _ in 0..CHECK_EVERY {
            t.train_step();
        }
        trained += begin.elapsed();
        let s = view(&t).swd;
        (swd, floor) = (s.model, s.floor);
        if s.model <= 2.0 * s.floor {
            reached = Some((t.step_count(), trained.as_secs_f64()));
            break;
        }
    }
    bar.finish_and_clear();
    let rate = t.step_count() as f64 / trained.as_secs_f64().max(1e-9);
    (rate, reached.map(|r| r.0), reached.map(|r| r.1), swd, floor)
}

/// The app's frames while panel ⑤ trains the moons.
fn ui_while_training(
    options: &BenchOptions,
    progress: bool,
) -> Result<(f64, f64, f64, u64), BenchError> {
    let mut h = headless_app(app_options(options.device, None));
    let ctx = h.ctx.clone();
    h.state_mut()
        .run_command(&ctx, AppCommand::Focus(Tab::World));
    h.state_mut()
        .run_command(&ctx, AppCommand::WorldData(Choice::Moons));
    if !step_until(&mut h, Duration::from_secs(60), |a| a.world.view.is_some()) {
        return Err(fail("panel ⑤ showed nothing in 60 s"));
    }
    h.state_mut()
        .run_command(&ctx, AppCommand::WorldTrain(true));
    step_until(&mut h, Duration::from_secs(30), |a| a.world.step() > 0);
    let step0 = h.state().world.step();
    h.state_mut().frame_times.clear();
    let bar = spinner(progress, "app frames while panel ⑤ trains");
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    for _ in 0..options.ui_frames {
        let begin = Instant::now();
        h.step();
        if let Some(rest) = frame.checked_sub(begin.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    bar.finish_and_clear();
    let times: Vec<f64> = h.state().frame_times.frames_ms().collect();
    let q = |p| quantile(times.clone(), p).unwrap_or(f64::NAN);
    let during = h.state().world.step().saturating_sub(step0);
    h.state_mut()
        .run_command(&ctx, AppCommand::WorldTrain(false));
    Ok((q(0.5), q(0.99), q(1.0), during))
}

/// The PyTorch MLP's steps per second on the CPU.
fn reference(options: &BenchOptions) -> Result<f64, String> {
    let rel = Path::new("benches")
        .join("reference")
        .join("mlp_reference.py");
    let script = crate::find_shipped(&rel, Path::is_file)
        .ok_or("the reference script benches/reference/mlp_reference.py was not found")?;
    let out = Command::new(&options.python)
        .arg(&script)
        .arg("--json")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", options.python))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .map_err(|e| format!("the reference printed bad JSON: {e}"))?;
    match v.get("steps_per_s").and_then(|s| s.as_f64()) {
        Some(s) if out.status.success() => Ok(s),
        _ => Err(v
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("the MLP reference failed")
            .to_owned()),
    }
}

/// Every figure of the worlds.
pub fn toy_figure(options: &BenchOptions) -> Result<ToyFigure, BenchError> {
    let (steps_per_s, steps, seconds, swd, swd_floor) = to_twice_floor(options.progress);
    let (ui_p50_ms, ui_p99_ms, ui_max_ms, ui_steps_during) =
        ui_while_training(options, options.progress)?;
    let (reference_steps_per_s, reference_error) = match reference(options) {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    };
    Ok(ToyFigure {
        steps_per_s,
        steps_to_twice_floor: steps,
        seconds_to_twice_floor: seconds,
        swd,
        swd_floor,
        ui_p50_ms,
        ui_p99_ms,
        ui_max_ms,
        ui_steps_during,
        speed_ratio: reference_steps_per_s.map(|r| steps_per_s / r),
        reference_steps_per_s,
        reference_error,
    })
}

impl ToyFigure {
    /// The human-readable lines.
    pub fn to_table(&self) -> String {
        let opt =
            |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map(f).unwrap_or_else(|| "—".into());
        format!(
            "1-D/2-D world (3×128 MLP, batch 256, CPU):\n  training: {:.0} steps/s; PyTorch: {} (ratio {})\n  moons from scratch to SWD ≤ 2× floor: {} steps, {} s of training (SWD {:.4}, floor {:.4})\n  app frames while panel ⑤ trains: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} steps during)\n{}",
            self.steps_per_s,
            opt(self.reference_steps_per_s, &|r| format!("{r:.0} steps/s")),
            opt(self.speed_ratio, &|r| format!("{r:.2}")),
            self.steps_to_twice_floor
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("not within {MAX_STEPS}")),
            opt(self.seconds_to_twice_floor, &|s| format!("{s:.1}")),
            self.swd,
            self.swd_floor,
            self.ui_p50_ms,
            self.ui_p99_ms,
            self.ui_max_ms,
            self.ui_steps_during,
            self.reference_error
                .as_ref()
                .map(|e| format!("  (PyTorch: {e})\n"))
                .unwrap_or_default()
        )
    }
}
