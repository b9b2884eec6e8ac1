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
    // The 1-D/2-D world: speed, moons to twice the SWD floor, frames while it trains.
    let toy = &r["toy"];
    assert!(toy["steps_per_s"].as_f64().unwrap() > 0.0, "{toy}");
    let steps = toy["steps_to_twice_floor"]
        .as_u64()
        .expect("moons reach 2× the floor");
    assert!(steps > 0 && steps <= 20_000);
    assert!(toy["swd"].as_f64().unwrap() <= 2.0 * toy["swd_floor"].as_f64().unwrap());
    assert!(toy["ui_p99_ms"].as_f64().unwrap() >= toy["ui_p50_ms"].as_f64().unwrap());
    assert!(toy["reference_steps_per_s"].is_null());
    assert!(
        toy["reference_error"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/python3")
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
