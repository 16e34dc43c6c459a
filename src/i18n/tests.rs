use super::*;
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn locale(tag: &str) -> Locale {
    Locale::negotiate(tag).unwrap_or_else(|| panic!("{tag} is shipped"))
}

#[test]
fn english_arabic_and_persian_are_shipped() {
    let tags: Vec<String> = Locale::shipped().iter().map(Locale::tag).collect();
    assert_eq!(tags, ["ar", "en", "fa"]);
    assert_eq!(Locale::english().tag(), "en");
}

#[test]
fn a_tag_falls_back_by_language_then_to_the_default() {
    assert_eq!(locale("ar-EG").tag(), "ar");
    assert_eq!(locale("fa-IR").tag(), "fa");
    assert_eq!(locale("fa-Arab-AF").tag(), "fa");
    assert_eq!(locale("en-GB").tag(), "en");
    assert_eq!(locale(" AR ").tag(), "ar", "tags are case-insensitive");
    assert_eq!(Locale::negotiate("de-DE"), None, "German is not shipped");
    assert_eq!(Locale::negotiate("not a tag"), None);
    assert_eq!(Locale::negotiate(""), None);

    let fa = locale("fa");
    let en = Locale::english();
    // The event's tag first, then the campaign's, then the default.
    assert_eq!(Locale::choose([Some("ar-SA"), Some("fa")], &en).tag(), "ar");
    assert_eq!(Locale::choose([Some("de"), Some("fa")], &en).tag(), "fa");
    assert_eq!(Locale::choose([None, Some("zz-??")], &fa).tag(), "fa");
    assert_eq!(Locale::choose([None, None], &en).tag(), "en");
}

#[test]
fn arabic_and_persian_run_right_to_left() {
    for tag in ["ar", "fa"] {
        let l = locale(tag);
        assert!(l.is_rtl(), "{tag}");
        assert_eq!((l.dir(), l.start()), ("rtl", "right"));
    }
    let en = Locale::english();
    assert!(!en.is_rtl());
    assert_eq!((en.dir(), en.start()), ("ltr", "left"));
}

/// Each message of a catalog file, with its attributes and the variables it uses.
fn messages(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let resource = fluent_syntax::parser::parse(text.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{} does not parse: {errors:?}", path.display()));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        match entry {
            Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    variables(p, &mut vars);
                }
                for a in &m.attributes {
                    vars.insert(format!(".{}", a.id.name));
                    variables(&a.value, &mut vars);
                }
                out.insert(m.id.name.to_owned(), vars);
            }
            Entry::Term(t) => {
                out.insert(format!("-{}", t.id.name), BTreeSet::new());
            }
            Entry::Junk { content } => panic!("{}: junk {content:?}", path.display()),
            _ => {}
        }
    }
    out
}

fn variables(pattern: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(e: &Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for v in variants {
                variables(&v.value, out);
            }
        }
        Expression::Inline(i) => inline_variables(i, out),
    }
}

fn inline_variables(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match e {
        InlineExpression::VariableReference { id } => {
            out.insert(format!("${}", id.name));
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

/// Every message id in every shipped language, with the same variables: a missing (or extra)
/// translation fails here, not in a customer's inbox as English or a raw message id.
#[test]
fn every_catalog_has_every_message_with_the_same_variables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut catalogs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let lang = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut all = BTreeMap::new();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            assert_eq!(
                file.extension().and_then(|e| e.to_str()),
                Some("ftl"),
                "{}",
                file.display()
            );
            all.extend(messages(&file));
        }
        catalogs.insert(lang, all);
    }
    let english = catalogs.remove("en").expect("an English catalog");
    assert!(english.len() > 30, "{} messages", english.len());
    assert_eq!(catalogs.keys().collect::<Vec<_>>(), ["ar", "fa"]);
    for (lang, messages) in &catalogs {
        let missing: Vec<&String> = english
            .keys()
            .filter(|id| !messages.contains_key(*id))
            .collect();
        let extra: Vec<&String> = messages
            .keys()
            .filter(|id| !english.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has {extra:?}, English does not");
        for (id, vars) in &english {
            assert_eq!(&messages[id], vars, "{lang} `{id}` uses other variables");
        }
    }
}

/// What each message's variables would be, to format every message of every language.
fn sample_args() -> Vec<Arg<'static>> {
    vec![
        ("brand", "Acme Rentals".into()),
        ("offer", "“A free day”".into()),
        ("title", "A free day".into()),
        ("score", 7.into()),
        ("days", 3.into()),
        ("limit", 2000.into()),
        ("address", "dana@example.com".into()),
    ]
}

#[test]
fn every_message_formats_in_every_language_without_falling_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/en/survey.ftl");
    let ids: Vec<String> = messages(&root).into_keys().collect();
    let english = Locale::english();
    for l in Locale::shipped() {
        for id in &ids {
            let text = l.text(id, &sample_args());
            assert!(!text.contains("Unknown localization key"), "{l} {id}");
            assert!(!text.trim().is_empty(), "{l} {id}");
            if *l != english {
                assert_ne!(
                    text,
                    english.text(id, &sample_args()),
                    "{l} `{id}` is English"
                );
            }
        }
    }
}

#[test]
fn headers_carry_no_isolation_marks_and_body_text_does() {
    let ar = locale("ar");
    let args = sample_args();
    let subject = ar.header("email-subject", &args);
    assert_eq!(subject, "Acme Rentals: سؤال واحد عن “A free day”");
    let body = ar.text("email-subject", &args);
    assert_eq!(
        body,
        "\u{2068}Acme Rentals\u{2069}: سؤال واحد عن \u{2068}“A free day”\u{2069}"
    );
}

#[test]
fn plurals_come_from_the_catalog() {
    let at = |tag: &str, days: i64| {
        locale(tag).header("email-reminder-opening", &[("days", days.into())])
    };
    assert!(at("en", 1).contains("yesterday"), "{}", at("en", 1));
    assert!(at("en", 4).contains("4 days ago"), "{}", at("en", 4));
    // Arabic: one, two, few (3–10), many (11–99), other (100…).
    assert!(at("ar", 1).contains("قبل يوم،"), "{}", at("ar", 1));
    assert!(at("ar", 2).contains("قبل يومين"), "{}", at("ar", 2));
    assert!(at("ar", 3).contains("قبل 3 أيام"), "{}", at("ar", 3));
    assert!(at("ar", 11).contains("قبل 11 يومًا"), "{}", at("ar", 11));
    assert!(at("ar", 100).contains("قبل 100 يوم،"), "{}", at("ar", 100));
    // Persian: one, other.
    assert!(at("fa", 1).contains("دیروز"), "{}", at("fa", 1));
    assert!(at("fa", 5).contains("5 روز پیش"), "{}", at("fa", 5));
}

/// Persian is written with its own yeh and kaf (ی ک), Arabic with its (ي ك): a catalog typed on
/// the other keyboard looks right and searches, sorts and shapes wrong.
#[test]
fn persian_and_arabic_use_their_own_letters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let fa = std::fs::read_to_string(root.join("fa/survey.ftl")).unwrap();
    let ar = std::fs::read_to_string(root.join("ar/survey.ftl")).unwrap();
    assert!(
        !fa.contains(['\u{064A}', '\u{0643}']),
        "Arabic yeh or kaf in the Persian catalog"
    );
    assert!(
        !ar.contains(['\u{06CC}', '\u{06A9}']),
        "Persian yeh or kaf in the Arabic catalog"
    );
}
