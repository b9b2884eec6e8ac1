//! When the window redraws. egui redraws on input (so dragging runs at the display's rate);
//! everything else asks for a frame no sooner than the cap allows:
//!
//! - the workers' reports (steps, samples, views) wake the window through
//!   [`RepaintCap::waker`], at most [`Settings::training_fps`](super::settings::Settings)
//!   times a second: a frame shows every report that came since the last;
//! - the busy indicators ([`busy_ui`]) turn at the same pace;
//! - animations the user started (playing q(x_t), the reverse trajectory, the world's paths)
//!   ask for their next frame after [`ANIMATION_FRAME`], never "as soon as possible" (egui's
//!   own spinner does, which keeps a window drawing flat out).
//!
//! The cap's default depends on who draws the window. A GPU draws a frame for free: 30 frames
//! a second. Without one the CPU draws it (Mesa's llvmpipe), on the cores that train: on the
//! 2-core test machine one frame of this app cost llvmpipe 120–170 ms of CPU, so 30 frames a
//! second would take every cycle training needs, and [`SOFTWARE_FPS`] is the default there:
//! the step counter and the loss curve move once a second. Input still redraws at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The shortest wait an animation asks for between frames (30 frames a second).
pub const ANIMATION_FRAME: Duration = Duration::from_millis(33);
/// How often a busy indicator turns at most (it shows that work goes on, not how fast).
pub const BUSY_FRAME: Duration = Duration::from_millis(125);
/// Frames a second for background work when a GPU draws the window.
pub const GPU_FPS: f64 = 30.0;
/// Frames a second for background work when the CPU draws the window.
pub const SOFTWARE_FPS: f64 = 1.0;

/// Mesa's software renderer (llvmpipe, lavapipe) reads this for its rasteriser threads.
pub const SOFTWARE_RENDERER_THREADS_VAR: &str = "LP_NUM_THREADS";

/// The rasteriser threads the software renderer gets on a machine with `cores` cores: one per
/// four cores, at least one.
pub fn software_renderer_threads(cores: usize) -> usize {
    (cores / 4).max(1)
}

/// Where the CPU draws the window, Mesa starts one rasteriser thread per core, at the
/// window's normal priority: each frame (120–170 ms of CPU on a 2-core machine) then takes
/// every core for a moment and stalls every training thread, which run at nice 10 and hand
/// work to each other many times a step. One rasteriser per four cores (at least one) leaves
/// the rest to training: in `bench --window` on 2 cores the 1-D world went from 70–86 % of its
/// headless speed to 94 %. A GPU driver ignores the variable; the user's own setting wins.
///
/// Call in `main` before any thread exists (it sets an environment variable), and only for
/// what opens a window: lavapipe's compute shaders use the same threads.
pub fn limit_software_renderer_threads() {
    if std::env::var_os(SOFTWARE_RENDERER_THREADS_VAR).is_some() {
        return;
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    // SAFETY: called from `main` while the process has one thread, so nothing reads the
    // environment concurrently.
    unsafe {
        std::env::set_var(
            SOFTWARE_RENDERER_THREADS_VAR,
            software_renderer_threads(cores).to_string(),
        );
    }
}

/// The cap in force: the user's choice, else the default for the renderer (`software`: the
/// CPU draws the window; None: not known yet, as for a GPU).
pub fn effective_fps(chosen: Option<f64>, software: Option<bool>) -> f64 {
    chosen.unwrap_or(if software == Some(true) {
        SOFTWARE_FPS
    } else {
        GPU_FPS
    })
}

/// Where [`busy_ui`] finds the cap's interval (set each frame by the app).
fn cap_id() -> egui::Id {
    egui::Id::unique("diffusion-playground-repaint-cap")
}

/// Tell the busy indicators the cap's interval for this frame.
pub fn publish(ctx: &egui::Context, interval: Duration) {
    ctx.data_mut(|d| d.insert_temp(cap_id(), interval));
}

/// The least time between frames that background work may ask for, shared with the closures
/// that worker threads call.
#[derive(Clone, Debug)]
pub struct RepaintCap(Arc<AtomicU64>);

impl RepaintCap {
    /// At most `fps` frames a second.
    pub fn new(fps: f64) -> Self {
        let cap = Self(Arc::new(AtomicU64::new(0)));
        cap.set_fps(fps);
        cap
    }

    /// Change the cap (1 to 120 frames a second).
    pub fn set_fps(&self, fps: f64) {
        let fps = if fps.is_finite() {
            fps.clamp(1.0, 120.0)
        } else {
            30.0
        };
        self.0.store((1e6 / fps).round() as u64, Ordering::Relaxed);
    }

    /// The least time between frames.
    pub fn interval(&self) -> Duration {
        Duration::from_micros(self.0.load(Ordering::Relaxed))
    }

    /// What a worker calls after each report: a frame within the cap's interval. Reports
    /// that come faster share frames (egui keeps the earliest pending time).
    pub fn waker(&self, ctx: &egui::Context) -> impl Fn() + Send + Sync + 'static {
        let (ctx, cap) = (ctx.clone(), self.0.clone());
        move || ctx.request_repaint_after(Duration::from_micros(cap.load(Ordering::Relaxed)))
    }
}

/// A turning arc like egui's spinner, one step per [`BUSY_FRAME`] or per the cap's interval,
/// whichever is longer, instead of every frame.
pub fn busy_ui(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.spacing().interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let cap = ui
            .ctx()
            .data(|d| d.get_temp::<Duration>(cap_id()))
            .unwrap_or_default();
        let frame = BUSY_FRAME.max(cap);
        let steps = (ui.input(|i| i.time) / frame.as_secs_f64()).floor();
        let start = steps * 0.35 * std::f64::consts::TAU;
        let radius = rect.height() * 0.5 - 2.0;
        let points: Vec<egui::Pos2> = (0..=16)
            .map(|i| {
                let a = start + 4.0 * i as f64 / 16.0;
                rect.center() + radius * egui::vec2(a.cos() as f32, a.sin() as f32)
            })
            .collect();
        let color = ui.visuals().strong_text_color();
        ui.painter()
            .add(egui::Shape::line(points, egui::Stroke::new(2.5, color)));
        ui.ctx().request_repaint_after(frame);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_an_interval_and_stays_in_range() {
        let cap = RepaintCap::new(30.0);
        assert_eq!(cap.interval(), Duration::from_micros(33_333));
        cap.set_fps(0.0);
        assert_eq!(cap.interval(), Duration::from_secs(1));
        cap.set_fps(f64::NAN);
        assert_eq!(cap.interval(), Duration::from_micros(33_333));
        cap.set_fps(1000.0);
        assert_eq!(cap.interval(), Duration::from_micros(8_333));
    }

    #[test]
    fn the_default_cap_follows_the_renderer_and_a_choice_wins() {
        assert_eq!(effective_fps(None, None), GPU_FPS);
        assert_eq!(effective_fps(None, Some(false)), GPU_FPS);
        assert_eq!(effective_fps(None, Some(true)), SOFTWARE_FPS);
        assert_eq!(effective_fps(Some(12.0), Some(true)), 12.0);
    }

    #[test]
    fn the_software_renderer_gets_a_quarter_of_the_cores() {
        assert_eq!(software_renderer_threads(1), 1);
        assert_eq!(software_renderer_threads(2), 1);
        assert_eq!(software_renderer_threads(8), 2);
        assert_eq!(software_renderer_threads(16), 4);
    }

    #[test]
    fn a_waker_asks_for_a_frame_within_the_cap_not_at_once() {
        let ctx = egui::Context::default();
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = asked.clone();
        ctx.set_request_repaint_callback(move |info| {
            if let Ok(mut v) = seen.lock() {
                v.push(info.delay);
            }
        });
        // The waker reads the cap when it is called (egui passes on a request only when it
        // is sooner than the one pending).
        let cap = RepaintCap::new(10.0);
        let wake = cap.waker(&ctx);
        wake();
        cap.set_fps(20.0);
        wake();
        let asked = asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            vec![Duration::from_millis(100), Duration::from_millis(50)]
        );
    }
}
