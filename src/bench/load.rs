//! How busy the machine was around a benchmark, apart from the benchmark itself.
//!
//! Ratios against PyTorch are fair only on a quiet machine: under contention PyTorch's
//! threads lose more than ours (on a loaded 2-core VM its ratios came out 3.6 and 5.4
//! instead of 0.5–0.8). So `bench` reads, for a second before it starts and over its whole
//! run, the CPU time of every other process (the machine's busy time from /proc/stat less
//! this process's and its children's) and the time the hypervisor stole, and warns when
//! either is large. The 1-minute load average is reported but not judged: it lags a minute
//! behind (a build that just ended still shows in it). Linux only; elsewhere the figures are
//! None and there is no warning.

use serde::Serialize;
use std::time::Instant;

/// Other processes using more than this many cores on average make the run "busy".
pub const BUSY_OTHER_CORES: f64 = 0.25;
/// More than this fraction of the machine's time stolen by the hypervisor makes it "busy".
pub const BUSY_STEAL: f64 = 0.05;

/// The machine's load around one run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MachineLoad {
    /// logical CPUs
    pub cpus: usize,
    /// the 1-minute load average just before the run (it lags: a build that ended a minute
    /// ago still shows, so it is reported, not judged)
    pub load_avg_before: Option<f64>,
    /// cores' worth of CPU time other processes used in the second before the run
    pub other_cores_before: Option<f64>,
    /// cores' worth of CPU time other processes used during the run, on average
    pub other_cores: Option<f64>,
    /// the fraction of the machine's CPU time the hypervisor stole during the run
    pub steal_fraction: Option<f64>,
    /// why the figures may not be fair, if they may not
    pub warning: Option<String>,
}

/// Reads taken when the run starts.
#[derive(Clone, Debug)]
pub struct LoadMeter {
    start: Instant,
    cpu: Option<CpuTicks>,
    own: Option<f64>,
    load_avg: Option<f64>,
    others_before: Option<f64>,
}

/// Cores' worth of CPU time other processes used between two reads.
fn other_cores(
    (t0, cpu0, own0): (Instant, Option<CpuTicks>, Option<f64>),
    (t1, cpu1, own1): (Instant, Option<CpuTicks>, Option<f64>),
) -> Option<f64> {
    let wall = t1.duration_since(t0).as_secs_f64();
    let (a, b, o0, o1) = (cpu0?, cpu1?, own0?, own1?);
    (wall > 0.0).then(|| (((b.busy - a.busy) / TICKS_PER_S - (o1 - o0)) / wall).max(0.0))
}

/// /proc/stat's first line, in clock ticks.
#[derive(Clone, Copy, Debug)]
struct CpuTicks {
    busy: f64,
    steal: f64,
    total: f64,
}

const TICKS_PER_S: f64 = 100.0;

fn cpu_ticks() -> Option<CpuTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(stat.lines().next()?)
}

/// `cpu  user nice system idle iowait irq softirq steal guest guest_nice`
fn parse_cpu_line(line: &str) -> Option<CpuTicks> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let v: Vec<f64> = fields.filter_map(|f| f.parse().ok()).collect();
    if v.len() < 8 {
        return None;
    }
    // guest time is already inside user time.
    let busy = v[0] + v[1] + v[2] + v[5] + v[6];
    let total = busy + v[3] + v[4] + v[7];
    Some(CpuTicks {
        busy,
        steal: v[7],
        total,
    })
}

/// This process's CPU seconds with those of the children it waited for (the PyTorch
/// reference, the cold-start child).
fn own_seconds() -> Option<f64> {
    super::self_stat_cpu_ticks().map(|t| t.iter().sum::<f64>() / TICKS_PER_S)
}

fn load_avg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl LoadMeter {
    /// Read the machine for a second, then start: call it just before the run.
    pub fn start() -> Self {
        let before = (Instant::now(), cpu_ticks(), own_seconds());
        std::thread::sleep(std::time::Duration::from_secs(1));
        let now = (Instant::now(), cpu_ticks(), own_seconds());
        Self {
            start: now.0,
            cpu: now.1,
            own: now.2,
            load_avg: load_avg(),
            others_before: other_cores(before, now),
        }
    }

    /// The load over the run, read now.
    pub fn finish(&self) -> MachineLoad {
        let now = (Instant::now(), cpu_ticks(), own_seconds());
        let other_cores = other_cores((self.start, self.cpu, self.own), now);
        let steal_fraction = match (self.cpu, now.1) {
            (Some(a), Some(b)) if b.total > a.total => {
                Some((b.steal - a.steal) / (b.total - a.total))
            }
            _ => None,
        };
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut load = MachineLoad {
            cpus,
            load_avg_before: self.load_avg,
            other_cores_before: self.others_before,
            other_cores,
            steal_fraction,
            warning: None,
        };
        load.warning = load.judge();
        load
    }
}

impl MachineLoad {
    /// One line for the table: the figures, and the warning if there is one.
    pub fn to_line(&self) -> String {
        let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("n/a".into(), f);
        let figures = format!(
            "machine load: other processes {} cores before the run (1-minute load average {}); other processes {} cores, hypervisor steal {} during it",
            opt(self.other_cores_before, &|v| format!("{v:.2}")),
            opt(self.load_avg_before, &|v| format!("{v:.2}")),
            opt(self.other_cores, &|v| format!("{v:.2}")),
            opt(self.steal_fraction, &|v| format!("{:.1} %", v * 100.0)),
        );
        match &self.warning {
            Some(w) => format!("{figures}\nWARNING: {w}\n"),
            None => format!("{figures} (quiet)\n"),
        }
    }

    /// Why the figures may not be fair, if they may not.
    fn judge(&self) -> Option<String> {
        let mut why = Vec::new();
        if let Some(c) = self.other_cores_before
            && c > BUSY_OTHER_CORES
        {
            why.push(format!(
                "other processes used {c:.2} cores in the second before it"
            ));
        }
        if let Some(c) = self.other_cores
            && c > BUSY_OTHER_CORES
        {
            why.push(format!(
                "other processes used {c:.2} cores on average during it"
            ));
        }
        if let Some(s) = self.steal_fraction
            && s > BUSY_STEAL
        {
            why.push(format!(
                "the hypervisor stole {:.0} % of the CPU time",
                s * 100.0
            ));
        }
        (!why.is_empty()).then(|| {
            format!(
                "the machine was busy ({}): the figures, and most of all the ratios, may be off; run again on a quiet machine",
                why.join("; ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_lines_parse() {
        let t = parse_cpu_line("cpu  100 5 20 1000 7 1 2 30 0 0").unwrap();
        assert_eq!(t.busy, 128.0);
        assert_eq!(t.steal, 30.0);
        assert_eq!(t.total, 1165.0);
        assert!(parse_cpu_line("cpu0 1 2 3 4 5 6 7 8").is_none());
        assert!(parse_cpu_line("cpu 1 2").is_none());
    }

    #[test]
    fn a_busy_machine_gets_a_warning_and_a_quiet_one_none() {
        let quiet = MachineLoad {
            cpus: 2,
            load_avg_before: Some(1.9),
            other_cores_before: Some(0.0),
            other_cores: Some(0.05),
            steal_fraction: Some(0.0),
            warning: None,
        };
        // A lagging load average alone (a build that just ended) is no warning.
        assert_eq!(quiet.judge(), None);
        let busy = MachineLoad {
            other_cores: Some(1.5),
            ..quiet.clone()
        };
        assert!(busy.judge().unwrap().contains("1.50 cores"));
        let loaded = MachineLoad {
            other_cores_before: Some(1.0),
            ..quiet.clone()
        };
        assert!(loaded.judge().unwrap().contains("before it"));
        let stolen = MachineLoad {
            steal_fraction: Some(0.2),
            ..quiet
        };
        assert!(stolen.judge().unwrap().contains("20 %"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_meter_reads_this_machine() {
        let meter = LoadMeter::start();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let load = meter.finish();
        assert!(load.load_avg_before.is_some());
        assert!(
            load.steal_fraction
                .is_some_and(|s| (0.0..=1.0).contains(&s))
        );
    }
}
