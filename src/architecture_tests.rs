//! The import rule, checked: which top-level module of the crate may use which. A lower layer
//! never imports a higher one, so the machinery can be read (and tested) without the doors,
//! and a door cannot reach past the services into another door. `docs/architecture.md`
//! shows the same table, under a map of the code that a test here holds against `src/`.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module, and the modules of this crate it may import (besides itself), named one after
/// another.
const ALLOWED: &[(&str, &str)] = &[
    // The ground floor: pure, or plain infrastructure. The domain's keyed digest (the
    // do-not-contact hash) is the one keyed hash of `signatures`, pure bytes as it is.
    ("domain", "signatures"),
    ("signatures", ""),
    ("clock", ""),
    ("metrics", ""),
    ("telemetry", ""),
    // The survey's catalogs (`locales/`) and locale negotiation.
    ("i18n", ""),
    ("config", "domain signatures i18n"),
    // The machinery.
    ("sources", "domain config metrics"),
    ("store", "domain"),
    ("email", "domain config i18n signatures"),
    ("observations", "domain sources metrics"),
    ("check", "domain sources observations clock"),
    ("lookup", "domain sources observations metrics"),
    // The use cases.
    (
        "services",
        "domain signatures clock metrics config i18n sources store email observations check lookup",
    ),
    // The doors: they call services; none calls another door.
    (
        "http",
        "domain signatures clock metrics config i18n check lookup store services",
    ),
    ("jobs", "domain config metrics store services"),
    (
        "cli",
        "domain config i18n metrics sources check store services jobs startup",
    ),
    // The wiring.
    (
        "startup",
        "domain signatures config i18n metrics sources store email observations check lookup \
         services http jobs",
    ),
];

/// Inside `http/ui/`, the pages may use these parts of `http` and no handler of another
/// resource: what pages and the JSON API share lives in `services` — except the findings
/// download (`export`), whose streamed wire format is one for both doors.
const UI_MAY_USE_FROM_HTTP: &[&str] = &["AppState", "auth", "body", "document", "error", "export"];

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
        let allowed: Vec<&str> = ALLOWED
            .iter()
            .find(|(m, _)| *m == module)
            .map(|(_, a)| a.split_whitespace().collect())
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

/// The map at the top of `docs/architecture.md`: every file (`x.rs`) and folder (`x/`) it names
/// under a top-level entry of `src/` exists there, and every folder of `src/` is named. A word
/// counts as a name when it stands alone (`(layout.rs,`), not inside a longer path
/// (`locales/<language>/survey.ftl`).
fn map_drift(root: &Path) -> Vec<String> {
    let doc =
        std::fs::read_to_string(root.join("docs/architecture.md")).expect("docs/architecture.md");
    let map = doc
        .split("```")
        .nth(1)
        .expect("docs/architecture.md opens with the map in a code block");
    let src = root.join("src");
    let mut problems = Vec::new();
    let mut named_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    // Where the names on the current line are looked for: `src/` for a top-level entry's own
    // name and a top-level file's line, `src/<folder>/` (at any depth) for a folder's lines.
    let mut context = src.clone();
    for line in map.lines().filter(|l| l.trim() != "src/") {
        let outside_src = !line.starts_with(' ') && !line.starts_with("src/");
        let mut words = names(line).into_iter();
        if line.starts_with("  ") && !line.starts_with("   ") {
            // A top-level entry: `  domain/   …` or `  clock.rs   …`.
            if let Some(first) = words.next() {
                let path = src.join(first.trim_end_matches('/'));
                if !path.exists() {
                    problems.push(format!("src/{first} is on the map but does not exist"));
                }
                if first.ends_with('/') {
                    named_dirs.insert(path.clone());
                    context = path;
                } else {
                    context = src.clone();
                }
            }
        }
        for word in words {
            if outside_src {
                if !root.join(word.trim_end_matches('/')).exists() {
                    problems.push(format!("{word} is on the map but not in the repository"));
                }
                continue;
            }
            match find_below(&context, word) {
                Some(found) if word.ends_with('/') => {
                    named_dirs.insert(found);
                }
                Some(_) => {}
                None => problems.push(format!(
                    "{word} is on the map under {} but is not there",
                    context.strip_prefix(root).unwrap_or(&context).display()
                )),
            }
        }
    }
    let mut dirs = Vec::new();
    all_dirs(&src, &mut dirs);
    for dir in dirs {
        if !named_dirs.contains(&dir) {
            problems.push(format!(
                "{}/ is a folder of the code the map does not name",
                dir.strip_prefix(root).unwrap_or(&dir).display()
            ));
        }
    }
    problems
}

/// The file and folder names standing alone on a line of the map.
fn names(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | '—'))
        .filter(|w| {
            let stem = w.trim_end_matches('/').trim_end_matches(".rs");
            (w.ends_with(".rs") || w.ends_with('/'))
                && !stem.is_empty()
                && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .collect()
}

/// `word` (a file, or a folder ending in `/`) somewhere below `dir`.
fn find_below(dir: &Path, word: &str) -> Option<PathBuf> {
    let (name, is_dir) = match word.strip_suffix('/') {
        Some(name) => (name, true),
        None => (word, false),
    };
    let here = dir.join(name);
    if here.exists() && here.is_dir() == is_dir {
        return Some(here);
    }
    let mut dirs = Vec::new();
    all_dirs(dir, &mut dirs);
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.exists() && p.is_dir() == is_dir)
}

fn all_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.push(path.clone());
            all_dirs(&path, out);
        }
    }
}

#[test]
fn the_architecture_map_names_what_is_there_and_every_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems = map_drift(root);
    assert!(problems.is_empty(), "docs/architecture.md: {problems:#?}");
}

#[test]
fn the_map_check_finds_a_missing_file_and_an_unnamed_folder() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("src/domain/providers")).unwrap();
    std::fs::create_dir_all(root.path().join("src/quiet")).unwrap();
    std::fs::create_dir_all(root.path().join("docs")).unwrap();
    std::fs::write(root.path().join("src/domain/campaign.rs"), "").unwrap();
    std::fs::write(
        root.path().join("docs/architecture.md"),
        "# Map\n\n```\nsrc/\n  domain/   campaign.rs, gone.rs, providers/ (x)\n```\n",
    )
    .unwrap();
    let problems = map_drift(root.path());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("gone.rs"), "{problems:#?}");
    assert!(problems[1].contains("src/quiet/"), "{problems:#?}");
}
