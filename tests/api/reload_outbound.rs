//! `SIGHUP` on the real binary, the credentials promiseguard itself presents: the SMTP relay's
//! password (a mounted `smtp_url_file`), the keys its alerts are signed with (both while the
//! receiver rotates, then only the new), the Slack webhook's URL (`slack_webhook_url_file`), and
//! the OpenID client secret (a mounted `client_secret_file`) — each in force from the next use,
//! in the same process, after the provider, the relay and the receiver have rotated; and all
//! kept when one of them cannot be put in force.
use crate::support::fake_server::{FakeRequest, FakeResponse, FakeServer};
use crate::support::oidc::{CLIENT_ID, FakeIdp, sign_in_at};
use crate::support::process::{Served, hang_up, serve};
use crate::support::smtp::SmtpSink;
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_cHJvbWlzZWd1YXJkLXJlc3BvbnNlLWIh";

struct World {
    port: u16,
    idp: FakeIdp,
    sink: SmtpSink,
    hook: FakeServer,
    slack: FakeServer,
    gbp: FakeServer,
}

/// The configuration, with the SMTP URL and the OpenID client secret in files of their own
/// (as mounted secrets), and alerts signed with each of `signing`.
fn write_config(
    dir: &Path,
    world: &World,
    smtp_password: &str,
    signing: &[&str],
    client_secret: &str,
) {
    let signing_secret = serde_json::to_string(signing).unwrap();
    let smtp = world
        .sink
        .url
        .replace("smtp://", &format!("smtp://pg:{smtp_password}@"));
    std::fs::write(dir.join("smtp-url"), format!("{smtp}\n")).unwrap();
    std::fs::write(dir.join("oidc-secret"), format!("{client_secret}\n")).unwrap();
    // The Slack webhook's URL is its credential: rotated with the relay's password.
    let slack = format!("{}/services/T0001/B0001/{smtp_password}", world.slack.url);
    std::fs::write(dir.join("slack-url"), format!("{slack}\n")).unwrap();
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\nworkers = 2\ndatabase_url = \"sqlite://{db}\"\n\
         [schedule]\nrecheck = \"* * * * * *\"\nsurveys = \"off\"\nsurvey_delivery = \"off\"\nalerts = \"* * * * * *\"\nlease_ttl_s = 5\n\
         [email]\ntransport = \"smtp\"\nsmtp_url_file = \"{smtp_file}\"\nfrom = \"promiseguard <pg@example.com>\"\n\
         [alerts]\nemails = [\"cx-team@example.com\"]\nwebhook_url = \"{hook}/alerts\"\nsigning_secret = {signing_secret}\nretry_schedule_s = [1, 1]\nslack_webhook_url_file = \"{slack_file}\"\n\
         [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{gbp}\"\ntoken = \"{TOKEN}\"\n\
         [analysts.oidc]\nissuer = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"{secret_file}\"\n\
         redirect_url = \"http://127.0.0.1:{port}/ui/oidc/callback\"\nreviewer_groups = [\"cx-reviewers\"]\n",
        port = world.port,
        db = dir.join("promiseguard.db").display(),
        smtp_file = dir.join("smtp-url").display(),
        slack_file = dir.join("slack-url").display(),
        hook = world.hook.url,
        gbp = world.gbp.url,
        issuer = world.idp.server.url,
        secret_file = dir.join("oidc-secret").display(),
    );
    std::fs::write(dir.join("promiseguard.toml"), text).unwrap();
}

/// Waits until the `n`th alert has reached both the relay and the webhook receiver.
async fn alerted(world: &World, served: &Served, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while world.sink.count_to("cx-team@example.com") < n
        || world.hook.count() < n
        || world.slack.count() < n
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no alert {n}:\n{}",
            served.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Which of the two keys verify an alert, with the Standard Webhooks reference library.
fn verified_by(post: &FakeRequest) -> Vec<&'static str> {
    let mut headers = http::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        headers.insert(name, post.header(name).unwrap().parse().unwrap());
    }
    [OLD, NEW]
        .into_iter()
        .filter(|key| {
            standardwebhooks::Webhook::new(key)
                .unwrap()
                .verify(&post.body, &headers)
                .is_ok()
        })
        .collect()
}

/// What the relay was signed in with for each alert email, in order.
fn relay_logins(sink: &SmtpSink) -> Vec<Option<String>> {
    sink.all()
        .iter()
        .filter(|m| m.recipients.iter().any(|r| r == "cx-team@example.com"))
        .map(|m| m.auth.clone())
        .collect()
}

#[tokio::test]
async fn sighup_puts_the_smtp_password_the_alert_keys_the_slack_url_and_the_oidc_secret_in_force() {
    let branches = Arc::new(Mutex::new(HashMap::from([
        ("a".to_owned(), gbp_location("a", "OPEN", &[])),
        ("b".to_owned(), gbp_location("b", "OPEN", &[])),
    ])));
    let shared = branches.clone();
    let world = World {
        port: std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
        idp: FakeIdp::start().await,
        sink: SmtpSink::start().await,
        hook: FakeServer::start(|_| FakeResponse::json(200, json!({"ok": true}))).await,
        slack: FakeServer::start(|_| FakeResponse::text(200, "ok")).await,
        gbp: FakeServer::start(move |req| {
            google_business_profile(shared.lock().unwrap().clone())(req)
        })
        .await,
    };
    let close = |id: &str| {
        branches
            .lock()
            .unwrap()
            .insert(id.into(), gbp_location(id, "CLOSED_PERMANENTLY", &[]));
    };
    let dir = tempfile::tempdir().unwrap();
    // The alerts' receiver is moving to the new key: both sign.
    write_config(
        dir.path(),
        &world,
        "old-pass",
        &[OLD, NEW],
        "old-client-secret",
    );
    world
        .idp
        .set(|idp| idp.client_secret = "old-client-secret".into());
    let served = serve(&dir.path().join("promiseguard.toml")).await;
    let pid = served.child.id();

    let body = json!({"campaign": {"id": "weekend", "name": "Weekend rentals",
        "offers": [crate::support::app::live_offer("o", &["a", "b"])]}});
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/v1/presend", served.address))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["verdict"], "pass", "{answer}");
    close("a");
    alerted(&world, &served, 1).await;
    assert_eq!(relay_logins(&world.sink), [Some("pg:old-pass".to_owned())]);
    assert_eq!(verified_by(&world.hook.requests()[0]), [OLD, NEW]);
    let (status, session, _) = sign_in_at(&served.address, "/ui/").await;
    assert_eq!(
        (status, session.is_some()),
        (200, true),
        "signed in with the old secret"
    );

    // The provider, the relay's account and the alerts' receiver rotate; the files are rewritten.
    world
        .idp
        .set(|idp| idp.client_secret = "new-client-secret".into());
    let (_, session, page) = sign_in_at(&served.address, "/ui/").await;
    assert!(
        session.is_none(),
        "the provider refuses the old secret: {page}"
    );
    write_config(dir.path(), &world, "new-pass", &[NEW], "new-client-secret");
    hang_up(&served, "configuration read again", 1).await;

    let (status, session, page) = sign_in_at(&served.address, "/ui/").await;
    assert_eq!((status, session.is_some()), (200, true), "{page}");
    close("b");
    alerted(&world, &served, 2).await;
    assert_eq!(
        relay_logins(&world.sink),
        [
            Some("pg:old-pass".to_owned()),
            Some("pg:new-pass".to_owned())
        ]
    );
    assert_eq!(verified_by(&world.hook.requests()[1]), [NEW]);
    let slack: Vec<String> = world
        .slack
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        slack,
        [
            "/services/T0001/B0001/old-pass",
            "/services/T0001/B0001/new-pass"
        ]
    );

    // An SMTP URL that does not parse: logged with its key, every credential in force kept.
    std::fs::write(dir.path().join("smtp-url"), "smtp://[not-a-host\n").unwrap();
    world
        .idp
        .set(|idp| idp.client_secret = "newest-client-secret".into());
    std::fs::write(dir.path().join("oidc-secret"), "newest-client-secret\n").unwrap();
    hang_up(&served, "cannot be put in force", 1).await;
    assert!(served.log.lock().unwrap().contains("email.smtp_url"));
    let (_, session, _) = sign_in_at(&served.address, "/ui/").await;
    assert!(
        session.is_none(),
        "the OpenID client secret in force was kept"
    );
    assert_eq!(served.child.id(), pid, "the same process");
}
