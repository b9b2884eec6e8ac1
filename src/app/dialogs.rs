//! Native file dialogs (on their own threads, so the UI never waits on them), image files
//! decoded off the UI thread, screenshots and the exports that follow a dialog.

use super::*;

/// What a pending file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Dialog {
    Image,
    DataFolder,
    SaveCheckpoint,
    OpenCheckpoint,
    ExportGif,
    ExportPng,
    ExportCsv,
    SavePreset,
    OpenPreset,
    ExportRun,
    OpenRun,
}

pub(super) type Loaded = Result<(SourceImage, Vec<ImageRgb>), String>;

impl App {
    pub(super) fn spawn_dialog(&mut self, kind: Dialog) {
        if self.pending_dialog.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let images_label = tr!("dialog-images");
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let images = [
                    "png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "tga", "ico", "pnm",
                    "ppm",
                ];
                let d = rfd::FileDialog::new();
                let toml = ["toml"];
                let picked = match kind {
                    Dialog::Image => d.add_filter(images_label, &images).pick_file(),
                    Dialog::DataFolder
                    | Dialog::OpenCheckpoint
                    | Dialog::ExportRun
                    | Dialog::OpenRun => d.pick_folder(),
                    Dialog::SavePreset => d
                        .set_file_name("preset.toml")
                        .add_filter("TOML", &toml)
                        .save_file(),
                    Dialog::OpenPreset => d.add_filter("TOML", &toml).pick_file(),
                    Dialog::SaveCheckpoint => d.set_file_name("my-run").save_file(),
                    Dialog::ExportGif => d
                        .set_file_name("trajectory.gif")
                        .add_filter("GIF", &["gif"])
                        .save_file(),
                    Dialog::ExportPng => d
                        .set_file_name("view.png")
                        .add_filter("PNG", &["png"])
                        .save_file(),
                    Dialog::ExportCsv => d
                        .set_file_name("curves.csv")
                        .add_filter("CSV", &["csv"])
                        .save_file(),
                };
                let _ = tx.send(picked);
            });
        match spawned {
            Ok(_) => self.pending_dialog = Some((kind, rx)),
            Err(e) => self.notice(Level::Error, tr!("notice-dialog-failed", error = e)),
        }
    }

    /// Decode image files off the UI thread. One file is shown; several also become the
    /// training set.
    pub fn load_images(&mut self, files: Vec<(String, Result<Vec<u8>, String>)>) {
        let size = model_size(&self.status);
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("image-decode".into())
            .spawn(move || {
                let mut shown = None;
                let mut all = Vec::new();
                let mut errors = Vec::new();
                for (name, bytes) in files {
                    let decoded = bytes.and_then(|b| {
                        crate::data::image::decode_dynamic(&b).map_err(|e| e.to_string())
                    });
                    match decoded {
                        Ok(img) => {
                            let model = crate::data::image::preprocess(&img, size);
                            if shown.is_none() {
                                shown = Some(SourceImage {
                                    name: name.clone(),
                                    example: None,
                                    display: crate::data::image::preprocess(&img, FORWARD_SIZE),
                                    model: model.clone(),
                                });
                            }
                            all.push(model);
                        }
                        Err(e) => errors.push(format!("{name}: {e}")),
                    }
                }
                let result = match shown {
                    Some(s) if errors.is_empty() => Ok((s, all)),
                    Some(s) => {
                        // Some files failed: show the good ones, and report the rest.
                        let _ = tx.send(Err(tr!("notice-skipped", files = errors.join("; "))));
                        Ok((s, all))
                    }
                    None => Err(errors.join("; ")),
                };
                let _ = tx.send(result);
            });
        match spawned {
            Ok(_) => self.pending_image = Some(rx),
            Err(e) => self.notice(Level::Error, tr!("notice-decode-start-failed", error = e)),
        }
    }

    pub(super) fn load_path(&mut self, path: PathBuf) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let bytes = crate::data::image::read_file_bounded(&path).map_err(|e| e.to_string());
        self.load_images(vec![(name, bytes)]);
    }

    pub(super) fn poll_background(&mut self, ctx: &egui::Context) {
        if let Some(rx) = &self.pending_image {
            let mut done = false;
            let mut results = Vec::new();
            loop {
                match rx.try_recv() {
                    Ok(r) => results.push(r),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        done = true;
                        break;
                    }
                }
            }
            for r in results {
                match r {
                    Ok((shown, all)) => {
                        self.set_image(shown);
                        if all.len() > 1 && !self.refuse_locked(teacher::Control::Dataset) {
                            self.reference = all.clone();
                            self.data_label = DataLabel::Dropped(all.len());
                            self.send(Command::SetImages(all));
                        }
                    }
                    Err(e) => self.notice(Level::Warning, tr!("notice-image-failed", error = e)),
                }
            }
            if done {
                self.pending_image = None;
            }
        }
        if let Some((kind, rx)) = &self.pending_dialog {
            let kind = *kind;
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.pending_dialog = None;
                    self.dialog_done(ctx, kind, path);
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => self.pending_dialog = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        if self.run_export.is_some() {
            return; // the export takes the screenshots
        }
        let shot = self.screenshot.lock().ok().and_then(|mut s| s.take());
        if let (Some(image), Some(path)) = (shot, self.screenshot_path.take()) {
            let saved = crate::export::save_color_image(&image, &path);
            self.saved_notice(&path, saved);
        }
    }

    /// Ask for a screenshot of the next frame; it lands in `self.screenshot`.
    pub(super) fn request_screenshot(&self, ctx: &egui::Context) {
        let slot = self.screenshot.clone();
        let wake = ctx.clone();
        ctx.request_screenshot(move |img| {
            if let Ok(mut s) = slot.lock() {
                *s = Some(img);
            }
            wake.request_repaint();
        });
    }

    pub(super) fn dialog_done(&mut self, ctx: &egui::Context, kind: Dialog, path: PathBuf) {
        match kind {
            Dialog::Image => self.load_path(path),
            Dialog::DataFolder => {
                if !self.refuse_locked(teacher::Control::Dataset) {
                    self.set_data_folder(path)
                }
            }
            Dialog::SaveCheckpoint => self.send(Command::Save(path)),
            Dialog::OpenCheckpoint => self.send(Command::Load(path)),
            Dialog::ExportGif => self.export_gif(path),
            Dialog::ExportPng => {
                self.screenshot_path = Some(path);
                self.request_screenshot(ctx);
            }
            Dialog::SavePreset => self.save_preset(&path),
            Dialog::OpenPreset => self.load_preset(&path),
            Dialog::ExportRun => self.export_run(path),
            Dialog::OpenRun => self.open_run(path),
            Dialog::ExportCsv => {
                // The curves, and beside them every estimate's per-timestep profile.
                let per_t = path.with_file_name(format!(
                    "{}-per-t.csv",
                    path.file_stem()
                        .map(|s| s.to_string_lossy())
                        .unwrap_or_default()
                ));
                let saved = std::fs::write(&path, self.curves.to_csv())
                    .and_then(|()| std::fs::write(&per_t, self.curves.per_t_csv()))
                    .map_err(|e| e.to_string());
                self.saved_notice(&path, saved);
            }
        }
    }

    /// Write the shown trajectory as an animated GIF (on a background thread).
    pub fn export_gif(&mut self, path: PathBuf) {
        let Some(shown) = &self.reverse.shown else {
            self.notice(Level::Info, tr!("notice-nothing-to-export"));
            return;
        };
        let frames = crate::export::trajectory_frames(&shown.trajectory, shown.size, 3);
        let _ = std::thread::Builder::new()
            .name("gif-export".into())
            .spawn(move || {
                if let Err(e) = crate::export::write_gif(&frames, 60, &path) {
                    log::error!("gif export failed: {e}");
                }
            });
        self.notice(Level::Info, tr!("notice-writing-gif"));
    }
}
