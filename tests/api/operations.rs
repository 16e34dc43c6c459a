use crate::support::app::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = spawn_app("").await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["tzdb"], chrono_tz::IANA_TZDB_VERSION, "{v}");
    // Ready too, while not stopping (tests/api/shutdown.rs covers the 503).
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "ready");
}

#[tokio::test]
async fn metrics_count_requests_upstream_calls_and_verdicts() {
    let app = spawn_app("").await;
    let block: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/campaigns/block.json").unwrap())
            .unwrap();
    app.presend(&block).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("promiseguard_http_requests_total{method=\"POST\",route=\"/v1/presend\",status=\"200\"} 1"), "{text}");
    assert!(
        text.contains("promiseguard_checks_total{phase=\"pre_send\",verdict=\"block\"} 1"),
        "{text}"
    );
    assert!(text.contains("promiseguard_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn openapi_is_generated_from_the_code() {
    let app = spawn_app("").await;
    let v: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    assert!(v["paths"]["/v1/presend"]["post"].is_object());
    assert!(v["paths"]["/readyz"]["get"].is_object());
    assert!(v["paths"]["/v1/events"]["post"]["responses"]["401"].is_object());
    for door in [
        "/v1/events/mailgun",
        "/v1/events/postmark",
        "/v1/events/ses",
        "/v1/events/customerio",
        "/v1/events/braze",
        "/v1/conversions/shopify",
        "/v1/conversions/segment",
    ] {
        assert!(
            v["paths"][door]["post"]["responses"]["200"].is_object(),
            "{door}"
        );
    }
    // The pinned send-time lookup, and the 400s a client can cause on two doors.
    for status in ["200", "400", "401"] {
        assert!(
            v["paths"]["/v1/lookup"]["get"]["responses"][status].is_object(),
            "/v1/lookup {status}"
        );
    }
    assert!(v["components"]["schemas"]["LookupAnswer"].is_object());
    assert!(v["paths"]["/v1/conversions/shopify"]["post"]["responses"]["400"].is_object());
    assert!(v["paths"]["/v1/quarantine/{id}/replay"]["post"]["responses"]["400"].is_object());
    assert!(v["components"]["schemas"]["CheckResult"].is_object());
    assert!(v["components"]["schemas"]["Problem"].is_object());
}
