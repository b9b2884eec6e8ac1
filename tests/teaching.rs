//! Teaching features end to end in the real app: both languages on every panel, the lesson
//! driving the panels, teacher presets, rewinding to the same start, and exported runs.

use crate::app::{harness, step_until};
use diffusion_playground::app::settings::Tab;
use diffusion_playground::app::teacher::{Control, run_files};
use diffusion_playground::app::{App, AppCommand};
use diffusion_playground::i18n::Lang;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn run(h: &mut Harness<'_, App>, command: AppCommand) {
    let ctx = h.ctx.clone();
    h.state_mut().run_command(&ctx, command);
    h.run_steps(1);
}

/// The bundled model with a few samples, a probe and an ELBO estimate, ready to look at.
pub fn bundled_with_content() -> Harness<'static, App> {
    bundled_with_content_sized(egui::vec2(1360.0, 860.0))
}

/// [`bundled_with_content`] in a window of `size` points.
pub fn bundled_with_content_sized(size: egui::Vec2) -> Harness<'static, App> {
    let mut h =
        crate::app::harness_sized(diffusion_playground::app::bundled_checkpoint(), None, size);
    step_until(&mut h, "the model", |a| a.status.step == 6000);
    h.state_mut().settings.n_samples = 4;
    h.state_mut().settings.ddim_steps = 5;
    run(&mut h, AppCommand::Sample);
    run(&mut h, AppCommand::Probe);
    run(
        &mut h,
        AppCommand::EstimateElbo(diffusion_playground::diffusion::TimestepPlan::Stratified {
            strata: 20,
        }),
    );
    step_until(&mut h, "samples, a probe and an ELBO", |a| {
        a.reverse.shown.is_some() && a.likelihood.probe.is_some() && !a.curves.elbo.is_empty()
    });
    // Panel ⑤ starts its own worker when first opened: wait for its first view.
    h.state_mut().settings.tab = Tab::World;
    step_until(&mut h, "the world's first view", |a| a.world.view.is_some());
    h.state_mut().settings.tab = Tab::Reverse;
    step_until(&mut h, "the end of the animation", |a| !a.reverse.playing);
    h.state_mut().notices.clear();
    h.remove_cursor();
    h
}

#[test]
fn every_panel_in_both_languages() {
    let mut h = bundled_with_content();
    for lang in Lang::ALL {
        // Switched at run time, as the top bar's language menu does.
        run(&mut h, AppCommand::SetLanguage(lang));
        assert_eq!(h.state().settings.lang, lang);
        for tab in Tab::ALL {
            h.state_mut().settings.tab = tab;
            h.run_steps(3);
            h.snapshot(format!("panel-{}-{}", tab.slug(), lang.tag()));
        }
        // (panel ⑤ has a Train button of its own)
        h.state_mut().settings.tab = Tab::Reverse;
        h.run_steps(2);
        let (reverse_tab, train_button) = match lang {
            Lang::En => ("② Reverse denoising", "▶ Train"),
            Lang::ZhCn => ("② 反向去噪", "▶ 训练"),
        };
        h.get_by_label(reverse_tab);
        h.get_by_label(train_button);
    }
    // Device notices from the worker follow the language too.
    run(
        &mut h,
        AppCommand::UseBuiltinData(diffusion_playground::data::Builtin::Digits),
    );
    step_until(&mut h, "the worker's notice", |a| {
        a.notices.iter().any(|(_, t)| t.contains("正在用"))
    });
}

#[test]
fn the_lesson_steps_drive_the_panels() {
    let mut h = harness(diffusion_playground::app::bundled_checkpoint());
    step_until(&mut h, "the model", |a| a.status.step == 6000);
    h.state_mut().settings.show_lesson = true;
    h.state_mut().settings.n_samples = 4;
    h.state_mut().settings.ddim_steps = 5;
    h.run_steps(1);
    let t_max = h.state().schedule().timesteps();

    h.get_by_label("Show me").click();
    h.run_steps(2);
    assert_eq!(
        (h.state().settings.tab, h.state().forward.t),
        (Tab::Forward, 0)
    );

    h.get_by_label("Next ▶").click(); // 2: the diffusion process plays t
    h.run_steps(2);
    assert!(h.state().forward.playing);

    h.get_by_label("Next ▶").click(); // 3: t = T/2
    h.run_steps(2);
    assert!(!h.state().forward.playing);
    assert_eq!(h.state().forward.t, t_max / 2);

    h.get_by_label("Next ▶").click(); // 4: sample
    h.run_steps(1);
    assert_eq!(h.state().settings.tab, Tab::Reverse);
    step_until(&mut h, "samples", |a| a.reverse.shown.is_some());

    h.get_by_label("Next ▶").click(); // 5: train
    step_until(&mut h, "training", |a| {
        a.status.running && a.status.step > 6000
    });
    assert_eq!(h.state().settings.tab, Tab::Curves);
    run(&mut h, AppCommand::Train(false));
    step_until(&mut h, "the pause", |a| !a.status.running);

    h.get_by_label("Next ▶").click(); // 6: the ELBO
    step_until(&mut h, "an ELBO estimate", |a| {
        a.lesson.step == 5 && a.curves.pending.is_none() && !a.curves.elbo.is_empty()
    });

    h.get_by_label("Next ▶").click(); // 7: the marginal, Gaussian view
    h.run_steps(1);
    assert_eq!(h.state().settings.tab, Tab::Likelihood);
    assert!(!h.state().likelihood.indicator);
    step_until(&mut h, "G(z)", |a| a.likelihood.probe.is_some());

    h.get_by_label("Next ▶").click(); // 8: the indicator, at the middle pixel
    h.run_steps(2);
    assert!(h.state().likelihood.indicator);
    let size = h.state().image.model.size;
    assert_eq!(h.state().likelihood.pixel, (size / 2, size / 2));
    h.get_by_label_contains("→ P(x) ≈ 0/16");

    h.get_by_label("Next ▶").click(); // 9: back to the Gaussian
    h.run_steps(1);
    assert!(!h.state().likelihood.indicator);
    assert_eq!(h.state().lesson.step, 8);

    // And back again (after the new step's text has been laid out).
    h.run_steps(3);
    h.get_by_label("◀ Back").click();
    h.run_steps(1);
    assert_eq!(h.state().lesson.step, 7);
    assert!(h.state().likelihood.indicator);

    // On to the worlds: step 10 trains the 1-D mixture, step 11 the two moons.
    let open_step = |h: &mut Harness<'static, App>, step: usize| {
        h.state_mut().lesson.step = step;
        for c in h.state().lesson.commands() {
            run(h, c);
        }
    };
    open_step(&mut h, 9);
    step_until(&mut h, "the 1-D world training", |a| {
        a.settings.tab == Tab::World
            && a.world.running
            && a.world.view.as_ref().is_some_and(|v| v.dim == 1)
    });
    open_step(&mut h, 10);
    step_until(&mut h, "the 2-D world", |a| {
        a.world.view.as_ref().is_some_and(|v| v.dim == 2)
    });
    assert_eq!(h.state().lesson.step, 10);
    run(&mut h, AppCommand::WorldTrain(false));
    // Step 12: the exact likelihood of the probability-flow ODE, beside the bound.
    open_step(&mut h, 11);
    step_until(&mut h, "the ODE likelihood", |a| {
        a.settings.tab == Tab::Curves && !a.curves.ode.points.is_empty()
    });
    // Step 13: guidance on the labelled 2-D set.
    open_step(&mut h, 12);
    step_until(&mut h, "the conditional world", |a| {
        a.settings.tab == Tab::World
            && a.world
                .view
                .as_ref()
                .is_some_and(|v| !v.particle_classes.is_empty())
    });
    run(&mut h, AppCommand::WorldTrain(false));
    // Steps 14 and 15: the lab, two runs on the moons training side by side.
    open_step(&mut h, 13);
    step_until(&mut h, "the lab's two runs training", |a| {
        a.settings.tab == Tab::World
            && a.world.lab.as_ref().is_some_and(|lab| {
                lab.runs
                    .iter()
                    .all(|r| r.running && r.view.as_ref().is_some_and(|v| v.step > 0))
            })
    });
    open_step(&mut h, 14);
    run(&mut h, AppCommand::WorldTrain(false));
    // back to a single-run step: the lab closes
    open_step(&mut h, 12);
    assert!(h.state().world.lab.is_none());
    run(&mut h, AppCommand::WorldTrain(false));
}

#[test]
fn a_preset_round_trip_restores_the_same_view() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("lecture.toml");
    std::fs::write(
        &preset,
        r#"
title = "Lecture 3"
language = "zh-CN"
dataset = "builtin:digits"
schedule = "cosine"
timesteps = 100
seed = 3
lr = 0.001
panels = ["forward", "reverse"]
open = "reverse"
locked = ["schedule", "dataset", "reset"]
presentation = true
lesson_step = 3
"#,
    )
    .unwrap();
    let mut h = harness(None);
    step_until(&mut h, "the model", |a| a.status.config.is_some());
    run(&mut h, AppCommand::LoadPreset(preset));
    step_until(&mut h, "the preset's model and data", |a| {
        a.status.config.as_ref().is_some_and(|c| {
            c.schedule.kind == diffusion_playground::diffusion::ScheduleKind::Cosine
                && c.data.to_string() == "builtin:digits"
        })
    });
    let s = h.state().settings.clone();
    assert_eq!(s.lang, Lang::ZhCn);
    assert_eq!(s.panels, vec![Tab::Forward, Tab::Reverse]);
    assert_eq!(s.tab, Tab::Reverse);
    assert!(s.presentation && s.show_lesson);
    assert_eq!(h.state().lesson.step, 2);
    assert!(!s.unlocked(Control::Reset) && !s.unlocked(Control::Dataset));
    // The view: hidden panels have no tab, the presentation layout is zoomed, locks hold.
    h.run_steps(2);
    assert!(h.query_by_label("③ 似然 p(x|z)").is_none());
    h.get_by_label("② 反向去噪");
    assert_eq!(
        h.ctx.zoom_factor(),
        diffusion_playground::app::PRESENTATION_ZOOM
    );
    run(
        &mut h,
        AppCommand::UseBuiltinData(diffusion_playground::data::Builtin::Shapes),
    );
    assert!(h.state().notices.iter().any(|(_, t)| t.contains("锁定")));

    // Save it, open it in a fresh app: the same view.
    let saved = dir.path().join("saved.toml");
    h.state_mut().save_preset(&saved);
    let mut fresh = harness(None);
    step_until(&mut fresh, "the model", |a| a.status.config.is_some());
    run(&mut fresh, AppCommand::LoadPreset(saved));
    let mut restored = fresh.state().settings.clone();
    let mut expected = h.state().settings.clone();
    // Sampling preferences are not part of a preset.
    restored.n_samples = expected.n_samples;
    restored.ddim_steps = expected.ddim_steps;
    restored.autosave_every = expected.autosave_every;
    expected.show_lesson = true;
    assert_eq!(restored, expected);
    assert_eq!(fresh.state().lesson.step, 2);

    // A broken preset changes nothing and says why.
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "timesteps = \"many\"").unwrap();
    run(&mut fresh, AppCommand::LoadPreset(broken));
    assert_eq!(fresh.state().settings, restored);
    assert!(
        fresh
            .state()
            .notices
            .iter()
            .any(|(_, t)| t.contains("broken.toml"))
    );
}

#[test]
fn rewind_restarts_from_the_same_initial_weights() {
    let mut h = harness(None);
    step_until(&mut h, "the model", |a| a.status.config.is_some());
    run(&mut h, AppCommand::TrainSteps(3));
    step_until(&mut h, "3 steps", |a| {
        a.status.step == 3 && !a.status.running
    });
    let first: Vec<[f64; 2]> = h.state().curves.loss.points.clone();
    assert_eq!(first.len(), 3);
    run(&mut h, AppCommand::Rewind);
    step_until(&mut h, "the rewind", |a| {
        a.status.step == 0 && a.curves.loss.points.is_empty()
    });
    run(&mut h, AppCommand::TrainSteps(3));
    step_until(&mut h, "3 steps again", |a| {
        a.status.step == 3 && !a.status.running
    });
    let again = &h.state().curves.loss.points;
    // Same weights, same batches: the same losses (up to the order of parallel sums).
    for (a, b) in first.iter().zip(again) {
        assert_eq!(a[0], b[0]);
        assert!((a[1] - b[1]).abs() <= 1e-5 * a[1].abs(), "{a:?} vs {b:?}");
    }
}

#[test]
fn an_exported_run_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut h = bundled_with_content();
    run(&mut h, AppCommand::ExportRunTo(out.clone()));
    step_until(&mut h, "the export", |a| !a.exporting());
    step_until(&mut h, "the checkpoint and the GIF", |_| {
        out.join(run_files::CHECKPOINT)
            .join("checkpoint.json")
            .is_file()
            && out.join(run_files::TRAJECTORY).is_file()
    });
    let manifest = diffusion_playground::app::teacher::read_manifest(&out).unwrap();
    assert_eq!(manifest.step, 6000);
    for tab in Tab::ALL {
        let name = diffusion_playground::app::teacher::panel_file(tab);
        assert!(
            manifest.files.contains(&name),
            "{name} in {:?}",
            manifest.files
        );
        let png = image::open(out.join(&name)).unwrap();
        assert!(png.width() > 600 && png.height() > 400);
    }
    for name in [run_files::CURVES, run_files::PRESET, run_files::TRAJECTORY] {
        assert!(manifest.files.iter().any(|f| f == name), "{name}");
    }
    let gif = std::fs::read(out.join(run_files::TRAJECTORY)).unwrap();
    assert!(gif.starts_with(b"GIF89a"));
    let elbo = h.state().curves.elbo.clone();

    // A fresh app opens it: the model, the curves, samples drawn again.
    let mut other = harness(None);
    step_until(&mut other, "the model", |a| a.status.config.is_some());
    run(&mut other, AppCommand::OpenRunFrom(out.clone()));
    step_until(&mut other, "the run", |a| {
        a.status.step == 6000 && a.reverse.shown.as_ref().is_some_and(|s| s.step == 6000)
    });
    assert_eq!(other.state().curves.elbo.len(), elbo.len());
    assert!(
        (other.state().curves.elbo[0].estimate.total_bpd() - elbo[0].estimate.total_bpd()).abs()
            < 1e-9
    );

    // A folder that is not a run is refused, and nothing changes.
    run(&mut other, AppCommand::OpenRunFrom(dir.path().to_owned()));
    assert!(
        other
            .state()
            .notices
            .iter()
            .any(|(_, t)| t.contains("could not open the run"))
    );
    assert_eq!(other.state().status.step, 6000);
}
