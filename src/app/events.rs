//! The worker's reports, taken in `logic()`: progress (steps, sampling) and results
//! (the model ready, samples, −ELBO estimates, saves, notices, the end of the stream).

use super::*;

impl App {
    /// The settings panel shows the run's own batch and learning rate.
    fn follow_config(&mut self, config: &TrainConfig) {
        self.settings.batch = config.batch;
        self.settings.lr = config.lr;
    }

    pub(super) fn handle_event(&mut self, event: Event) {
        match event {
            Event::Ready {
                device,
                config,
                params,
                step,
            } => {
                let size = config.model.image_size;
                let digits = config.data == DataSource::Builtin(Builtin::Digits);
                if digits && self.image.example == Some(examples::SHAPE) {
                    self.image = examples::source(examples::DIGIT, size);
                }
                self.data_label = DataLabel::Source(config.data.clone());
                self.status.device = Some(device);
                self.device_menu.switching = false;
                self.status.params = params;
                self.status.step = step;
                self.follow_config(&config);
                self.status.config = Some(*config);
                self.image = self.image.clone().with_model_size(size);
                self.refresh_reference(None);
                if step > 0 && self.curves.elbo.is_empty() {
                    // A loaded run: show its bound at once, beside its loss history.
                    self.estimate_elbo(crate::diffusion::TimestepPlan::Stratified {
                        strata: crate::diffusion::DEFAULT_STRATA,
                    });
                }
                self.apply_autosave();
                if (self.options.sample_at_start && !self.started_sampling)
                    || std::mem::take(&mut self.sample_after_load)
                {
                    self.started_sampling = true;
                    self.start_sampling(Origin::Noise, true);
                    self.start_probe();
                }
            }
            Event::Configured(config) => {
                self.follow_config(&config);
                self.status.config = Some(*config);
            }
            Event::Running(r) => self.status.running = r,
            Event::Elbo {
                step,
                estimate,
                held_out_loss,
                batch,
            } => {
                self.curves.pending = None;
                self.curves.push_elbo(ElboPoint {
                    step,
                    estimate,
                    held_out_loss,
                    batch: Some(batch),
                    from_older_file: None,
                })
            }
            Event::History(steps) => self.curves.set_history(&steps),
            Event::OdeNllProgress { done, total, step } => {
                self.curves.ode.on_progress(done, total, step)
            }
            Event::OdeNll { step, estimate } => self.curves.ode.on_result(step, estimate),
            Event::OdeNllFailed(why) => self.curves.ode.on_failed(why),
            Event::GuidanceProgress { fraction, step } => {
                self.guidance.measuring = Some((fraction, step));
            }
            Event::GuidanceMeasured(result) => {
                self.guidance.measuring = None;
                self.guidance.measured = Some(result);
            }
            Event::GuidanceFailed(why) => {
                self.guidance.measuring = None;
                if why != crate::train::worker::CANCELLED && why != crate::train::worker::SUPERSEDED
                {
                    self.notice(Level::Warning, tr!("guidance-measure-failed", reason = why));
                }
            }
            Event::ElboFailed(why) => {
                self.curves.pending = None;
                self.notice(Level::Warning, why);
            }
            Event::Trajectory {
                id,
                step,
                trajectory,
            } => match self.jobs.remove(&id) {
                Some(JobPurpose::Samples {
                    origin,
                    weights,
                    play,
                }) => {
                    if self.reverse.running.map(|r| r.0) == Some(id) {
                        self.reverse.running = None;
                    }
                    let size = model_size(&self.status);
                    let nearest = match origin {
                        Origin::Noise => {
                            reverse::nearest(trajectory.final_x0(), trajectory.n, &self.reference)
                        }
                        Origin::Image(_) => Vec::new(),
                    };
                    self.reverse.set(
                        Shown {
                            trajectory,
                            step,
                            size,
                            origin,
                            weights,
                            nearest,
                        },
                        play,
                    );
                }
                Some(JobPurpose::Sweep { class }) => {
                    if self.guidance.running.map(|r| r.0) == Some(id) {
                        self.guidance.running = None;
                    }
                    self.guidance.set_strip(super::guidance::Strip {
                        images: trajectory.final_x0().to_vec(),
                        ws: crate::diffusion::guidance::SWEEP_WS.to_vec(),
                        class,
                        step,
                        size: model_size(&self.status),
                    });
                }
                Some(JobPurpose::NfeStrip { sampler }) => {
                    if self.strip.running.map(|r| r.0) == Some(id) {
                        self.strip.running = None;
                    }
                    self.strip.set(super::sampler_strip::NfeStrip {
                        images: trajectory.final_x0().to_vec(),
                        sampler,
                        step,
                        size: model_size(&self.status),
                    });
                }
                Some(JobPurpose::Probe) => {
                    self.likelihood.pending = None;
                    if let Some(first) = trajectory.frames.first() {
                        self.likelihood.set_probe(Probe {
                            step,
                            z: first.x_t.clone(),
                            g: trajectory.final_x0().to_vec(),
                            draws: trajectory.n,
                        });
                    }
                }
                None => {}
            },
            Event::SampleFailed { id, reason } => {
                match self.jobs.remove(&id) {
                    Some(JobPurpose::Probe) => self.likelihood.pending = None,
                    Some(JobPurpose::Samples { .. })
                        if self.reverse.running.map(|r| r.0) == Some(id) =>
                    {
                        self.reverse.running = None
                    }
                    Some(JobPurpose::Sweep { .. }) => self.guidance.running = None,
                    Some(JobPurpose::NfeStrip { .. }) => self.strip.running = None,
                    _ => {}
                }
                // A cancelled job, or a waiting one that newer requests replaced, is no failure.
                if reason != crate::train::worker::CANCELLED
                    && reason != crate::train::worker::SUPERSEDED
                {
                    self.notice(
                        Level::Warning,
                        tr!("notice-sampling-failed", reason = reason),
                    );
                }
            }
            Event::Saved(path) => self.notice(
                Level::Info,
                tr!("notice-saved-checkpoint", path = path.display()),
            ),
            Event::Loaded { path, step } => {
                self.notice(
                    Level::Info,
                    tr!(
                        "notice-opened-checkpoint",
                        path = path.display(),
                        step = step
                    ),
                );
                self.curves.rewind(step);
                self.likelihood.clear();
                self.status.step = step;
            }
            Event::Rewound { step } => {
                self.curves.rewind(step);
                self.likelihood.rewind(step);
                self.status.step = step;
            }
            Event::Notice(level, text) => {
                // A switch that failed or was not needed answers with a notice.
                self.device_menu.switching = false;
                self.notice(level, text)
            }
            Event::Stopped(result) => {
                if let Err(e) = &result {
                    self.notice(Level::Error, tr!("notice-thread-stopped", error = e));
                }
                self.status.stopped = Some(result);
                self.status.running = false;
            }
        }
    }

    pub(super) fn drain_worker(&mut self) {
        let mut events = Vec::new();
        if let Some(w) = &self.worker {
            while let Ok(p) = w.progress.try_recv() {
                match p {
                    Progress::Steps(steps) => {
                        for r in steps {
                            self.status.step = r.step;
                            self.status.loss = Some(r.loss);
                            self.status.images_per_s = r.images_per_s;
                            self.curves.loss.push(r.step as f64, r.loss as f64);
                            self.curves.images_per_s.push(r.step as f64, r.images_per_s);
                        }
                    }
                    Progress::Sampling { id, done, total } => {
                        if self.reverse.running.map(|r| r.0) == Some(id) {
                            self.reverse.running = Some((id, done, total));
                        }
                        if self.guidance.running.map(|r| r.0) == Some(id) {
                            self.guidance.running = Some((id, done, total));
                        }
                        if self.strip.running.map(|r| r.0) == Some(id) {
                            self.strip.running = Some((id, done, total));
                        }
                    }
                }
            }
            while let Ok(e) = w.events.try_recv() {
                events.push(e);
            }
        }
        for e in events {
            self.handle_event(e);
        }
    }
}
