//! Fitting the window: which side panels are docked at the current width, the window's
//! first size on the monitor it opens on, and a probe of where the central panel's widgets
//! went (for the layout tests).

use egui::{Rect, Vec2};

/// Default widths of the docked side panels, in points.
pub const SETTINGS_WIDTH: f32 = 230.0;
/// See [`SETTINGS_WIDTH`].
pub const LESSON_WIDTH: f32 = 300.0;
/// The central panel never gets narrower than this while a side panel is docked: below it,
/// the side panels become windows opened from the top bar.
pub const MIN_CENTRAL_WIDTH: f32 = 520.0;

/// Which side panels are docked beside the central panel (the others open as windows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Docked {
    /// the settings panel on the left
    pub settings: bool,
    /// the lesson on the right
    pub lesson: bool,
}

/// Dock what the user wants shown while the central panel keeps [`MIN_CENTRAL_WIDTH`]; the
/// lesson goes first (it is the one read beside a panel), then the settings.
pub fn docked(width: f32, want_settings: bool, want_lesson: bool) -> Docked {
    let fits = |side: f32| width - side >= MIN_CENTRAL_WIDTH;
    let lesson = want_lesson && fits(LESSON_WIDTH);
    let used = if lesson { LESSON_WIDTH } else { 0.0 };
    let settings = want_settings && fits(used + SETTINGS_WIDTH);
    Docked { settings, lesson }
}

/// The window's first size: the wanted size, shrunk to 92 % of the monitor where that is
/// smaller (a 1366×768 laptop gets a window that fits on its screen).
pub fn fit_to_monitor(wanted: Vec2, monitor: Vec2) -> Vec2 {
    Vec2::new(
        wanted.x.min(monitor.x * 0.92),
        wanted.y.min(monitor.y * 0.92),
    )
    .max(Vec2::new(480.0, 360.0))
}

/// Two columns of equal width side by side, each held to its width so that nothing in one
/// can widen the other or run past the panel (labels wrap at the column's edge). Below
/// `stack_below` points of width the second column goes under the first instead.
/// `column(ui, i)` draws column i (0 or 1).
pub fn two_columns(
    ui: &mut egui::Ui,
    stack_below: f32,
    mut column: impl FnMut(&mut egui::Ui, usize),
) {
    let width = ui.available_width();
    if width < stack_below {
        ui.vertical(|ui| {
            ui.set_max_width(width);
            column(ui, 0);
            ui.separator();
            column(ui, 1);
        });
        return;
    }
    let gap = ui.spacing().item_spacing.x;
    let each = ((width - 3.0 * gap) / 2.0).floor();
    ui.horizontal_top(|ui| {
        for i in 0..2 {
            ui.vertical(|ui| {
                ui.set_width(each);
                column(ui, i);
            });
        }
    });
}

/// Once the monitor is known, shrink a window that does not fit on it (the remembered or
/// default size may come from a larger screen). Sets `done` when it has looked.
pub fn fit_window_once(ctx: &egui::Context, done: &mut bool) {
    if *done {
        return;
    }
    let (monitor, inner) = ctx.input(|i| (i.viewport().monitor_size, i.viewport().inner_rect));
    if let (Some(monitor), Some(inner)) = (monitor, inner) {
        *done = true;
        let size = fit_to_monitor(inner.size(), monitor);
        if size != inner.size() {
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
        }
    }
}

/// Where the central panel is and where its widgets went, updated every frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutProbe {
    /// the area between the side panels, inside the central panel's margins
    pub central: Rect,
    /// the union of the rectangles of everything the open panel placed
    pub content: Rect,
}

impl Default for LayoutProbe {
    fn default() -> Self {
        Self {
            central: Rect::NOTHING,
            content: Rect::NOTHING,
        }
    }
}

impl LayoutProbe {
    /// How far the content runs past the central area on the left and the right, in points
    /// (content may run past the bottom: the panel scrolls vertically).
    pub fn horizontal_overflow(&self) -> f32 {
        (self.central.left() - self.content.left())
            .max(self.content.right() - self.central.right())
            .max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_panels_give_way_to_the_central_panel() {
        assert_eq!(
            docked(1920.0, true, true),
            Docked {
                settings: true,
                lesson: true
            }
        );
        assert_eq!(
            docked(1366.0, true, true),
            Docked {
                settings: true,
                lesson: true
            }
        );
        // 1280×720 at 1.5× zoom is 853 points wide: the lesson stays, the settings float.
        assert_eq!(
            docked(853.0, true, true),
            Docked {
                settings: false,
                lesson: true
            }
        );
        assert_eq!(
            docked(800.0, true, true),
            Docked {
                settings: true,
                lesson: false
            }
        );
        assert_eq!(
            docked(600.0, true, true),
            Docked {
                settings: false,
                lesson: false
            }
        );
        assert_eq!(
            docked(1366.0, false, true),
            Docked {
                settings: false,
                lesson: true
            }
        );
        let s = fit_to_monitor(Vec2::new(1360.0, 860.0), Vec2::new(1366.0, 768.0));
        assert!(s.x <= 1366.0 && s.y <= 768.0 * 0.92 + 0.01);
        assert_eq!(
            fit_to_monitor(Vec2::new(1360.0, 860.0), Vec2::new(2560.0, 1440.0)),
            Vec2::new(1360.0, 860.0)
        );
    }
}
