//! The loss history of a run, kept beside its checkpoint as `history.csv`
//! (`step,loss,images_per_s`, the same columns as `train --metrics`), so that opening a run
//! shows how it got there. The file is optional: a checkpoint without one still loads.

use super::worker::StepReport;
use std::fmt::Write as _;
use std::path::Path;

/// The file name inside a checkpoint folder.
pub const FILE: &str = "history.csv";
/// The first line.
pub const HEADER: &str = "step,loss,images_per_s";
/// Steps kept at most; past this the older half is thinned to every second step.
pub const MAX_STEPS: usize = 20_000;

/// A bounded record of step reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// reports, oldest first
    pub steps: Vec<StepReport>,
}

impl History {
    /// Append a report, thinning the older half when full.
    pub fn push(&mut self, report: StepReport) {
        if self.steps.len() >= MAX_STEPS {
            let mut i = 0;
            let half = MAX_STEPS / 2;
            self.steps.retain(|_| {
                i += 1;
                i > half || i % 2 == 0
            });
        }
        self.steps.push(report);
    }

    /// Forget the steps after `step` (a rewind).
    pub fn truncate_after(&mut self, step: u64) {
        self.steps.retain(|r| r.step <= step);
    }

    /// The CSV text.
    pub fn to_csv(&self) -> String {
        let mut out = format!("{HEADER}\n");
        for r in &self.steps {
            let _ = writeln!(out, "{},{},{:.3}", r.step, r.loss, r.images_per_s);
        }
        out
    }

    /// Parse CSV text; rows that do not parse are skipped.
    pub fn from_csv(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        if lines.next()?.trim() != HEADER {
            return None;
        }
        let steps = lines
            .filter_map(|l| {
                let mut c = l.split(',').map(str::trim);
                Some(StepReport {
                    step: c.next()?.parse().ok()?,
                    loss: c.next()?.parse().ok()?,
                    images_per_s: c.next()?.parse().ok()?,
                })
            })
            .collect();
        Some(Self { steps })
    }

    /// Write into the checkpoint folder `dir` (through a temporary file and a rename).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, self.to_csv())?;
        std::fs::rename(&tmp, dir.join(FILE))
    }

    /// Read the history of the checkpoint in `dir` up to its `step`; empty when it has none.
    pub fn load(dir: &Path, step: u64) -> Self {
        let mut h = std::fs::read_to_string(dir.join(FILE))
            .ok()
            .and_then(|t| Self::from_csv(&t))
            .unwrap_or_default();
        h.truncate_after(step);
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bounded_and_truncated() {
        let mut h = History::default();
        for step in 1..=(MAX_STEPS as u64 + 10) {
            h.push(StepReport {
                step,
                loss: 1.0 / step as f32,
                images_per_s: 10.0,
            });
        }
        assert!(h.steps.len() <= MAX_STEPS);
        assert_eq!(h.steps.last().map(|r| r.step), Some(MAX_STEPS as u64 + 10));
        assert!(h.steps.windows(2).all(|w| w[1].step > w[0].step));
        let dir = std::env::temp_dir().join(format!("dp-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        h.save(&dir).unwrap();
        let back = History::load(&dir, 100);
        assert!(back.steps.iter().all(|r| r.step <= 100));
        assert_eq!(
            back.steps.first().map(|r| r.loss),
            h.steps.first().map(|r| r.loss)
        );
        assert!(History::from_csv("a,b\n1,2,3\n").is_none());
        assert_eq!(History::load(&dir.join("none"), 5), History::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
