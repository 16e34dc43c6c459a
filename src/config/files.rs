//! Secrets from files: any secret key may be given as `<key>_file = "/run/secrets/…"` (or
//! `PROMISEGUARD_<KEY>_FILE`), as Kubernetes and Docker mount them. The file is read (one
//! trailing newline trimmed) into `<key>` before the configuration is read; `<key>` and
//! `<key>_file` both set is an error naming the key, an unreadable file an error naming the key
//! and the path — never the content — and `_file` on a key that is not a secret an error too. A
//! list of secrets (`events.sendgrid.verification_keys`) takes a list of files.
//! Which keys are secrets comes from the types (`keys::secret_keys`).
use super::ConfigError;
use std::collections::BTreeSet;

const SUFFIX: &str = "_file";

/// Replaces every `<key>_file` of `root` with `<key>` read from its file.
pub fn resolve(root: &mut toml::Table, secrets: &BTreeSet<String>) -> Result<(), ConfigError> {
    let patterns: Vec<Vec<&str>> = secrets.iter().map(|k| k.split('.').collect()).collect();
    walk(root, &mut Vec::new(), &mut Vec::new(), &patterns)
}

/// `shape`: the path as the secret keys are written (list entries as `key[]`); `named`: the
/// same, as the operator wrote it (with indexes), for errors.
fn walk(
    table: &mut toml::Table,
    shape: &mut Vec<String>,
    named: &mut Vec<String>,
    patterns: &[Vec<&str>],
) -> Result<(), ConfigError> {
    let files: Vec<String> = table
        .keys()
        .filter(|k| k.ends_with(SUFFIX) && k.len() > SUFFIX.len())
        .cloned()
        .collect();
    for file_key in files {
        let key = &file_key[..file_key.len() - SUFFIX.len()];
        let at = |k: &str| {
            named
                .iter()
                .map(String::as_str)
                .chain([k])
                .collect::<Vec<_>>()
                .join(".")
        };
        shape.push(key.to_owned());
        let secret = patterns.iter().any(|p| matches(p, shape));
        shape.pop();
        shape.push(format!("{key}[]"));
        let secrets = patterns.iter().any(|p| matches(p, shape));
        shape.pop();
        if secrets {
            // A list of secrets: a list of files, one entry each.
            let value = read_list(table.get(&file_key), &at(&file_key))?;
            if table.contains_key(key) {
                return Err(ConfigError::new(
                    &at(key),
                    format!("is given both inline and as {file_key}: give one"),
                ));
            }
            table.remove(&file_key);
            table.insert(key.to_owned(), value);
            continue;
        }
        if !secret {
            return Err(ConfigError::new(
                &at(&file_key),
                format!("`{key}` is not a secret key: only secrets may be read from a file"),
            ));
        }
        if table.contains_key(key) {
            return Err(ConfigError::new(
                &at(key),
                format!("is given both inline and as {file_key}: give one"),
            ));
        }
        let Some(toml::Value::String(path)) = table.remove(&file_key) else {
            return Err(ConfigError::new(&at(&file_key), "must be a file path"));
        };
        let text = read(&path, &at(&file_key))?;
        table.insert(key.to_owned(), toml::Value::String(text));
    }
    for (key, value) in table.iter_mut() {
        match value {
            toml::Value::Table(inner) => {
                shape.push(key.clone());
                named.push(key.clone());
                walk(inner, shape, named, patterns)?;
                shape.pop();
                named.pop();
            }
            toml::Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let toml::Value::Table(inner) = item {
                        shape.push(format!("{key}[]"));
                        named.push(format!("{key}[{i}]"));
                        walk(inner, shape, named, patterns)?;
                        shape.pop();
                        named.pop();
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A secret file's text, one trailing newline trimmed; `key` names the setting in an error,
/// which never holds the content.
fn read(path: &str, key: &str) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(key, format!("cannot read {path}: {}", e.kind())))?;
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    Ok(text.to_owned())
}

/// A list of secrets from a list of files (or one file, for a setting that takes one secret or
/// several).
fn read_list(value: Option<&toml::Value>, key: &str) -> Result<toml::Value, ConfigError> {
    let paths = match value {
        Some(toml::Value::Array(paths)) => paths.clone(),
        Some(one @ toml::Value::String(_)) => vec![one.clone()],
        _ => {
            return Err(ConfigError::new(
                key,
                "must be a file path, or a list of them",
            ));
        }
    };
    paths
        .iter()
        .map(|p| match p {
            toml::Value::String(path) => read(path, key).map(toml::Value::String),
            _ => Err(ConfigError::new(
                key,
                "must be a file path, or a list of them",
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(toml::Value::Array)
}

/// Whether a path (as the secret keys are written) is the pattern's: `<name>` stands for any
/// segment but a list's.
fn matches(pattern: &[&str], path: &[String]) -> bool {
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(path)
            .all(|(p, s)| (*p == super::keys::NAMED && !s.ends_with("[]")) || *p == s)
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
