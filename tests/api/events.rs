use crate::support::app::spawn_app;
use crate::support::surveys::{clicks, conversion, post_events};
use promiseguard::store::CheckStore;
use serde_json::json;

#[tokio::test]
async fn events_are_stored_once_by_id() {
    let app = spawn_app("").await;
    let mut events = clicks("c1", &["a@example.com", "b@example.com"], 1);
    events.push(conversion("conv-1", None, "a@example.com", 0));
    let (status, body) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"received": 3, "stored": 3, "duplicates": 0, "suppressed": 0, "forgotten": 0, "quarantined": 0, "ignored": 0})
    );
    let (_, again) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(
        again,
        json!({"received": 3, "stored": 0, "duplicates": 3, "suppressed": 0, "forgotten": 0, "quarantined": 0, "ignored": 0})
    );
    // A campaign exists once an event names it.
    assert!(app.store.campaign("c1").await.unwrap().is_some());
}

#[tokio::test]
async fn ndjson_is_accepted() {
    let app = spawn_app("").await;
    let lines: Vec<String> = clicks(
        "c1",
        &["a@example.com", "b@example.com", "c@example.com"],
        1,
    )
    .iter()
    .map(|e| e.to_string())
    .collect();
    let res = app
        .client
        .post(format!("{}/v1/events", app.address))
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n") + "\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["stored"], 3);
}

#[tokio::test]
async fn a_bad_event_names_its_index_and_field_and_nothing_is_stored() {
    let app = spawn_app("").await;
    let mut events = clicks(
        "c1",
        &["a@example.com", "b@example.com", "c@example.com"],
        1,
    );
    events[2]["recipient"] = "not-an-address".into();
    let (status, body) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/2/recipient");
    events[2]["recipient"] = "c@example.com".into();
    events[1]["occurred_at"] = "yesterday".into();
    let (status, body) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/1/occurred_at");
    events[1]["occurred_at"] = "2026-11-20T00:00:00Z".into();
    events[0]["type"] = "opened".into();
    let (status, body) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (422, Some("/0/type"))
    );
    // Nothing from any of those requests was kept.
    assert!(app.store.campaign("c1").await.unwrap().is_none());
    let (_, ok) = post_events(&app, "/v1/events", &clicks("c1", &["a@example.com"], 1)).await;
    assert_eq!(ok["stored"], 1);

    let res = app
        .client
        .post(format!("{}/v1/events", app.address))
        .header("content-type", "application/json")
        .body("[{\"id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn sendgrid_clicks_count_and_unsubscribes_suppress() {
    let app = spawn_app("").await;
    let ts = chrono::Utc::now().timestamp() - 3600;
    let body = json!([
        {"email": "a@example.com", "timestamp": ts, "event": "click", "sg_event_id": "sg-1", "sg_message_id": "m1",
         "url": "https://rentals.example.com", "campaign_id": "c9", "useragent": "Mozilla/5.0", "ip": "203.0.113.9"},
        {"email": "b@example.com", "timestamp": ts, "event": "unsubscribe", "sg_event_id": "sg-2", "campaign_id": "c9"},
        {"email": "c@example.com", "timestamp": ts, "event": "spamreport", "sg_event_id": "sg-3"},
        {"email": "d@example.com", "timestamp": ts, "event": "open", "sg_event_id": "sg-4", "campaign_id": "c9"},
        {"email": "e@example.com", "timestamp": ts, "event": "bounce", "sg_event_id": "sg-5", "reason": "550 5.1.1 no such user", "type": "bounce"}
    ]);
    let (status, recorded) =
        post_events(&app, "/v1/events/sendgrid", body.as_array().unwrap()).await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(
        recorded,
        json!({"received": 5, "stored": 5, "duplicates": 0, "suppressed": 3, "forgotten": 0, "quarantined": 0, "ignored": 0})
    );
    let (_, again) = post_events(&app, "/v1/events/sendgrid", body.as_array().unwrap()).await;
    assert_eq!(again["duplicates"], 5);
    let (status, bad) = post_events(
        &app,
        "/v1/events/sendgrid",
        &[json!({"email": "x@example.com", "timestamp": ts, "event": "click"})],
    )
    .await;
    // An event SendGrid should not have sent is quarantined, not refused: SendGrid would
    // redeliver the whole batch (tests/api/quarantine.rs).
    assert_eq!(
        (status, &bad["stored"], &bad["quarantined"]),
        (200, &json!(0), &json!(1)),
        "{bad}"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app("").await;
    let address = app.address.trim_start_matches("http://");
    for path in ["/v1/events", "/v1/events?partial=true"] {
        let mut conn = tokio::net::TcpStream::connect(address).await.unwrap();
        // 1 GiB declared, none sent: the answer must come without waiting for it.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: 1073741824\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 512];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut answer))
            .await
            .expect("answered without the body")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }
}
