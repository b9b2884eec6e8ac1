//! Flow matching and the samplers on images from the command line: `train --objective`, the
//! checkpoint that records it, `sample --sampler` with every sampler on the bundled model and
//! on a flow-matching run of `builtin:shapes`, and the clear messages for bad choices.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_diffusion-playground");

/// The command exits with 2 and one line on stderr that contains `says` (when given).
fn refused(args: &[&str], says: Option<&str>) {
    crate::cli_inspect::assert_one_line_exit_2(args, None);
    if let Some(says) = says {
        let out = Command::new(BIN).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

fn run_ok(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

/// Every sampler samples the bundled model, each reporting its network calls.
#[test]
fn the_bundled_model_samples_with_every_sampler() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = crate::cli_evaluate::bundled();
    for (sampler, calls) in [
        ("ddim", None),
        ("euler", Some("3 steps of euler: 3 network calls")),
        ("heun", Some("3 steps of heun: 5 network calls")),
        ("dpmpp2m", Some("3 steps of dpmpp2m: 3 network calls")),
    ] {
        let png = dir.path().join(format!("{sampler}.png"));
        let stderr = run_ok(&[
            "sample",
            "--checkpoint",
            &bundled,
            "--n",
            "2",
            "--sampler",
            sampler,
            "--steps",
            "3",
            "--device",
            "cpu",
            "--out",
            png.to_str().unwrap(),
        ]);
        if let Some(calls) = calls {
            assert!(stderr.contains(calls), "{sampler}: {stderr}");
        }
        assert!(png.exists(), "{sampler}");
    }
    let ckpt = bundled.as_str();
    refused(
        &[
            "sample",
            "--checkpoint",
            ckpt,
            "--sampler",
            "lms",
            "--out",
            "x.png",
        ],
        Some("expected ddpm, ddim, euler, heun or dpmpp2m"),
    );
    refused(
        &[
            "sample",
            "--checkpoint",
            ckpt,
            "--sampler",
            "heun",
            "--steps",
            "0",
            "--out",
            "x.png",
        ],
        None,
    );
}

/// A flow-matching run on builtin:shapes trains, its checkpoint says so, it samples with an
/// ODE sampler (Heun's last step on the flow line takes its second call) and with DDIM
/// (through the conversion to ε̂), and a resumed run cannot change its objective.
#[test]
fn a_flow_matching_run_trains_and_samples() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flow");
    let run = out.to_str().unwrap();
    run_ok(&[
        "train",
        "--data",
        "builtin:shapes",
        "--steps",
        "4",
        "--size",
        "8",
        "--base-channels",
        "8",
        "--batch",
        "4",
        "--timesteps",
        "20",
        "--device",
        "cpu",
        "--objective",
        "flow",
        "--flow-time",
        "logit-normal",
        "--out",
        run,
    ]);
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checkpoint.json")).unwrap())
            .unwrap();
    assert_eq!(record["config"]["objective"], "flow");
    assert_eq!(record["config"]["flow_time"], "logit-normal");
    for (sampler, calls) in [
        ("heun", Some("3 steps of heun: 6 network calls")),
        ("ddim", None),
    ] {
        let png = dir.path().join(format!("{sampler}.png"));
        let stderr = run_ok(&[
            "sample",
            "--checkpoint",
            run,
            "--n",
            "2",
            "--sampler",
            sampler,
            "--steps",
            "3",
            "--device",
            "cpu",
            "--out",
            png.to_str().unwrap(),
        ]);
        if let Some(calls) = calls {
            assert!(stderr.contains(calls), "{stderr}");
        }
        assert!(png.exists());
    }
    // resuming keeps the objective; a different one is refused
    refused(
        &[
            "train",
            "--data",
            "builtin:shapes",
            "--steps",
            "5",
            "--resume",
            run,
            "--out",
            run,
            "--objective",
            "eps",
            "--device",
            "cpu",
        ],
        Some("--objective eps contradicts the checkpoint"),
    );
    for bad in [
        vec!["--objective", "score"],
        vec!["--flow-time", "logit-normal"],
        vec!["--objective", "flow", "--flow-time", "beta"],
    ] {
        let other = dir.path().join("bad");
        let mut args = vec![
            "train",
            "--data",
            "builtin:shapes",
            "--steps",
            "1",
            "--out",
            other.to_str().unwrap(),
        ];
        args.extend(bad);
        refused(&args, None);
    }
}
