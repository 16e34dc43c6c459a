//! The import rule, checked: which top-level module of the crate may use which. A lower layer
//! never imports a higher one, so the machinery can be read (and tested) without the doors,
//! and a door cannot reach past the services into another door. README "Architecture" shows
//! the same table.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module, and the modules of this crate it may import (besides itself).
const ALLOWED: &[(&str, &[&str])] = &[
    // The ground floor: pure, or plain infrastructure.
    ("domain", &[]),
    ("signatures", &[]),
    ("clock", &[]),
    ("metrics", &[]),
    ("telemetry", &[]),
    // The survey's catalogs (`locales/`) and locale negotiation.
    ("i18n", &[]),
    ("config", &["domain", "signatures", "i18n"]),
    // The machinery.
    ("sources", &["domain", "config", "metrics"]),
    ("store", &["domain"]),
    ("email", &["domain", "config", "i18n"]),
    ("observations", &["domain", "sources", "metrics"]),
    ("check", &["domain", "sources", "observations", "clock"]),
    ("lookup", &["domain", "sources", "observations", "metrics"]),
    // The use cases.
    (
        "services",
        &[
            "domain",
            "signatures",
            "clock",
            "metrics",
            "config",
            "i18n",
            "sources",
            "store",
            "email",
            "observations",
            "check",
            "lookup",
        ],
    ),
    // The doors: they call services; none calls another door.
    (
        "http",
        &[
            "domain",
            "signatures",
            "clock",
            "metrics",
            "config",
            "i18n",
            "check",
            "lookup",
            "store",
            "services",
        ],
    ),
    ("jobs", &["domain", "config", "store", "services"]),
    (
        "cli",
        &[
            "domain",
            "config",
            "i18n",
            "metrics",
            "sources",
            "observations",
            "check",
            "store",
            "services",
            "jobs",
            "startup",
        ],
    ),
    // The wiring.
    (
        "startup",
        &[
            "domain",
            "signatures",
            "config",
            "i18n",
            "metrics",
            "sources",
            "store",
            "email",
            "observations",
            "check",
            "lookup",
            "services",
            "http",
            "jobs",
        ],
    ),
];

/// Inside `http/ui/`, the pages may use these parts of `http` and no handler of another
/// resource: what pages and the JSON API share lives in `services`.
const UI_MAY_USE_FROM_HTTP: &[&str] = &["AppState", "auth", "body", "document", "error"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::a::b` path in `text`, as (a, b), with comments left out.
fn crate_paths(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let mut parts = rest.split("::").map(|p| {
                p.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            });
            let first = parts.next().unwrap_or_default();
            let second = parts.next().unwrap_or_default();
            out.push((first, second));
        }
    }
    out
}

/// Every import that breaks the rule, as `file: module imports other`.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if matches!(module.as_str(), "lib" | "main" | "architecture_tests") {
            continue;
        }
        let allowed = ALLOWED
            .iter()
            .find(|(m, _)| *m == module)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("{module} has no entry in ALLOWED: add one"));
        let in_ui = relative.starts_with("http/ui");
        let text = std::fs::read_to_string(&file).unwrap();
        for (first, second) in crate_paths(&text) {
            let shown = relative.display();
            if first != module && !allowed.contains(&first.as_str()) {
                found.insert(format!("{shown}: {module} may not import {first}"));
            }
            if in_ui && first == "http" && !UI_MAY_USE_FROM_HTTP.contains(&second.as_str()) {
                found.insert(format!(
                    "{shown}: the pages may not import http::{second} (share it through services)"
                ));
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_module_imports_a_layer_above_it_or_another_door() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_rule_is_checked_on_what_the_code_says() {
    let paths = crate_paths(
        "use crate::store::{Db, on_pool};\n// crate::http::x in a comment\nlet x = crate::clock::record_time();",
    );
    assert_eq!(
        paths,
        [
            ("store".to_owned(), "".to_owned()),
            ("clock".to_owned(), "record_time".to_owned())
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("store")).unwrap();
    std::fs::create_dir_all(dir.path().join("http/ui")).unwrap();
    std::fs::write(
        dir.path().join("store/x.rs"),
        "use crate::services::checks;",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("http/ui/p.rs"),
        "use crate::http::campaigns::list;\nuse crate::http::error::ApiError;",
    )
    .unwrap();
    assert_eq!(
        violations(dir.path()),
        [
            "http/ui/p.rs: the pages may not import http::campaigns (share it through services)",
            "store/x.rs: store may not import services"
        ]
    );
}
