//! Every panel fits the screens students and teachers use: a 1366×768 laptop, a 1280×720
//! projector in the presentation layout (1.5× zoom) and a 1920×1080 monitor, with the lesson
//! open and closed, in both languages. The app records where the open panel's widgets went
//! (`App::layout_probe`): their union must stay between the side panels (it may scroll
//! vertically, never horizontally), and the side panels must leave the central panel its
//! minimum width.

use diffusion_playground::app::layout::MIN_CENTRAL_WIDTH;
use diffusion_playground::app::settings::Tab;
use diffusion_playground::app::{App, AppCommand};
use diffusion_playground::i18n::Lang;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};

/// The labels of the widgets that start inside the central area and run past its right edge.
fn offenders(h: &Harness<'_, App>, central: egui::Rect) -> Vec<String> {
    let ppp = h.ctx.pixels_per_point() as f64;
    let (left, right, top) = (
        central.left() as f64 * ppp,
        central.right() as f64 * ppp,
        central.top() as f64 * ppp,
    );
    h.query_all(By::new().predicate(move |n| {
        n.role() != egui::accesskit::Role::ScrollBar
            && n.bounding_box().is_some_and(|b| {
                b.y0 >= top - 1.0 && b.x0 >= left - 1.0 && b.x0 < right && b.x1 > right + ppp
            })
    }))
    .map(|n| {
        let k = n.accesskit_node();
        let text = k.label().or_else(|| k.value()).unwrap_or_default();
        format!(
            "{:?} {:?}",
            k.role(),
            text.chars().take(40).collect::<String>()
        )
    })
    .collect()
}

const SCREENS: [(&str, f32, f32, bool); 3] = [
    ("laptop-1366x768", 1366.0, 768.0, false),
    ("projector-1280x720", 1280.0, 720.0, true),
    ("monitor-1920x1080", 1920.0, 1080.0, false),
];

fn run(h: &mut Harness<'_, App>, command: AppCommand) {
    let ctx = h.ctx.clone();
    h.state_mut().run_command(&ctx, command);
    h.run_steps(1);
}

#[test]
fn every_panel_fits_every_screen_with_and_without_the_lesson() {
    let mut failures = Vec::new();
    let mut snapshots = egui_kittest::SnapshotResults::new();
    for (name, w, hgt, presentation) in SCREENS {
        let mut h = crate::teaching::bundled_with_content_sized(egui::vec2(w, hgt));
        run(&mut h, AppCommand::SetPresentation(presentation));
        h.run_steps(2);
        if presentation {
            // 1.5× zoom: the 1280-pixel-wide projector is 853 points wide.
            let width = h.ctx.content_rect().width();
            assert!((width - w / 1.5).abs() < 2.0, "{name}: {width} points wide");
        }
        for lang in Lang::ALL {
            run(&mut h, AppCommand::SetLanguage(lang));
            for lesson in [true, false] {
                h.state_mut().settings.show_lesson = lesson;
                for tab in Tab::ALL {
                    h.state_mut().settings.tab = tab;
                    h.run_steps(4);
                    let probe = h.state().layout_probe;
                    let what = format!(
                        "{name} {lang} lesson {lesson} {}: central {:?}, content {:?}",
                        tab.slug(),
                        probe.central,
                        probe.content
                    );
                    if probe.horizontal_overflow() > 1.0 {
                        failures.push(format!(
                            "runs over by {:.0} pt: {what}; widgets: {:?}",
                            probe.horizontal_overflow(),
                            offenders(&h, probe.central)
                        ));
                    }
                    if probe.central.width() < MIN_CENTRAL_WIDTH - 40.0 {
                        failures.push(format!("central panel too narrow: {what}"));
                    }
                    if lesson && lang == Lang::En {
                        h.snapshot(format!("layout-{name}-{}", tab.slug()));
                    }
                }
            }
        }
        snapshots.extend_harness(&mut h);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The top bar is one row, at 1366×768 and at 1280×720 in the presentation layout, in both
/// languages, while idle and while training with the widest numbers it shows: the panels below
/// start at the same height in every state, and what does not fit is in the "☰" menu.
#[test]
fn the_top_bar_never_wraps_or_moves_the_panels_while_training() {
    let mut failures = Vec::new();
    for (name, w, hgt, presentation) in [SCREENS[0], SCREENS[1]] {
        let mut h = crate::app::harness_sized(
            diffusion_playground::app::bundled_checkpoint(),
            None,
            egui::vec2(w, hgt),
        );
        crate::app::step_until(&mut h, "the model", |a| a.status.config.is_some());
        run(&mut h, AppCommand::SetPresentation(presentation));
        h.state_mut().settings.tab = Tab::Forward;
        for lang in Lang::ALL {
            run(&mut h, AppCommand::SetLanguage(lang));
            run(&mut h, AppCommand::Train(false));
            crate::app::step_until(&mut h, "paused", |a| !a.status.running);
            h.run_steps(4);
            let idle = (h.state().top_bar.rect, h.state().layout_probe.central.top());
            run(&mut h, AppCommand::Train(true));
            crate::app::step_until(&mut h, "two training steps", |a| {
                a.status.running && a.status.step >= 4002
            });
            // The widest figures the read-out can show.
            h.state_mut().status.step = 88_888_888;
            h.state_mut().status.loss = Some(8.8888);
            h.state_mut().status.images_per_s = 8888.8;
            h.run_steps(4);
            let training = (h.state().top_bar.rect, h.state().layout_probe.central.top());
            let row = h.ctx.style_of(egui::Theme::Dark).spacing.interact_size.y;
            for (state, (bar, top)) in [("idle", idle), ("training", training)] {
                let bar = bar.expect("the top bar was drawn");
                if bar.height() > 1.5 * row {
                    failures.push(format!(
                        "{name} {lang} {state}: the top bar is {:.0} pt high (a row is {row:.0})",
                        bar.height()
                    ));
                }
                if (top - idle.1).abs() > 0.5 {
                    failures.push(format!(
                        "{name} {lang} {state}: the panels start at y = {top:.1}, idle at {:.1}",
                        idle.1
                    ));
                }
                if bar.right() > h.ctx.content_rect().right() + 0.5 {
                    failures.push(format!("{name} {lang} {state}: the top bar runs off"));
                }
            }
            if presentation {
                let overflow = &h.state().top_bar.overflow;
                if overflow.is_empty() {
                    failures.push(format!("{name} {lang}: nothing moved into the ☰ menu"));
                }
            }
        }
        run(&mut h, AppCommand::Train(false));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
