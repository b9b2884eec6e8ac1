//! `inspect` against an independent f64 implementation, and its bad-input behaviour.

use image::{Rgb, RgbImage};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_diffusion-playground");

/// An independent reference: β, ᾱ for linear and cosine written from the papers.
fn reference_schedule(kind: &str, t_max: usize) -> (Vec<f64>, Vec<f64>) {
    let t_f = t_max as f64;
    let mut betas = vec![0.0];
    for t in 1..=t_max {
        let b = if kind == "linear" {
            let scale = 1000.0 / t_f;
            let (b0, b1) = (scale * 0.0001, scale * 0.02);
            b0 + (b1 - b0) * (t as f64 - 1.0) / (t_f - 1.0)
        } else {
            let f = |u: f64| {
                (((u / t_f) + 0.008) / 1.008 * std::f64::consts::PI / 2.0)
                    .cos()
                    .powi(2)
            };
            1.0 - f(t as f64) / f(t as f64 - 1.0)
        };
        betas.push(b.min(0.999));
    }
    let mut abar = vec![1.0];
    for t in 1..=t_max {
        let prev = abar[t - 1];
        abar.push(prev * (1.0 - betas[t]));
    }
    (betas, abar)
}

fn write_test_image(path: &Path) -> Vec<f64> {
    // 32×32 so preprocessing is only the scaling to [-1, 1].
    let img = RgbImage::from_fn(32, 32, |x, y| {
        Rgb([(x * 8) as u8, (y * 8) as u8, ((x * y) % 256) as u8])
    });
    img.save(path).unwrap();
    img.pixels()
        .flat_map(|p| p.0)
        .map(|v| v as f64 / 127.5 - 1.0)
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(1e-300)
    }
}

#[test]
fn inspect_json_matches_independent_f64_reference() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x0.png");
    let x0 = write_test_image(&png);
    let mean_sq = x0.iter().map(|v| v * v).sum::<f64>() / x0.len() as f64;
    for kind in ["linear", "cosine"] {
        for t_max in [50usize, 1000] {
            let (betas, abar) = reference_schedule(kind, t_max);
            for t in [1, t_max / 2, t_max] {
                let out = Command::new(BIN)
                    .args(["inspect", "--image"])
                    .arg(&png)
                    .args([
                        "--t",
                        &t.to_string(),
                        "--schedule",
                        kind,
                        "--timesteps",
                        &t_max.to_string(),
                        "--json",
                    ])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
                let mut expected_keys = vec![
                    "schedule",
                    "timesteps",
                    "t",
                    "beta_t",
                    "alpha_bar_t",
                    "snr_t",
                    "posterior_variance_t",
                    "image_mean_sq",
                    "prior_kl_bits_per_dim",
                ];
                let mut sorted = keys.clone();
                sorted.sort();
                expected_keys.sort();
                assert_eq!(sorted, expected_keys);
                assert_eq!(v["schedule"], kind);
                assert_eq!(v["timesteps"], t_max);
                assert_eq!(v["t"], t);
                let ab = abar[t];
                let ab_t = abar[t_max];
                let post = betas[t] * (1.0 - abar[t - 1]) / (1.0 - ab);
                let kl_nats = 0.5 * (-(1.0 - ab_t).ln() + (1.0 - ab_t) + ab_t * mean_sq - 1.0);
                let expect = [
                    ("beta_t", betas[t]),
                    ("alpha_bar_t", ab),
                    ("snr_t", ab / (1.0 - ab)),
                    ("posterior_variance_t", post),
                    ("image_mean_sq", mean_sq),
                    ("prior_kl_bits_per_dim", kl_nats / std::f64::consts::LN_2),
                ];
                for (key, want) in expect {
                    let got = v[key].as_f64().unwrap();
                    if want == 0.0 {
                        assert!(got.abs() < 1e-300, "{kind} T={t_max} t={t} {key}: {got}");
                    } else {
                        assert!(
                            rel(got, want) < 1e-6,
                            "{kind} T={t_max} t={t} {key}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn inspect_writes_the_noised_png() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x0.png");
    write_test_image(&png);
    let out_png = dir.path().join("xt.png");
    let status = Command::new(BIN)
        .args(["inspect", "--image"])
        .arg(&png)
        .args(["--t", "1000", "--out"])
        .arg(&out_png)
        .output()
        .unwrap();
    assert!(status.status.success());
    let img = image::open(&out_png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (32, 32));
    // At t = T the image is noise: its pixels spread over the whole range.
    let mean = img
        .pixels()
        .flat_map(|p| p.0)
        .map(|v| v as f64)
        .sum::<f64>()
        / 3072.0;
    assert!((mean - 127.5).abs() < 15.0, "mean {mean}");
}

pub fn assert_one_line_exit_2(args: &[&str], file: Option<&Path>) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(f) = file {
        cmd.arg(f);
    }
    cmd.env("RUST_BACKTRACE", "1");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    // Our own errors are one line; clap's (a bad flag or value) keep their whole message,
    // which names the argument and gives the usage line.
    if stderr.contains("try '--help'") {
        assert!(stderr.contains("--"), "{args:?}: {stderr}");
    } else {
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn inspect_bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.png");
    write_test_image(&good);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "this is not an image\n").unwrap();
    for f in [&truncated, &empty, &text] {
        assert_one_line_exit_2(&["inspect", "--t", "10", "--image"], Some(f));
    }
    let missing = dir.path().join("missing.png");
    assert_one_line_exit_2(&["inspect", "--t", "10", "--image"], Some(&missing));
    assert_one_line_exit_2(&["inspect", "--t", "0", "--image"], Some(&good));
    assert_one_line_exit_2(&["inspect", "--t", "1001", "--image"], Some(&good));
    assert_one_line_exit_2(
        &["inspect", "--t", "5", "--schedule", "quadratic", "--image"],
        Some(&good),
    );
    assert_one_line_exit_2(&["inspect", "--t", "abc", "--image"], Some(&good));
    assert_one_line_exit_2(
        &["inspect", "--t", "5", "--timesteps", "1", "--image"],
        Some(&good),
    );
}
