//! Localisation: English and 简体中文.
//!
//! Every user-facing string lives in one catalogue per language, `assets/i18n/en.ftl` and
//! `assets/i18n/zh-CN.ftl`, written in a small subset of Fluent: `key = text`, continuation
//! lines indented, `{ $name }` placeables, `#` comments. Code asks for a message with
//! [`tr!`](crate::tr), naming its key and the values of its placeables, for example
//! `tr!(KEY)` or `tr!(KEY, step = 5)`.
//!
//! The language is per thread: the UI thread sets it from the settings every frame, and the
//! worker is told with a command, so tests can run the app in both languages side by side.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// The environment variable that picks the language (else LC_ALL, LC_MESSAGES, LANG).
pub const LANG_ENV: &str = "DIFFUSION_PLAYGROUND_LANG";

/// A supported language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// English
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
        }
    }

    /// From a locale string such as `zh_CN.UTF-8`, `zh-Hans` or `en_US`.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let l = locale.trim().to_ascii_lowercase();
        if l.is_empty() || l == "c" || l == "posix" {
            return None;
        }
        Some(if l.starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        })
    }

    /// $DIFFUSION_PLAYGROUND_LANG, then the POSIX locale variables; English if none is set.
    pub fn from_env() -> Lang {
        [LANG_ENV, "LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find_map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "english" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "cn" | "chinese" => Ok(Lang::ZhCn),
            other => Err(format!("unknown language '{other}': expected en or zh-CN")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// Set this thread's language.
pub fn set_lang(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
}

/// This thread's language.
pub fn lang() -> Lang {
    CURRENT.with(|c| c.get())
}

/// The raw catalogue files.
pub const SOURCES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../../assets/i18n/en.ftl")),
    (Lang::ZhCn, include_str!("../../assets/i18n/zh-CN.ftl")),
];

/// One language's messages.
pub type Catalogue = HashMap<&'static str, String>;

/// Why a catalogue file does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    /// 1-based line
    pub line: usize,
    /// what is wrong
    pub reason: String,
}

/// Parse the Fluent subset: `key = value`, indented continuation lines joined with a newline,
/// blank lines inside a value kept as paragraph breaks, `#` comments.
pub fn parse(source: &'static str) -> Result<Catalogue, ParseError> {
    let mut out: Catalogue = HashMap::new();
    let mut current: Option<(&'static str, Vec<&'static str>)> = None;
    let finish = |out: &mut Catalogue, cur: Option<(&'static str, Vec<&'static str>)>| {
        if let Some((key, mut lines)) = cur {
            while lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            out.insert(key, unquote_literals(&lines.join("\n")));
        }
    };
    for (i, raw) in source.lines().enumerate() {
        let line_no = i + 1;
        if raw.starts_with(' ') || raw.starts_with('\t') {
            match current.as_mut() {
                Some((_, lines)) => lines.push(raw.trim()),
                None => {
                    return Err(ParseError {
                        line: line_no,
                        reason: "an indented line outside a message".into(),
                    });
                }
            }
            continue;
        }
        let trimmed = raw.trim_end();
        if trimmed.is_empty() {
            if let Some((_, lines)) = current.as_mut() {
                lines.push("");
            }
            continue;
        }
        if trimmed.starts_with('#') {
            finish(&mut out, current.take());
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(ParseError {
                line: line_no,
                reason: format!("expected `key = text`, got {trimmed:?}"),
            });
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ParseError {
                line: line_no,
                reason: format!("bad key {key:?}"),
            });
        }
        finish(&mut out, current.take());
        if out.contains_key(key) {
            return Err(ParseError {
                line: line_no,
                reason: format!("duplicate key {key}"),
            });
        }
        let value = value.trim();
        current = Some((
            key,
            if value.is_empty() {
                vec![]
            } else {
                vec![value]
            },
        ));
    }
    finish(&mut out, current.take());
    Ok(out)
}

/// Replace Fluent string literals `{" "}` by their text (for leading or trailing spaces).
fn unquote_literals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{\"") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("\"}") {
            Some(close) => {
                out.push_str(&after[..close]);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

static CATALOGUES: LazyLock<HashMap<Lang, Catalogue>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, src)| {
            // The catalogue test checks both files parse; a broken file gives an empty one.
            let cat = parse(src).unwrap_or_else(|e| {
                log::error!("assets/i18n/{}.ftl: {e}", lang.tag());
                HashMap::new()
            });
            (*lang, cat)
        })
        .collect()
});

/// A language's catalogue.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static EMPTY: LazyLock<Catalogue> = LazyLock::new(HashMap::new);
    CATALOGUES.get(&lang).unwrap_or(&EMPTY)
}

/// The message `key` in `lang`, falling back to English, then to the key itself.
/// (The catalogue test makes sure no key is missing.)
pub fn lookup(lang: Lang, key: &'static str) -> &'static str {
    catalogue(lang)
        .get(key)
        .or_else(|| catalogue(Lang::En).get(key))
        .map(String::as_str)
        .unwrap_or(key)
}

/// The message `key` in this thread's language.
pub fn t(key: &'static str) -> &'static str {
    lookup(lang(), key)
}

/// The message `key` with `{ $name }` placeables filled from `args`.
pub fn t_args(key: &'static str, args: &[(&str, &dyn fmt::Display)]) -> String {
    fill(t(key), args)
}

/// Replace `{ $name }` (spaces optional) in `template`.
pub fn fill(template: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let inner = after[..close].trim();
                match inner
                    .strip_prefix('$')
                    .and_then(|name| args.iter().find(|(n, _)| *n == name))
                {
                    Some((_, value)) => out.push_str(&value.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(&after[..close]);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{ $name }` placeables of a message, sorted.
pub fn placeables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}'))
        .filter_map(|(inner, _)| inner.trim().strip_prefix('$').map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `tr!(KEY)` → `&'static str`; `tr!(KEY, name = value, …)` → `String` (KEY a literal).
#[macro_export]
macro_rules! tr {
    ($key:literal) => {
        $crate::i18n::t($key)
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::t_args($key, &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let cat = parse(
            "# c\na = one{\" \"}\nb =\n    two\n    three\n\n    four\nc = { $x } and { $y }\n",
        )
        .unwrap();
        assert_eq!(cat["a"], "one ");
        assert_eq!(cat["b"], "two\nthree\n\nfour");
        assert_eq!(placeables(&cat["c"]), ["x", "y"]);
        assert!(parse("a = 1\na = 2\n").is_err());
        assert!(parse("  stray\n").is_err());
        assert!(parse("no equals sign\n").is_err());
    }

    #[test]
    fn fills_placeables() {
        let n = 5;
        assert_eq!(fill("{ $n } of {$m}", &[("n", &n), ("m", &"9")]), "5 of 9");
        assert_eq!(fill("{ $missing } {", &[]), "{ $missing } {");
    }

    #[test]
    fn locales() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_locale("C"), None);
        assert_eq!("zh-CN".parse::<Lang>(), Ok(Lang::ZhCn));
    }

    #[test]
    fn the_language_is_per_thread() {
        set_lang(Lang::ZhCn);
        let other = std::thread::spawn(lang).join().unwrap();
        assert_eq!(other, Lang::En);
        assert_eq!(lang(), Lang::ZhCn);
        set_lang(Lang::En);
    }
}
