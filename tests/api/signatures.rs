use crate::support::app::{TestApp, offer, presend_body, spawn_app};
use promiseguard::signatures::SigningKey;
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn signed_app() -> TestApp {
    spawn_app(&format!("[webhooks]\nsigning_secret = \"{SECRET}\"\n")).await
}

fn body() -> Vec<u8> {
    serde_json::to_vec(&presend_body(json!([offer(
        "o",
        &["loc-101", "loc-201"],
        &[]
    )])))
    .unwrap()
}

fn headers(id: &str, timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let key = SigningKey::from_secret(SECRET).unwrap();
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", key.sign(id, timestamp, body)),
    ]
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_good_signature_is_accepted() {
    let app = signed_app().await;
    let b = body();
    let res = app
        .post_raw("/v1/presend", b.clone(), &headers("msg_1", now(), &b))
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["verdict"], "block");
}

#[tokio::test]
async fn bad_missing_and_stale_signatures_are_401_and_store_nothing() {
    let app = signed_app().await;
    let b = body();
    let mut tampered = b.clone();
    tampered.extend_from_slice(b" ");
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Headers, Vec<u8>)> = vec![
        ("missing", vec![], b.clone()),
        ("tampered body", headers("msg_2", now(), &b), tampered),
        (
            "wrong secret",
            vec![
                ("webhook-id", "msg_3".into()),
                ("webhook-timestamp", now().to_string()),
                (
                    "webhook-signature",
                    SigningKey::from_secret("whsec_YW5vdGhlci1zZWNyZXQtb2YtMTYrYnl0ZXM=")
                        .unwrap()
                        .sign("msg_3", now(), &b),
                ),
            ],
            b.clone(),
        ),
        ("stale", headers("msg_4", now() - 6 * 60, &b), b.clone()),
        ("future", headers("msg_5", now() + 6 * 60, &b), b.clone()),
    ];
    for (name, h, body) in cases {
        let res = app.post_raw("/v1/presend", body, &h).await;
        assert_eq!(res.status(), 401, "{name}");
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
    }
    assert_eq!(app.checks_stored().await, 0);
}

#[tokio::test]
async fn a_replayed_webhook_id_returns_the_first_answer_and_stores_nothing_new() {
    let app = signed_app().await;
    let b = body();
    let first = app
        .post_raw("/v1/presend", b.clone(), &headers("msg_retry", now(), &b))
        .await;
    let first: Value = first.json().await.unwrap();
    // The platform retries a moment later, with a fresh timestamp and signature.
    let again = app
        .post_raw(
            "/v1/presend",
            b.clone(),
            &headers("msg_retry", now() + 1, &b),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.checks_stored().await, 1);
}

#[tokio::test]
async fn idempotency_key_works_for_unsigned_callers_and_refuses_another_body() {
    let app = spawn_app("").await;
    let b = body();
    let key = [("idempotency-key", "order-42".to_owned())];
    let first: Value = app
        .post_raw("/v1/presend", b.clone(), &key)
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .post_raw("/v1/presend", b.clone(), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["check_id"], second["check_id"]);
    assert_eq!(app.checks_stored().await, 1);

    let other = serde_json::to_vec(&presend_body(json!([offer("o", &["loc-201"], &[])]))).unwrap();
    let res = app.post_raw("/v1/presend", other, &key).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.checks_stored().await, 1);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_webhook_store_one_check() {
    let app = signed_app().await;
    let b = body();
    let h = headers("msg_race", now(), &b);
    let answers =
        futures::future::join_all((0..8).map(|_| app.post_raw("/v1/presend", b.clone(), &h))).await;
    let mut ids = Vec::new();
    for res in answers {
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        ids.push(v["check_id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every delivery answered with the same check");
    assert_eq!(app.checks_stored().await, 1);
}
