//! The string catalogues: both languages have the same keys and placeables, every key the
//! code asks for exists, every CLI flag has help in both languages, and the bundled fonts
//! draw every character of both catalogues.

use diffusion_playground::app::lesson::STEPS;
use diffusion_playground::i18n::{self, Lang, catalogue, errors, variables};
use std::collections::BTreeSet;
use std::path::Path;

fn keys(lang: Lang) -> BTreeSet<&'static str> {
    catalogue(lang).keys().copied().collect()
}

#[test]
fn both_catalogues_parse_and_have_the_same_keys_and_placeables() {
    for lang in Lang::ALL {
        assert!(errors(lang).is_empty(), "{lang}: {:?}", errors(lang));
        let n = catalogue(lang).len();
        assert!(n > 200, "{lang} has only {n} messages");
    }
    let en = keys(Lang::En);
    let zh = keys(Lang::ZhCn);
    let missing_zh: Vec<_> = en.difference(&zh).collect();
    let missing_en: Vec<_> = zh.difference(&en).collect();
    assert!(
        missing_zh.is_empty(),
        "missing in zh-CN.ftl: {missing_zh:?}"
    );
    assert!(missing_en.is_empty(), "missing in en.ftl: {missing_en:?}");
    for key in &en {
        assert_eq!(
            variables(Lang::En, key),
            variables(Lang::ZhCn, key),
            "{key}: placeables differ"
        );
        assert!(
            !catalogue(Lang::ZhCn)[key].trim().is_empty(),
            "{key} is empty in zh-CN"
        );
    }
}

/// Every `tr!("key"` in the sources.
fn keys_used_in(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_used_in(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            // `tr!("` not preceded by an identifier character (`include_str!("` is not a key).
            for (at, _) in text.match_indices("tr!(\"") {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some(key) = text[at + 5..].split('"').next() {
                    out.insert(key.to_owned());
                }
            }
        }
    }
}

#[test]
fn every_key_the_code_uses_exists() {
    let mut used = BTreeSet::new();
    keys_used_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(used.len() > 150, "found only {} keys in src/", used.len());
    for step in &STEPS {
        used.insert(step.title.to_owned());
        used.insert(step.body.to_owned());
    }
    let en = keys(Lang::En);
    let missing: Vec<_> = used.iter().filter(|k| !en.contains(k.as_str())).collect();
    assert!(
        missing.is_empty(),
        "keys used but not in the catalogue: {missing:?}"
    );
}

#[test]
fn every_command_and_flag_has_help_in_both_languages() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, scope: &str, out: &mut Vec<String>) {
        out.push(format!("cli-{scope}-about"));
        for arg in cmd.get_arguments() {
            out.push(format!(
                "cli-{scope}-{}",
                arg.get_id().as_str().replace('_', "-")
            ));
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, sub.get_name(), out);
        }
    }
    let mut wanted = Vec::new();
    walk(
        &diffusion_playground::cli::Cli::command(),
        "app",
        &mut wanted,
    );
    let en = keys(Lang::En);
    let missing: Vec<_> = wanted.iter().filter(|k| !en.contains(k.as_str())).collect();
    assert!(missing.is_empty(), "no help text for: {missing:?}");

    // The help really comes out in Chinese.
    i18n::set_lang(Lang::ZhCn);
    let help = diffusion_playground::cli::localized_command()
        .find_subcommand_mut("train")
        .unwrap()
        .render_long_help()
        .to_string();
    i18n::set_lang(Lang::En);
    assert!(help.contains("训练数据") && help.contains("选项"), "{help}");
}

#[test]
fn the_bundled_fonts_draw_every_character_of_both_catalogues() {
    let ctx = egui::Context::default();
    diffusion_playground::app::install_fonts(&ctx);
    let _ = ctx.run_ui(Default::default(), |_| {});
    let font = egui::FontId::proportional(14.0);
    for lang in Lang::ALL {
        for (key, text) in catalogue(lang) {
            let missing: String = ctx.fonts_mut(|f| {
                text.chars()
                    .filter(|c| !c.is_control() && !f.has_glyph(&font, *c))
                    .collect()
            });
            assert!(missing.is_empty(), "{lang} {key}: no glyph for {missing:?}");
        }
    }
}
