use crate::support::app::{TestApp, offer, presend_body, spawn_app};
use crate::support::fake_server::{FakeResponse, FakeServer};
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

async fn app_with_gbp(gbp: &FakeServer, extra: &str) -> TestApp {
    spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 400\n{extra}",
        gbp.url
    ))
    .await
}

fn locations() -> HashMap<String, Value> {
    HashMap::from([
        ("101".into(), gbp_location("101", "CLOSED_TEMPORARILY", &[])),
        ("102".into(), gbp_location("102", "CLOSED_PERMANENTLY", &[])),
        ("103".into(), gbp_location("103", "OPEN", &["2026-11-26"])),
        (
            "104".into(),
            gbp_location("104", "OPEN", &["2026-12-05", "2026-11-20"]),
        ),
        (
            "105".into(),
            gbp_location("105", "OPEN_FOR_BUSINESS_UNSPECIFIED", &[]),
        ),
    ])
}

fn rules(body: &Value) -> Vec<(String, String)> {
    body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["target"]["location"].as_str().unwrap_or("").to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn statuses_special_hours_and_unknown_locations_in_googles_format() {
    let gbp = FakeServer::start(google_business_profile(locations())).await;
    let app = app_with_gbp(&gbp, "").await;
    let body: Value = app
        .presend(&presend_body(json!([offer(
            "o",
            &["101", "102", "103", "104", "105", "999"],
            &[]
        )])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        rules(&body),
        vec![
            ("101".into(), "location_closed".into()),
            ("102".into(), "location_closed".into()),
            ("103".into(), "location_closed_during_window".into()),
            ("999".into(), "location_unknown".into()),
        ]
    );
    assert_eq!(
        body["findings"][1]["evidence"]["status"],
        "CLOSED_PERMANENTLY"
    );
    assert_eq!(
        body["findings"][1]["evidence"]["source"],
        "google-business-profile"
    );
    assert_eq!(
        body["findings"][2]["evidence"]["closed_dates"],
        json!(["2026-11-26"])
    );
    assert_eq!(
        body["offers"][0]["keepable_locations"],
        json!(["104", "105"])
    );
    // The API was asked the way Google documents it.
    let req = &gbp.requests()[0];
    assert_eq!(
        req.query("readMask"),
        Some("name,title,storeCode,latlng,openInfo,regularHours,specialHours,metadata")
    );
    assert_eq!(req.header("authorization"), Some("Bearer test-token"));
    // Upstream calls show in the metrics by source.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("promiseguard_upstream_calls_total{outcome=\"answered\",source=\"google-business-profile\"} 6"),
        "{metrics}"
    );
}

#[tokio::test]
async fn our_ids_are_mapped_to_googles() {
    let gbp = FakeServer::start(google_business_profile(locations())).await;
    let app = app_with_gbp(
        &gbp,
        "[sources.locations.id_map]\n\"loc-101\" = \"locations/101\"\n",
    )
    .await;
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &["loc-101"], &[])])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        rules(&body),
        vec![("loc-101".into(), "location_closed".into())]
    );
    assert_eq!(gbp.requests()[0].path, "/v1/locations/101");
}

#[tokio::test]
async fn forty_offers_naming_one_branch_fetch_it_once() {
    let gbp = FakeServer::start(google_business_profile(locations())).await;
    let app = app_with_gbp(&gbp, "").await;
    let offers: Vec<Value> = (0..40)
        .map(|i| offer(&format!("o{i}"), &["101", "105"], &[]))
        .collect();
    let body: Value = app
        .presend(&presend_body(json!(offers)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["findings"].as_array().unwrap().len(),
        40,
        "one finding per offer"
    );
    assert_eq!(gbp.count(), 2, "each branch fetched once");
}

/// Answers `first` to the first call and the real location afterwards.
fn flaky(
    first: FakeResponse,
) -> impl Fn(&crate::support::fake_server::FakeRequest) -> FakeResponse {
    let calls = Arc::new(AtomicUsize::new(0));
    let real = google_business_profile(locations());
    move |req| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            first.clone()
        } else {
            real(req)
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_once_after_retry_after() {
    let gbp = FakeServer::start(flaky(
        FakeResponse::json(429, json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded"}}))
            .header("retry-after", "1"),
    ))
    .await;
    let app = app_with_gbp(&gbp, "").await;
    let started = Instant::now();
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &["101"], &[])])))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as Retry-After asked"
    );
    assert_eq!(rules(&body), vec![("101".into(), "location_closed".into())]);
    assert_eq!(gbp.count(), 2);
}

#[tokio::test]
async fn a_503_is_retried_and_a_persistent_one_becomes_upstream_unavailable() {
    let gbp = FakeServer::start(flaky(FakeResponse::text(503, "Service Unavailable"))).await;
    let app = app_with_gbp(&gbp, "").await;
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &["105"], &[])])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["verdict"], "pass");
    assert_eq!(gbp.count(), 2);

    let down = FakeServer::start(|_| FakeResponse::text(503, "Service Unavailable")).await;
    let app = app_with_gbp(&down, "").await;
    let res = app
        .presend(&presend_body(json!([offer("o", &["105"], &[])])))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        rules(&body),
        vec![("105".into(), "upstream_unavailable".into())]
    );
    assert_eq!(body["verdict"], "flag", "failure_policy defaults to flag");
    assert!(
        body["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 503")
    );
    assert_eq!(down.count(), 2, "one retry, no more");
}

#[tokio::test]
async fn a_500_and_a_401_are_not_retried() {
    for status in [500, 401] {
        let gbp = FakeServer::start(move |_| FakeResponse::text(status, "nope")).await;
        let app = app_with_gbp(&gbp, "").await;
        let body: Value = app
            .presend(&presend_body(json!([offer("o", &["105"], &[])])))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            rules(&body),
            vec![("105".into(), "upstream_unavailable".into())]
        );
        assert_eq!(gbp.count(), 1, "HTTP {status} is not retried");
    }
}

#[tokio::test]
async fn garbage_becomes_upstream_unavailable_and_failure_policy_can_block() {
    for garbage in [
        "<html>502 Bad Gateway</html>",
        "{\"openInfo\": {\"status\": 7}}",
        "{\"openInfo\": {\"status\": \"SOMETIMES\"}}",
    ] {
        let gbp =
            FakeServer::start(move |_| FakeResponse::json(200, json!(null)).tap_body(garbage))
                .await;
        let app = app_with_gbp(&gbp, "[policy]\nfailure_policy = \"block\"\n").await;
        let res = app
            .presend(&presend_body(json!([offer("o", &["105"], &[])])))
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            rules(&body),
            vec![("105".into(), "upstream_unavailable".into())],
            "{garbage}"
        );
        assert_eq!(body["verdict"], "block");
        assert!(
            body["findings"][0]["message"]
                .as_str()
                .unwrap()
                .contains("unparseable")
        );
    }
}

trait TapBody {
    fn tap_body(self, body: &str) -> Self;
}

impl TapBody for FakeResponse {
    fn tap_body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }
}

#[tokio::test]
async fn an_upstream_slower_than_its_timeout_is_answered_within_timeout_plus_a_second() {
    let slow = FakeServer::start(|_| {
        FakeResponse::json(200, gbp_location("105", "OPEN", &[])).after(Duration::from_secs(5))
    })
    .await;
    let app = app_with_gbp(&slow, "").await;
    let started = Instant::now();
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &["105"], &[])])))
        .await
        .json()
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(400 + 1000),
        "answered in {took:?}"
    );
    assert_eq!(
        rules(&body),
        vec![("105".into(), "upstream_unavailable".into())]
    );
    assert!(
        body["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("timed out after 400 ms")
    );
}

#[tokio::test]
async fn the_check_deadline_bounds_everything() {
    let slow = FakeServer::start(|_| {
        FakeResponse::json(200, gbp_location("105", "OPEN", &[])).after(Duration::from_secs(5))
    })
    .await;
    let app = spawn_app(&format!(
        "[check]\ndeadline_ms = 300\n[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 3000\n",
        slow.url
    ))
    .await;
    let started = Instant::now();
    let body: Value = app
        .presend(&presend_body(json!([offer(
            "o",
            &["101", "102", "105"],
            &[]
        )])))
        .await
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(300 + 1000));
    assert_eq!(body["findings"].as_array().unwrap().len(), 3);
    assert!(
        body["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deadline")
    );
}

#[tokio::test]
async fn a_dead_upstream_trips_the_breaker_and_then_fails_fast() {
    let down = FakeServer::start(|_| FakeResponse::text(500, "down")).await;
    let app = app_with_gbp(
        &down,
        "breaker_threshold = 2\nbreaker_cooldown_ms = 60000\n",
    )
    .await;
    for _ in 0..2 {
        app.presend(&presend_body(json!([offer("o", &["105"], &[])])))
            .await;
    }
    assert_eq!(down.count(), 2);
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &["105"], &[])])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(down.count(), 2, "not called while the breaker is open");
    assert!(
        body["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("circuit breaker open")
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_unavailable_not_an_error() {
    // Nothing listens on port 9 of loopback: the connection is refused.
    let app = spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"http://127.0.0.1:9\"\ntoken = \"{TOKEN}\"\n"
    ))
    .await;
    let res = app
        .presend(&presend_body(json!([offer("o", &["105"], &[])])))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        rules(&body),
        vec![("105".into(), "upstream_unavailable".into())]
    );
    assert!(
        body["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("connection failed")
    );
}

/// A branch whose `openInfo.openingDate` is still ahead is closed on the days before it, so an
/// offer starting sooner is judged as any closed days are; a branch Google marks as a
/// duplicate (`metadata.duplicateLocation`) is a warning naming the one it duplicates.
#[tokio::test]
async fn a_branch_not_yet_open_is_closed_until_its_opening_and_a_duplicate_is_a_warning() {
    let today = chrono::Utc::now().date_naive();
    let opening = today + chrono::Duration::days(5);
    let mut new_branch = gbp_location("201", "OPEN", &[]);
    new_branch["openInfo"]["openingDate"] = json!({
        "year": chrono::Datelike::year(&opening),
        "month": chrono::Datelike::month(&opening),
        "day": chrono::Datelike::day(&opening),
    });
    new_branch.as_object_mut().unwrap().remove("regularHours");
    let mut duplicate = gbp_location("202", "OPEN", &[]);
    duplicate["metadata"] = json!({"duplicateLocation": "locations/77"});
    let gbp = FakeServer::start(google_business_profile(HashMap::from([
        ("201".to_owned(), new_branch),
        ("202".to_owned(), duplicate),
    ])))
    .await;
    let app = app_with_gbp(&gbp, "timezone = \"UTC\"\n").await;
    let now = chrono::Utc::now();
    let body = app
        .presend_answer(
            &json!({"campaign": {"id": "opening", "send_at": now.to_rfc3339(), "offers": [{
                "id": "o", "locations": ["201", "202"],
                "valid_from": now.to_rfc3339(),
                "valid_until": (now + chrono::Duration::days(10)).to_rfc3339(),
            }]}}),
        )
        .await;
    assert_eq!(
        rules(&body),
        vec![("201".to_owned(), "location_closed_during_window".to_owned())],
        "{body}"
    );
    let finding = &body["findings"][0];
    let closed = finding["evidence"]["closed_dates"].as_array().unwrap();
    assert_eq!(closed.len(), 5, "today and the four days after: {finding}");
    assert_eq!(closed[4], (opening - chrono::Duration::days(1)).to_string());
    let warnings = body["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("202: Google marks it a duplicate of locations/77")),
        "{warnings:?}"
    );
}
