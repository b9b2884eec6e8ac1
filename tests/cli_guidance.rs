//! Classifier-free guidance on images from the command line: `train --conditional`, `sample
//! --class --guidance` and `guidance` on the bundled class-conditional model, and the clear
//! messages for data and checkpoints that cannot be guided.

use crate::cli_evaluate::bundled;
use crate::cli_inspect::assert_one_line_exit_2;
use crate::reliability::run_json;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_diffusion-playground");

/// On the bundled model, guidance at w = 4 puts more samples in their class than w = 0 (the
/// unconditional model) by a classifier that never saw a sample, and makes them less varied.
#[test]
fn guidance_raises_accuracy_and_lowers_diversity_on_the_bundled_model() {
    let v = run_json(&[
        "guidance",
        "--checkpoint",
        &bundled(),
        "--w",
        "0,4",
        "--n",
        "16",
        "--steps",
        "20",
        "--device",
        "cpu",
        "--json",
    ]);
    assert_eq!(
        v["classes"],
        serde_json::json!(["circle", "square", "triangle"])
    );
    let judge = v["classifier_heldout_accuracy"].as_f64().unwrap();
    assert!(judge > 0.9, "the classifier is a poor judge: {judge}");
    let g = v["guidance"].as_array().unwrap();
    assert_eq!(g.len(), 2);
    for p in g {
        for key in [
            "accuracy",
            "accuracy_stderr",
            "diversity",
            "pixel_diversity",
            "nearest_rms_levels",
            "saturated",
            "classifier_heldout_accuracy",
        ] {
            assert!(p[key].as_f64().is_some_and(f64::is_finite), "{key}: {p}");
        }
    }
    let (a0, a4) = (
        g[0]["accuracy"].as_f64().unwrap(),
        g[1]["accuracy"].as_f64().unwrap(),
    );
    assert!(a4 > a0 + 0.2, "accuracy {a0} at w = 0, {a4} at w = 4");
    let (d0, d4) = (
        g[0]["diversity"].as_f64().unwrap(),
        g[1]["diversity"].as_f64().unwrap(),
    );
    assert!(d4 < d0, "diversity {d0} at w = 0, {d4} at w = 4");
}

#[test]
fn conditional_training_and_guided_sampling_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pets");
    for (class, level) in [("cats", 40u8), ("dogs", 200u8)] {
        std::fs::create_dir_all(data.join(class)).unwrap();
        for i in 0..3 {
            image::RgbImage::from_pixel(8, 8, image::Rgb([level + i, level, level]))
                .save(data.join(class).join(format!("{i}.png")))
                .unwrap();
        }
    }
    let out = dir.path().join("run");
    let status = Command::new(BIN)
        .args([
            "train",
            "--data",
            data.to_str().unwrap(),
            "--steps",
            "3",
            "--size",
            "8",
        ])
        .args([
            "--base-channels",
            "8",
            "--batch",
            "4",
            "--timesteps",
            "20",
            "--device",
            "cpu",
        ])
        .args([
            "--conditional",
            "--p-uncond",
            "0.2",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains("classes: cats, dogs"), "{stderr}");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checkpoint.json")).unwrap())
            .unwrap();
    assert_eq!(
        record["config"]["classes"],
        serde_json::json!(["cats", "dogs"])
    );
    assert_eq!(record["config"]["p_uncond"], 0.2);
    let png = dir.path().join("dogs.png");
    let sampled = Command::new(BIN)
        .args([
            "sample",
            "--checkpoint",
            out.to_str().unwrap(),
            "--n",
            "2",
            "--steps",
            "3",
        ])
        .args(["--class", "dogs", "--guidance", "3", "--device", "cpu"])
        .args(["--out", png.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        sampled.status.success(),
        "{}",
        String::from_utf8_lossy(&sampled.stderr)
    );
    assert!(png.exists());
    let ckpt = out.to_str().unwrap();
    for bad in [
        vec!["--class", "birds"],
        vec!["--class", "2"],
        vec!["--guidance", "3"],
        vec!["--class", "cats", "--guidance", "-1"],
        vec!["--class", "cats", "--guidance", "nan"],
    ] {
        let mut args = vec!["sample", "--checkpoint", ckpt, "--out", "x.png"];
        args.extend(bad);
        assert_one_line_exit_2(&args, None);
    }
}

#[test]
fn data_and_checkpoints_that_cannot_be_guided_get_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    std::fs::create_dir_all(one.join("cats")).unwrap();
    image::RgbImage::from_pixel(8, 8, image::Rgb([9, 9, 9]))
        .save(one.join("cats/a.png"))
        .unwrap();
    let out = dir.path().join("run");
    let train = |data: &str, extra: &[&str]| {
        let mut args = vec![
            "train",
            "--data",
            data,
            "--steps",
            "1",
            "--size",
            "8",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Command::new(BIN)
            .args(&args)
            .env("DIFFUSION_PLAYGROUND_LANG", "en")
            .output()
            .unwrap()
    };
    let r = train(one.to_str().unwrap(), &["--conditional"]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("1 class (cats)") && stderr.contains("at least 2"),
        "{stderr}"
    );
    // An empty class folder.
    std::fs::create_dir_all(one.join("dogs")).unwrap();
    let r = train(one.to_str().unwrap(), &["--conditional"]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the class dogs") && stderr.contains("no usable image"),
        "{stderr}"
    );
    assert_one_line_exit_2(
        &[
            "train",
            "--data",
            "builtin:shapes",
            "--steps",
            "1",
            "--p-uncond",
            "0.2",
            "--out",
            "r",
        ],
        None,
    );
    // An unconditional checkpoint cannot be guided.
    let plain = dir.path().join("plain");
    let r = train(
        "builtin:shapes",
        &["--base-channels", "8", "--timesteps", "20"],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    std::fs::rename(&out, &plain).unwrap();
    let p = plain.to_str().unwrap();
    assert_one_line_exit_2(
        &[
            "sample",
            "--checkpoint",
            p,
            "--class",
            "0",
            "--out",
            "x.png",
        ],
        None,
    );
    assert_one_line_exit_2(&["guidance", "--checkpoint", p], None);
    assert_one_line_exit_2(
        &["guidance", "--checkpoint", &bundled(), "--class", "hexagon"],
        None,
    );
    assert_one_line_exit_2(
        &["guidance", "--checkpoint", &bundled(), "--w", "0,99"],
        None,
    );
}
