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
    /// ②'s guidance sweep strip, for this class
    Sweep {
        class: usize,
    },
    /// ②'s budget strip of this sampler
    NfeStrip {
        sampler: crate::diffusion::samplers::OdeSampler,
    },
}

/// A job the app starts by itself while training.
#[derive(Clone, Copy, Debug, PartialEq)]
enum AutoJob {
    /// a new sample grid
    Grid,
    /// G(z) for panel ③
    Probe,
}

impl App {
    pub(super) fn new_job(&mut self, purpose: JobPurpose) -> u64 {
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.insert(id, purpose);
        id
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
        let request = self.settings.sample_request(n);
        let weights = self.settings.sample_weights;
        let id = self.new_job(JobPurpose::Samples {
            origin,
            weights,
            play,
        });
        self.reverse.running = Some((id, 0, 1));
        self.last_grid = Some(std::time::Instant::now());
        let guidance = self.settings.guidance.job(self.model_classes().len());
        self.send(Command::Sample(SampleJob {
            id,
            request,
            from,
            weights,
            guidance,
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
            guidance: None,
        }));
    }

    /// Ask the worker for the ODE likelihood of the evaluation batch (once at a time).
    pub(super) fn estimate_ode_nll(&mut self) {
        if self.curves.ode.progress.is_some() {
            return;
        }
        // Shown as started until the worker's first report says how many images.
        self.curves
            .ode
            .on_progress(0, crate::train::worker::HELD_OUT, self.status.step);
        // The worker sends −ELBO at the same step itself.
        self.curves.pending = Some(crate::diffusion::TimestepPlan::Stratified {
            strata: crate::diffusion::DEFAULT_STRATA,
        });
        self.send(Command::OdeNll);
    }

    pub(super) fn estimate_elbo(&mut self, plan: crate::diffusion::TimestepPlan) {
        if self.curves.pending == Some(plan) {
            return; // the same estimate is on its way
        }
        self.curves.pending = Some(plan);
        self.send(Command::Vlb(plan));
    }

    /// The jobs redrawn while training that could start now, each with how long until it is
    /// due: the sample grid (when enabled and none is running) and, on panel ③, G(z) (when
    /// none is pending). Every `resample_every_s` seconds: a time cadence, so that a slow
    /// machine shows change as often as a fast one.
    fn auto_due(&self) -> Vec<(AutoJob, std::time::Duration)> {
        if !self.status.running {
            return Vec::new();
        }
        let every =
            std::time::Duration::from_secs_f64(self.settings.resample_every_s.clamp(1.0, 3600.0));
        let wait = |last: Option<std::time::Instant>| {
            last.map_or(std::time::Duration::ZERO, |t| {
                every.saturating_sub(t.elapsed())
            })
        };
        let mut due = Vec::new();
        if self.settings.auto_resample && self.reverse.running.is_none() {
            due.push((AutoJob::Grid, wait(self.last_grid)));
        }
        if self.settings.tab == Tab::Likelihood && self.likelihood.pending.is_none() {
            due.push((AutoJob::Probe, wait(self.last_probe)));
        }
        due
    }

    /// Start the jobs redrawn while training that are due.
    pub(super) fn auto_jobs(&mut self) {
        for (job, wait) in self.auto_due() {
            if wait.is_zero() {
                match job {
                    AutoJob::Grid => self.start_sampling(Origin::Noise, false),
                    AutoJob::Probe => self.start_probe(),
                }
            }
        }
    }

    /// When the next of them is due, for the repaint that starts it.
    pub(super) fn next_job_in(&self) -> Option<std::time::Duration> {
        self.auto_due().into_iter().map(|(_, wait)| wait).min()
    }
}
