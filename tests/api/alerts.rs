//! Alerts: a live re-check that finds a new block finding on a running campaign emails the CX
//! team and POSTs a Standard-Webhooks-signed alert — retried until delivered, never repeated.
use crate::support::app::{live_offer, spawn_app};
use crate::support::fake_server::{FakeResponse, FakeServer};
use crate::support::smtp::SmtpSink;
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use promiseguard::store::{AlertStatus, AlertStore, CheckStore};
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

/// A running campaign over branches a and b, checked live every second, with alerts to an
/// SMTP sink and a webhook receiver that answers `statuses` in turn (then 200).
struct Scenario {
    app: crate::support::app::TestApp,
    sink: SmtpSink,
    hook: FakeServer,
    calls: Arc<AtomicUsize>,
    branches: Arc<Mutex<HashMap<String, Value>>>,
    _gbp: FakeServer,
}

async fn scenario(statuses: &'static [u16]) -> Scenario {
    let branches = Arc::new(Mutex::new(HashMap::from([
        ("a".to_owned(), gbp_location("a", "OPEN", &[])),
        ("b".to_owned(), gbp_location("b", "OPEN", &[])),
    ])));
    let gbp = {
        let branches = branches.clone();
        FakeServer::start(move |req| google_business_profile(branches.lock().unwrap().clone())(req))
            .await
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let hook = {
        let calls = calls.clone();
        FakeServer::start(move |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            match statuses.get(n) {
                Some(status) => FakeResponse::text(*status, "not now"),
                None => FakeResponse::json(200, json!({"ok": true})),
            }
        })
        .await
    };
    let sink = SmtpSink::start().await;
    let app = spawn_app(&format!(
        "public_base_url = \"https://cx.example.com\"\n\
         [schedule]\nrecheck = \"* * * * * *\"\nsurveys = \"off\"\nalerts = \"* * * * * *\"\nlease_ttl_s = 5\n\
         [email]\ntransport = \"smtp\"\nsmtp_url = \"{smtp}\"\nfrom = \"promiseguard <pg@example.com>\"\n\
         [alerts]\nemails = [\"cx-team@example.com\"]\nwebhook_url = \"{hook}/alerts\"\nsigning_secret = \"{SECRET}\"\nretry_schedule_s = [1, 1]\n\
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
    Scenario {
        app,
        sink,
        hook,
        calls,
        branches,
        _gbp: gbp,
    }
}

impl Scenario {
    /// After the send, branch b closes; the every-second live re-check finds it.
    fn close_b(&self) {
        self.branches
            .lock()
            .unwrap()
            .insert("b".into(), gbp_location("b", "CLOSED_PERMANENTLY", &[]));
    }

    /// Waits for `n` more live re-checks of the campaign.
    async fn more_rechecks(&self, n: usize) {
        let before = self.app.store.checks("weekend").await.unwrap().len();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.app.store.checks("weekend").await.unwrap().len() < before + n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no more live re-checks"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn verify_signed(post: &crate::support::fake_server::FakeRequest) {
    use promiseguard::signatures::{SigningKey, SigningKeys};
    let key = SigningKeys::new(vec![SigningKey::from_secret(SECRET).unwrap()]).unwrap();
    key.verify(
        post.header("webhook-id"),
        post.header("webhook-timestamp"),
        post.header("webhook-signature"),
        &post.body,
        chrono::Utc::now().timestamp(),
    )
    .expect("the alert is signed with alerts.signing_secret");
}

#[tokio::test]
async fn a_branch_closed_after_the_send_alerts_once_by_email_and_once_by_signed_webhook() {
    let s = scenario(&[]).await;
    s.close_b();
    wait_for("the email alert", || {
        s.sink.count_to("cx-team@example.com") == 1
    })
    .await;
    wait_for("the webhook alert", || s.calls.load(Ordering::SeqCst) == 1).await;

    let email = &s.sink.delivered()[0];
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
    let post = &s.hook.requests()[0];
    assert_eq!(post.path, "/alerts");
    verify_signed(post);
    let payload = post.json();
    assert_eq!(payload["type"], "finding.blocked");
    assert_eq!(payload["data"]["campaign_id"], "weekend");
    assert_eq!(payload["data"]["finding"]["rule"], "location_closed");
    assert_eq!(payload["data"]["finding"]["target"]["location"], "b");

    // The next re-checks find b closed again: not new, so nobody is alerted again.
    s.more_rechecks(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(s.sink.count_to("cx-team@example.com"), 1);
    assert_eq!(s.calls.load(Ordering::SeqCst), 1);
    let alerts = s.app.store.alerts("weekend").await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts.iter().all(|a| a.status == AlertStatus::Sent),
        "{alerts:?}"
    );
}

#[tokio::test]
async fn an_undelivered_webhook_alert_is_retried_as_the_same_signed_message() {
    let s = scenario(&[503, 429]).await;
    s.close_b();
    wait_for("two retries", || s.calls.load(Ordering::SeqCst) >= 3).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let alerts = s.app.store.alerts("weekend").await.unwrap();
        let webhook = alerts
            .iter()
            .find(|a| a.target.ends_with("/alerts"))
            .unwrap();
        if webhook.status == AlertStatus::Sent {
            assert_eq!(webhook.attempts, 3);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{webhook:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let posts = s.hook.requests();
    assert_eq!(posts.len(), 3);
    for post in &posts {
        verify_signed(post);
        assert_eq!(post.header("webhook-id"), posts[0].header("webhook-id"));
    }
    assert_eq!(s.sink.count_to("cx-team@example.com"), 1);
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
        (
            "[alerts]\nslack_webhook_url = \"hooks.slack.com/services/T1/B1/sekrit\"\n",
            "alerts.slack_webhook_url",
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        let err = promiseguard::config::load(Some(&file), Vec::new()).unwrap_err();
        assert_eq!(err.key, key, "{text}");
        // A secret's error names its key, never its value.
        assert!(!err.to_string().contains("sekrit"), "{err}");
    }
}

/// A detractor who met a broken promise: one alert to each destination with who answered what
/// and the promises broken — however often the answer is re-submitted; a promoter, none.
#[tokio::test]
async fn a_detractor_of_a_broken_promise_queues_exactly_one_alert() {
    use crate::support::surveys::{
        app_alerting, clicks, link_in, post_events, presend_blocked, surveys_run,
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let hook = {
        let calls = calls.clone();
        FakeServer::start(move |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            FakeResponse::json(200, json!({"ok": true}))
        })
        .await
    };
    let sink = SmtpSink::start().await;
    let app = app_alerting(
        &sink,
        &format!(
            "emails = [\"cx-team@example.com\"]\nwebhook_url = \"{hook}/alerts\"\nsigning_secret = \"{SECRET}\"",
            hook = hook.url
        ),
    )
    .await;
    // The fixture's branches are closed: the pre-send check blocks (a broken promise).
    let campaign = presend_blocked(&app).await;
    let campaign = campaign.as_str();
    post_events(
        &app,
        "/v1/events",
        &clicks(campaign, &["a@example.com", "b@example.com"], 100),
    )
    .await;
    assert_eq!(surveys_run(&app).await.status.code(), Some(0));
    let mut mails = sink.delivered();
    mails.sort_by(|x, y| x.recipients.cmp(&y.recipients));
    assert_eq!(mails.len(), 2);
    let post_answer = |link: String, form: Vec<(&'static str, &'static str)>| {
        let client = app.client.clone();
        let url = link
            .split('?')
            .next()
            .unwrap()
            .replace("https://cx.example.com", &app.address);
        async move {
            let res = client.post(url).form(&form).send().await.unwrap();
            assert_eq!(res.status(), 200);
        }
    };
    // a@ answers 2 because the branch was closed — then sends it twice more, changed.
    let a = link_in(&mails[0].data, 2);
    post_answer(
        a.clone(),
        vec![
            ("score", "2"),
            ("reason", "location_closed"),
            ("comment", "الفرع كان مغلقاً"),
        ],
    )
    .await;
    post_answer(
        a.clone(),
        vec![("score", "1"), ("reason", "location_closed")],
    )
    .await;
    post_answer(a, vec![("score", "3"), ("reason", "location_closed")]).await;
    // b@ is a promoter: nothing.
    post_answer(link_in(&mails[1].data, 10), vec![("score", "10")]).await;

    wait_for("the detractor webhook", || {
        calls.load(Ordering::SeqCst) == 1
    })
    .await;
    wait_for("the detractor email", || {
        sink.count_to("cx-team@example.com") == 1
    })
    .await;
    let post = &hook.requests()[0];
    verify_signed(post);
    let payload = post.json();
    assert_eq!(payload["type"], "survey.detractor", "{payload}");
    assert_eq!(payload["data"]["campaign_id"], campaign);
    assert_eq!(payload["data"]["recipient"], "a@example.com");
    // The answer as it stands when the alert goes out (one of the three).
    assert!(payload["data"]["score"].as_u64().unwrap() <= 3, "{payload}");
    assert_eq!(payload["data"]["reason"], "location_closed");
    assert!(
        !payload["data"]["findings"].as_array().unwrap().is_empty(),
        "{payload}"
    );
    let email = sink
        .delivered()
        .into_iter()
        .find(|m| m.recipients.iter().any(|r| r == "cx-team@example.com"))
        .unwrap();
    assert!(email.data.contains("Subject: Detractor:"), "{}", email.data);
    // Nothing more comes, however long we wait.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(sink.count_to("cx-team@example.com"), 1);
    let alerts = app.store.alerts(campaign).await.unwrap();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
}
