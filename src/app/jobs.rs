//! Sampling jobs sent to the worker (sample grids and the likelihood panel's G(z) probe),
//! the −ELBO estimates asked for, and the grids redrawn while training.

use super::*;

/// What a sampling job was for.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum JobPurpose {
    /// a sample grid; `play`: animate its trajectory when it arrives (a grid the user asked
    /// for; the grids redrawn while training show their result at once)
    Samples {
        origin: Origin,
        weights: Weights,
        play: bool,
    },
    Probe,
}

impl App {
    pub(super) fn new_job(&mut self, purpose: JobPurpose) -> u64 {
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.insert(id, purpose);
        id
    }

    pub(super) fn sample_request(&self, n: usize) -> SampleRequest {
        SampleRequest {
            sampler: self.settings.sampler_kind(),
            n,
            seed: self.settings.seed,
            max_frames: 60,
            clip_x0: true,
        }
    }

    pub(super) fn start_sampling(&mut self, origin: Origin, play: bool) {
        if self.status.config.is_none() {
            self.notice(Level::Info, tr!("notice-model-loading"));
            return;
        }
        let from = match origin {
            Origin::Noise => SampleFrom::Noise,
            Origin::Image(t) => SampleFrom::Image {
                image: self.image.model.clone(),
                t,
            },
        };
        let n = match origin {
            Origin::Noise => self.settings.n_samples,
            Origin::Image(_) => self.settings.n_samples.min(4),
        };
        let request = self.sample_request(n);
        let weights = self.settings.sample_weights;
        let id = self.new_job(JobPurpose::Samples {
            origin,
            weights,
            play,
        });
        self.reverse.running = Some((id, 0, 1));
        self.last_grid = Some(std::time::Instant::now());
        self.send(Command::Sample(SampleJob {
            id,
            request,
            from,
            weights,
        }));
    }

    pub(super) fn start_probe(&mut self) {
        if self.status.config.is_none() || self.likelihood.pending.is_some() {
            return;
        }
        let id = self.new_job(JobPurpose::Probe);
        self.likelihood.pending = Some(id);
        self.last_probe = Some(std::time::Instant::now());
        // The same seed every time: the same z, so G(z) can be followed over training.
        let steps = G_STEPS.min(model_timesteps(&self.status));
        self.send(Command::Sample(SampleJob {
            id,
            request: crate::train::generator::request(PROBE_DRAWS, G_SEED, steps),
            from: SampleFrom::Noise,
            weights: Weights::Ema,
        }));
    }

    pub(super) fn estimate_elbo(&mut self, plan: crate::diffusion::TimestepPlan) {
        if self.curves.pending == Some(plan) {
            return; // the same estimate is on its way
        }
        self.curves.pending = Some(plan);
        self.send(Command::Vlb(plan));
    }

    /// While training, redraw the sample grid (and, on panel ③, G(z)) every
    /// `resample_every_s` seconds: a time cadence, so that a slow machine shows change as
    /// often as a fast one.
    pub(super) fn auto_jobs(&mut self) {
        if !self.status.running {
            return;
        }
        let every = std::time::Duration::from_secs_f64(
            self.settings.resample_every_s.clamp(1.0, 3600.0),
        );
        let due = |last: Option<std::time::Instant>| last.is_none_or(|t| t.elapsed() >= every);
        if self.settings.auto_resample && self.reverse.running.is_none() && due(self.last_grid) {
            self.start_sampling(Origin::Noise, false);
        }
        if self.settings.tab == Tab::Likelihood && due(self.last_probe) {
            self.start_probe();
        }
    }

    /// When the next grid or probe is due, for the repaint that asks for it.
    pub(super) fn next_job_in(&self) -> Option<std::time::Duration> {
        if !self.status.running {
            return None;
        }
        let every = std::time::Duration::from_secs_f64(
            self.settings.resample_every_s.clamp(1.0, 3600.0),
        );
        // Only the jobs that could start then: a grid or probe still running answers itself.
        let grid = (self.settings.auto_resample && self.reverse.running.is_none())
            .then_some(self.last_grid)
            .flatten();
        let probe = (self.settings.tab == Tab::Likelihood && self.likelihood.pending.is_none())
            .then_some(self.last_probe)
            .flatten();
        [grid, probe]
            .into_iter()
            .flatten()
            .map(|t| every.saturating_sub(t.elapsed()))
            .min()
    }
}
