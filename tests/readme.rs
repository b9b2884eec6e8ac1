//! The README's commands, run as a newcomer runs them: every `diffusion-playground` line of
//! its shell blocks, verbatim through `sh` from a fresh folder, with only the documented
//! shortening (--steps of train and toy to at most 10, --images to 2, --draws to 4). Each must
//! exit 0, write every file it names (--out, --metrics, --trajectory) and, with --json, print
//! the keys the README shows beneath it. The README cannot drift from the program again.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_diffusion-playground");

/// One command of the README, with the JSON keys its comment shows.
#[derive(Debug)]
struct ReadmeCommand {
    line: String,
    keys: Vec<String>,
}

/// Every `diffusion-playground` line in the README's ```sh blocks (continuations joined).
fn readme_commands(readme: &str) -> Vec<ReadmeCommand> {
    let mut commands: Vec<ReadmeCommand> = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    let mut reading_keys = false;
    for raw in readme.lines() {
        let line = raw.trim_end();
        if line.starts_with("```") {
            in_sh = line == "```sh";
            reading_keys = false;
            continue;
        }
        if !in_sh {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        let full = format!("{pending}{line}");
        pending.clear();
        let trimmed = full.trim();
        if trimmed.starts_with("diffusion-playground ") {
            commands.push(ReadmeCommand {
                line: trimmed.to_owned(),
                keys: Vec::new(),
            });
            reading_keys = true;
        } else if reading_keys && (trimmed.starts_with("# {") || trimmed.starts_with("#  ")) {
            if let Some(c) = commands.last_mut() {
                c.keys.extend(json_keys(trimmed));
            }
        } else {
            reading_keys = false;
        }
    }
    commands
}

/// The `"key":` names in a README comment line.
fn json_keys(comment: &str) -> Vec<String> {
    let parts: Vec<&str> = comment.split('"').collect();
    // Inside quotes at odd positions; a key is followed by a colon.
    (1..parts.len().saturating_sub(1))
        .step_by(2)
        .filter(|&i| parts[i + 1].starts_with(':'))
        .map(|i| parts[i].to_owned())
        .collect()
}

/// The command without its trailing comment, shortened as the README says.
fn shortened(line: &str) -> String {
    let command = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    };
    let tokens: Vec<&str> = command.split_whitespace().collect();
    let sub = tokens.get(1).copied().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for (i, tok) in tokens.iter().enumerate() {
        let prev = if i > 0 { tokens[i - 1] } else { "" };
        let cap = match (prev, sub) {
            ("--steps", "train" | "toy") => Some(10),
            ("--images", _) => Some(2),
            ("--draws", _) => Some(4),
            _ => None,
        };
        match (cap, tok.parse::<u64>()) {
            (Some(cap), Ok(n)) => out.push(n.min(cap).to_string()),
            _ => out.push((*tok).to_owned()),
        }
    }
    out.join(" ")
}

/// The paths the command says it writes.
fn outputs(command: &str, home: &Path) -> Vec<PathBuf> {
    let tokens: Vec<&str> = command.split_whitespace().collect();
    tokens
        .windows(2)
        .filter(|w| matches!(w[0], "--out" | "--metrics" | "--trajectory"))
        .map(|w| match w[1].strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(w[1]),
        })
        .collect()
}

/// The files the README's commands read: a photo, a folder of photos, a drawing, and the
/// bundled checkpoint where the README's folder has it.
fn set_up(dir: &Path) {
    use image::{Rgb, RgbImage};
    let photo = |seed: u32| {
        RgbImage::from_fn(48, 40, move |x, y| {
            Rgb([
                (x * 5 + seed * 40) as u8,
                (y * 6) as u8,
                ((x * y + seed) % 256) as u8,
            ])
        })
    };
    photo(0).save(dir.join("cat.jpg")).unwrap();
    let cats = dir.join("Pictures/cats");
    std::fs::create_dir_all(&cats).unwrap();
    for i in 0..4 {
        photo(i + 1).save(cats.join(format!("cat{i}.jpg"))).unwrap();
    }
    // A dark disc on white: its dark pixels are the toy's cloud.
    RgbImage::from_fn(64, 64, |x, y| {
        let (dx, dy) = (x as i32 - 32, y as i32 - 32);
        if dx * dx + dy * dy < 400 {
            Rgb([20, 20, 20])
        } else {
            Rgb([250, 250, 250])
        }
    })
    .save(dir.join("my-drawing.png"))
    .unwrap();
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pretrained");
    let to = dir.join("assets/pretrained");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(bundled).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn json_keys_are_read_from_readme_comments() {
    assert_eq!(
        json_keys(r#"# {"a":1,"b_c":…,"strata":"all","per_t":[[1,…],…]}"#),
        vec!["a", "b_c", "strata", "per_t"]
    );
    assert_eq!(
        shortened("diffusion-playground train --steps 2000 --out x   # a comment"),
        "diffusion-playground train --steps 10 --out x"
    );
    assert_eq!(
        shortened("diffusion-playground sample --steps 50 --images 64"),
        "diffusion-playground sample --steps 50 --images 2"
    );
}

#[test]
fn every_command_in_the_readme_works_verbatim() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let commands = readme_commands(&readme);
    let subcommands: std::collections::BTreeSet<&str> = commands
        .iter()
        .filter_map(|c| c.line.split_whitespace().nth(1))
        .collect();
    for sub in [
        "inspect",
        "train",
        "sample",
        "elbo",
        "likelihood",
        "nll",
        "toy",
    ] {
        assert!(subcommands.contains(sub), "the README shows no {sub}");
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    set_up(home);
    // `diffusion-playground` on the PATH, as after `cargo install`.
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("diffusion-playground")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let runtime = home.join("xdg");
    std::fs::create_dir_all(&runtime).unwrap();
    for c in &commands {
        let line = shortened(&c.line);
        let out = Command::new("sh")
            .arg("-c")
            .arg(&line)
            .current_dir(home)
            .env("HOME", home)
            .env("PATH", &path)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DIFFUSION_PLAYGROUND_DEVICE", "cpu")
            .env("DIFFUSION_PLAYGROUND_LANG", "en")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "README command failed: {line}\n{stderr}"
        );
        for path in outputs(&line, home) {
            let path = if path.is_absolute() {
                path
            } else {
                home.join(path)
            };
            assert!(path.exists(), "{line}: wrote no {}", path.display());
        }
        if line.contains("--json") {
            let v: serde_json::Value = serde_json::from_str(stdout.trim())
                .unwrap_or_else(|e| panic!("{line}: not one JSON object ({e}): {stdout}"));
            for key in &c.keys {
                assert!(v.get(key).is_some(), "{line}: no key {key} in {stdout}");
            }
        } else if !line.contains(" train ") && !line.contains(" sample ") {
            assert!(!stdout.trim().is_empty(), "{line}: printed nothing");
        }
    }
}
