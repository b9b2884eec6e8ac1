//! The top bar (data, device, train/pause/reset, step and loss, menus, language) and the
//! notices at the bottom of the window.

use super::{App, AppCommand, teacher};
use crate::data::Builtin;
use crate::i18n::Lang;
use crate::tr;
use crate::train::Level;

impl App {
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading(tr!("app-title"));
            ui.separator();
            let data_open = self.settings.unlocked(teacher::Control::Dataset);
            ui.add_enabled_ui(data_open, |ui| {
                ui.menu_button(tr!("top-data", data = self.data_label), |ui| {
                    for b in Builtin::ALL {
                        if ui.button(tr!("top-data-builtin", name = b)).clicked() {
                            out.push(AppCommand::UseBuiltinData(b));
                            ui.close();
                        }
                    }
                    if ui.button(tr!("top-data-folder")).clicked() {
                        out.push(AppCommand::OpenDataFolder);
                        ui.close();
                    }
                    if ui.button(tr!("top-data-current")).clicked() {
                        out.push(AppCommand::TrainOnImage);
                        ui.close();
                    }
                })
                .response
                .on_hover_text(tr!("top-data-tip"))
            });
            ui.separator();
            self.device_menu_ui(ui, out);
            ui.separator();
            let ready = self.status.config.is_some() && self.status.stopped.is_none();
            if self.status.running {
                if ui
                    .button(tr!("top-pause"))
                    .on_hover_text(tr!("top-pause-tip"))
                    .clicked()
                {
                    out.push(AppCommand::Train(false));
                }
            } else if ui
                .add_enabled(ready, egui::Button::new(tr!("top-train")))
                .on_hover_text(tr!("top-train-tip"))
                .clicked()
            {
                out.push(AppCommand::Train(true));
            }
            if ui
                .add_enabled(
                    ready && !self.status.running,
                    egui::Button::new(tr!("top-100-steps")),
                )
                .on_hover_text(tr!("top-100-steps-tip"))
                .clicked()
            {
                out.push(AppCommand::TrainSteps(100));
            }
            if ui
                .add_enabled(
                    ready && self.settings.unlocked(teacher::Control::Reset),
                    egui::Button::new(tr!("top-reset")),
                )
                .on_hover_text(tr!("top-reset-tip"))
                .clicked()
            {
                out.push(AppCommand::Reset);
            }
            ui.separator();
            ui.label(tr!("top-step", step = self.status.step));
            if let Some(loss) = self.status.loss {
                ui.label(tr!("top-loss", loss = format!("{loss:.4}")));
            }
            if self.status.running {
                ui.label(tr!(
                    "top-rate",
                    rate = format!("{:.1}", self.status.images_per_s)
                ));
                ui.spinner();
            }
            ui.separator();
            ui.menu_button(tr!("menu-file"), |ui| {
                let items = [
                    (tr!("menu-open-image"), AppCommand::OpenImageDialog),
                    (tr!("menu-save-checkpoint"), AppCommand::SaveCheckpoint),
                    (tr!("menu-open-checkpoint"), AppCommand::OpenCheckpoint),
                    (tr!("menu-export-png"), AppCommand::ExportPng),
                    (tr!("menu-export-csv"), AppCommand::ExportCsv),
                    (tr!("menu-about"), AppCommand::ShowAbout),
                ];
                for (label, command) in items {
                    if ui.button(label).clicked() {
                        out.push(command);
                        ui.close();
                    }
                }
            });
            self.teacher_menu_ui(ui, out);
            if !self.docked.settings && !self.settings.presentation {
                ui.toggle_value(&mut self.settings_window, tr!("top-settings"))
                    .on_hover_text(tr!("top-settings-tip"));
            }
            ui.toggle_value(&mut self.settings.show_lesson, tr!("top-lesson"));
            ui.separator();
            let mut lang = self.settings.lang;
            egui::ComboBox::from_id_salt("language")
                .selected_text(lang.native_name())
                .show_ui(ui, |ui| {
                    for l in Lang::ALL {
                        ui.selectable_value(&mut lang, l, l.native_name());
                    }
                })
                .response
                .on_hover_text(tr!("top-language-tip"));
            if lang != self.settings.lang {
                out.push(AppCommand::SetLanguage(lang));
            }
        });
    }

    pub(super) fn notices_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        if let Some((dir, step)) = &self.resume_offer {
            ui.horizontal(|ui| {
                ui.label(tr!("resume-found", step = step, dir = dir.display()));
                if ui.button(tr!("resume-button", step = step)).clicked() {
                    out.push(AppCommand::ResumeAutosave);
                }
                if ui.button(tr!("resume-fresh")).clicked() {
                    out.push(AppCommand::DismissResume);
                }
            });
        }
        for (i, (level, text)) in self.notices.iter().enumerate() {
            let color = match level {
                Level::Info => ui.visuals().text_color(),
                Level::Warning => ui.visuals().warn_fg_color,
                Level::Error => ui.visuals().error_fg_color,
            };
            ui.horizontal(|ui| {
                if ui
                    .small_button("✕")
                    .on_hover_text(tr!("notice-dismiss"))
                    .clicked()
                {
                    out.push(AppCommand::DismissNotice(i));
                }
                ui.colored_label(color, text);
            });
        }
    }
}
