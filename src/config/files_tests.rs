use super::*;
use crate::config::Config;
use crate::config::load::secret_keys;

#[test]
fn the_secret_keys_are_found_from_the_types() {
    let keys: Vec<&str> = secret_keys().iter().map(String::as_str).collect();
    println!("{keys:#?}");
    for expected in [
        "database_url",
        "webhooks.signing_secret[]",
        "email.smtp_url",
        "surveys.link_secret[]",
        "surveys.webhooks[].secret[]",
        "alerts.signing_secret[]",
        "alerts.slack_webhook_url",
        "events.tokens[].token",
        "events.signing_secret[]",
        "events.sendgrid.verification_key",
        "events.sendgrid.verification_keys[]",
        "events.mailgun.signing_key[]",
        "events.customerio.signing_secret[]",
        "conversions.shopify.secret[]",
        "conversions.segment.secret[]",
        "lookup.tokens[].token",
        "sources.locations.token",
        "sources.inventory.token",
        "sources.inventory.headers.<name>",
        "sources.inventory.webhook_secret[]",
        "analysts.tokens[].token",
        "analysts.oidc.client_secret",
        "platforms[].api_key",
    ] {
        assert!(keys.contains(&expected), "{expected} not in {keys:?}");
    }
    assert!(!keys.contains(&"listen") && !keys.contains(&"sources.inventory.shop"));
    // A setting that takes one secret or several (being rotated) is a list of secrets.
    assert!(!keys.contains(&"webhooks.signing_secret"));
}

/// A table holding `value` at `pattern` (`<name>` → a header name, `key[]` → one entry), with
/// `leaf` naming the last key as written (`token_file`, `token`).
fn table_at(pattern: &str, leaf: &str, value: toml::Value) -> toml::Table {
    let segments: Vec<&str> = pattern.split('.').collect();
    let (last, parents) = segments.split_last().unwrap();
    let mut inner = toml::Table::new();
    let last = match last.strip_suffix("[]") {
        Some(list) => list,
        None if *last == crate::config::keys::NAMED => "X-Api-Key",
        None => last,
    };
    let leaf_name = leaf.replace("{}", last);
    inner.insert(leaf_name, value);
    for segment in parents.iter().rev() {
        let mut outer = toml::Table::new();
        let (name, wrapped) = match segment.strip_suffix("[]") {
            Some(list) => (list, toml::Value::Array(vec![toml::Value::Table(inner)])),
            None if *segment == crate::config::keys::NAMED => {
                ("X-Api-Key", toml::Value::Table(inner))
            }
            None => (*segment, toml::Value::Table(inner)),
        };
        outer.insert(name.to_owned(), wrapped);
        inner = outer;
    }
    inner
}

#[test]
fn every_secret_key_can_come_from_a_file_and_never_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, "s3cr3t-from-a-file\n").unwrap();
    let path = file.display().to_string();
    let missing = dir.path().join("missing").display().to_string();
    for key in secret_keys() {
        // A list of secrets takes a list of files; one secret, one file.
        let list = key.ends_with("[]");
        let leaf = |v: &str| {
            if list {
                vec![toml::Value::String(v.into())].into()
            } else {
                toml::Value::String(v.into())
            }
        };
        let mut from_file = table_at(key, "{}_file", leaf(&path));
        resolve(&mut from_file, secret_keys()).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(
            from_file,
            table_at(key, "{}", leaf("s3cr3t-from-a-file")),
            "{key}"
        );

        let mut both = table_at(key, "{}_file", leaf(&path));
        let inline = table_at(key, "{}", leaf("inline"));
        merge(&mut both, inline);
        let err = resolve(&mut both, secret_keys()).expect_err(key);
        assert!(err.message.contains("both inline and as"), "{key}: {err}");

        let mut unreadable = table_at(key, "{}_file", leaf(&missing));
        let err = resolve(&mut unreadable, secret_keys()).expect_err(key);
        assert!(
            err.key.ends_with("_file") && err.message.contains(&missing),
            "{key}: {err}"
        );
        assert!(!err.to_string().contains("s3cr3t"), "{key}: {err}");
    }
}

/// `b`'s keys added to `a`, tables merged.
fn merge(a: &mut toml::Table, b: toml::Table) {
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(toml::Value::Table(x)), toml::Value::Table(y)) => merge(x, y),
            (Some(toml::Value::Array(x)), toml::Value::Array(y)) => {
                if let (Some(toml::Value::Table(x0)), Some(toml::Value::Table(y0))) =
                    (x.first_mut(), y.into_iter().next())
                {
                    merge(x0, y0);
                }
            }
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
}

#[test]
fn a_file_for_a_key_that_is_no_secret_is_refused_and_a_loaded_secret_never_prints() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("token");
    std::fs::write(&secret, "shpat_from_a_mounted_file\n").unwrap();
    // One file for a setting that takes one secret or several.
    let mut one = table_at(
        "events.signing_secret[]",
        "{}_file",
        toml::Value::String(secret.display().to_string()),
    );
    resolve(&mut one, secret_keys()).unwrap();
    assert_eq!(
        one,
        table_at(
            "events.signing_secret[]",
            "{}",
            vec![toml::Value::String("shpat_from_a_mounted_file".into())].into()
        )
    );
    let mut not_secret = table_at("lookup.ttl_s", "{}_file", toml::Value::String("x".into()));
    let err = resolve(&mut not_secret, secret_keys()).unwrap_err();
    assert_eq!(err.key, "lookup.ttl_s_file");
    // Through the environment, as Docker and Kubernetes mount it; never in what prints.
    let env = [
        (
            "PROMISEGUARD_SOURCES__INVENTORY__TOKEN_FILE".to_owned(),
            secret.display().to_string(),
        ),
        (
            "PROMISEGUARD_SOURCES__INVENTORY__KIND".to_owned(),
            "shopify-graphql".to_owned(),
        ),
        (
            "PROMISEGUARD_SOURCES__INVENTORY__SHOP".to_owned(),
            "acme".to_owned(),
        ),
    ];
    let config: Config = crate::config::load(None, env).unwrap();
    assert_eq!(
        config.sources.inventory.token_value(),
        "shpat_from_a_mounted_file"
    );
    assert!(
        !format!("{config:?}").contains("shpat_from"),
        "a secret printed"
    );
}
