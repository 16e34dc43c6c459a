use super::*;
use std::path::PathBuf;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn write(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[test]
fn no_file_gives_the_embedded_defaults() {
    let c = load(None, env(&[])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url.expose(), "sqlite://promiseguard.db");
    assert_eq!(c.sources.locations.kind, SourceKind::Static);
    assert_eq!(c.email.outbox_dir, PathBuf::from("outbox"));
    assert_eq!(c.public_base_url(), "http://127.0.0.1:8080");
    assert_eq!(c.check.deadline_ms, 5000);
}

#[test]
fn the_default_survey_language_is_english_and_a_regional_tag_gets_its_language() {
    assert_eq!(
        load(None, env(&[])).unwrap().surveys.default_locale.tag(),
        "en"
    );
    let f = write("[surveys]\ndefault_locale = \"ar-EG\"\n");
    let c = load(Some(f.path()), env(&[])).unwrap();
    assert_eq!(c.surveys.default_locale.tag(), "ar");
    let f = write("[surveys]\ndefault_locale = \"de\"\n");
    let err = load(Some(f.path()), env(&[])).unwrap_err().to_string();
    assert!(
        err.contains("no catalog for `de` (shipped: ar, en, fa)"),
        "{err}"
    );
}

#[test]
fn env_overrides_nested_keys_and_file() {
    let f = write("[check]\ndeadline_ms = 100\nconcurrency = 4\n");
    let c = load(
        Some(f.path()),
        env(&[
            ("PROMISEGUARD_CHECK__DEADLINE_MS", "3000"),
            (
                "PROMISEGUARD_WEBHOOKS__SIGNING_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
            ("PROMISEGUARD_CONFIG", "ignored.toml"),
            ("PROMISEGUARD_TEST_POSTGRES_URL", "postgres://x"),
            ("OTHER", "1"),
        ]),
    )
    .unwrap();
    assert_eq!(c.check.deadline_ms, 3000);
    assert_eq!(c.check.concurrency, 4);
    assert!(c.webhooks.signing_secret.is_some());
}

#[test]
fn a_numeric_looking_value_for_a_string_key_stays_a_string() {
    let c = load(
        None,
        env(&[
            (
                "PROMISEGUARD_SOURCES__LOCATIONS__KIND",
                "google-business-profile",
            ),
            (
                "PROMISEGUARD_SOURCES__LOCATIONS__BASE_URL",
                "http://127.0.0.1:9",
            ),
            ("PROMISEGUARD_SOURCES__LOCATIONS__TOKEN", "12345"),
        ]),
    )
    .unwrap();
    assert_eq!(c.sources.locations.token.unwrap().expose(), "12345");
}

/// A `[[surveys.webhooks]]` entry with its key (its URL and events follow).
const HOOK: &str = "[[surveys.webhooks]]\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n";

#[test]
fn errors_name_the_key() {
    let cases: [(&str, &str); _] = [
        ("[check]\ndeadline_ms = \"soon\"\n", "check.deadline_ms"),
        ("[check]\nconcurency = 3\n", "check.concurency"),
        ("listen = \"nowhere\"\n", "listen"),
        ("[policy]\nlow_stock = \"maybe\"\n", "policy.low_stock"),
        (
            "[sources.locations]\nkind = \"google-business-profile\"\n",
            "sources.locations.base_url",
        ),
        (
            "[sources.inventory]\nkind = \"google-business-profile\"\n",
            "sources.inventory.kind",
        ),
        (
            "[webhooks]\nsigning_secret = \"whsec_%%%\"\n",
            "webhooks.signing_secret",
        ),
        ("database_url = \"mysql://x\"\n", "database_url"),
        (
            "[schedule]\nrecheck = \"*/15 * * * *\"\n",
            "schedule.recheck",
        ),
        (
            "[sources.inventory]\nkind = \"square\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\nrequests_per_minute = 0\n",
            "sources.inventory.requests_per_minute",
        ),
        (
            "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\nburst = 301\n",
            "sources.locations.burst",
        ),
        (
            "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\naccount = \"108\"\n",
            "sources.locations.account",
        ),
        (
            "[sources.locations]\nkind = \"static\"\npath = \"fixtures/locations.json\"\ntimezone = \"Mars/Olympus\"\n",
            "sources.locations.timezone",
        ),
        (
            "[sources.locations.timezones]\nloc-101 = \"America/Las_Angeles\"\n",
            "sources.locations.timezones.loc-101",
        ),
        (
            "[sources.inventory]\nkind = \"static\"\npath = \"fixtures/inventory.json\"\ntimezone = \"Asia/Tehran\"\n",
            "sources.inventory.timezone",
        ),
        (
            "[sources.inventory]\nkind = \"square-locations\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\n",
            "sources.inventory.kind",
        ),
        (
            "[surveys]\ndefault_locale = \"de\"\n",
            "surveys.default_locale",
        ),
        (
            "[events.mailgun]\nmax_age_s = 700000\n",
            "events.mailgun.max_age_s",
        ),
        (
            "[events.mailgun]\ncampaign_from = \"subject\"\n",
            "events.mailgun.campaign_from",
        ),
        (
            "[events.ses]\ntopic_arns = [\"arn:aws:sns:us-east-1:1:ok\", \"my-topic\"]\n",
            "events.ses.topic_arns[1]",
        ),
        (
            "[conversions.segment]\nrecipient_from = [\"userId\", \"traits.email\"]\n",
            "conversions.segment.recipient_from[1]",
        ),
    ];
    assert_keys(&cases);
}

/// The same for Shopify's shop, store codes, response webhooks and retention.
#[test]
fn errors_of_shops_codes_hooks_and_retention_name_the_key() {
    let cases: [(&str, &str); _] = [
        (
            "[sources.inventory]\nkind = \"shopify-graphql\"\ntoken = \"t\"\n",
            "sources.inventory.shop",
        ),
        (
            "[sources.inventory]\nkind = \"shopify-graphql\"\ntoken = \"t\"\nshop = \"acme/../x\"\n",
            "sources.inventory.shop",
        ),
        (
            "[sources.inventory]\nkind = \"square\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\nshop = \"acme\"\n",
            "sources.inventory.shop",
        ),
        (
            "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\nids = \"store_code\"\n",
            "sources.locations.account",
        ),
        (
            "[sources.locations]\nkind = \"square-locations\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"t\"\nids = \"store_code\"\n",
            "sources.locations.ids",
        ),
        (
            "[sources.inventory]\nkind = \"static\"\npath = \"fixtures/inventory.json\"\nids = \"store_code\"\n",
            "sources.inventory.ids",
        ),
        (
            "[sources.locations]\nids = \"storecode\"\n",
            "sources.locations.ids",
        ),
        (
            "[sources.inventory]\nkind = \"static\"\npath = \"fixtures/inventory.json\"\nwebhook_secret = \"s\"\n",
            "sources.inventory.webhook_secret",
        ),
        (
            "[sources.locations]\nkind = \"static\"\npath = \"fixtures/locations.json\"\nwebhook_secret = \"s\"\n",
            "sources.locations.webhook_secret",
        ),
        (
            "[recheck]\non_change_delay_s = 7200\n",
            "recheck.on_change_delay_s",
        ),
        ("[retention]\nevents_days = 3\n", "retention.events_days"),
        (
            &format!("{HOOK}url = \"ftp://hooks.example.com\"\n"),
            "surveys.webhooks[0].url",
        ),
        (
            &format!("{HOOK}url = \"https://a.example.com\"\nevents = []\n"),
            "surveys.webhooks[0].events",
        ),
        (
            &format!("{HOOK}url = \"https://a.example.com\"\nevents = [\"unsubscribe.created\"]\n"),
            "surveys.webhooks[0].events[0]",
        ),
        (
            &format!(
                "{HOOK}url = \"https://a.example.com\"\n{HOOK}url = \"https://a.example.com\"\n"
            ),
            "surveys.webhooks[1].url",
        ),
    ];
    assert_keys(&cases);
}

/// Each text, as the whole configuration, is refused naming `key`.
fn assert_keys(cases: &[(&str, &str)]) {
    for (text, key) in cases {
        let f = write(text);
        let err = load(Some(f.path()), env(&[])).unwrap_err();
        assert_eq!(err.key, *key, "{text}: {err}");
    }
}

#[test]
fn database_url_errors_do_not_echo_the_password() {
    let err = load(
        None,
        env(&[("PROMISEGUARD_DATABASE_URL", "mysql://u:hunter2@h/db")]),
    )
    .unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn analyst_tokens_are_checked_and_named_by_their_key() {
    let ok = "{ name = \"dana\", role = \"reviewer\", token = \"0123456789abcdef\" }";
    let cases = [
        (
            "{ name = \"dana\", role = \"admin\", token = \"0123456789abcdef\" }".to_owned(),
            "analysts.tokens[0].role",
        ),
        (
            "{ name = \" \", role = \"viewer\", token = \"0123456789abcdef\" }".to_owned(),
            "analysts.tokens[0].name",
        ),
        (
            "{ name = \"dana\", role = \"viewer\", token = \"short\" }".to_owned(),
            "analysts.tokens[0].token",
        ),
        (
            format!("{ok}, {{ name = \"dana\", role = \"viewer\", token = \"fedcba9876543210\" }}"),
            "analysts.tokens[1].name",
        ),
        (
            format!("{ok}, {{ name = \"vic\", role = \"viewer\", token = \"0123456789abcdef\" }}"),
            "analysts.tokens[1].token",
        ),
    ];
    for (tokens, key) in cases {
        let f = write(&format!("[analysts]\ntokens = [{tokens}]\n"));
        let err = load(Some(f.path()), env(&[])).unwrap_err();
        assert_eq!(err.key, key, "{tokens}");
    }
    let f = write(&format!("[analysts]\ntokens = [{ok}]\n"));
    let c = load(Some(f.path()), env(&[])).unwrap();
    assert_eq!(c.analysts.unwrap().tokens[0].name, "dana");
}

#[test]
fn door_credentials_are_checked_and_named_by_their_key() {
    let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
    let cases = [
        (
            "[events]\ntokens = [{ name = \"p\", token = \"short\" }]\n".to_owned(),
            "events.tokens[0].token",
        ),
        (
            "[events]\ntokens = [{ name = \"p\", token = \"0123456789abcdef\" }, { name = \"p\", token = \"fedcba9876543210\" }]\n".to_owned(),
            "events.tokens[1].name",
        ),
        (
            "[lookup]\ntokens = [{ name = \"\", token = \"0123456789abcdef\" }]\n".to_owned(),
            "lookup.tokens[0].name",
        ),
        (
            "[events]\nsigning_secret = \"whsec_%%%\"\n".to_owned(),
            "events.signing_secret",
        ),
        (
            "[events.sendgrid]\nverification_key = \"not a key\"\n".to_owned(),
            "events.sendgrid.verification_key",
        ),
        (
            format!("[events.sendgrid]\nverification_keys = [\"{key}\", \"c2hvcnQ=\"]\n"),
            "events.sendgrid.verification_keys[1]",
        ),
        ("shutdown_grace_s = 600\n".to_owned(), "shutdown_grace_s"),
        ("[email]\ntransport = \"pigeon\"\n".to_owned(), "email.transport"),
        ("[email]\nfrom = \"not an address\"\n".to_owned(), "email.from"),
    ];
    for (text, want) in cases {
        let f = write(&text);
        let err = load(Some(f.path()), env(&[])).unwrap_err();
        assert_eq!(err.key, want, "{text}: {err}");
    }
    let f = write(&format!(
        "[events]\ntokens = [{{ name = \"p\", token = \"0123456789abcdef\" }}]\n[events.sendgrid]\nverification_key = \"{key}\"\n"
    ));
    let c = load(Some(f.path()), env(&[])).unwrap();
    assert_eq!(c.events.tokens.len(), 1);
    assert_eq!(c.events.sendgrid.keys().len(), 1);
    assert_eq!(c.events.sendgrid.max_age_s, 86_400);
    assert_eq!(c.shutdown_grace_s, 5);
}

#[test]
fn the_relays_pace_and_cap_must_allow_something() {
    for (setting, key) in [
        ("max_per_second = 0", "email.max_per_second"),
        ("max_per_day = 0", "email.max_per_day"),
    ] {
        let f = write(&format!("[email]\n{setting}\n"));
        let err = load(Some(f.path()), env(&[])).unwrap_err();
        assert_eq!(err.key, key, "{setting}");
    }
    let f = write("[email]\nmax_per_second = 14\nmax_per_day = 50000\n");
    let c = load(Some(f.path()), env(&[])).unwrap();
    assert_eq!(
        (c.email.max_per_second, c.email.max_per_day),
        (Some(14), Some(50_000))
    );
}

#[test]
fn a_shopify_shop_is_reached_at_its_myshopify_host() {
    for shop in ["acme", "acme.myshopify.com"] {
        let f = write(&format!(
            "[sources.inventory]\nkind = \"shopify-graphql\"\ntoken = \"t\"\nshop = \"{shop}\"\n"
        ));
        let c = load(Some(f.path()), env(&[])).unwrap();
        assert_eq!(c.sources.inventory.base(), "https://acme.myshopify.com");
    }
}

#[test]
fn survey_link_secrets_are_one_or_several_keys_the_first_signing_and_long() {
    // An older key after the signing one only opens links already sent: kept as it was.
    let f = write("[surveys]\nlink_secret = [\"the-new-link-key-0123\", \"old-short\"]\n");
    let config = load(Some(f.path()), env(&[])).unwrap();
    assert_eq!(
        config.surveys.link_keys().unwrap(),
        [b"the-new-link-key-0123".to_vec(), b"old-short".to_vec()]
    );
    assert_keys(&[
        (
            "[surveys]\nlink_secret = [\"short\", \"the-old-link-key-0123\"]\n",
            "surveys.link_secret",
        ),
        (
            "[surveys]\nlink_secret = \"short\"\n",
            "surveys.link_secret",
        ),
        ("[surveys]\nlink_secret = []\n", "surveys.link_secret"),
    ]);
}
