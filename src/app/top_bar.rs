//! The top bar (data, device, train/pause/reset, step and loss, menus, language) and the
//! notices at the bottom of the window.
//!
//! The bar is one row at every width and in every state: the step/loss/rate read-out and the
//! Train/Pause button keep one width whether training or not, and when the row does not fit,
//! items give way into a "☰" menu at its end (the title first, the data menu last), using the
//! widths they took when last drawn. The panels below never move.

use super::{App, AppCommand, teacher};
use crate::data::Builtin;
use crate::i18n::Lang;
use crate::tr;
use crate::train::Level;
use std::collections::HashMap;

/// One item of the bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// the app's name
    Title,
    /// what the model trains on
    Data,
    /// which device trains
    Device,
    /// train/pause, 100 steps, reset (never moved into the menu)
    Controls,
    /// step, loss, images/s (never moved into the menu)
    Status,
    /// the File menu
    File,
    /// the Teacher menu
    Teacher,
    /// the settings as a window (when they cannot dock)
    Settings,
    /// the lesson on or off
    Lesson,
    /// the language
    Language,
}

/// Left to right.
const ORDER: [Item; 10] = [
    Item::Title,
    Item::Data,
    Item::Device,
    Item::Controls,
    Item::Status,
    Item::File,
    Item::Teacher,
    Item::Settings,
    Item::Lesson,
    Item::Language,
];

/// The order in which items move into the menu as the bar narrows.
const GIVE_WAY: [Item; 8] = [
    Item::Title,
    Item::Language,
    Item::Teacher,
    Item::File,
    Item::Settings,
    Item::Lesson,
    Item::Device,
    Item::Data,
];

/// Longest data label shown in the bar (the menu's tooltip has the whole).
const DATA_CHARS: usize = 28;

/// What the bar remembers between frames.
#[derive(Debug, Default)]
pub struct TopBar {
    /// each item's width (its separator included) when last drawn, in points
    widths: HashMap<Item, f32>,
    /// the "☰" menu's width when last drawn
    more_width: f32,
    /// the items in the menu in the last frame
    pub overflow: Vec<Item>,
    /// the bar's rectangle in the last frame (for the layout tests)
    pub rect: Option<egui::Rect>,
}

impl TopBar {
    /// The items that go into the menu for a bar `available` points wide.
    fn overflow_for(&self, available: f32, wanted: &[Item]) -> Vec<Item> {
        let width = |i: &Item| self.widths.get(i).copied().unwrap_or(0.0);
        let mut total: f32 = wanted.iter().map(width).sum();
        let mut hidden = Vec::new();
        for item in GIVE_WAY {
            if total <= available {
                break;
            }
            if wanted.contains(&item) {
                if hidden.is_empty() {
                    total += self.more_width.max(30.0);
                }
                hidden.push(item);
                total -= width(&item);
            }
        }
        hidden
    }
}

/// The widest of `texts` as the body font draws them, in points.
fn widest(ui: &egui::Ui, texts: &[String]) -> f32 {
    texts
        .iter()
        .map(|t| {
            egui::WidgetText::from(t.as_str())
                .into_galley(
                    ui,
                    Some(egui::TextWrapMode::Extend),
                    f32::INFINITY,
                    egui::TextStyle::Body,
                )
                .size()
                .x
        })
        .fold(0.0, f32::max)
}

/// `text` cut to `chars` characters, with "…" where it was cut.
fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

impl App {
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        let settings_item = !self.docked.settings && !self.settings.presentation;
        let wanted: Vec<Item> = ORDER
            .into_iter()
            .filter(|i| *i != Item::Settings || settings_item)
            .collect();
        let hidden = self.top_bar.overflow_for(ui.available_width(), &wanted);
        let bar = ui.horizontal(|ui| {
            for &item in &wanted {
                if hidden.contains(&item) {
                    continue;
                }
                let r = ui.scope(|ui| {
                    self.top_item_ui(ui, item, false, out);
                    ui.separator();
                });
                let gap = ui.spacing().item_spacing.x;
                self.top_bar
                    .widths
                    .insert(item, r.response.rect.width() + gap);
            }
            if !hidden.is_empty() {
                let r = ui
                    .menu_button("☰", |ui| {
                        for &item in &hidden {
                            self.top_item_ui(ui, item, true, out);
                            ui.separator();
                        }
                    })
                    .response
                    .on_hover_text(tr!("top-more-tip"));
                self.top_bar.more_width = r.rect.width() + ui.spacing().item_spacing.x;
            }
        });
        self.top_bar.rect = Some(bar.response.rect);
        self.top_bar.overflow = hidden;
    }

    /// Draw one item of the bar, in the row or (`in_menu`) in the "☰" menu.
    fn top_item_ui(
        &mut self,
        ui: &mut egui::Ui,
        item: Item,
        in_menu: bool,
        out: &mut Vec<AppCommand>,
    ) {
        match item {
            Item::Title => {
                if !in_menu {
                    ui.heading(tr!("app-title"));
                }
            }
            Item::Data => self.data_menu_ui(ui, out),
            Item::Device => self.device_menu_ui(ui, out),
            Item::Controls => self.controls_ui(ui, out),
            Item::Status => self.status_ui(ui),
            Item::File => self.file_menu_ui(ui, out),
            Item::Teacher => self.teacher_menu_ui(ui, out),
            Item::Settings => {
                ui.toggle_value(&mut self.settings_window, tr!("top-settings"))
                    .on_hover_text(tr!("top-settings-tip"));
            }
            Item::Lesson => {
                ui.toggle_value(&mut self.settings.show_lesson, tr!("top-lesson"));
            }
            Item::Language => self.language_ui(ui, in_menu, out),
        }
    }

    fn data_menu_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        let data_open = self.settings.unlocked(teacher::Control::Dataset);
        let full = tr!("top-data", data = self.data_label);
        ui.add_enabled_ui(data_open, |ui| {
            ui.menu_button(shorten(&full, DATA_CHARS), |ui| {
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
            .on_hover_text(format!("{full}\n{}", tr!("top-data-tip")))
        });
    }

    /// Train/Pause (one width for both), 100 steps, Reset.
    fn controls_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        let ready = self.status.config.is_some() && self.status.stopped.is_none();
        let pad = 2.0 * ui.spacing().button_padding.x;
        let width = widest(ui, &[tr!("top-train").into(), tr!("top-pause").into()]) + pad;
        let size = egui::vec2(width, 0.0);
        if self.status.running {
            if ui
                .add(egui::Button::new(tr!("top-pause")).min_size(size))
                .on_hover_text(tr!("top-pause-tip"))
                .clicked()
            {
                out.push(AppCommand::Train(false));
            }
        } else if ui
            .add_enabled(ready, egui::Button::new(tr!("top-train")).min_size(size))
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
    }

    /// Step, loss and images/s in a box as wide as their widest values, so that nothing
    /// moves when training starts or the numbers grow.
    fn status_ui(&mut self, ui: &mut egui::Ui) {
        let gap = ui.spacing().item_spacing.x;
        let widths = [
            widest(ui, &[tr!("top-step", step = 88_888_888)]),
            widest(ui, &[tr!("top-loss", loss = "8.8888")]),
            widest(ui, &[tr!("top-rate", rate = "8888.8")]),
        ];
        let height = ui.spacing().interact_size.y;
        let texts = [
            Some(tr!("top-step", step = self.status.step)),
            self.status
                .loss
                .map(|loss| tr!("top-loss", loss = format!("{loss:.4}"))),
            self.status.running.then(|| {
                tr!(
                    "top-rate",
                    rate = format!("{:.1}", self.status.images_per_s)
                )
            }),
        ];
        for (text, width) in texts.into_iter().zip(widths) {
            ui.allocate_ui_with_layout(
                egui::vec2(width + gap, height),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_width(width);
                    if let Some(text) = text {
                        ui.label(text);
                    }
                },
            );
        }
    }

    fn file_menu_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
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
    }

    /// A combo box in the row; in the menu, one choice per language (a combo box's popup
    /// would close the menu).
    fn language_ui(&mut self, ui: &mut egui::Ui, in_menu: bool, out: &mut Vec<AppCommand>) {
        let mut lang = self.settings.lang;
        if in_menu {
            for l in Lang::ALL {
                ui.radio_value(&mut lang, l, l.native_name());
            }
        } else {
            egui::ComboBox::from_id_salt("language")
                .selected_text(lang.native_name())
                .show_ui(ui, |ui| {
                    for l in Lang::ALL {
                        ui.selectable_value(&mut lang, l, l.native_name());
                    }
                })
                .response
                .on_hover_text(tr!("top-language-tip"));
        }
        if lang != self.settings.lang {
            out.push(AppCommand::SetLanguage(lang));
        }
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

/// What the model trains on, as the top bar names it (in the language of the moment).
#[derive(Clone, Debug, PartialEq)]
pub enum DataLabel {
    /// the worker has not reported yet
    Starting,
    /// a built-in dataset or a folder from the model's config
    Source(crate::data::DataSource),
    /// images dropped on the window
    Dropped(usize),
    /// a folder picked in the app, with its load report
    Folder(std::path::PathBuf, crate::data::dataset::LoadReport),
    /// the image under study alone
    OneImage(String),
}

impl std::fmt::Display for DataLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataLabel::Starting => f.write_str(tr!("data-starting")),
            DataLabel::Source(s) => write!(f, "{s}"),
            DataLabel::Dropped(n) => f.write_str(&tr!("data-dropped", n = n)),
            DataLabel::Folder(path, report) => f.write_str(&tr!(
                "data-folder",
                path = path.display(),
                summary = report.summary()
            )),
            DataLabel::OneImage(name) => f.write_str(&tr!("data-one-image", name = name)),
        }
    }
}
