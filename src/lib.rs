//! diffusion-playground: learn DDPM and DDIM by training one live on your own machine.
//!
//! The crate is laid out along the data flow: [`data`] decodes images and draws the built-in
//! datasets, [`diffusion`] holds the math on the host in f64, [`model`] is the burn U-Net,
//! [`train`] the trainer, checkpoints and the worker thread that owns them, and [`cli`] the
//! scriptable commands.

pub mod app;
pub mod bench;
pub mod cli;
pub mod data;
pub mod diffusion;
pub mod export;
pub mod i18n;
pub mod model;
pub mod train;

/// A file or folder shipped with the project (`rel`, relative to the repository root), found
/// next to the working folder, the executable (up to 4 levels up) or the source tree: the
/// first candidate for which `found` holds.
pub fn find_shipped(
    rel: &std::path::Path,
    found: impl Fn(&std::path::Path) -> bool,
) -> Option<std::path::PathBuf> {
    let mut candidates = vec![rel.to_path_buf()];
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).take(4).map(|d| d.join(rel)));
    }
    candidates.push(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel));
    candidates.into_iter().find(|p| found(p))
}
