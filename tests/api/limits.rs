//! `[limits]`: a token bucket per client address at the survey and unsubscribe pages (120 a
//! minute by default), the lookup and the inbound doors; one-click unsubscribes never limited;
//! the client read from `X-Forwarded-For` only behind a trusted proxy — for the limits and for
//! the loopback-only rule alike.
use crate::support::app::{TestApp, spawn_app};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    app_with_smtp, clicks, one_click_unsubscribe, post_events, surveys_run, unsubscribe_url,
};

async fn get(app: &TestApp, path: &str, forwarded: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_121st_page_request_in_a_minute_is_429_but_a_one_click_unsubscribe_never_is() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    post_events(&app, "/v1/events", &clicks("c1", &["a@example.com"], 100)).await;
    assert_eq!(surveys_run(&app).await.status.code(), Some(0));
    let mail = sink.delivered()[0].data.clone();
    let unsubscribe = unsubscribe_url(&app, &mail);

    for n in 1..=120 {
        let res = get(&app, "/s/not-a-token", None).await;
        assert_eq!(res.status(), 404, "request {n}");
    }
    let res = get(&app, "/s/not-a-token", None).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["status"], 429);
    // The unsubscribe page is limited with it; the one-click POST with a valid token is not.
    assert_eq!(
        get(&app, &unsubscribe.replace(&app.address, ""), None)
            .await
            .status(),
        429
    );
    for _ in 0..130 {
        one_click_unsubscribe(&app, &unsubscribe).await;
    }
    // A POST with a token that opens nothing counts as a page request.
    let res = app
        .client
        .post(format!("{}/u/not-a-token", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("promiseguard_rate_limited_total{door=\"pages\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let app =
        spawn_app("[limits]\nper_ip_per_minute = 3\ntrusted_proxies = [\"127.0.0.1/32\"]\n").await;
    for _ in 0..3 {
        assert_eq!(get(&app, "/s/x", Some("198.51.100.1")).await.status(), 404);
    }
    assert_eq!(get(&app, "/s/x", Some("198.51.100.1")).await.status(), 429);
    // Another client behind the same proxy; a client claiming to be the first, seen by the proxy
    // as the second (the rightmost untrusted address counts).
    assert_eq!(get(&app, "/s/x", Some("198.51.100.2")).await.status(), 404);
    assert_eq!(
        get(&app, "/s/x", Some("198.51.100.1, 198.51.100.2"))
            .await
            .status(),
        404
    );
    // The loopback rule goes by the client: a forwarded outsider is not local.
    assert_eq!(
        get(&app, "/v1/campaigns", None).await.status(),
        200,
        "the proxy itself"
    );
    assert_eq!(
        get(&app, "/v1/campaigns", Some("203.0.113.5"))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_header_is_ignored() {
    let app = spawn_app("[limits]\nper_ip_per_minute = 3\nlookup_per_ip_per_minute = 2\n").await;
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(get(&app, "/s/x", Some(client)).await.status(), 404);
    }
    assert_eq!(get(&app, "/s/x", Some("198.51.100.4")).await.status(), 429);
    assert_eq!(
        get(&app, "/v1/campaigns", Some("203.0.113.5"))
            .await
            .status(),
        200,
        "still the loopback peer"
    );
    // The lookup has a bucket of its own.
    for _ in 0..2 {
        assert_eq!(
            get(&app, "/v1/lookup?locations=loc-201", None)
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        get(&app, "/v1/lookup?locations=loc-201", None)
            .await
            .status(),
        429
    );
}
