//! The worker's estimates on its evaluation batch, each reported as an event: −ELBO, and a
//! piece at a time the probability-flow ODE's likelihood and the guidance measurement.

use super::*;

/// The fixed evaluation batch of the −ELBO, the held-out loss and the ODE likelihood.
pub(super) fn held_out_batch(trainer: &Trainer) -> (Vec<f32>, EvalBatch) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(HELD_OUT_SEED);
    trainer
        .dataset()
        .eval_batch(&mut rng, HELD_OUT, trainer.config().model.image_size)
}

/// Score one more image of the ODE likelihood job, if one runs, and report.
pub(super) fn advance_ode(state: &mut State, out: &Outbox) {
    let Some(job) = state.ode.as_mut() else {
        return;
    };
    match job.advance(&state.trainer) {
        Ok(Some(estimate)) => {
            let step = job.step();
            state.ode = None;
            out.event(Event::OdeNll { step, estimate });
        }
        Ok(None) => {
            let (done, total) = job.progress(&state.trainer);
            let step = job.step();
            out.event(Event::OdeNllProgress { done, total, step });
        }
        Err(e) => {
            state.ode = None;
            out.event(Event::OdeNllFailed(tr!("worker-ode-failed", error = e)));
        }
    }
}

/// One piece of the guidance measurement; it is dropped if the model changed under it.
pub(super) fn advance_guidance(state: &mut State, out: &Outbox) {
    let Some(job) = state.guidance.as_mut() else {
        return;
    };
    if !job.matches(&state.trainer) {
        state.guidance = None;
        out.event(Event::GuidanceFailed(SUPERSEDED.into()));
        return;
    }
    match job.advance(&state.trainer) {
        Ok(Some(result)) => {
            state.guidance = None;
            out.event(Event::GuidanceMeasured(result));
        }
        Ok(None) => out.event(Event::GuidanceProgress {
            fraction: job.fraction(),
            step: job.step(),
        }),
        Err(e) => {
            state.guidance = None;
            out.event(Event::GuidanceFailed(e.to_string()));
        }
    }
}

/// Estimate −ELBO on the evaluation batch with `plan` and send it.
pub(super) fn send_vlb(state: &State, plan: TimestepPlan, out: &Outbox) {
    let t = &state.trainer;
    let (batch, kind) = &state.held_out;
    // t and the noise are drawn afresh at every step (the seed follows the step), so the
    // curve's scatter shows the estimator's own spread; the same step gives the same estimate.
    let seed = HELD_OUT_SEED ^ t.step_count().wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let result = t
        .vlb(batch, plan, seed)
        .and_then(|estimate| Ok((estimate, t.eval_loss(batch, HELD_OUT, HELD_OUT_SEED)?)));
    match result {
        Ok((estimate, held_out_loss)) if estimate.total_bpd().is_finite() => {
            out.event(Event::Elbo {
                step: t.step_count(),
                estimate,
                held_out_loss,
                batch: *kind,
            })
        }
        Ok(_) => out.event(Event::ElboFailed(tr!("worker-elbo-not-finite").into())),
        Err(e) => out.event(Event::ElboFailed(tr!("worker-elbo-failed", error = e))),
    }
}
