//! Nobody but the sender: the event doors and the lookup admit only the credentials configured
//! for them, and a door with none configured answers loopback only when the service listens
//! on loopback.
use crate::support::app::{TestApp, spawn_app, spawn_app_listening};
use crate::support::smtp::SmtpSink;
use crate::support::store::event_credential;
use crate::support::surveys::{app_with_smtp, clicks, surveys_run};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use promiseguard::signatures::SigningKey;
use serde_json::Value;

const PLATFORM: &str = "platform-token-0123456789";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn tokens() -> String {
    format!("[events]\ntokens = [{{ name = \"platform\", token = \"{PLATFORM}\" }}]\n")
}

async fn post(app: &TestApp, path: &str, body: &[u8], headers: &[(&str, String)]) -> (u16, Value) {
    let res = app.post_raw(path, body.to_vec(), headers).await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

fn one_click(id: &str, recipient: &str) -> Vec<u8> {
    let mut event = clicks("c-in", &[recipient], 120).remove(0);
    event["id"] = id.into();
    serde_json::to_vec(&[event]).unwrap()
}

#[tokio::test]
async fn an_unauthenticated_click_is_refused_and_nobody_is_surveyed() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, &tokens()).await;
    let (status, problem) = post(
        &app,
        "/v1/events",
        &one_click("forged", "victim@example.org"),
        &[],
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["status"], 401);
    let wrong = [("authorization", "Bearer not-the-token-0123456".to_owned())];
    let (status, _) = post(
        &app,
        "/v1/events",
        &one_click("forged-2", "victim@example.org"),
        &wrong,
    )
    .await;
    assert_eq!(status, 401);

    let out = surveys_run(&app).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        sink.count_to("victim@example.org"),
        0,
        "a forged click emailed someone"
    );
    assert_eq!(event_credential(&app.store, "forged").await, None);
}

#[tokio::test]
async fn a_token_is_accepted_as_bearer_or_basic_and_named_on_the_events() {
    let app = spawn_app(&tokens()).await;
    let bearer = [("authorization", format!("Bearer {PLATFORM}"))];
    let (status, body) = post(
        &app,
        "/v1/events",
        &one_click("b1", "a@example.com"),
        &bearer,
    )
    .await;
    assert_eq!((status, body["stored"].as_u64()), (200, Some(1)), "{body}");
    // Any user name: a provider that can only put credentials in the URL.
    let url_style = [("authorization", basic("mailgun", PLATFORM))];
    let (status, _) = post(
        &app,
        "/v1/events",
        &one_click("b2", "b@example.com"),
        &url_style,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        event_credential(&app.store, "b1").await.as_deref(),
        Some("platform")
    );
    assert_eq!(
        event_credential(&app.store, "b2").await.as_deref(),
        Some("platform")
    );
    // The token is a SendGrid webhook's credential too (Basic in its URL).
    let body = std::fs::read("fixtures/providers/sendgrid/single-event.body").unwrap();
    let (status, _) = post(&app, "/v1/events/sendgrid", &body, &url_style).await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, "/v1/events/sendgrid", &body, &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn standard_webhooks_signatures_admit_events_only_when_fresh_and_intact() {
    let app = spawn_app(&format!("[events]\nsigning_secret = \"{SECRET}\"\n")).await;
    let key = SigningKey::from_secret(SECRET).unwrap();
    let signed = |id: &str, at: i64, body: &[u8]| {
        vec![
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", at.to_string()),
            ("webhook-signature", key.sign(id, at, body)),
        ]
    };
    let now = Utc::now().timestamp();
    let body = one_click("s1", "a@example.com");
    let (status, answer) = post(&app, "/v1/events", &body, &signed("msg_1", now, &body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        event_credential(&app.store, "s1").await.as_deref(),
        Some("signed")
    );

    let stale = one_click("s2", "b@example.com");
    let (status, problem) = post(
        &app,
        "/v1/events",
        &stale,
        &signed("msg_2", now - 3600, &stale),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        problem["detail"].as_str().unwrap().contains("5 minutes"),
        "{problem}"
    );

    let tampered = one_click("s3", "c@example.com");
    let headers = signed("msg_3", now, &tampered);
    let mut changed = tampered.clone();
    changed.extend_from_slice(b" ");
    let (status, _) = post(&app, "/v1/events", &changed, &headers).await;
    assert_eq!(status, 401);
    let (status, _) = post(&app, "/v1/events", &one_click("s4", "d@example.com"), &[]).await;
    assert_eq!(status, 401);
    for id in ["s2", "s3", "s4"] {
        assert_eq!(
            event_credential(&app.store, id).await,
            None,
            "{id} was stored"
        );
    }
}

/// A fixed vector of SendGrid's own library: its key, timestamp, exact body and signature.
struct Vector {
    key: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

fn vector(name: &str) -> Vector {
    let meta: Value = serde_json::from_slice(
        &std::fs::read(format!("fixtures/providers/sendgrid/{name}.json")).unwrap(),
    )
    .unwrap();
    let field = |k: &str| meta[k].as_str().unwrap().to_owned();
    Vector {
        key: field("verification_key"),
        timestamp: field("timestamp"),
        signature: field("signature"),
        body: std::fs::read(format!("fixtures/providers/sendgrid/{name}.body")).unwrap(),
    }
}

fn sendgrid_headers(v: &Vector) -> Vec<(&'static str, String)> {
    vec![
        (
            "X-Twilio-Email-Event-Webhook-Signature",
            v.signature.clone(),
        ),
        (
            "X-Twilio-Email-Event-Webhook-Timestamp",
            v.timestamp.clone(),
        ),
    ]
}

#[tokio::test]
async fn sendgrid_signatures_are_checked_over_the_raw_body_with_each_configured_key() {
    let (single, multiple) = (vector("single-event"), vector("multiple-events"));
    // The vectors were signed in 2020 and 2021: a max_age_s that reaches back that far.
    let app = spawn_app(&format!(
        "[events.sendgrid]\nverification_keys = [\"{}\", \"{}\"]\nmax_age_s = 400000000\n",
        single.key, multiple.key
    ))
    .await;
    let (status, body) = post(
        &app,
        "/v1/events/sendgrid",
        &single.body,
        &sendgrid_headers(&single),
    )
    .await;
    assert_eq!((status, body["stored"].as_u64()), (200, Some(1)), "{body}");
    let (status, body) = post(
        &app,
        "/v1/events/sendgrid",
        &multiple.body,
        &sendgrid_headers(&multiple),
    )
    .await;
    assert_eq!((status, body["stored"].as_u64()), (200, Some(2)), "{body}");
    assert_eq!(
        event_credential(
            &app.store,
            "sendgrid:ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA"
        )
        .await
        .as_deref(),
        Some("signed")
    );

    // The same events re-serialized, a byte changed, no signature, another body's signature.
    let value: Value = serde_json::from_slice(&single.body).unwrap();
    let reserialized = serde_json::to_vec(&value).unwrap();
    let mut tampered = single.body.clone();
    tampered[20] ^= 1;
    for (body, headers) in [
        (reserialized, sendgrid_headers(&single)),
        (tampered, sendgrid_headers(&single)),
        (single.body.clone(), Vec::new()),
        (single.body.clone(), sendgrid_headers(&multiple)),
    ] {
        let (status, problem) = post(&app, "/v1/events/sendgrid", &body, &headers).await;
        assert_eq!(status, 401, "{problem}");
    }
}

#[tokio::test]
async fn a_sendgrid_signature_older_than_max_age_or_from_an_unknown_key_is_refused() {
    let (single, multiple) = (vector("single-event"), vector("multiple-events"));
    // Only the multi-event webhook's key, and the default max_age_s (a day).
    let app = spawn_app(&format!(
        "[events.sendgrid]\nverification_key = \"{}\"\n",
        multiple.key
    ))
    .await;
    let (status, problem) = post(
        &app,
        "/v1/events/sendgrid",
        &multiple.body,
        &sendgrid_headers(&multiple),
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("max_age_s"),
        "{problem}"
    );

    let fresh = spawn_app(&format!(
        "[events.sendgrid]\nverification_key = \"{}\"\nmax_age_s = 400000000\n",
        multiple.key
    ))
    .await;
    let (status, problem) = post(
        &fresh,
        "/v1/events/sendgrid",
        &single.body,
        &sendgrid_headers(&single),
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("verification key"),
        "{problem}"
    );
}

#[tokio::test]
async fn without_credentials_a_public_listener_keeps_the_event_doors_closed() {
    let body = one_click("p1", "a@example.com");
    // The embedded default listens on loopback: loopback callers come in.
    let local = spawn_app("").await;
    assert_eq!(post(&local, "/v1/events", &body, &[]).await.0, 200);
    assert_eq!(
        event_credential(&local.store, "p1").await.as_deref(),
        Some("unauthenticated")
    );
    // Listening on every interface (the Docker image), a door without credentials is closed —
    // even to a caller on loopback, which is what a reverse proxy on the host looks like.
    let public = spawn_app_listening("0.0.0.0:0", "").await;
    let (status, problem) = post(&public, "/v1/events", &body, &[]).await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("allow_unauthenticated")
    );
    assert_eq!(
        post(&public, "/v1/events/sendgrid", b"[]", &[]).await.0,
        403
    );
    let opted_in =
        spawn_app_listening("0.0.0.0:0", "[events]\nallow_unauthenticated = true\n").await;
    assert_eq!(post(&opted_in, "/v1/events", &body, &[]).await.0, 200);
}

#[tokio::test]
async fn the_lookup_takes_a_bearer_or_basic_token_when_tokens_are_configured() {
    let query = "/v1/lookup?locations=loc-102";
    let open = spawn_app("").await;
    assert_eq!(
        open.get(query).await.status(),
        200,
        "without tokens it stays open"
    );

    let token = "braze-lookup-token-012345";
    let app = spawn_app(&format!(
        "[lookup]\ntokens = [{{ name = \"braze\", token = \"{token}\" }}]\n"
    ))
    .await;
    let call = |auth: Option<String>| {
        let mut req = app.client.get(format!("{}{query}", app.address));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(call(None).await, 401);
    assert_eq!(
        call(Some("Bearer wrong-token-0123456789".into())).await,
        401
    );
    assert_eq!(call(Some(format!("Bearer {token}"))).await, 200);
    // Braze's `:basic_auth` sends Basic with the credential's user name and password.
    assert_eq!(call(Some(basic("braze", token))).await, 200);
}
