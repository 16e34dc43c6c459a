//! Layering: embedded defaults, then the TOML file, then `PROMISEGUARD_…` variables
//! (nested keys joined by `__`, e.g. `PROMISEGUARD_CHECK__DEADLINE_MS=3000`); then every
//! secret given as `<key>_file` is read from its file (`files.rs`).
use super::{Config, ConfigError};
use std::path::Path;

/// Variables with the prefix that are not configuration keys.
const NOT_KEYS: &[&str] = &["PROMISEGUARD_CONFIG", "PROMISEGUARD_LOG"];
const NOT_KEY_PREFIXES: &[&str] = &["PROMISEGUARD_TEST_", "PROMISEGUARD_BENCH_"];

pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut root = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                key: "--config".into(),
                message: format!("cannot read {}: {e}", path.display()),
            })?;
            let value: toml::Table = toml::from_str(&text).map_err(|e| ConfigError {
                key: path.display().to_string(),
                message: format!("not valid TOML: {e}"),
            })?;
            value
        }
        None => toml::Table::new(),
    };
    let mut overridden = Vec::new();
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix("PROMISEGUARD_") else {
            continue;
        };
        if NOT_KEYS.contains(&name.as_str()) || NOT_KEY_PREFIXES.iter().any(|p| name.starts_with(p))
        {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
        if path.iter().any(String::is_empty) {
            return Err(ConfigError {
                key: name,
                message: "empty key segment in variable name".into(),
            });
        }
        set(&mut root, &path, literal(&raw));
        overridden.push((path, raw));
    }
    super::files::resolve(&mut root, secret_keys())?;
    // A variable's text is read as a TOML literal (numbers, booleans, arrays); where the key
    // wants a string after all (a numeric token), the raw text is used instead.
    loop {
        match deserialize(&root) {
            Ok(config) => return config.validated(),
            Err(err) => {
                let retry = overridden.iter().position(|(path, _)| {
                    path.join(".") == err.key && err.message.contains("invalid type")
                });
                match retry {
                    Some(i) => {
                        let (path, raw) = overridden.swap_remove(i);
                        set(&mut root, &path, toml::Value::String(raw));
                    }
                    None => return Err(err),
                }
            }
        }
    }
}

/// Every secret key of the configuration, found once from the types.
pub fn secret_keys() -> &'static std::collections::BTreeSet<String> {
    static KEYS: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(super::keys::secret_keys::<Config>)
}

fn deserialize(root: &toml::Table) -> Result<Config, ConfigError> {
    let value = toml::Value::Table(root.clone());
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        ConfigError {
            key: if key == "." {
                "(top level)".into()
            } else {
                key
            },
            message: e.into_inner().to_string(),
        }
    })
}

fn literal(raw: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

fn set(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let (last, parents) = path
        .split_last()
        .expect("split on __ yields at least one part");
    let mut cur = table;
    for p in parents {
        let entry = cur
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        cur = entry.as_table_mut().expect("made a table just above");
    }
    cur.insert(last.clone(), value);
}
