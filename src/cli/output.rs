//! Where the command line writes: stdout that a reader may close early, image files whose
//! format their extension names, and checkpoint folders that must not overwrite another run.
//! Every check here runs before any model work, so a bad path fails in a second, not after
//! an hour of training.

use super::CliError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `text` to stdout. A reader that closed the pipe early (`| head -1`, `| true`) is
/// not an error: the rest is dropped and the command still succeeds.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Output {
            path: PathBuf::from("stdout"),
            reason: e.to_string(),
        }),
    }
}

fn output_error(path: &Path, reason: impl std::fmt::Display) -> CliError {
    CliError::Output {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// Get a file path ready for writing: it must not be a folder, and its parent folders are
/// created.
pub fn prepare_file(path: &Path) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(output_error(path, "it is a folder, not a file"));
    }
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| output_error(parent, e))
        }
        _ => Ok(()),
    }
}

/// The image formats an output path may name, by extension.
const IMAGE_EXTENSIONS: &str = ".png, .jpg, .jpeg, .bmp, .tif, .tiff, .webp, .gif";

/// The format `path`'s extension names (PNG when it has none), checked and with its parent
/// folders created, before any work.
pub fn prepare_image(path: &Path) -> Result<image::ImageFormat, CliError> {
    let format = match path.extension() {
        None => image::ImageFormat::Png,
        Some(ext) => image::ImageFormat::from_extension(ext)
            .filter(|f| f.writing_enabled() && f.can_write())
            .ok_or_else(|| {
                output_error(
                    path,
                    format!(
                        "cannot write .{} images; use one of {IMAGE_EXTENSIONS}",
                        ext.to_string_lossy()
                    ),
                )
            })?,
    };
    prepare_file(path)?;
    Ok(format)
}

/// An animated trajectory: only GIF animates.
pub fn prepare_gif(path: &Path) -> Result<(), CliError> {
    let is_gif = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gif"));
    if !is_gif {
        return Err(output_error(
            path,
            "the trajectory is an animation: give it a .gif name",
        ));
    }
    prepare_file(path)
}

/// Save `image` at `path` in `format`.
pub fn save_image(
    image: &image::RgbImage,
    path: &Path,
    format: image::ImageFormat,
) -> Result<(), CliError> {
    image
        .save_with_format(path, format)
        .map_err(|e| output_error(path, e))
}

/// Create a checkpoint folder that [`check_checkpoint_dir`] accepted.
pub fn create_checkpoint_dir(out: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(out).map_err(|e| output_error(out, e))
}

/// A checkpoint folder must not be a file, and it must not hold another run's checkpoint
/// unless `force` (resuming from the same folder continues that run). Writes nothing.
pub fn check_checkpoint_dir(
    out: &Path,
    resume: Option<&Path>,
    force: bool,
) -> Result<(), CliError> {
    if out.exists() && !out.is_dir() {
        return Err(output_error(
            out,
            "it is a file; --out names the folder the checkpoint goes into",
        ));
    }
    let same_run = resume.is_some_and(|r| same_path(r, out));
    if !force && !same_run && holds_checkpoint(out) {
        let what = crate::train::checkpoint::info(out)
            .map(|i| format!(" (step {}, data {})", i.step, i.config.data))
            .unwrap_or_default();
        return Err(CliError::Usage(format!(
            "{} already holds a checkpoint{what}; choose another --out, continue it with --resume {}, or pass --force to overwrite it",
            out.display(),
            out.display()
        )));
    }
    Ok(())
}

/// Whether `dir` holds a checkpoint (a readable one or the remains of one).
fn holds_checkpoint(dir: &Path) -> bool {
    dir.join("checkpoint.json").exists()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("model-") && name.ends_with(".bpk")
            })
        })
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_formats_follow_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name);
        assert_eq!(prepare_image(&p("a.png")).unwrap(), image::ImageFormat::Png);
        assert_eq!(
            prepare_image(&p("a.JPG")).unwrap(),
            image::ImageFormat::Jpeg
        );
        assert_eq!(prepare_image(&p("a")).unwrap(), image::ImageFormat::Png);
        let err = prepare_image(&p("a.txt")).unwrap_err().to_string();
        assert!(err.contains(".png"), "{err}");
        // Parent folders are created.
        prepare_image(&p("x/y/z.png")).unwrap();
        assert!(p("x/y").is_dir());
        // A folder is not a file.
        assert!(prepare_file(&p("x")).is_err());
        assert!(prepare_gif(&p("t.png")).is_err());
        assert!(prepare_gif(&p("t.GIF")).is_ok());
    }

    #[test]
    fn a_checkpoint_folder_of_another_run_is_refused_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        check_checkpoint_dir(&out, None, false).unwrap();
        create_checkpoint_dir(&out).unwrap();
        assert!(out.is_dir());
        std::fs::write(out.join("checkpoint.json"), "{}").unwrap();
        let err = check_checkpoint_dir(&out, None, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force"), "{err}");
        check_checkpoint_dir(&out, None, true).unwrap();
        check_checkpoint_dir(&out, Some(&out), false).unwrap();
        let file = dir.path().join("cat.jpg");
        std::fs::write(&file, "x").unwrap();
        assert!(check_checkpoint_dir(&file, None, true).is_err());
    }
}
