//! How long the app's own `logic()` + `ui()` take per frame: shown in the top bar and read
//! by `bench` (the UI must never wait on the worker, so this stays far below 16 ms).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Frames kept.
pub const KEEP: usize = 4096;

/// A bounded record of per-frame CPU time spent in `logic()` and `ui()`.
#[derive(Debug, Default)]
pub struct FrameTimes {
    logic_started: Option<Instant>,
    logic: Duration,
    ui_started: Option<Instant>,
    /// milliseconds per frame, oldest first
    frames_ms: VecDeque<f64>,
}

impl FrameTimes {
    /// Call at the start of `logic()`.
    pub fn begin_logic(&mut self) {
        self.logic_started = Some(Instant::now());
    }

    /// Call at the end of `logic()`.
    pub fn end_logic(&mut self) {
        self.logic = self
            .logic_started
            .take()
            .map(|s| s.elapsed())
            .unwrap_or_default();
    }

    /// Call at the start of `ui()`.
    pub fn begin_ui(&mut self) {
        self.ui_started = Some(Instant::now());
    }

    /// Call at the end of `ui()`: records logic + ui of this frame.
    pub fn end_ui(&mut self) {
        let ui = self
            .ui_started
            .take()
            .map(|s| s.elapsed())
            .unwrap_or_default();
        let total = std::mem::take(&mut self.logic) + ui;
        if self.frames_ms.len() == KEEP {
            self.frames_ms.pop_front();
        }
        self.frames_ms.push_back(total.as_secs_f64() * 1000.0);
    }

    /// Forget the frames so far.
    pub fn clear(&mut self) {
        self.frames_ms.clear();
    }

    /// The recorded frames, oldest first, in milliseconds.
    pub fn frames_ms(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.frames_ms.iter().copied()
    }

    /// The q-quantile (0..=1) of the last `last` frames, in milliseconds.
    pub fn quantile_ms(&self, q: f64, last: usize) -> Option<f64> {
        let skip = self.frames_ms.len().saturating_sub(last);
        quantile(self.frames_ms.iter().skip(skip).copied().collect(), q)
    }
}

/// The q-quantile (nearest rank) of `values`; None when empty.
pub fn quantile(mut values: Vec<f64>, q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(v.clone(), 0.5), Some(50.0));
        assert_eq!(quantile(v.clone(), 0.99), Some(99.0));
        assert_eq!(quantile(v.clone(), 1.0), Some(100.0));
        assert_eq!(quantile(v, 0.0), Some(1.0));
        assert_eq!(quantile(vec![], 0.5), None);
    }

    #[test]
    fn frames_are_bounded_and_sum_logic_and_ui() {
        let mut f = FrameTimes::default();
        for _ in 0..KEEP + 10 {
            f.begin_logic();
            f.end_logic();
            f.begin_ui();
            f.end_ui();
        }
        assert_eq!(f.frames_ms().len(), KEEP);
        f.begin_logic();
        std::thread::sleep(Duration::from_millis(3));
        f.end_logic();
        f.begin_ui();
        std::thread::sleep(Duration::from_millis(2));
        f.end_ui();
        let last = f.frames_ms().last().unwrap();
        assert!(last >= 5.0, "{last}");
    }
}
