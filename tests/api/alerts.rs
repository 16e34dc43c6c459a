//! Alerts: a live re-check that finds a new block finding on a running campaign emails the CX
//! team and POSTs a Standard-Webhooks-signed alert — retried until delivered, never repeated.
use crate::support::app::{live_offer, spawn_app};
use crate::support::fake_server::{FakeResponse, FakeServer};
use crate::support::smtp::SmtpSink;
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use promiseguard::store::{AlertStatus, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `whsec_` + base64 of 32 bytes.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_new_block_finding_on_a_running_campaign_alerts_once_by_email_and_signed_webhook() {
    let branches = Arc::new(Mutex::new(HashMap::from([
        ("a".to_owned(), gbp_location("a", "OPEN", &[])),
        ("b".to_owned(), gbp_location("b", "OPEN", &[])),
    ])));
    let gbp = {
        let branches = branches.clone();
        FakeServer::start(move |req| google_business_profile(branches.lock().unwrap().clone())(req))
            .await
    };
    // The receiver is down for the first delivery, then takes it.
    let calls = Arc::new(AtomicUsize::new(0));
    let hook = {
        let calls = calls.clone();
        FakeServer::start(move |_| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                FakeResponse::text(503, "busy")
            } else {
                FakeResponse::json(200, json!({"ok": true}))
            }
        })
        .await
    };
    let sink = SmtpSink::start().await;
    let app = spawn_app(&format!(
        "public_base_url = \"https://cx.example.com\"\n\
         [schedule]\nrecheck = \"* * * * * *\"\nsurveys = \"off\"\nalerts = \"* * * * * *\"\nlease_ttl_s = 5\n\
         [email]\ntransport = \"smtp\"\nsmtp_url = \"{smtp}\"\nfrom = \"promiseguard <pg@example.com>\"\n\
         [alerts]\nemails = [\"cx-team@example.com\"]\nwebhook_url = \"{hook}/alerts\"\nsigning_secret = \"{SECRET}\"\nretry_schedule_s = [1]\n\
         [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{gbp}\"\ntoken = \"{TOKEN}\"\n",
        smtp = sink.url,
        hook = hook.url,
        gbp = gbp.url,
    ))
    .await;
    let body = json!({"campaign": {"id": "weekend", "name": "Weekend rentals",
        "offers": [live_offer("o", &["a", "b"])]}});
    let sent: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(sent["verdict"], "pass");

    // After the send, branch b closes; the every-second re-check finds it.
    branches
        .lock()
        .unwrap()
        .insert("b".into(), gbp_location("b", "CLOSED_PERMANENTLY", &[]));
    wait_for("the email alert", || {
        sink.count_to("cx-team@example.com") == 1
    })
    .await;
    wait_for("the webhook retry", || calls.load(Ordering::SeqCst) >= 2).await;

    let email = &sink.delivered()[0];
    assert!(
        email.data.contains("Subject: Blocked: Weekend rentals"),
        "{}",
        email.data
    );
    assert!(
        email
            .data
            .contains("https://cx.example.com/ui/campaigns/weekend")
    );

    let posts = hook.requests();
    assert_eq!(posts[0].path, "/alerts");
    assert_eq!(
        posts[0].header("webhook-id"),
        posts[1].header("webhook-id"),
        "a retry is the same message"
    );
    let key = promiseguard::http::signature::decode_secret(SECRET).unwrap();
    for post in &posts {
        promiseguard::http::signature::verify(
            &key,
            post.header("webhook-id"),
            post.header("webhook-timestamp"),
            post.header("webhook-signature"),
            &post.body,
            chrono::Utc::now().timestamp(),
        )
        .expect("the alert is signed with alerts.signing_secret");
    }
    let payload = posts[1].json();
    assert_eq!(payload["type"], "finding.blocked");
    assert_eq!(payload["data"]["campaign_id"], "weekend");
    assert_eq!(payload["data"]["finding"]["rule"], "location_closed");
    assert_eq!(payload["data"]["finding"]["target"]["location"], "b");

    // More re-checks find b closed again: not new, so no more alerts.
    let checks_before = app.store.checks("weekend").await.unwrap().len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while app.store.checks("weekend").await.unwrap().len() < checks_before + 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no more live re-checks"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.count_to("cx-team@example.com"), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let alerts = app.store.alerts("weekend").await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts.iter().all(|a| a.status == AlertStatus::Sent),
        "{alerts:?}"
    );
}

#[tokio::test]
async fn alert_settings_are_checked_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("promiseguard.toml");
    for (text, key) in [
        (
            "[alerts]\nwebhook_url = \"https://hooks.example.com/x\"\n",
            "alerts.signing_secret",
        ),
        (
            "[alerts]\nwebhook_url = \"ftp://x\"\nsigning_secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
            "alerts.webhook_url",
        ),
        (
            "[alerts]\nemails = [\"not an address\"]\n",
            "alerts.emails[0]",
        ),
        ("[schedule]\nalerts = \"every minute\"\n", "schedule.alerts"),
    ] {
        std::fs::write(&file, text).unwrap();
        let err = promiseguard::config::load(Some(&file), Vec::new()).unwrap_err();
        assert_eq!(err.key, key, "{text}");
    }
}
