//! The worker's sampling queue: jobs wait in order (at most [`MAX_QUEUED_JOBS`]), and the one
//! running reports progress and can be cancelled or superseded between its steps.

use super::*;

/// Most sampling jobs waiting (besides the one running); past this the oldest waiting job is
/// dropped and answered with [`SUPERSEDED`], which the app passes over in silence.
pub const MAX_QUEUED_JOBS: usize = 2;

pub(super) fn enqueue(pending: &mut VecDeque<SampleJob>, job: SampleJob, out: &Outbox) {
    while pending.len() >= MAX_QUEUED_JOBS {
        let Some(old) = pending.pop_front() else {
            break;
        };
        out.event(Event::SampleFailed {
            id: old.id,
            reason: SUPERSEDED.into(),
        });
    }
    pending.push_back(job);
}

pub(super) fn cancel_all(pending: &mut VecDeque<SampleJob>, out: &Outbox) {
    for job in pending.drain(..) {
        out.event(Event::SampleFailed {
            id: job.id,
            reason: CANCELLED.into(),
        });
    }
}

/// Run one sampling job, answering cancels at every step. Returns true if a shutdown came in.
pub(super) fn run_sample(
    state: &mut State,
    job: SampleJob,
    commands: &Receiver<Command>,
    pending: &mut VecDeque<SampleJob>,
    out: &Outbox,
) -> bool {
    let trainer = &state.trainer;
    let start = match &job.from {
        SampleFrom::Noise => Start::Noise,
        SampleFrom::Image { image, t } => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(job.request.seed ^ 0xA5A5);
            let mut x_t = Vec::with_capacity(image.dim() * job.request.n);
            for _ in 0..job.request.n {
                let eps = standard_normal_vec(&mut rng, image.dim());
                x_t.extend(q_sample(trainer.schedule(), &image.data, *t, &eps));
            }
            Start::From { t: *t, x_t }
        }
    };
    let mut deferred = Vec::new();
    let mut last = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let progress = |done, total| {
            // Let a cancel or a newer sampling job through; keep other commands for later.
            loop {
                match commands.try_recv() {
                    Ok(Command::CancelSample) => {
                        cancel_all(pending, out);
                        return ControlFlow::Break(());
                    }
                    Ok(Command::Sample(next)) => enqueue(pending, next, out),
                    Ok(Command::Shutdown) => {
                        deferred.push(Command::Shutdown);
                        return ControlFlow::Break(());
                    }
                    Ok(other) => deferred.push(other),
                    Err(_) => break,
                }
            }
            if last.elapsed() >= Duration::from_millis(30) || done == total {
                last = Instant::now();
                out.progress(Progress::Sampling {
                    id: job.id,
                    done,
                    total,
                });
            }
            ControlFlow::Continue(())
        };
        match &job.guidance {
            None => trainer.sample_with(job.weights, &job.request, start, progress),
            Some(SampleGuidance::Guided { classes, w }) => {
                trainer.sample_guided(job.weights, &job.request, start, classes, &[*w], progress)
            }
            Some(SampleGuidance::Sweep { class, ws }) => {
                trainer.sample_guidance_sweep(job.weights, &job.request, *class, ws, progress)
            }
            Some(SampleGuidance::NfeStrip {
                sampler,
                nfes,
                guidance,
            }) => trainer.sample_nfe_strip(
                job.weights,
                *sampler,
                nfes,
                job.request.seed,
                *guidance,
                progress,
            ),
        }
    }))
    .unwrap_or_else(|panic| {
        Err(SampleError::Model(TrainError::Device(panic_message(
            panic.as_ref(),
        ))))
    });
    let device_failed = match &result {
        Err(SampleError::Model(TrainError::Device(reason)))
            if trainer.device_info().backend == crate::train::device::BackendKind::Wgpu =>
        {
            Some(reason.clone())
        }
        _ => None,
    };
    match result {
        Ok(trajectory) => out.event(Event::Trajectory {
            id: job.id,
            step: trainer.step_count(),
            trajectory,
        }),
        Err(SampleError::Cancelled) => out.event(Event::SampleFailed {
            id: job.id,
            reason: CANCELLED.into(),
        }),
        Err(e) => out.event(Event::SampleFailed {
            id: job.id,
            reason: e.to_string(),
        }),
    }
    if let Some(reason) = device_failed {
        fall_back_to_cpu(state, out, &reason, false);
    }
    // Commands that arrived while sampling run now, in order.
    for c in deferred {
        match c {
            Command::Shutdown => return true,
            other => handle(state, other, out),
        }
    }
    false
}
