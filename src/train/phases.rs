//! Where a training step's time goes: wall time and CPU use of each phase of
//! [`super::Trainer::train_step`], summed over steps. Off unless
//! `DIFFUSION_PLAYGROUND_PHASES=1`, when each phase boundary costs one clock read and one
//! `getrusage` call (a few µs).
//!
//! CPU use of a phase = (user + system CPU time of the process in it) / its wall time: 200 %
//! means both cores of a 2-core machine were busy throughout.

use serde::Serialize;
use std::sync::OnceLock;
use std::time::Instant;

/// The environment variable that turns the phase timers on.
pub const PHASES_ENV: &str = "DIFFUSION_PLAYGROUND_PHASES";

/// One phase of a training step, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// the batch x_0, t, ε and x_t on the host, and their upload
    Data,
    /// ε_θ(x_t, t) and the loss, recorded for autodiff
    Forward,
    /// the loss back on the host (and its finiteness check)
    LossReadBack,
    /// autodiff's backward pass
    Backward,
    /// the global-norm clip (zero on the CPU, where the optimizer phase clips:
    /// [`super::whole_adam`])
    GradientsOut,
    /// Adam's update (on the CPU also the shards' sum, the clip and the EMA, in one update)
    Optimizer,
    /// the EMA update (on the CPU in the optimizer phase), and the rollback point every 25
    /// steps
    Ema,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 7] = [
        Phase::Data,
        Phase::Forward,
        Phase::LossReadBack,
        Phase::Backward,
        Phase::GradientsOut,
        Phase::Optimizer,
        Phase::Ema,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Data => "data",
            Phase::Forward => "forward",
            Phase::LossReadBack => "loss read-back",
            Phase::Backward => "backward",
            Phase::GradientsOut => "gradients out",
            Phase::Optimizer => "optimizer",
            Phase::Ema => "EMA",
        }
    }
}

/// Whether [`PHASES_ENV`] asks for the timers (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var(PHASES_ENV).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "off"))
    })
}

/// User + system CPU time of this process, in seconds (µs resolution), where the platform
/// tells it.
pub(crate) fn process_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage writes one `rusage` into the pointer it is given.
        let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } == 0;
        if ok {
            // SAFETY: initialised by the successful call (and zeroed before it).
            let u = unsafe { usage.assume_init() };
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
            return Some(secs(u.ru_utime) + secs(u.ru_stime));
        }
    }
    None
}

/// Summed wall and CPU seconds of each phase over `steps` steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PhaseTimes {
    /// wall seconds per phase, in [`Phase::ALL`]'s order
    pub wall_s: [f64; 7],
    /// CPU seconds (user + system, all threads) per phase
    pub cpu_s: [f64; 7],
    /// steps summed
    pub steps: u64,
}

impl PhaseTimes {
    /// A table: each phase's ms per step, share of the step and CPU use.
    pub fn to_table(&self) -> String {
        let total: f64 = self.wall_s.iter().sum();
        let steps = self.steps.max(1) as f64;
        let mut s = format!(
            "phases of a training step (mean of {} steps, {:.1} ms per step):\n",
            self.steps,
            1000.0 * total / steps
        );
        for (i, phase) in Phase::ALL.iter().enumerate() {
            let wall = self.wall_s[i];
            s += &format!(
                "  {:<15} {:>8.1} ms  {:>5.1} %  CPU {:>4.0} %\n",
                phase.name(),
                1000.0 * wall / steps,
                100.0 * wall / total.max(1e-12),
                100.0 * self.cpu_s[i] / wall.max(1e-12)
            );
        }
        s
    }
}

/// Laps through the phases of one step; does nothing unless [`enabled`].
pub(crate) struct PhaseClock {
    last: Option<(Instant, f64)>,
}

impl PhaseClock {
    /// Start timing the first phase.
    pub(crate) fn start() -> PhaseClock {
        let last = enabled()
            .then(|| process_cpu_seconds().map(|cpu| (Instant::now(), cpu)))
            .flatten();
        PhaseClock { last }
    }

    /// The phase that ends now, added to `times`.
    pub(crate) fn lap(&mut self, phase: Phase, times: &mut PhaseTimes) {
        let Some((then, cpu_then)) = self.last else {
            return;
        };
        let (now, cpu_now) = (Instant::now(), process_cpu_seconds().unwrap_or(cpu_then));
        let i = Phase::ALL.iter().position(|&p| p == phase).unwrap_or(0);
        times.wall_s[i] += (now - then).as_secs_f64();
        times.cpu_s[i] += cpu_now - cpu_then;
        if phase == Phase::Ema {
            times.steps += 1;
        }
        self.last = Some((now, cpu_now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_add_up_and_the_table_names_every_phase() {
        let mut times = PhaseTimes::default();
        // Timers forced on for this clock, whatever the environment says.
        let mut clock = PhaseClock {
            last: process_cpu_seconds().map(|cpu| (Instant::now(), cpu)),
        };
        if clock.last.is_none() {
            return; // no CPU clock on this platform
        }
        let spin = |ms: u64| {
            let end = Instant::now() + std::time::Duration::from_millis(ms);
            let mut x = 0u64;
            while Instant::now() < end {
                x = x.wrapping_add(1);
            }
            std::hint::black_box(x);
        };
        for phase in Phase::ALL {
            spin(if phase == Phase::Backward { 20 } else { 2 });
            clock.lap(phase, &mut times);
        }
        assert_eq!(times.steps, 1);
        let backward = times.wall_s[3];
        assert!(backward >= 0.019, "{backward}");
        assert!(times.wall_s.iter().all(|&w| w > 0.0));
        // (CPU use depends on what else runs: only its sign is certain.)
        assert!(times.cpu_s.iter().all(|&c| c >= 0.0 && c.is_finite()));
        let table = times.to_table();
        for phase in Phase::ALL {
            assert!(table.contains(phase.name()), "{table}");
        }
    }
}
