//! What an operator deploys around the service (`deploy/`): the alert rules and the dashboard
//! name only metrics a live `/metrics` exports from its first scrape, and every series known at
//! start is there at zero; the survey funnel, job successes and readiness move as they happen.
//! (`promtool test rules deploy/prometheus/alerts_test.yml` tests the rules themselves; `.ci/run`
//! runs it.)
use crate::support::app::{TestApp, spawn_app};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    clicks, link_in, one_click_unsubscribe, post_events, unsubscribe_url,
};
use crate::support::upstreams::TOKEN;
use std::collections::BTreeSet;
use std::time::Duration;

/// The metric names an expression file mentions.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("promiseguard_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

/// The value of the series `series` (name and labels, as exported) in a scrape.
fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Every upstream source and a platform configured (nothing is asked of them here).
async fn full_app() -> TestApp {
    spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"{TOKEN}\"\n\
         [sources.inventory]\nkind = \"shopify-graphql\"\nshop = \"acme\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"{TOKEN}\"\n\
         [[platforms]]\nkind = \"klaviyo\"\nname = \"klaviyo\"\napi_key = \"pk_test_0123456789\"\nbase_url = \"http://127.0.0.1:9\"\n\
         [watch]\nhorizon_days = 7\n"
    ))
    .await
}

#[tokio::test]
async fn the_rules_and_the_dashboard_name_only_metrics_a_first_scrape_exports() {
    let app = full_app().await;
    let scrape = app.get("/metrics").await.text().await.unwrap();
    let exported: BTreeSet<&str> = scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    for file in [
        "deploy/prometheus/alerts.yml",
        "deploy/grafana/promiseguard.json",
    ] {
        let named = names_in(&std::fs::read_to_string(file).unwrap());
        assert!(named.len() >= 12, "{file} names {named:?}");
        let missing: Vec<&String> = named
            .iter()
            .filter(|n| !exported.contains(n.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{file} names {missing:?}, which /metrics does not export:\n{scrape}"
        );
    }
    // Every label set known at start, at zero (or at its configured value).
    for (series, expected) in [
        (
            "promiseguard_breaker_open{source=\"google-business-profile\"}",
            0.0,
        ),
        ("promiseguard_breaker_open{source=\"shopify-graphql\"}", 0.0),
        (
            "promiseguard_breaker_open{source=\"platform:klaviyo\"}",
            0.0,
        ),
        (
            "promiseguard_quota_wait_seconds_total{source=\"shopify-graphql\"}",
            0.0,
        ),
        (
            "promiseguard_upstream_errors_total{kind=\"timeout\",source=\"google-business-profile\"}",
            0.0,
        ),
        (
            "promiseguard_checks_total{phase=\"live\",verdict=\"block\"}",
            0.0,
        ),
        ("promiseguard_check_deadline_seconds", 5.0),
        ("promiseguard_ready", 1.0),
        ("promiseguard_job_interval_seconds{job=\"recheck\"}", 900.0),
        ("promiseguard_alerts_delivered_total{kind=\"finding\"}", 0.0),
        (
            "promiseguard_alerts_failed_total{kind=\"survey_response\"}",
            0.0,
        ),
        ("promiseguard_surveys_queued_total", 0.0),
        (
            "promiseguard_watch_errors_total{kind=\"key_refused\",platform=\"klaviyo\"}",
            0.0,
        ),
        (
            "promiseguard_source_pushes_total{outcome=\"applied\",topic=\"inventory_levels/update\"}",
            0.0,
        ),
        (
            "promiseguard_http_requests_total{method=\"POST\",route=\"/v1/presend\",status=\"200\"}",
            0.0,
        ),
        ("promiseguard_open_findings{severity=\"block\"}", 0.0),
    ] {
        assert_eq!(
            value(&scrape, series),
            Some(expected),
            "{series} in\n{scrape}"
        );
    }
    let started = value(
        &scrape,
        "promiseguard_job_last_success_timestamp_seconds{job=\"recheck\"}",
    )
    .expect("the recheck job's last success");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        (now - started).abs() < 60.0,
        "the start counts as a success: {started}"
    );
}

#[tokio::test]
async fn the_survey_funnel_and_job_successes_are_counted_as_they_happen() {
    let sink = SmtpSink::start().await;
    let app = spawn_app(&format!(
        "public_base_url = \"https://cx.example.com\"\n\
         [schedule]\nrecheck = \"off\"\nsurveys = \"* * * * * *\"\nlease_ttl_s = 2\n\
         [email]\ntransport = \"smtp\"\nsmtp_url = \"{}\"\nfrom = \"Acme CX <cx@example.com>\"\n\
         [surveys]\nsend_window = \"always\"\n",
        sink.url
    ))
    .await;
    let before = app.get("/metrics").await.text().await.unwrap();
    let started = value(
        &before,
        "promiseguard_job_last_success_timestamp_seconds{job=\"surveys\"}",
    )
    .unwrap();
    post_events(&app, "/v1/events", &clicks("c1", &["a@example.com"], 100)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while sink.delivered().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no survey within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = sink.delivered()[0].data.clone();
    let link = link_in(&mail, 9).replace("https://cx.example.com", &app.address);
    let post = link.split('?').next().unwrap().to_owned();
    for _ in 0..2 {
        let res = app
            .client
            .post(&post)
            .form(&[("score", "9")])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
    }
    one_click_unsubscribe(&app, &unsubscribe_url(&app, &mail)).await;
    let after = app.get("/metrics").await.text().await.unwrap();
    for (series, n) in [
        ("promiseguard_surveys_queued_total", 1.0),
        ("promiseguard_surveys_sent_total", 1.0),
        ("promiseguard_surveys_answered_total", 1.0),
        ("promiseguard_surveys_unsubscribed_total", 1.0),
    ] {
        assert_eq!(value(&after, series), Some(n), "{series} in\n{after}");
    }
    let succeeded = value(
        &after,
        "promiseguard_job_last_success_timestamp_seconds{job=\"surveys\"}",
    )
    .unwrap();
    assert!(succeeded > started, "{succeeded} after {started}");
}
