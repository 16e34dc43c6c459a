use crate::support::process::cli;
use std::process::Command;

fn check(args: &[&str]) -> (i32, String, String) {
    cli(&[&["check"], args].concat())
}

#[test]
fn check_exits_0_pass_3_flag_4_block() {
    let (code, out, _) = check(&["fixtures/campaigns/pass.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS"));
    let (code, out, _) = check(&["fixtures/campaigns/flag.json"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("low_stock"));
    let (code, out, _) = check(&["fixtures/campaigns/block.json"]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("SEVERITY") && out.contains("Riverside (loc-102) is CLOSED_PERMANENTLY"));
    assert!(out.contains("keepable locations: none"));
}

#[test]
fn check_prints_json_on_request() {
    let (code, out, _) = check(&["--json", "fixtures/campaigns/block.json"]);
    assert_eq!(code, 4);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "block");
}

#[test]
fn check_names_bad_fields_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, r#"{"campaign": {"id": "c", "offers": [{"id": "o", "valid_from": "2026-11-24T00:00:00Z"}]}}"#).unwrap();
    let (code, _, err) = check(&[path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("/campaign/offers/0/valid_until"), "{err}");
}

#[test]
fn bad_config_is_a_clear_error_naming_the_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .args(["check", "fixtures/campaigns/pass.json"])
        .env("PROMISEGUARD_CHECK__DEADLINE_MS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("check.deadline_ms"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn version_names_the_time_zone_database_it_judges_hours_by() {
    let out = Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(
        text.trim(),
        format!(
            "promiseguard {} (tzdb {})",
            env!("CARGO_PKG_VERSION"),
            chrono_tz::IANA_TZDB_VERSION
        )
    );
}

#[test]
fn check_reads_the_promises_of_a_campaigns_email_and_refuses_one_that_promises_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string("fixtures/emails/klaviyo-neighborhood-rental.html").unwrap();
    let campaign = |html: &str| {
        serde_json::json!({"id": "email", "send_at": "2026-12-10T17:00:00Z",
                           "content": {"html": html, "subject": "A free day"}})
        .to_string()
    };
    let path = dir.path().join("email.json");
    std::fs::write(&path, campaign(&html)).unwrap();
    let config = dir.path().join("promiseguard.toml");
    std::fs::copy("fixtures/emails/promises.toml", &config).unwrap();
    let run = |file: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_promiseguard"))
            .args(["--config", config.to_str().unwrap(), "check"])
            .arg(file)
            .env_remove("PROMISEGUARD_CONFIG")
            .env("PROMISEGUARD_LOG", "warn")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            out.status.code().unwrap(),
            text(&out.stdout),
            text(&out.stderr),
        )
    };
    let (code, out, _) = run(&path);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("Riverside (loc-102) is CLOSED_PERMANENTLY"),
        "{out}"
    );
    assert!(out.contains("“Rent from Riverside →”"), "{out}");
    assert!(
        out.contains("7 links, 5 promising, 0 personalised"),
        "{out}"
    );
    std::fs::write(&path, campaign("<p>Season's greetings</p>")).unwrap();
    let (code, _, err) = run(&path);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/content") && err.contains("nothing is promised"),
        "{err}"
    );
}
