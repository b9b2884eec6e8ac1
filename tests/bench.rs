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

/// An X display for a real window: $DISPLAY when there is one, else a private Xvfb started
/// here (killed when the guard drops); None where neither exists (not Linux, no Xvfb).
struct Display {
    name: String,
    xvfb: Option<std::process::Child>,
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(x) = self.xvfb.as_mut() {
            let _ = x.kill();
            let _ = x.wait();
        }
    }
}

fn display() -> Option<Display> {
    if let Ok(name) = std::env::var("DISPLAY")
        && !name.is_empty()
    {
        return Some(Display { name, xvfb: None });
    }
    // A display number of our own: Xvfb refuses one in use, so try a few.
    for n in 0..20 {
        let name = format!(":{}", 90 + (std::process::id() as usize + n) % 400);
        let child = std::process::Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1366x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(mut child) = child else {
            return None; // no Xvfb here
        };
        // Xvfb makes its socket when it is ready, or exits when the display is taken.
        let socket = format!("/tmp/.X11-unix/X{}", &name[1..]);
        for _ in 0..200 {
            if std::path::Path::new(&socket).exists() {
                return Some(Display {
                    name,
                    xvfb: Some(child),
                });
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    None
}

/// `bench --window` in a real window (Xvfb in CI), scenes cut to a second: every scene is
/// reported with its frames, the UI thread's CPU and, where it trains, both rates.
#[test]
fn bench_window_measures_every_scene_in_a_real_window() {
    let Some(display) = display() else {
        assert!(std::env::var("CI").is_err(), "CI installs Xvfb");
        eprintln!("no X display and no Xvfb: bench --window not run");
        return;
    };
    let r = crate::reliability::run_json_with(
        &[
            "bench",
            "--window",
            "--device",
            "cpu",
            "--json",
            "--scene-seconds",
            "1",
        ],
        &[("DISPLAY", display.name.as_str())],
    );
    assert!(!r["renderer"].as_str().unwrap().is_empty(), "{r}");
    let scenes = r["scenes"].as_array().unwrap();
    let names: Vec<&str> = scenes.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "train-on-image",
            "sampling",
            "likelihood",
            "world-1d",
            "world-2d"
        ]
    );
    for s in scenes {
        // A scene may draw no frame at all (nothing changed): then it has no frame times.
        assert!(s["fps"].as_f64().unwrap() >= 0.0, "{s}");
        match (s["frame_p50_ms"].as_f64(), s["frame_p99_ms"].as_f64()) {
            (Some(p50), Some(p99)) => assert!(0.0 < p50 && p50 <= p99, "{s}"),
            _ => assert_eq!(s["frames"], 0, "{s}"),
        }
        if let Some(cores) = s["ui_thread_cores"].as_f64() {
            assert!((0.0..=1.05).contains(&cores), "{s}");
        }
        let trains = s["name"] != "sampling" && s["name"] != "likelihood";
        assert_eq!(s["train_rate_window"].is_number(), trains, "{s}");
        assert_eq!(s["train_rate_headless"].is_number(), trains, "{s}");
        if trains {
            // One second may fall inside a grid or a view: a rate of 0 is possible here.
            for key in ["train_rate_window", "train_rate_headless"] {
                let rate = s[key].as_f64().unwrap();
                assert!(rate.is_finite() && rate >= 0.0, "{s}");
            }
            // The references just before and just after the scene, in the same window.
            assert_eq!(
                s["train_rate_headless_runs"].as_array().map(Vec::len),
                Some(2),
                "{s}"
            );
            assert!(s["reference_frames"].is_number(), "{s}");
        }
    }
    assert!(r["load"]["cpus"].as_u64().is_some_and(|n| n >= 1), "{r}");
}
