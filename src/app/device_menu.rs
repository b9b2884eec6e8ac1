//! The device menu in the top bar (which device trains, why, and a switch between the GPU and
//! the CPU that carries the run over) and the About window (version, device, where the app
//! keeps its files).

use super::{App, AppCommand};
use crate::tr;
use crate::train::DeviceChoice;

/// What the device menu shows besides the worker's status.
#[derive(Debug, Default)]
pub struct DeviceMenu {
    /// the device the user asked for last
    pub choice: Option<DeviceChoice>,
    /// a switch was asked for and the worker has not answered yet
    pub switching: bool,
    /// the About window is open
    pub about_open: bool,
}

impl App {
    pub(super) fn device_menu_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        let Some(device) = self.status.device.clone() else {
            super::repaint::busy_ui(ui);
            ui.label(tr!("top-loading"));
            return;
        };
        let title = if self.device_menu.switching {
            tr!("top-device-switching").to_owned()
        } else {
            tr!("top-device", device = device.label())
        };
        let p99 = self.frame_times.quantile_ms(0.99, 120);
        let chosen = self.device_menu.choice.unwrap_or(self.options.device);
        ui.menu_button(title, |ui| {
            ui.strong(device.label());
            if !device.details.is_empty() {
                ui.weak(&device.details);
            }
            ui.label(&device.reason);
            ui.separator();
            ui.label(tr!("device-menu-run-on"));
            let choices = [
                (DeviceChoice::Auto, tr!("device-choice-auto")),
                (DeviceChoice::Gpu, tr!("device-choice-gpu")),
                (DeviceChoice::Cpu, tr!("device-choice-cpu")),
            ];
            for (choice, label) in choices {
                let enabled = !self.device_menu.switching && self.status.stopped.is_none();
                if ui
                    .add_enabled(enabled, egui::RadioButton::new(chosen == choice, label))
                    .clicked()
                {
                    out.push(AppCommand::SetDevice(choice));
                    ui.close();
                }
            }
            ui.weak(tr!("device-menu-carry"));
            if let Some(p99) = p99 {
                // Training runs on another thread, so this stays low while it trains.
                ui.weak(tr!("top-frame-times", ms = format!("{p99:.1}")));
            }
        })
        .response
        .on_hover_text(&device.reason);
    }

    /// The About window, while it is open.
    pub(super) fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.device_menu.about_open;
        egui::Window::new(tr!("about-title"))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.strong(tr!("about-version", version = env!("CARGO_PKG_VERSION")));
                ui.label(tr!("about-what"));
                ui.separator();
                egui::Grid::new("about-grid").num_columns(2).show(ui, |ui| {
                    if let Some(d) = &self.status.device {
                        ui.label(tr!("about-device"));
                        ui.label(d.label());
                        ui.end_row();
                        if !d.details.is_empty() {
                            ui.label(tr!("about-driver"));
                            ui.label(&d.details);
                            ui.end_row();
                        }
                        ui.label(tr!("about-why"));
                        ui.label(&d.reason);
                        ui.end_row();
                    }
                    let folder = |p: Option<std::path::PathBuf>| {
                        p.map(|p| p.display().to_string())
                            .unwrap_or_else(|| tr!("about-none").to_owned())
                    };
                    ui.label(tr!("about-gpu-cache"));
                    ui.label(folder(
                        crate::train::tuning::gpu_cache_dir()
                            .or_else(crate::train::tuning::default_gpu_cache_dir),
                    ));
                    ui.end_row();
                    ui.label(tr!("about-autosave"));
                    ui.label(folder(self.options.autosave_dir.clone()));
                    ui.end_row();
                });
                ui.weak(tr!("about-gpu-cache-tip"));
            });
        self.device_menu.about_open = open;
    }
}
