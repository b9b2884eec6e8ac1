//! The worker and its devices: moving a run to another device on request, and falling back
//! to the CPU when the GPU is lost, keeping as much of the run as can be saved.

use super::*;

/// Move the run to the device `choice` picks: the weights, the EMA, Adam's moments and the step
/// go through host memory. If the move fails, the run stays where it was.
pub(super) fn switch_device(state: &mut State, choice: DeviceChoice, out: &Outbox) {
    let target = choose_device(choice);
    let was = state.trainer.device_info().clone();
    if target.backend == was.backend && target.name == was.name {
        out.notice(
            Level::Info,
            tr!(
                "worker-device-same",
                device = was.label(),
                reason = target.reason
            ),
        );
        return;
    }
    let moved = guarded(|| {
        checkpoint::transfer(&state.trainer, target.clone())
            .map_err(|e| TrainError::Device(e.to_string()))
    });
    match moved {
        Ok(trainer) => {
            let was_running = state.running;
            state.replace_trainer(trainer, out);
            ready(out, &state.trainer);
            out.notice(
                Level::Info,
                tr!(
                    "worker-device-switched",
                    was = was.label(),
                    device = target.label(),
                    step = state.trainer.step_count(),
                    reason = target.reason
                ),
            );
            if was_running {
                state.start_running(out);
            }
        }
        Err(e) => out.notice(
            Level::Error,
            tr!(
                "worker-device-switch-failed",
                device = target.label(),
                error = e,
                was = was.label()
            ),
        ),
    }
}

/// Run `f`, turning a panic (how burn reports a lost device) into [`TrainError::Device`].
pub(super) fn guarded<T>(f: impl FnOnce() -> Result<T, TrainError>) -> Result<T, TrainError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(TrainError::Device(panic_message(panic.as_ref()))))
}

/// The text of a caught panic.
pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    crate::train::device::panic_message(panic, "a panic without a message")
}

/// The device failed: carry on with the CPU backend, keeping as much of the run as can be
/// saved: the live state copied through host memory, else the autosave, else a fresh start
/// from the seed. Training goes on if it was running.
pub(super) fn fall_back_to_cpu(state: &mut State, out: &Outbox, reason: &str, weights_lost: bool) {
    let was = state.trainer.device_info().label();
    let was_running = state.running;
    let old_step = state.trainer.step_count();
    let cpu = DeviceInfo::flex(tr!("worker-fallback-reason", was = was, reason = reason));
    let moved = if weights_lost {
        Err(TrainError::Device(tr!("worker-weights-lost").into()))
    } else {
        guarded(|| {
            checkpoint::transfer(&state.trainer, cpu.clone())
                .map_err(|e| TrainError::Device(e.to_string()))
        })
    };
    let data = (
        state.trainer.config().data.clone(),
        state.trainer.dataset().clone(),
    );
    let (trainer, how) = match moved {
        Ok(t) => {
            let how = tr!("worker-fallback-moved", step = t.step_count());
            (t, how)
        }
        Err(_) => match state
            .autosave
            .as_ref()
            .and_then(|(dir, _)| checkpoint::load(dir, cpu.clone(), Some(data.clone())).ok())
        {
            Some(t) => {
                let how = tr!("worker-fallback-autosave", step = t.step_count());
                (t, how)
            }
            None => {
                let mut config = state.trainer.config().clone();
                config.data = data.0;
                match Trainer::new(config, cpu, data.1) {
                    Ok(t) => (t, tr!("worker-fallback-fresh").to_owned()),
                    Err(e) => {
                        state.running = false;
                        out.event(Event::Running(false));
                        out.notice(
                            Level::Error,
                            tr!(
                                "worker-fallback-failed",
                                was = was,
                                reason = reason,
                                error = e
                            ),
                        );
                        return;
                    }
                }
            }
        },
    };
    state.replace_trainer(trainer, out);
    out.notice(
        Level::Warning,
        tr!("worker-fallback", was = was, reason = reason, how = how),
    );
    let step = state.trainer.step_count();
    if step != old_step {
        out.event(Event::Rewound { step });
    }
    ready(out, &state.trainer);
    if was_running {
        state.start_running(out);
    }
}
