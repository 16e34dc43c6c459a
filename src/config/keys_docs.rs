//! Test-only: the keys `docs/configuration.md` lists, held against those the types accept
//! (`keys::accepted`).
use super::keys::{NAMED, accepted};
use std::collections::BTreeSet;

/// The keys a configuration document lists: the first cell of every row of its `| key |`
/// tables, in backticks, with `{a,b}` written out.
pub fn documented(doc: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut in_key_table = false;
    for line in doc.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_key_table = false;
            continue;
        }
        let first = line
            .trim_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim();
        if first == "key" {
            in_key_table = true;
            continue;
        }
        let Some(key) = first.strip_prefix('`').and_then(|k| k.strip_suffix('`')) else {
            continue;
        };
        if in_key_table {
            keys.extend(expand(key));
        }
    }
    keys
}

/// `a.{b,c}.d` → `a.b.d`, `a.c.d`; every `<…>` segment → `<name>`.
fn expand(key: &str) -> Vec<String> {
    let mut done = vec![String::new()];
    for (i, segment) in key.split('.').enumerate() {
        let choices: Vec<&str> = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(list) => list.split(',').map(str::trim).collect(),
            None if segment.starts_with('<') && segment.ends_with('>') => vec![NAMED],
            None => vec![segment],
        };
        done = done
            .iter()
            .flat_map(|prefix| {
                choices.iter().map(move |c| {
                    if i == 0 {
                        (*c).to_owned()
                    } else {
                        format!("{prefix}.{c}")
                    }
                })
            })
            .collect();
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[test]
    fn docs_configuration_lists_exactly_the_keys_the_code_accepts() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
        let doc = std::fs::read_to_string(path).expect("docs/configuration.md");
        let documented = documented(&doc);
        let accepted = accepted::<crate::config::Config>();
        let undocumented: Vec<_> = accepted.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&accepted).collect();
        assert!(
            undocumented.is_empty() && unknown.is_empty(),
            "docs/configuration.md is missing {undocumented:?} and lists keys the code does not take: {unknown:?}"
        );
        assert!(
            accepted.contains("lookup.ttl_s") && accepted.len() > 80,
            "{accepted:?}"
        );
    }

    #[test]
    fn documented_keys_are_read_from_key_tables_with_patterns_written_out() {
        let doc = "| key | default | meaning |\n|---|---|---|\n| `a.b` | 1 | x |\n\
                   | `s.{one,two}.kind` | | |\n| `policy.<rule>` | | |\n\n\
                   | kind | for |\n|---|---|\n| `static` | both |\n";
        let keys: Vec<String> = documented(doc).into_iter().collect();
        assert_eq!(keys, ["a.b", "policy.<name>", "s.one.kind", "s.two.kind"]);
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        on: bool,
        list: Vec<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        addr: std::net::SocketAddr,
        inner: Inner,
        maybe: Option<Inner>,
        named: BTreeMap<String, Inner>,
        plain: BTreeMap<String, String>,
        after: u32,
    }

    #[test]
    fn every_field_of_every_section_is_a_key_even_past_a_value_that_refuses() {
        let keys: Vec<String> = accepted::<Outer>().into_iter().collect();
        assert_eq!(
            keys,
            [
                "addr",
                "after",
                "inner.list",
                "inner.on",
                "maybe.list",
                "maybe.on",
                "name",
                "named.<name>.list",
                "named.<name>.on",
                "plain.<name>",
            ]
        );
    }
}
