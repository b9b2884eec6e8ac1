//! Localisation: English and 简体中文, with Project Fluent.
//!
//! Every user-facing string lives in one catalogue per language, `assets/i18n/en.ftl` and
//! `assets/i18n/zh-CN.ftl`, in Fluent's syntax (read by `fluent-bundle`): `key = text`,
//! continuation lines indented, `{ $name }` placeables, and select expressions for plurals,
//! `{ $n -> [one] … *[other] … }`, chosen by each language's CLDR plural rules (English has
//! `one` and `other`, Chinese only `other`). Code asks for a message with [`tr!`](crate::tr),
//! naming its key and the values of its placeables, for example `tr!(KEY)` or
//! `tr!(KEY, step = 5)`; a value that prints as a whole number is passed as a Fluent number,
//! so plural selectors see it.
//!
//! The language is per thread: the UI thread sets it from the settings every frame, and the
//! worker is told with a command, so tests can run the app in both languages side by side.
//! At start it is $DIFFUSION_PLAYGROUND_LANG, then the saved choice, then the system locale
//! (`sys-locale`, which reads the right place on Linux, macOS and Windows).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// The environment variable that picks the language (else the system locale).
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

    /// From a locale string as `sys-locale` or the environment give it: `zh-CN`, `zh-Hans-CN`,
    /// `zh_CN.UTF-8`, `en-US`, `de-DE`. Any Chinese locale gives Chinese (the catalogue is
    /// Simplified; Traditional readers still read it more easily than English), any other
    /// language English; `C`, `POSIX` and empty give None.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let l = locale.trim().to_ascii_lowercase();
        if l.is_empty() || l == "c" || l == "posix" || l.starts_with("c.") {
            return None;
        }
        Some(if l.starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        })
    }

    /// The language from $DIFFUSION_PLAYGROUND_LANG (`env`), else the system locale
    /// (`system`), else English.
    pub fn detect(env: Option<&str>, system: Option<&str>) -> Lang {
        env.and_then(|v| v.parse().ok().or_else(|| Lang::from_locale(v)))
            .or_else(|| system.and_then(Lang::from_locale))
            .unwrap_or_default()
    }

    /// The language a value of $DIFFUSION_PLAYGROUND_LANG names ("zh-CN", "en", or a locale
    /// such as "zh_CN.UTF-8"), if any.
    pub fn from_setting(value: &str) -> Option<Lang> {
        value.parse().ok().or_else(|| Lang::from_locale(value))
    }

    /// [`Lang::detect`] on this machine.
    pub fn from_env() -> Lang {
        let env = std::env::var(LANG_ENV).ok();
        Lang::detect(env.as_deref(), sys_locale::get_locale().as_deref())
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

/// One language's messages: each message's whole text, every variant of a select expression
/// included and each variable written `{ $name }` (for the catalogue tests and `--help`).
pub type Catalogue = HashMap<&'static str, String>;

/// One language, loaded.
struct Loaded {
    bundle: FluentBundle<FluentResource>,
    /// every message formatted without arguments (what `tr!(KEY)` returns)
    plain: HashMap<&'static str, &'static str>,
    /// see [`Catalogue`]
    text: Catalogue,
    /// the variables each message uses
    variables: HashMap<&'static str, BTreeSet<String>>,
    /// what Fluent reported while parsing and adding the file
    errors: Vec<String>,
}

/// Append a pattern's text to `out` and its variables to `vars`.
fn flatten(pattern: &ast::Pattern<&str>, out: &mut String, vars: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        match element {
            ast::PatternElement::TextElement { value } => out.push_str(value),
            ast::PatternElement::Placeable { expression } => expression_text(expression, out, vars),
        }
    }
}

fn expression_text(e: &ast::Expression<&str>, out: &mut String, vars: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Inline(inline) => inline_text(inline, out, vars),
        ast::Expression::Select { selector, variants } => {
            inline_text(selector, &mut String::new(), vars);
            for (i, v) in variants.iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                flatten(&v.value, out, vars);
            }
        }
    }
}

fn inline_text(e: &ast::InlineExpression<&str>, out: &mut String, vars: &mut BTreeSet<String>) {
    match e {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
            out.push_str(&format!("{{ ${} }}", id.name));
        }
        ast::InlineExpression::StringLiteral { value } => out.push_str(value),
        ast::InlineExpression::NumberLiteral { value } => out.push_str(value),
        ast::InlineExpression::Placeable { expression } => expression_text(expression, out, vars),
        _ => {}
    }
}

fn load(lang: Lang, source: &'static str) -> Loaded {
    let mut errors = Vec::new();
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(res, errs)| {
        errors.extend(errs.iter().map(|e| format!("{e:?}")));
        res
    });
    let mut text = Catalogue::new();
    let mut variables = HashMap::new();
    let mut ids = Vec::new();
    // The ids and texts borrow from the static source, parsed a second time for the AST.
    {
        let ast = fluent_syntax::parser::parse(source).unwrap_or_else(|(partial, _)| partial);
        for entry in ast.body {
            if let ast::Entry::Message(m) = entry {
                let mut t = String::new();
                let mut vars = BTreeSet::new();
                if let Some(value) = &m.value {
                    flatten(value, &mut t, &mut vars);
                }
                ids.push(m.id.name);
                text.insert(m.id.name, t);
                variables.insert(m.id.name, vars);
            }
        }
    }
    let locale = lang
        .tag()
        .parse::<unic_langid::LanguageIdentifier>()
        .unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![locale]);
    // No Unicode isolation marks around placeables: egui draws them as boxes.
    bundle.set_use_isolating(false);
    if let Err(errs) = bundle.add_resource(resource) {
        errors.extend(errs.iter().map(|e| format!("{e:?}")));
    }
    let mut plain = HashMap::new();
    for id in ids {
        let formatted = bundle
            .get_message(id)
            .and_then(|m| m.value())
            .map(|p| {
                let mut errs = Vec::new();
                bundle.format_pattern(p, None, &mut errs).into_owned()
            })
            .unwrap_or_default();
        plain.insert(id, &*Box::leak(formatted.into_boxed_str()));
    }
    Loaded {
        bundle,
        plain,
        text,
        variables,
        errors,
    }
}

static LOADED: LazyLock<HashMap<Lang, Loaded>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, src)| {
            let loaded = load(*lang, src);
            for e in &loaded.errors {
                log::error!("assets/i18n/{}.ftl: {e}", lang.tag());
            }
            (*lang, loaded)
        })
        .collect()
});

fn loaded(lang: Lang) -> Option<&'static Loaded> {
    LOADED.get(&lang)
}

/// A language's catalogue (see [`Catalogue`]).
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static EMPTY: LazyLock<Catalogue> = LazyLock::new(HashMap::new);
    loaded(lang).map(|l| &l.text).unwrap_or(&EMPTY)
}

/// The variables message `key` uses in `lang` (selectors included).
pub fn variables(lang: Lang, key: &str) -> BTreeSet<String> {
    loaded(lang)
        .and_then(|l| l.variables.get(key).cloned())
        .unwrap_or_default()
}

/// What Fluent reported while reading `lang`'s file (empty when it is well formed).
pub fn errors(lang: Lang) -> &'static [String] {
    loaded(lang).map(|l| l.errors.as_slice()).unwrap_or(&[])
}

/// The message `key` in `lang` without arguments, falling back to English, then to the key
/// itself. (The catalogue test makes sure no key is missing.)
pub fn lookup(lang: Lang, key: &'static str) -> &'static str {
    [lang, Lang::En]
        .iter()
        .find_map(|l| loaded(*l).and_then(|l| l.plain.get(key).copied()))
        .unwrap_or(key)
}

/// The message `key` in this thread's language.
pub fn t(key: &'static str) -> &'static str {
    lookup(lang(), key)
}

/// A value for Fluent: a whole number as a number (so plural rules apply), else its text.
fn fluent_value(value: &dyn fmt::Display) -> FluentValue<'static> {
    let text = value.to_string();
    match text.parse::<i64>() {
        Ok(n) if n.to_string() == text => FluentValue::from(n),
        _ => FluentValue::from(text),
    }
}

/// The message `key` in `lang` with its placeables filled from `args`.
pub fn format(lang: Lang, key: &'static str, args: &[(&str, &dyn fmt::Display)]) -> String {
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        fargs.set(name.to_string(), fluent_value(*value));
    }
    [lang, Lang::En]
        .iter()
        .find_map(|l| {
            let bundle = &loaded(*l)?.bundle;
            let pattern = bundle.get_message(key)?.value()?;
            let mut errs = Vec::new();
            Some(
                bundle
                    .format_pattern(pattern, Some(&fargs), &mut errs)
                    .into_owned(),
            )
        })
        .unwrap_or_else(|| key.to_owned())
}

/// The message `key` in this thread's language with its placeables filled from `args`.
pub fn t_args(key: &'static str, args: &[(&str, &dyn fmt::Display)]) -> String {
    format(lang(), key, args)
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
    fn both_files_are_well_formed_fluent() {
        for lang in Lang::ALL {
            assert!(errors(lang).is_empty(), "{lang}: {:?}", errors(lang));
        }
    }

    #[test]
    fn plurals_follow_each_languages_rules() {
        let f = |lang, n: usize| format(lang, "data-dropped", &[("n", &n)]);
        assert_eq!(f(Lang::En, 1), "1 dropped image");
        assert_eq!(f(Lang::En, 2), "2 dropped images");
        assert_eq!(f(Lang::En, 0), "0 dropped images");
        // Chinese has one form: a measure word, no plural ending.
        assert_eq!(f(Lang::ZhCn, 1), "1 张拖入的图像");
        assert_eq!(f(Lang::ZhCn, 2), "2 张拖入的图像");
        let rows = |lang, n: usize| format(lang, "notice-curves-skipped", &[("n", &n)]);
        assert!(
            rows(Lang::En, 1).starts_with("1 row of"),
            "{}",
            rows(Lang::En, 1)
        );
        assert!(
            rows(Lang::En, 3).starts_with("3 rows of"),
            "{}",
            rows(Lang::En, 3)
        );
        assert!(rows(Lang::ZhCn, 1).contains('1') && rows(Lang::ZhCn, 3).contains('3'));
        // Numbers that are not whole print as given; no isolation marks around them.
        let s = format(Lang::En, "notice-showing", &[("name", &"0.100")]);
        assert_eq!(s, "showing 0.100");
        assert_eq!(
            variables(Lang::En, "data-dropped"),
            BTreeSet::from(["n".to_owned()])
        );
    }

    #[test]
    fn locales() {
        // As sys-locale reports them on Linux, macOS and Windows, and as POSIX variables.
        for (locale, lang) in [
            ("zh-CN", Some(Lang::ZhCn)),
            ("zh-Hans-CN", Some(Lang::ZhCn)),
            ("zh_CN.UTF-8", Some(Lang::ZhCn)),
            ("zh-TW", Some(Lang::ZhCn)),
            ("en-US", Some(Lang::En)),
            ("en_GB.UTF-8", Some(Lang::En)),
            ("de-DE", Some(Lang::En)),
            ("C", None),
            ("C.UTF-8", None),
            ("POSIX", None),
            ("", None),
        ] {
            assert_eq!(Lang::from_locale(locale), lang, "{locale}");
        }
        assert_eq!("zh-CN".parse::<Lang>(), Ok(Lang::ZhCn));
        // The variable wins, then the system locale, then English.
        assert_eq!(Lang::detect(Some("zh-CN"), Some("en-US")), Lang::ZhCn);
        assert_eq!(Lang::detect(Some("en"), Some("zh-Hans-CN")), Lang::En);
        assert_eq!(Lang::detect(None, Some("zh-Hans-CN")), Lang::ZhCn);
        assert_eq!(Lang::detect(None, Some("C")), Lang::En);
        assert_eq!(Lang::detect(None, None), Lang::En);
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
