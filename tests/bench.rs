//! `bench` end to end, cut short: every figure is present and plausible, and a missing
//! PyTorch is reported plainly instead of a ratio.

#[test]
fn bench_reports_every_figure_and_says_when_pytorch_is_missing() {
    let r = crate::reliability::run_json(&[
        "bench",
        "--device",
        "cpu",
        "--json",
        "--repeats",
        "1",
        "--ddpm-steps",
        "3",
        "--frames",
        "30",
        "--python",
        "/nonexistent/python3",
    ]);
    assert_eq!(r["device"]["backend"], "Flex");
    assert!(r["params"].as_u64().unwrap() > 1_000_000);
    let train = r["train"].as_array().unwrap();
    assert_eq!(train.len(), 2);
    for (f, batch) in train.iter().zip([32, 64]) {
        assert_eq!(f["batch"], batch);
        let ms = f["ms_per_step"].as_f64().unwrap();
        let ips = f["images_per_s"].as_f64().unwrap();
        assert!(ms > 0.0 && (ips - batch as f64 * 1000.0 / ms).abs() < 1e-6 * ips);
    }
    let sample = r["sample"].as_array().unwrap();
    let ddim = &sample[0];
    assert_eq!(
        (ddim["sampler"].as_str(), ddim["steps"].as_u64()),
        (Some("ddim"), Some(50))
    );
    assert_eq!(ddim["timed_steps"], 50);
    let ddpm = &sample[1];
    assert_eq!(ddpm["sampler"], "ddpm");
    assert_eq!(ddpm["timed_steps"], 3);
    assert_eq!(ddpm["extrapolated"], true);
    let total = ddpm["total_ms"].as_f64().unwrap();
    assert!((total - 1000.0 * ddpm["ms_per_step"].as_f64().unwrap()).abs() < 1e-6 * total);
    let ui = &r["ui"];
    assert_eq!(ui["frames"], 30);
    let (p50, p99, max) = (
        ui["p50_ms"].as_f64().unwrap(),
        ui["p99_ms"].as_f64().unwrap(),
        ui["max_ms"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{ui}");
    assert!(
        r["cold_start"]["first_frame_ms"].as_f64().unwrap() > 0.0,
        "{r}"
    );
    assert_eq!(r["reference"]["status"], "unavailable");
    assert!(
        r["reference"]["reason"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/python3"),
        "{}",
        r["reference"]
    );
}
