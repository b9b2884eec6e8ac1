//! `elbo` and `likelihood` on the bundled model: the stratified estimate agrees with the full
//! sum, a photograph gets zero indicator hits and a finite Gaussian likelihood, and bad input
//! gets one line and exit status 2.

use crate::cli_inspect::assert_one_line_exit_2;
use crate::reliability::run_json;
use image::{Rgb, RgbImage};

/// The bundled checkpoint, as an absolute path (some tests run the binary in a temporary
/// folder).
pub fn bundled() -> String {
    diffusion_playground::app::bundled_checkpoint()
        .expect("assets/pretrained is found")
        .canonicalize()
        .expect("assets/pretrained exists")
        .display()
        .to_string()
}

/// Σ L_(t−1) over all T−1 timesteps, against the mean of stratified K = 20 estimates over
/// ten seeds (the images are the same for every seed): within 3 standard errors.
#[test]
fn elbo_all_and_stratified_agree_on_the_bundled_model() {
    let ckpt = bundled();
    let args = |strata: &str, seed: &str| {
        let v = run_json(&[
            "elbo",
            "--checkpoint",
            &ckpt,
            "--data",
            "builtin:shapes",
            "--images",
            "4",
            "--strata",
            strata,
            "--seed",
            seed,
            "--json",
        ]);
        for key in ["l_t_bits", "l_sum_bits", "l_0_bits", "total_bits"] {
            assert!(v[key].as_f64().is_some_and(f64::is_finite), "{key}: {v}");
        }
        assert_eq!(v["images"], 4);
        v
    };
    let all = args("all", "1");
    assert_eq!(all["timesteps_evaluated"], 999);
    assert_eq!(all["strata"], "all");
    let total = all["total_bits"].as_f64().unwrap();
    let parts: f64 = ["l_t_bits", "l_sum_bits", "l_0_bits"]
        .iter()
        .map(|k| all[k].as_f64().unwrap())
        .sum();
    assert!((total - parts).abs() < 1e-9);
    // The per-t profile starts at t = 1 and covers every t.
    assert_eq!(all["per_t"].as_array().unwrap().len(), 1000);
    assert_eq!(all["per_t"][0][0], 1);

    let sums: Vec<f64> = (0..10)
        .map(|seed| {
            let v = args("20", &seed.to_string());
            // t = 2 … 11 exactly, then 20 strata
            assert_eq!(v["timesteps_evaluated"], 30);
            assert_eq!(v["strata"], "20");
            v["l_sum_bits"].as_f64().unwrap()
        })
        .collect();
    let mean = sums.iter().sum::<f64>() / 10.0;
    let sd = (sums.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 9.0).sqrt();
    let se = ((sd * sd) / 10.0 + all["l_sum_stderr_bits"].as_f64().unwrap().powi(2)).sqrt();
    let exact = all["l_sum_bits"].as_f64().unwrap();
    assert!(
        (mean - exact).abs() < 3.0 * se,
        "stratified {mean} ± {se} vs all {exact}"
    );
}

/// A photograph-like picture (sky gradient, a textured field, sensor noise) and a real JPEG:
/// no prior draw reproduces every value, so the indicator gives P(x) = 0, while the Gaussian
/// likelihood is finite and consistent with its bits/dim.
#[test]
fn likelihood_of_a_photograph() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("field.png");
    let mut state = 12345u32;
    RgbImage::from_fn(120, 90, |x, y| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = ((state >> 16) % 21) as i32 - 10;
        let (r, g, b) = if y < 40 {
            (90 + y as i32, 140 + y as i32, 230)
        } else {
            (60 + (x as i32 * 7 % 50), 120 + (y as i32 % 30), 40)
        };
        Rgb([
            (r + n).clamp(0, 255) as u8,
            (g + n).clamp(0, 255) as u8,
            (b + n).clamp(0, 255) as u8,
        ])
    })
    .save(&photo)
    .unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cmyk-8x8.jpg");
    let ckpt = bundled();
    for image in [photo.as_path(), fixture.as_path()] {
        let v = run_json(&[
            "likelihood",
            "--checkpoint",
            &ckpt,
            "--image",
            image.to_str().unwrap(),
            "--draws",
            "16",
            "--steps",
            "10",
            "--sigma",
            "0.1",
            "--json",
        ]);
        assert_eq!(v["indicator_hits"], 0, "{v}");
        assert_eq!(v["draws"], 16);
        assert_eq!(v["dims"], 768);
        let log_p = v["log_p_x_nats"].as_f64().unwrap();
        assert!(log_p.is_finite(), "{v}");
        assert!(v["log_p_x_stderr_nats"].as_f64().unwrap().is_finite());
        let bpd = v["bits_per_dim"].as_f64().unwrap();
        assert!((bpd + log_p / (768.0 * std::f64::consts::LN_2)).abs() < 1e-9);
        // bits of 8-bit bins: a probability, so never below 0 (the density's would be)
        assert!(bpd >= 0.0, "{v}");
        let eff = v["effective_draws"].as_f64().unwrap();
        assert!((1.0..=16.0).contains(&eff), "{v}");
        assert!(v["log_p_x_density_nats"].as_f64().unwrap().is_finite());
        // At σ = 1 no value's bin holds more than (2/255)·φ(0): above 8 bits/dim.
        let wide = run_json(&[
            "likelihood",
            "--checkpoint",
            &ckpt,
            "--image",
            image.to_str().unwrap(),
            "--draws",
            "4",
            "--steps",
            "10",
            "--sigma",
            "1",
            "--json",
        ]);
        assert!(wide["bits_per_dim"].as_f64().unwrap() > 8.0, "{wide}");
    }
}

/// `nll` on two held-out images with a cheap fixed-step solve: every key, bits/dim of 8-bit
/// bins ≥ 0 per image, and the same images' −ELBO beside them.
#[test]
fn nll_reports_the_ode_bits_beside_the_elbo() {
    let ckpt = bundled();
    let v = run_json(&[
        "nll",
        "--checkpoint",
        &ckpt,
        "--data",
        "builtin:shapes",
        "--images",
        "2",
        "--solver",
        "heun",
        "--steps",
        "12",
        "--json",
    ]);
    assert_eq!(v["images"], 2);
    assert_eq!(v["split"], "heldout");
    assert_eq!(v["probes"], 1);
    assert_eq!(v["dequantisation_draws"], 1);
    assert_eq!(v["nfe"].as_f64(), Some(24.0));
    assert!(v["method"].as_str().unwrap().starts_with("heun"));
    let bits = v["bits_per_dim"].as_f64().unwrap();
    assert!(bits.is_finite() && bits > 0.0, "{v}");
    assert!(v["stderr_bits"].as_f64().is_some_and(f64::is_finite));
    let per_image = v["per_image"].as_array().unwrap();
    assert_eq!(per_image.len(), 2);
    for image in per_image {
        assert!(image["bits"].as_f64().unwrap() >= 0.0, "{v}");
        assert!(image["elbo_bits"].as_f64().unwrap() > 0.0, "{v}");
    }
    assert!(v["elbo_bits"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_evaluation_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("x.png");
    RgbImage::from_pixel(8, 8, Rgb([10, 20, 30]))
        .save(&good)
        .unwrap();
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not an image").unwrap();
    let ckpt = bundled();
    let lik = |extra: &[&str], image: &std::path::Path| {
        let mut a = vec!["likelihood", "--checkpoint", ckpt.as_str()];
        a.extend_from_slice(extra);
        a.push("--image");
        assert_one_line_exit_2(&a, Some(image));
    };
    lik(&["--sigma", "0"], &good);
    lik(&["--sigma", "11"], &good);
    lik(&["--draws", "0"], &good);
    lik(&["--steps", "0"], &good);
    lik(&[], &text);
    lik(&[], &dir.path().join("missing.png"));
    let elbo = |extra: &[&str]| {
        let mut a = vec!["elbo", "--checkpoint", ckpt.as_str()];
        a.extend_from_slice(extra);
        assert_one_line_exit_2(&a, None);
    };
    elbo(&["--data", "builtin:shapes", "--strata", "0"]);
    elbo(&["--data", "builtin:shapes", "--strata", "some"]);
    elbo(&["--data", "builtin:nothing"]);
    elbo(&["--data", "builtin:shapes", "--images", "0"]);
    elbo(&[
        "--data",
        dir.path().join("no-such-folder").to_str().unwrap(),
    ]);
    assert_one_line_exit_2(
        &["elbo", "--data", "builtin:shapes", "--checkpoint"],
        Some(dir.path()),
    );
    elbo(&["--data", "builtin:shapes", "--split", "test"]);
    // A folder of four images holds none out.
    let small = dir.path().join("four");
    std::fs::create_dir(&small).unwrap();
    for i in 0..4 {
        RgbImage::from_pixel(8, 8, Rgb([i * 50, 20, 30]))
            .save(small.join(format!("{i}.png")))
            .unwrap();
    }
    elbo(&["--data", small.to_str().unwrap()]);
    let nll = |extra: &[&str]| {
        let mut a = vec!["nll", "--checkpoint", ckpt.as_str(), "--data"];
        a.extend_from_slice(extra);
        assert_one_line_exit_2(&a, None);
    };
    nll(&[small.to_str().unwrap()]);
    nll(&["builtin:shapes", "--probes", "0"]);
    nll(&["builtin:shapes", "--solver", "euler"]);
    nll(&["builtin:shapes", "--rtol", "0"]);
    nll(&["builtin:shapes", "--solver", "heun", "--steps", "0"]);
    nll(&["builtin:shapes", "--split", "test"]);
    nll(&["builtin:shapes", "--images", "0"]);
    // guidance needs a labelled set, and its sweep the overlap set's exact p(c | x)
    let toy = |extra: &[&str]| {
        let mut a = vec!["toy", "--steps", "5"];
        a.extend_from_slice(extra);
        assert_one_line_exit_2(&a, None);
    };
    toy(&["--data", "rings", "--conditional"]);
    toy(&["--data", "overlap", "--guidance-sweep", "0,1"]);
    toy(&[
        "--data",
        "moons",
        "--conditional",
        "--guidance-sweep",
        "0,1",
    ]);
    toy(&["--data", "overlap", "--conditional", "--p-uncond", "1.5"]);
    toy(&[
        "--data",
        "overlap",
        "--conditional",
        "--guidance-sweep",
        "0,50",
    ]);
    // the objectives: a known name; OT and reflow only with flow matching
    toy(&["--data", "moons", "--objective", "score"]);
    toy(&[
        "--data",
        "moons",
        "--objective",
        "flow",
        "--flow-time",
        "beta",
    ]);
    toy(&["--data", "moons", "--ot"]);
    toy(&["--data", "moons", "--objective", "v", "--reflow"]);
}

/// `toy --objective flow --reflow --nfe-sweep … --samples-csv`: the JSON names the objective,
/// reports straightness before and after the reflow, and the CSV has a row per point of every
/// sampler at every budget, after the data's.
#[test]
fn toy_flow_matching_reflows_and_writes_the_sweep_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sweep.csv");
    let v = run_json(&[
        "toy",
        "--data",
        "moons",
        "--steps",
        "300",
        "--objective",
        "flow",
        "--flow-time",
        "logit-normal",
        "--reflow",
        "--sampler",
        "euler,heun",
        "--nfe-sweep",
        "1,4",
        "--samples-csv",
        csv.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["objective"], "flow");
    assert_eq!(v["flow_time"], "logit-normal");
    assert_eq!(v["steps"], 600, "two rounds of --steps");
    let before = v["before_reflow"]["straightness"].as_f64().unwrap();
    let after = v["straightness"].as_f64().unwrap();
    assert!(after < before, "reflow straightens: {before} → {after}");
    let sweep = v["sweep"].as_array().unwrap();
    assert_eq!(sweep.len(), 4);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("source,sampler,nfe,x,y"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2000 * 5, "the data, then 4 sweep points");
    assert!(rows[0].starts_with("data,,,"));
    assert!(rows[2000].starts_with("sample,euler,1,"));
    assert!(rows.last().unwrap().starts_with("sample,heun,4,"));
}

/// `toy` on the 1-D mixture: every held-out point gets its exact ODE −log p and the same
/// network's −ELBO, and the ODE's mean lands near the data's own entropy (the mixture's
/// −log p on the same points: a trained model's cross-entropy is a little above it).
#[test]
fn toy_reports_the_ode_nll_beside_the_elbo_per_point() {
    let v = run_json(&["toy", "--data", "mixture", "--steps", "3000", "--json"]);
    let points = v["per_point"].as_array().unwrap();
    assert_eq!(points.len(), 256);
    assert_eq!(v["held_out"], 256);
    assert!(v["ode_nfe"].as_u64().unwrap() > 10);
    let comps = [(0.3, -1.2, 0.25), (0.5, 0.4, 0.35), (0.2, 1.6, 0.15)];
    let true_nll = |x: f64| {
        -comps
            .iter()
            .map(|&(w, m, s): &(f64, f64, f64)| {
                w * (-(x - m).powi(2) / (2.0 * s * s)).exp()
                    / (s * (2.0 * std::f64::consts::PI).sqrt())
            })
            .sum::<f64>()
            .ln()
    };
    let mut entropy = 0.0;
    for p in points {
        let x = p["x"][0].as_f64().unwrap();
        let ode = p["ode_nll_nats"].as_f64().unwrap();
        let elbo = p["neg_elbo_nats"].as_f64().unwrap();
        assert!(ode.is_finite() && elbo.is_finite(), "{p}");
        entropy += true_nll(x) / 256.0;
    }
    let ode = v["ode_nll_nats"].as_f64().unwrap();
    let se = v["ode_nll_stderr_nats"].as_f64().unwrap();
    assert!(
        ode > entropy - 3.0 * se && ode < entropy + 0.5,
        "ODE −log p {ode} ± {se}, the data's own {entropy}"
    );
}

/// `toy --data overlap --conditional --guidance-sweep`: classifier-free guidance measured by
/// the data's own p(c | x). Precision never falls as w grows over 0, 1, 2, 3, 5, reaches 0.95
/// at w = 3, at least 0.10 above the unconditional w = 0; the CSV holds the data and every
/// w's samples.
#[test]
fn toy_guidance_sweep_raises_precision() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("g.csv");
    let v = run_json(&[
        "toy",
        "--data",
        "overlap",
        "--conditional",
        "--guidance-sweep",
        "0,1,2,3,5",
        "--samples-csv",
        csv.to_str().unwrap(),
        "--json",
    ]);
    let g = v["guidance"].as_array().unwrap();
    let ws: Vec<f64> = g.iter().map(|p| p["w"].as_f64().unwrap()).collect();
    assert_eq!(ws, vec![0.0, 1.0, 2.0, 3.0, 5.0]);
    let precision: Vec<f64> = g.iter().map(|p| p["precision"].as_f64().unwrap()).collect();
    assert!(
        precision.windows(2).all(|p| p[1] >= p[0] - 0.01),
        "{precision:?}"
    );
    assert!(
        precision[3] >= 0.95 && precision[3] >= precision[0] + 0.10,
        "{precision:?}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("source,class,w,x,y"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.iter().filter(|r| r.starts_with("data,")).count(), 1500);
    assert_eq!(
        rows.iter().filter(|r| r.starts_with("sample,")).count(),
        1500 * 5
    );
}
