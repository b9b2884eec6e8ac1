//! `soak`: the headless app trains and samples continuously for a while, and memory and
//! its backlog are read once a second (see RELIABILITY.md).

use super::{BenchError, app_options, fail, headless_app, rss_mib, spinner, step_until};
use crate::app::{App, AppCommand, AppOptions};
use crate::train::{DeviceChoice, TrainConfig};
use serde::Serialize;
use std::time::{Duration, Instant};

/// A soak run's figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SoakReport {
    /// how long it ran
    pub seconds: f64,
    /// frames drawn
    pub frames: usize,
    /// training steps taken
    pub train_steps: u64,
    /// sample sets finished
    pub samples: u64,
    /// (seconds since start, resident MiB), about once a second
    pub rss_mib: Vec<(f64, f64)>,
    /// (seconds since start, backlog), about once a second
    pub backlog: Vec<(f64, crate::app::Backlog)>,
    /// 99th percentile frame time, ms
    pub p99_frame_ms: f64,
    /// notices shown (errors would be listed here)
    pub last_notices: Vec<String>,
    /// what went wrong: sampling jobs waiting past the worker's bound, or a notice that
    /// something failed (empty: the run was quiet)
    pub problems: Vec<String>,
}

impl SoakReport {
    /// One line of figures.
    pub fn to_table(&self) -> String {
        let rss = |i: Option<&(f64, f64)>| {
            i.map(|r| format!("{:.0} MiB", r.1))
                .unwrap_or_else(|| "n/a".into())
        };
        format!(
            "{:.0} s: {} frames (p99 {:.2} ms), {} training steps, {} sample sets; resident memory {} at a third → {} at the end; last backlog: {}\n{}",
            self.seconds,
            self.frames,
            self.p99_frame_ms,
            self.train_steps,
            self.samples,
            rss(self.rss_mib.get(self.rss_mib.len() / 3)),
            rss(self.rss_mib.last()),
            self.backlog.last().map_or_else(
                || "n/a".to_owned(),
                |(_, b)| format!(
                    "{} sampling jobs, {} notices, {} curve points",
                    b.jobs, b.notices, b.curve_points
                )
            ),
            if self.problems.is_empty() {
                "quiet: no backlog past its bound, no failure notice\n".to_owned()
            } else {
                format!("PROBLEMS:\n  {}\n", self.problems.join("\n  "))
            }
        )
    }
}

/// Train and sample continuously in the real app, headless, for `seconds`: a small model so
/// that many steps and samples go by. Memory and the app's backlog are read once a second.
/// How long a soak runs: `seconds`, and until it has trained `steps` steps and drawn
/// `samples` sample sets, however slow the machine (a test waits on progress, not the clock).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoakUntil {
    /// wall-clock seconds at least
    pub seconds: f64,
    /// training steps at least
    pub steps: u64,
    /// sample sets at least
    pub samples: u64,
}

/// A soak that has not reached its steps and samples after this long has failed.
const SOAK_PATIENCE: Duration = Duration::from_secs(1800);

pub fn soak(
    device: DeviceChoice,
    until: SoakUntil,
    progress: bool,
) -> Result<SoakReport, BenchError> {
    let seconds = until.seconds;
    let mut config = TrainConfig {
        batch: 8,
        ..TrainConfig::default()
    };
    config.model = crate::model::UNetConfig::new()
        .with_image_size(16)
        .with_base_channels(16)
        .with_channel_mults(vec![1, 2]);
    config.schedule.timesteps = 200;
    let mut h = headless_app(AppOptions {
        config,
        ..app_options(device, None)
    });
    if !step_until(&mut h, Duration::from_secs(120), |a| {
        a.status.config.is_some()
    }) {
        return Err(fail("the app's model did not become ready in 120 s"));
    }
    let ctx = h.ctx.clone();
    h.state_mut().settings.ddim_steps = 10;
    h.state_mut().run_command(&ctx, AppCommand::Train(true));
    h.state_mut().frame_times.clear();
    let bar = spinner(progress, "soak (seconds)");
    bar.set_length(seconds.ceil() as u64);
    let start = Instant::now();
    let (mut rss, mut backlog) = (Vec::new(), Vec::new());
    let mut next_read = 0.0;
    let mut frames = 0;
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    let done = |h: &egui_kittest::Harness<'static, App>| {
        start.elapsed().as_secs_f64() >= seconds
            && h.state().status.step >= until.steps
            && h.state().reverse.results >= until.samples
    };
    while !done(&h) {
        if start.elapsed() > SOAK_PATIENCE {
            return Err(fail(format!(
                "{} training steps and {} sample sets in {} s (asked for {} and {})",
                h.state().status.step,
                h.state().reverse.results,
                SOAK_PATIENCE.as_secs(),
                until.steps,
                until.samples
            )));
        }
        let begin = Instant::now();
        let now = start.elapsed().as_secs_f64();
        if now >= next_read {
            next_read += 1.0;
            if let Some(mib) = rss_mib().0 {
                rss.push((now, mib));
            }
            backlog.push((now, h.state().backlog()));
            // Ask for samples continuously: one new set a second, so some are superseded.
            h.state_mut().run_command(&ctx, AppCommand::Sample);
            bar.set_position(now as u64);
        }
        h.step();
        frames += 1;
        if let Some(rest) = frame.checked_sub(begin.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    bar.finish_and_clear();
    h.state_mut().run_command(&ctx, AppCommand::Train(false));
    let app = h.state();
    let last_notices: Vec<String> = app.notices.iter().map(|(_, t)| t.clone()).collect();
    let problems = soak_problems(&backlog, &last_notices);
    Ok(SoakReport {
        seconds: start.elapsed().as_secs_f64(),
        frames,
        train_steps: app.status.step,
        samples: app.reverse.results,
        rss_mib: rss,
        backlog,
        p99_frame_ms: app
            .frame_times
            .quantile_ms(0.99, usize::MAX)
            .unwrap_or(f64::NAN),
        last_notices,
        problems,
    })
}

/// Sampling jobs the app may have unanswered: the worker's queue and the one running.
pub const MAX_OUTSTANDING_JOBS: usize = crate::train::worker::MAX_QUEUED_JOBS + 1;

/// What a soak run must not show: more unanswered sampling jobs than the worker's bounded
/// queue allows, or any notice that says something failed or stopped.
pub fn soak_problems(backlog: &[(f64, crate::app::Backlog)], notices: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some((at, b)) = backlog.iter().find(|(_, b)| b.jobs > MAX_OUTSTANDING_JOBS) {
        problems.push(format!(
            "{} sampling jobs unanswered at {at:.0} s (at most {MAX_OUTSTANDING_JOBS})",
            b.jobs
        ));
    }
    let failed = crate::tr!("notice-sampling-failed", reason = "");
    let failed = failed.trim_end_matches([' ', ':', '：']);
    for n in notices {
        if n.contains(failed) || n.contains("failed") || n.contains("stopped") {
            problems.push(format!("notice: {n}"));
        }
    }
    problems
}
