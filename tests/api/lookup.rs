use crate::support::app::{TestApp, spawn_app};
use crate::support::fake_server::{FakeRequest, FakeResponse, FakeServer};
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

async fn lookup(app: &TestApp, query: &str) -> (u16, Value) {
    let res = app.get(&format!("/v1/lookup?{query}")).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn app_with_gbp(gbp: &FakeServer, lookup: &str) -> TestApp {
    spawn_app(&format!(
        "[lookup]\n{lookup}\n[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\ntimeout_ms = 3000\n",
        gbp.url
    ))
    .await
}

fn branches() -> HashMap<String, Value> {
    HashMap::from([
        ("open".to_owned(), gbp_location("open", "OPEN", &[])),
        (
            "shut".to_owned(),
            gbp_location("shut", "CLOSED_TEMPORARILY", &[]),
        ),
    ])
}

#[tokio::test]
async fn the_pinned_answer_from_the_fixtures() {
    let app = spawn_app("").await;
    let res = app
        .get("/v1/lookup?locations=loc-101,loc-201&items=SUV-STD@loc-101,CHILD-SEAT@online")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "max-age=60");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "ok": false,
            "locations": {"keepable": ["loc-201"], "broken": ["loc-101"]},
            "items": {"keepable": ["CHILD-SEAT@online"], "broken": ["SUV-STD@loc-101"]}
        })
    );
    let (_, good) = lookup(&app, "locations=loc-201&items=COMPACT@loc-201").await;
    assert_eq!(good["ok"], true);
}

#[tokio::test]
async fn malformed_parameters_are_400_with_problem_json() {
    let app = spawn_app("").await;
    for query in ["", "items=nosku", "locations=a,,b", "colour=red"] {
        let res = app.get(&format!("/v1/lookup?{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert!(!body["errors"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn answers_come_from_memory_until_the_ttl_expires() {
    let gbp = FakeServer::start(google_business_profile(branches())).await;
    let app = app_with_gbp(&gbp, "ttl_s = 1").await;
    let (_, first) = lookup(&app, "locations=open,shut").await;
    assert_eq!(
        first["locations"],
        json!({"keepable": ["open"], "broken": ["shut"]})
    );
    lookup(&app, "locations=open,shut").await;
    assert_eq!(gbp.count(), 2, "the second lookup was served from memory");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    lookup(&app, "locations=open,shut").await;
    assert_eq!(gbp.count(), 4, "expired after 1 s");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("promiseguard_lookup_results_total{kind=\"location\",result=\"hit\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_thousand_concurrent_lookups_of_one_cold_key_make_one_upstream_call() {
    let slow = FakeServer::start(|req: &FakeRequest| {
        google_business_profile(branches())(req).after(Duration::from_millis(300))
    })
    .await;
    let app = app_with_gbp(&slow, "deadline_ms = 2000").await;
    let answers =
        futures::future::join_all((0..1000).map(|_| lookup(&app, "locations=open"))).await;
    assert!(answers.iter().all(|(s, b)| *s == 200 && b["ok"] == true));
    assert_eq!(
        slow.count(),
        1,
        "one upstream call for 1,000 concurrent lookups"
    );
    // Every other lookup either joined that call or, arriving after it, was a cache hit.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let value = |prefix: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0)
    };
    let coalesced = value("promiseguard_lookup_coalesced_total ");
    let hits = value("promiseguard_lookup_results_total{kind=\"location\",result=\"hit\"} ");
    assert!(coalesced >= 1, "{metrics}");
    assert_eq!(coalesced + hits, 999, "{metrics}");
}

#[tokio::test]
async fn a_recently_expired_answer_is_served_stale_when_the_upstream_is_down() {
    let down = Arc::new(AtomicBool::new(false));
    let flag = down.clone();
    let real = google_business_profile(branches());
    let gbp = FakeServer::start(move |req: &FakeRequest| {
        if flag.load(Ordering::SeqCst) {
            FakeResponse::text(503, "down")
        } else {
            real(req)
        }
    })
    .await;
    let app = app_with_gbp(&gbp, "ttl_s = 1").await;
    lookup(&app, "locations=open,shut").await;
    down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, body) = lookup(&app, "locations=open,shut&items=X@online").await;
    assert_eq!(body["stale"], true);
    assert_eq!(
        body["locations"],
        json!({"keepable": ["open"], "broken": ["shut"]})
    );
    // Nothing ever cached for the item: unknown (the static inventory answers it, though).
    let (_, never) = lookup(&app, "locations=never-seen").await;
    assert_eq!(
        never["locations"],
        json!({"keepable": [], "broken": [], "unknown": ["never-seen"]})
    );
    assert_eq!(never["ok"], false);
}

#[tokio::test]
async fn a_slow_upstream_never_holds_a_recipient_past_the_deadline_and_still_fills_the_cache() {
    let slow = FakeServer::start(|req: &FakeRequest| {
        google_business_profile(branches())(req).after(Duration::from_millis(1500))
    })
    .await;
    let app = app_with_gbp(&slow, "deadline_ms = 300").await;
    let started = Instant::now();
    let (status, body) = lookup(&app, "locations=open").await;
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_millis(300 + 100),
        "answered in {took:?}"
    );
    assert_eq!(
        body,
        json!({"ok": false, "locations": {"keepable": [], "broken": [], "unknown": ["open"]}, "items": {"keepable": [], "broken": []}})
    );
    // The call finished in the background and filled the cache.
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let started = Instant::now();
    let (_, body) = lookup(&app, "locations=open").await;
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(body["ok"], true);
    assert_eq!(slow.count(), 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("promiseguard_lookup_deadline_misses_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_remembered_answer_lasts_only_as_long_as_its_freshest_key_is_fresh() {
    let gbp = FakeServer::start(google_business_profile(branches())).await;
    let app = app_with_gbp(&gbp, "ttl_s = 1").await;
    // "open" is cached at t=0; "shut" at t≈0.6, when the two-key answer is first made.
    lookup(&app, "locations=open").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, first) = lookup(&app, "locations=open,shut").await;
    assert_eq!(gbp.count(), 2);
    // Repeated within the TTL of both keys: the same answer, from memory.
    let res = app.get("/v1/lookup?locations=open,shut").await;
    assert_eq!(res.headers()["cache-control"], "max-age=1");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.json::<Value>().await.unwrap(), first);
    assert_eq!(gbp.count(), 2);
    // At t≈1.1 "open" has expired though "shut" has not: the answer is not reused, and only
    // "open" goes upstream again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, again) = lookup(&app, "locations=open,shut").await;
    assert_eq!(again, first);
    assert_eq!(gbp.count(), 3, "only the expired key was fetched again");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("promiseguard_lookup_results_total{kind=\"location\",result=\"hit\"} 4"),
        "hits: \"open\" at t≈0.6, both keys of the remembered answer, \"shut\" at t≈1.1: {metrics}"
    );
}

/// An anonymous caller asking for ids that do not exist cannot make the lookup ask Google
/// again and again: a 404 is an answer ("unknown location", broken) and is cached like one.
#[tokio::test]
async fn a_location_the_source_does_not_know_is_cached_like_any_answer() {
    let gbp = FakeServer::start(google_business_profile(branches())).await;
    let app = app_with_gbp(&gbp, "").await;
    for _ in 0..5 {
        let (status, body) = lookup(&app, "locations=ghost-branch").await;
        assert_eq!(status, 200);
        assert_eq!(
            body["locations"]["broken"],
            json!(["ghost-branch"]),
            "{body}"
        );
    }
    let asked = gbp
        .requests()
        .iter()
        .filter(|r| r.path.contains("ghost-branch"))
        .count();
    assert_eq!(asked, 1, "the 404 was not cached");
}
