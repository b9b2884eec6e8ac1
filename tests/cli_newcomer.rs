//! The command line as a newcomer meets it: a reader that closes the pipe early, outputs in
//! folders that do not exist yet, checkpoints that must not be overwritten, errors that come
//! before the work, resumed runs that keep their settings, and the notices for values the
//! program had to clamp.

use crate::cli_evaluate::bundled;
use image::{Rgb, RgbImage};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_diffusion-playground");

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("DIFFUSION_PLAYGROUND_DEVICE", "cpu")
        .env("DIFFUSION_PLAYGROUND_LANG", "en")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 with one line from us, before any device was chosen (the "device:" line is the
/// first thing model work prints).
fn refused_before_work(dir: &Path, args: &[&str], says: &str) {
    let o = run_in(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        !err.contains("device:"),
        "{args:?} chose a device first: {err}"
    );
    assert!(err.contains(says), "{args:?}: expected '{says}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
}

/// The smallest run `train` allows, in a second or two on a CPU.
const TINY: [&str; 8] = [
    "--size",
    "8",
    "--base-channels",
    "8",
    "--timesteps",
    "50",
    "--data",
    "builtin:shapes",
];

fn train(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["train"];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn checkpoint_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("checkpoint.json")).unwrap()).unwrap()
}

/// Each subcommand piped into a reader that closed before it printed: exit 0 or SIGPIPE,
/// never a panic.
#[test]
fn a_reader_that_closes_the_pipe_early_is_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("x.png");
    RgbImage::from_fn(16, 16, |x, y| Rgb([(x * 16) as u8, (y * 16) as u8, 90]))
        .save(&image)
        .unwrap();
    let image = image.to_str().unwrap();
    let ckpt = bundled();
    let runs: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["train", "-h"],
        vec!["inspect", "--image", image, "--t", "5"],
        vec!["inspect", "--image", image, "--t", "5", "--json"],
        vec!["toy", "--data", "moons", "--steps", "5"],
        vec!["toy", "--data", "moons", "--steps", "5", "--json"],
        vec![
            "elbo",
            "--checkpoint",
            &ckpt,
            "--data",
            "builtin:shapes",
            "--images",
            "1",
            "--strata",
            "2",
        ],
        vec![
            "likelihood",
            "--checkpoint",
            &ckpt,
            "--image",
            image,
            "--draws",
            "2",
            "--steps",
            "2",
        ],
    ];
    for args in runs {
        for _ in 0..3 {
            let mut child = Command::new(BIN)
                .args(&args)
                .env("DIFFUSION_PLAYGROUND_DEVICE", "cpu")
                .env("RUST_BACKTRACE", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // The reader goes away at once, as `| true` does.
            drop(child.stdout.take());
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            use std::os::unix::process::ExitStatusExt;
            let ok = out.status.code() == Some(0) || out.status.signal() == Some(13);
            assert!(ok, "{args:?}: {:?} {err}", out.status);
            assert!(
                !err.contains("panicked") && !err.contains("Broken pipe"),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn outputs_get_their_folders_and_the_format_their_name_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let image = d.join("x.png");
    RgbImage::from_pixel(16, 16, Rgb([200, 30, 30]))
        .save(&image)
        .unwrap();
    // The README's first train example: --metrics in a folder that does not exist yet.
    let o = train(
        d,
        &[
            "--steps",
            "2",
            "--out",
            "runs/a",
            "--metrics",
            "runs/csv/a.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("runs/csv/a.csv").is_file());
    let o = run_in(
        d,
        &[
            "inspect",
            "--image",
            image.to_str().unwrap(),
            "--t",
            "10",
            "--out",
            "deep/er/noised.jpg",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(d.join("deep/er/noised.jpg")).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "a .jpg holds JPEG bytes");
    let o = run_in(
        d,
        &[
            "sample",
            "--checkpoint",
            "runs/a",
            "--n",
            "2",
            "--steps",
            "2",
            "--out",
            "missing/dir/grid.png",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.join("missing/dir/grid.png").is_file());
}

#[test]
fn every_argument_and_output_is_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("cat.jpg"), b"not a folder").unwrap();
    let tiny = |extra: &[&str]| {
        let mut a = vec!["train"];
        a.extend_from_slice(&TINY);
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let check = |extra: &[&str], says: &str| {
        let a = tiny(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        refused_before_work(d, &a, says);
    };
    check(&["--steps", "5", "--out", "cat.jpg"], "cat.jpg");
    check(&["--steps", "5", "--out", "r", "--batch", "0"], "batch");
    check(
        &["--steps", "5", "--out", "r", "--lr", "0"],
        "learning rate",
    );
    check(
        &["--steps", "5", "--out", "r", "--lr", "NaN"],
        "learning rate",
    );
    check(
        &["--steps", "5", "--out", "r", "--metrics", "."],
        "folder, not a file",
    );
    refused_before_work(
        d,
        &[
            "train",
            "--data",
            "builtin:shapes",
            "--steps",
            "5",
            "--out",
            "r",
            "--timesteps",
            "1",
        ],
        "1",
    );
    let ckpt = bundled();
    refused_before_work(
        d,
        &["sample", "--checkpoint", &ckpt, "--out", "grid.txt"],
        "grid.txt",
    );
    refused_before_work(
        d,
        &[
            "sample",
            "--checkpoint",
            &ckpt,
            "--out",
            "grid.png",
            "--trajectory",
            "traj.png",
        ],
        ".gif",
    );
    assert!(!d.join("r").exists(), "nothing was written");
}

#[test]
fn clap_errors_keep_their_whole_message() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["inspect", "--t", "5"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("--image"), "names the missing argument: {err}");
    assert!(err.contains("Usage:"), "{err}");
    let o = run_in(dir.path(), &["inspect", "--image", "x.png", "--t", "-5"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("-5") && err.contains("--t") && !err.contains("unexpected argument"),
        "a negative t is a bad value, not an unknown flag: {err}"
    );
}

#[test]
fn a_checkpoint_folder_of_another_run_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = train(d, &["--steps", "2", "--out", "run", "--seed", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read_to_string(d.join("run/checkpoint.json")).unwrap();
    let mut args = vec!["train"];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(&["--steps", "2", "--out", "run", "--seed", "2"]);
    refused_before_work(d, &args, "--force");
    assert_eq!(
        std::fs::read_to_string(d.join("run/checkpoint.json")).unwrap(),
        before,
        "the checkpoint is untouched"
    );
    let o = train(
        d,
        &["--steps", "2", "--out", "run", "--seed", "2", "--force"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(checkpoint_json(&d.join("run"))["config"]["seed"], 2);
    // Resuming into its own folder continues the run: no --force needed.
    let o = train(d, &["--steps", "1", "--resume", "run", "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_resumed_run_keeps_its_settings_unless_a_flag_overrides_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = train(
        d,
        &[
            "--steps", "2", "--out", "a", "--batch", "4", "--lr", "1e-3", "--seed", "7",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // No flags: batch, lr and seed are the checkpoint's, not the defaults.
    let o = train(d, &["--steps", "1", "--resume", "a", "--out", "b"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("kept") && err.contains("batch 4") && err.contains("lr 1e-3"),
        "{err}"
    );
    let c = checkpoint_json(&d.join("b"))["config"].clone();
    assert_eq!(c["batch"], 4);
    assert_eq!(c["lr"], 1e-3);
    assert_eq!(c["seed"], 7);
    assert_eq!(checkpoint_json(&d.join("b"))["step"], 3);
    // A flag overrides, and says so.
    let o = train(
        d,
        &[
            "--steps", "1", "--resume", "b", "--out", "c", "--lr", "5e-4",
        ],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("overridden lr 5e-4 (was 1e-3)"), "{err}");
    assert_eq!(checkpoint_json(&d.join("c"))["config"]["lr"], 5e-4);
    assert_eq!(checkpoint_json(&d.join("c"))["config"]["batch"], 4);
    // The model's shape cannot change.
    for (flag, value) in [
        ("--size", "16"),
        ("--base-channels", "16"),
        ("--timesteps", "100"),
    ] {
        let o = run_in(
            d,
            &[
                "train",
                "--data",
                "builtin:shapes",
                "--steps",
                "1",
                "--resume",
                "a",
                "--out",
                "d",
                flag,
                value,
            ],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains("contradicts the checkpoint"), "{err}");
        assert!(!err.contains("device:"), "{err}");
    }
    // Repeating the checkpoint's own value is fine.
    let o = train(d, &["--steps", "1", "--resume", "a", "--out", "a"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn clamped_values_are_announced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ckpt = bundled();
    let o = run_in(
        d,
        &[
            "sample",
            "--checkpoint",
            &ckpt,
            "--n",
            "1",
            "--steps",
            "2000",
            "--out",
            "g.png",
        ],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("--steps 2000") && err.contains("T = 1000"),
        "{err}"
    );
    let folder = d.join("three");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..3u8 {
        RgbImage::from_pixel(16, 16, Rgb([i * 80, 40, 200]))
            .save(folder.join(format!("{i}.png")))
            .unwrap();
    }
    let o = run_in(
        d,
        &[
            "elbo",
            "--checkpoint",
            &ckpt,
            "--data",
            folder.to_str().unwrap(),
            "--images",
            "64",
            "--split",
            "all",
            "--strata",
            "5000",
            "--json",
        ],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("--strata 5000"), "{err}");
    assert!(err.contains("holds 3 images"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["timesteps_evaluated"], 999);
    // One image has no spread: the table says so rather than printing NaN.
    let o = run_in(
        d,
        &[
            "elbo",
            "--checkpoint",
            &ckpt,
            "--data",
            "builtin:shapes",
            "--images",
            "1",
            "--strata",
            "3",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.contains("NaN") && out.contains("n/a"), "{out}");
}

#[test]
fn toy_names_a_missing_file_and_its_real_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused_before_work(d, &["toy", "--data", "nosuch.png"], "no such file");
    refused_before_work(d, &["toy", "--data", "mooons"], "moons");
    RgbImage::from_pixel(16, 16, Rgb([255, 255, 255]))
        .save(d.join("white.png"))
        .unwrap();
    refused_before_work(d, &["toy", "--data", "white.png"], "--pixels bright");
    let o = run_in(
        d,
        &[
            "toy",
            "--data",
            "white.png",
            "--pixels",
            "bright",
            "--steps",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}
