//! The providers' own webhooks, with bodies shaped like their documented examples
//! (fixtures/providers/) and signed their way: Mailgun (signature in the body, staleness,
//! one-time tokens), Postmark (Basic token), Customer.io (`X-CIO-Signature`, no skew refusal),
//! Braze Currents (bearer; unknown types never refused), Shopify `orders/create` and Segment
//! `Order Completed` (conversions) — and one person across them, whatever the letter case.
use crate::support::analysts::{REVIEWER, get, tokens};
use crate::support::app::{FakeSns, TestApp, spawn_app_with_sns};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp_and_sns, surveys_run_ok};
use base64::Engine;
use chrono::{Duration, Utc};
use promiseguard::signatures::{customerio, mailgun, segment, shopify};
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) const MAILGUN_KEY: &str = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
pub(crate) const CIO_SECRET: &str = "cio-reporting-webhook-secret";
pub(crate) const SHOP_SECRET: &str = "shpss_orders_test_secret";
pub(crate) const SEGMENT_SECRET: &str = "segment-destination-secret";
/// The `[events] tokens` entry the Basic/Bearer doors are given.
pub(crate) const EVENTS_TOKEN: &str = "postmark-and-braze-token-0123";

pub(crate) fn config() -> String {
    format!(
        "{}\n[events]\ntokens = [{{ name = \"providers\", token = \"{EVENTS_TOKEN}\" }}]\n\
         [events.mailgun]\nsigning_key = \"{MAILGUN_KEY}\"\n\
         [events.customerio]\nsigning_secret = \"{CIO_SECRET}\"\n\
         [events.ses]\ntopic_arns = [\"{SES_TOPIC}\"]\ntrust_anchors_pem = \"{}/fixtures/providers/ses/test-ca.pem\"\n\
         [conversions.shopify]\nsecret = \"{SHOP_SECRET}\"\n\
         [conversions.segment]\nsecret = \"{SEGMENT_SECRET}\"\n",
        tokens(),
        env!("CARGO_MANIFEST_DIR")
    )
}

const SES_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-events";
const SES_CERT_URL: &str = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";

/// SNS as the fixtures know it: the signing certificate, and the confirmation answer.
pub(crate) fn fake_sns() -> Arc<FakeSns> {
    let confirm: Value =
        serde_json::from_str(&fixture("ses/subscription-confirmation.json")).unwrap();
    let mut answers = std::collections::HashMap::new();
    answers.insert(
        SES_CERT_URL.to_owned(),
        fixture("ses/signing-cert.pem").into_bytes(),
    );
    answers.insert(
        confirm["SubscribeURL"].as_str().unwrap().to_owned(),
        b"<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:us-east-1:123456789012:ses-events:1</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>".to_vec(),
    );
    Arc::new(FakeSns {
        answers,
        ..FakeSns::default()
    })
}

/// SNS posts as `text/plain`.
async fn sns_post(app: &TestApp, body: &str) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/v1/events/ses", app.address))
        .header("content-type", "text/plain; charset=UTF-8")
        .header("x-amz-sns-message-type", "Notification")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub(crate) fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("fixtures/providers/{path}")).unwrap()
}

/// A Mailgun fixture signed now (or `age_s` ago) with `token`.
pub(crate) fn mailgun_body(
    path: &str,
    token: &str,
    age_s: i64,
    edit: impl FnOnce(&mut Value),
) -> String {
    let timestamp = (Utc::now().timestamp() - age_s).to_string();
    let mut body: Value = serde_json::from_str(&fixture(path)).unwrap();
    body["signature"] = json!({
        "timestamp": timestamp, "token": token,
        "signature": mailgun::sign(MAILGUN_KEY.as_bytes(), &timestamp, token),
    });
    edit(&mut body);
    body.to_string()
}

async fn deliver(
    app: &TestApp,
    path: &str,
    body: &str,
    headers: &[(&str, String)],
) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub(crate) fn basic(token: &str) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("postmark:{token}"));
    ("authorization", format!("Basic {encoded}"))
}

fn counts(recorded: &Value) -> [u64; 5] {
    [
        "stored",
        "duplicates",
        "suppressed",
        "quarantined",
        "ignored",
    ]
    .map(|k| {
        recorded[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {recorded}"))
    })
}

async fn suppression(app: &TestApp, address: &str) -> Value {
    let (status, doc) = get(app, &format!("/v1/recipients/{address}"), Some(REVIEWER)).await;
    assert_eq!(status, 200, "{doc}");
    doc["suppression"].clone()
}

#[tokio::test]
async fn mailgun_events_verify_in_the_body_use_each_token_once_and_quarantine_odd_data() {
    let app = crate::support::app::spawn_app(&config()).await;
    let click = mailgun_body("mailgun/clicked.json", "token-click-0001", 0, |_| {});
    let (status, recorded) = deliver(&app, "/v1/events/mailgun", &click, &[]).await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 0, 0, 0]),
        "{recorded}"
    );
    let stored = app
        .store()
        .touches(&["dana.smith@example.com".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        stored["dana.smith@example.com"].len(),
        1,
        "the address is folded"
    );

    // Mailgun's own redelivery (same token, same event): a duplicate, 200.
    let (status, recorded) = deliver(&app, "/v1/events/mailgun", &click, &[]).await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [0, 1, 0, 0, 0]),
        "{recorded}"
    );
    // The token again with another event: a replay, 401, nothing stored.
    let replay = mailgun_body("mailgun/clicked.json", "token-click-0001", 0, |b| {
        b["event-data"]["id"] = json!("another-event-id");
    });
    let (status, problem) = deliver(&app, "/v1/events/mailgun", &replay, &[]).await;
    assert_eq!(status, 401, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("already used"),
        "{problem}"
    );

    // Stale (two days; the window is one) and forged signatures: 401.
    let stale = mailgun_body(
        "mailgun/clicked.json",
        "token-stale-0001",
        2 * 86_400,
        |_| {},
    );
    assert_eq!(
        deliver(&app, "/v1/events/mailgun", &stale, &[]).await.0,
        401
    );
    let forged = mailgun_body("mailgun/clicked.json", "token-forged-001", 0, |b| {
        b["signature"]["signature"] = json!("00".repeat(32));
    });
    assert_eq!(
        deliver(&app, "/v1/events/mailgun", &forged, &[]).await.0,
        401
    );
    assert_eq!(deliver(&app, "/v1/events/mailgun", "{}", &[]).await.0, 401);
    assert_eq!(
        deliver(&app, "/v1/events/mailgun", "not json", &[]).await.0,
        401
    );

    // A permanent failure suppresses.
    let failed = mailgun_body(
        "mailgun/failed-permanent.json",
        "token-failed-001",
        60,
        |_| {},
    );
    let (status, recorded) = deliver(&app, "/v1/events/mailgun", &failed, &[]).await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 1, 0, 0]),
        "{recorded}"
    );
    assert_eq!(
        suppression(&app, "gone@example.com").await["reason"],
        "bounce"
    );

    // Signed, but the event data is not an event: quarantined, 200 (Mailgun would retry for
    // hours otherwise), and the token stays unused.
    let odd = mailgun_body("mailgun/clicked.json", "token-odd-000001", 0, |b| {
        b["event-data"]["recipient"] = json!("not an address");
    });
    let (status, recorded) = deliver(&app, "/v1/events/mailgun", &odd, &[]).await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [0, 0, 0, 1, 0]),
        "{recorded}"
    );
    let (_, list) = get(&app, "/v1/quarantine", Some(REVIEWER)).await;
    assert_eq!(list[0]["endpoint"], "/v1/events/mailgun");
    assert_eq!(list[0]["pointer"], "/event-data/recipient");
}

#[tokio::test]
async fn postmark_needs_its_token_and_only_hard_bounces_suppress_until_reactivated() {
    let app = crate::support::app::spawn_app(&config()).await;
    let click = fixture("postmark/click.json");
    assert_eq!(
        deliver(&app, "/v1/events/postmark", &click, &[]).await.0,
        401
    );
    assert_eq!(
        deliver(
            &app,
            "/v1/events/postmark",
            &click,
            &[basic("wrong-token-0123456")]
        )
        .await
        .0,
        401
    );
    let (status, recorded) =
        deliver(&app, "/v1/events/postmark", &click, &[basic(EVENTS_TOKEN)]).await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 0, 0, 0]),
        "{recorded}"
    );

    let mut soft: Value = serde_json::from_str(&fixture("postmark/hard-bounce.json")).unwrap();
    soft["Type"] = json!("SoftBounce");
    soft["ID"] = json!(1);
    let (_, recorded) = deliver(
        &app,
        "/v1/events/postmark",
        &soft.to_string(),
        &[basic(EVENTS_TOKEN)],
    )
    .await;
    assert_eq!(
        counts(&recorded),
        [1, 0, 0, 0, 0],
        "a soft bounce does not suppress"
    );
    let hard = fixture("postmark/hard-bounce.json");
    let (_, recorded) = deliver(&app, "/v1/events/postmark", &hard, &[basic(EVENTS_TOKEN)]).await;
    assert_eq!(counts(&recorded), [1, 0, 1, 0, 0], "{recorded}");
    assert_eq!(
        suppression(&app, "john@example.com").await["reason"],
        "bounce"
    );

    let reactivated = fixture("postmark/subscription-change-reactivated.json");
    let (status, _) = deliver(
        &app,
        "/v1/events/postmark",
        &reactivated,
        &[basic(EVENTS_TOKEN)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        suppression(&app, "john@example.com").await,
        Value::Null,
        "lifted"
    );

    let (status, recorded) = deliver(
        &app,
        "/v1/events/postmark",
        "{\"RecordType\": ",
        &[basic(EVENTS_TOKEN)],
    )
    .await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [0, 0, 0, 1, 0]),
        "{recorded}"
    );
}

#[tokio::test]
async fn customerio_is_verified_over_the_raw_body_and_never_refused_for_skew() {
    let app = crate::support::app::spawn_app(&config()).await;
    let body = fixture("customerio/email-clicked.json");
    let signed = |ts: &str, body: &str| {
        vec![
            ("x-cio-timestamp", ts.to_owned()),
            (
                "x-cio-signature",
                customerio::sign(CIO_SECRET.as_bytes(), ts, body.as_bytes()),
            ),
        ]
    };
    // Signed a year ago: still taken (Customer.io would hold back every later webhook).
    let year_ago = (Utc::now() - Duration::days(365)).timestamp().to_string();
    let (status, recorded) = deliver(
        &app,
        "/v1/events/customerio",
        &body,
        &signed(&year_ago, &body),
    )
    .await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 0, 0, 0]),
        "{recorded}"
    );
    let mut wrong = signed(&year_ago, &body);
    wrong[0].1 = "1".into();
    assert_eq!(
        deliver(&app, "/v1/events/customerio", &body, &wrong)
            .await
            .0,
        401
    );
    assert_eq!(
        deliver(&app, "/v1/events/customerio", &body, &[]).await.0,
        401
    );
    let tampered = body.replace("clicked", "spammed");
    assert_eq!(
        deliver(
            &app,
            "/v1/events/customerio",
            &tampered,
            &signed(&year_ago, &body)
        )
        .await
        .0,
        401
    );
}

#[tokio::test]
async fn a_braze_batch_with_an_unknown_type_is_taken_and_nothing_quarantined() {
    let app = crate::support::app::spawn_app(&config()).await;
    let batch = fixture("braze/currents-batch.json");
    assert_eq!(deliver(&app, "/v1/events/braze", &batch, &[]).await.0, 401);
    let bearer = ("authorization", format!("Bearer {EVENTS_TOKEN}"));
    let (status, recorded) = deliver(&app, "/v1/events/braze", &batch, &[bearer]).await;
    // Click, unsubscribe and open stored; the unknown hologram event ignored.
    assert_eq!(
        (status, counts(&recorded)),
        (200, [3, 0, 1, 0, 1]),
        "{recorded}"
    );
    assert_eq!(
        suppression(&app, "leaving@example.com").await["reason"],
        "unsubscribe"
    );
    let (_, list) = get(&app, "/v1/quarantine", Some(REVIEWER)).await;
    assert_eq!(list, json!([]));
}

pub(crate) fn shopify_headers(body: &str, event_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-shopify-topic", "orders/create".into()),
        ("x-shopify-shop-domain", "rentals-shop.myshopify.com".into()),
        ("x-shopify-event-id", event_id.into()),
        ("x-shopify-webhook-id", format!("webhook-{event_id}")),
        (
            "x-shopify-hmac-sha256",
            shopify::sign(SHOP_SECRET.as_bytes(), body.as_bytes()),
        ),
    ]
}

#[tokio::test]
async fn shopify_orders_and_segment_completions_are_conversions_verified_their_way() {
    let app = crate::support::app::spawn_app(&config()).await;
    let order = fixture("shopify/orders_create.json");
    let (status, recorded) = deliver(
        &app,
        "/v1/conversions/shopify",
        &order,
        &shopify_headers(&order, "evt-1"),
    )
    .await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 0, 0, 0]),
        "{recorded}"
    );
    let (_, again) = deliver(
        &app,
        "/v1/conversions/shopify",
        &order,
        &shopify_headers(&order, "evt-1"),
    )
    .await;
    assert_eq!(
        counts(&again),
        [0, 1, 0, 0, 0],
        "deduplicated by X-Shopify-Event-Id"
    );
    let mut forged = shopify_headers(&order, "evt-2");
    forged[4].1 = shopify::sign(b"another secret", order.as_bytes());
    assert_eq!(
        deliver(&app, "/v1/conversions/shopify", &order, &forged)
            .await
            .0,
        401
    );
    let touches = app
        .store()
        .touches(&["jon@example.com".to_owned()])
        .await
        .unwrap();
    assert_eq!(touches["jon@example.com"].len(), 1);
    let (_, doc) = get(&app, "/v1/recipients/jon@example.com", Some(REVIEWER)).await;
    let event = &doc["events"][0];
    assert_eq!(
        (&event["source"], &event["order_id"], &event["campaign_id"]),
        (
            &json!("shopify:rentals-shop.myshopify.com"),
            &json!("820982911946154508"),
            &json!("spring-2027")
        ),
        "{doc}"
    );
    // A guest order names nobody: ignored, not quarantined.
    let guest =
        json!({"id": 5, "email": null, "created_at": "2026-12-01T13:00:00-05:00"}).to_string();
    let (_, recorded) = deliver(
        &app,
        "/v1/conversions/shopify",
        &guest,
        &shopify_headers(&guest, "evt-3"),
    )
    .await;
    assert_eq!(counts(&recorded), [0, 0, 0, 0, 1]);

    let completed = fixture("segment/order-completed.json");
    let signature = (
        "x-signature",
        segment::sign(SEGMENT_SECRET.as_bytes(), completed.as_bytes()),
    );
    let (status, recorded) = deliver(
        &app,
        "/v1/conversions/segment",
        &completed,
        std::slice::from_ref(&signature),
    )
    .await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 0, 0, 0]),
        "{recorded}"
    );
    assert!(
        app.store()
            .touches(&["buyer@example.com".to_owned()])
            .await
            .unwrap()
            .contains_key("buyer@example.com")
    );
    assert_eq!(
        deliver(
            &app,
            "/v1/conversions/segment",
            &completed.replace("27.5", "2.75"),
            &[signature]
        )
        .await
        .0,
        401
    );
    let viewed = completed.replace("Order Completed", "Product Viewed");
    let signed = (
        "x-signature",
        segment::sign(SEGMENT_SECRET.as_bytes(), viewed.as_bytes()),
    );
    let (_, recorded) = deliver(&app, "/v1/conversions/segment", &viewed, &[signed]).await;
    assert_eq!(counts(&recorded), [0, 0, 0, 0, 1]);
}

#[tokio::test]
async fn ses_through_sns_confirms_verifies_against_the_certificate_and_maps_events() {
    let sns = fake_sns();
    let app = spawn_app_with_sns(&config(), sns.clone()).await;
    // The handshake: verified, then the SubscribeURL fetched (on the topic's SNS host).
    let (status, answer) = sns_post(&app, &fixture("ses/subscription-confirmation.json")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["confirmed"], SES_TOPIC);
    for (name, expected) in [
        ("ses/notification-click-v1.json", [1, 0, 0, 0, 0]),
        ("ses/notification-click-v2.json", [1, 0, 0, 0, 0]),
        ("ses/notification-click-v2.json", [0, 1, 0, 0, 0]),
        ("ses/notification-bounce.json", [1, 0, 1, 0, 0]),
    ] {
        let (status, recorded) = sns_post(&app, &fixture(name)).await;
        assert_eq!(
            (status, counts(&recorded)),
            (200, expected),
            "{name}: {recorded}"
        );
    }
    assert_eq!(
        suppression(&app, "gone@example.com").await["reason"],
        "bounce"
    );
    let asked = sns.asked.lock().unwrap().clone();
    assert_eq!(
        asked.iter().filter(|u| *u == SES_CERT_URL).count(),
        1,
        "the certificate is cached: {asked:?}"
    );

    // Tampered, another topic, a certificate URL off SNS's host: refused, nothing fetched.
    let before = sns.asked.lock().unwrap().len();
    let click = fixture("ses/notification-click-v2.json");
    let tampered = click.replace("Lee.Other@Example.com", "someone@example.com");
    assert_eq!(sns_post(&app, &tampered).await.0, 401);
    let other_topic = click.replace("ses-events", "someone-elses-topic");
    assert_eq!(sns_post(&app, &other_topic).await.0, 403);
    let off_host = click.replace(
        "https://sns.us-east-1.amazonaws.com/Simple",
        "https://evil.example/Simple",
    );
    assert_eq!(sns_post(&app, &off_host).await.0, 401);
    assert_eq!(
        sns.asked.lock().unwrap().len(),
        before,
        "no other URL is ever fetched"
    );
    assert_eq!(sns_post(&app, "not an SNS message").await.0, 400);

    // SNS unreachable for a certificate not cached yet: 503, so SNS retries.
    let elsewhere = fixture("ses/notification-bounce.json").replace(
        "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
        "SimpleNotificationService-00000000000000000000000000000000.pem",
    );
    assert_eq!(sns_post(&app, &elsewhere).await.0, 503);

    // Without topic_arns the door takes nothing.
    let closed = crate::support::app::spawn_app(&tokens()).await;
    assert_eq!(sns_post(&closed, &click).await.0, 403);
}

/// One person across providers: Dana clicks in a Mailgun email and buys in the Shopify store
/// (another letter case); Lee clicks in an SES email (through SNS) and buys nothing. Only Lee is
/// surveyed.
#[tokio::test]
async fn a_click_from_one_provider_and_an_order_from_the_store_meet_as_one_person() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp_and_sns(&sink, &config(), fake_sns()).await;
    let clicked_at = (Utc::now() - Duration::hours(100)).timestamp() as f64;
    let click = mailgun_body("mailgun/clicked.json", "token-e2e-000001", 0, |b| {
        b["event-data"]["recipient"] = json!("Dana.Smith@Example.COM");
        b["event-data"]["timestamp"] = json!(clicked_at);
    });
    assert_eq!(
        deliver(&app, "/v1/events/mailgun", &click, &[]).await.0,
        200
    );
    let mut order: Value = serde_json::from_str(&fixture("shopify/orders_create.json")).unwrap();
    order["customer"]["email"] = json!("DANA.smith@example.com");
    order["created_at"] = json!((Utc::now() - Duration::hours(99)).to_rfc3339());
    let order = order.to_string();
    assert_eq!(
        deliver(
            &app,
            "/v1/conversions/shopify",
            &order,
            &shopify_headers(&order, "evt-e2e")
        )
        .await
        .0,
        200
    );
    // Lee's click (the fixture, signed by its certificate) is Lee.Other@Example.com.
    let (status, recorded) = sns_post(&app, &fixture("ses/notification-click-v2.json")).await;
    assert_eq!(
        (status, counts(&recorded)),
        (200, [1, 0, 0, 0, 0]),
        "{recorded}"
    );

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.starts_with("1 invitations queued; 1 sent"),
        "{summary}"
    );
    let to: Vec<String> = sink
        .delivered()
        .iter()
        .map(|m| m.recipients[0].clone())
        .collect();
    assert_eq!(to, ["lee.other@example.com"]);
}
