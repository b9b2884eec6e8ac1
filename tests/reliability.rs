//! Long runs: the app trains and samples continuously, headless, in its own process (so that
//! its memory is its own), and neither memory nor any backlog grows.

use std::process::Command;

/// Run the binary (in English) and parse the one JSON object it prints.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    run_json_with(args, &[])
}

/// [`run_json`] with these environment variables set as well.
pub fn run_json_with(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_diffusion-playground"))
        .args(args)
        .env("DIFFUSION_PLAYGROUND_LANG", "en")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn a_soak_run_keeps_memory_and_backlog_flat() {
    let seconds = 24.0;
    // At least 24 s, and however long a busy machine needs for 20 steps and 3 sample sets.
    let report = run_json(&[
        "soak",
        "--device",
        "cpu",
        "--json",
        "--seconds",
        &seconds.to_string(),
        "--min-steps",
        "20",
        "--min-samples",
        "3",
    ]);
    let steps = report["train_steps"].as_u64().unwrap();
    let samples = report["samples"].as_u64().unwrap();
    assert!(steps >= 20, "only {steps} training steps");
    assert!(samples >= 3, "only {samples} sample sets");
    let notices: Vec<&str> = report["last_notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        !notices
            .iter()
            .any(|n| n.contains("failed") || n.contains("stopped")),
        "{notices:?}"
    );
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");

    // Backlog: unanswered sampling jobs, notices and curve points stay bounded.
    for entry in report["backlog"].as_array().unwrap() {
        let b = &entry[1];
        // the worker's queue of 2 and the job it runs
        assert!(b["jobs"].as_u64().unwrap() <= 3, "{b}");
        assert!(b["notices"].as_u64().unwrap() <= 6, "{b}");
    }

    // Memory: after the first third (allocator pools and caches warmed up) it stays flat.
    let rss: Vec<(f64, f64)> = report["rss_mib"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_f64().unwrap(), e[1].as_f64().unwrap()))
        .collect();
    if rss.is_empty() {
        eprintln!("no /proc here: memory not checked");
        return;
    }
    let third = rss.len() / 3;
    let settled = rss[third..]
        .iter()
        .map(|r| r.1)
        .fold(f64::INFINITY, f64::min);
    let last = rss.last().unwrap().1;
    let max = rss[third..].iter().map(|r| r.1).fold(0.0, f64::max);
    assert!(
        max - settled < 64.0_f64.max(0.15 * settled),
        "resident memory grew from {settled:.0} to {max:.0} MiB (last {last:.0}): {rss:?}"
    );
}
