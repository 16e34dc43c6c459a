//! Helpers for survey tests: an app that mails a test SMTP server, events, and the CLI.
use super::app::{TestApp, spawn_app};
use super::smtp::SmtpSink;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

pub async fn app_with_smtp(sink: &SmtpSink, extra: &str) -> TestApp {
    spawn_app(&smtp_config(sink, extra)).await
}

/// As `app_with_smtp`, a failed send retried after `retry_s` seconds (instead of 1) — longer
/// than the 1 s a relay's 421/451 pauses sending, so a run never meets its own retries.
pub async fn app_with_smtp_retrying(sink: &SmtpSink, retry_s: u64) -> TestApp {
    let config = smtp_config(sink, "").replace(
        "retry_schedule_s = [1]",
        &format!("retry_schedule_s = [{retry_s}]"),
    );
    spawn_app(&config).await
}

/// As `app_with_smtp`, with SNS answered by `sns`.
pub async fn app_with_smtp_and_sns(
    sink: &SmtpSink,
    extra: &str,
    sns: std::sync::Arc<super::app::FakeSns>,
) -> TestApp {
    super::app::spawn_app_with_sns(&smtp_config(sink, extra), sns).await
}

/// As `app_with_smtp`, with `email` — more keys of the `[email]` table.
pub async fn app_with_smtp_email(sink: &SmtpSink, email: &str) -> TestApp {
    spawn_app(&format!("{}{email}\n", smtp_config(sink, ""))).await
}

fn smtp_config(sink: &SmtpSink, extra: &str) -> String {
    format!(
        "public_base_url = \"https://cx.example.com\"\n{extra}\n\
         [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nlease_ttl_s = 2\n\
         [email]\ntransport = \"smtp\"\nsmtp_url = \"{}\"\nfrom = \"Acme CX <cx@example.com>\"\nmax_concurrent = 2\nretry_schedule_s = [1]\n",
        sink.url
    )
}

/// A click on `campaign` by each recipient, `hours_ago`.
pub fn clicks(campaign: &str, recipients: &[&str], hours_ago: i64) -> Vec<Value> {
    recipients
        .iter()
        .map(|r| {
            json!({
                "id": format!("click-{campaign}-{r}-{hours_ago}"), "type": "click", "campaign_id": campaign,
                "recipient": r, "occurred_at": (Utc::now() - Duration::hours(hours_ago)).to_rfc3339(),
                "url": "https://rentals.example.com/branches"
            })
        })
        .collect()
}

pub fn conversion(id: &str, campaign: Option<&str>, recipient: &str, hours_ago: i64) -> Value {
    json!({
        "id": id, "type": "conversion", "campaign_id": campaign, "recipient": recipient,
        "occurred_at": (Utc::now() - Duration::hours(hours_ago)).to_rfc3339(), "order_id": format!("order-{id}")
    })
}

pub async fn post_events(app: &TestApp, path: &str, events: &[Value]) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}{path}", app.address))
        .json(&events)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// `promiseguard surveys run` against the app's configuration (its database, its SMTP). Async,
/// so the test's in-process SMTP server keeps answering while the child runs.
pub fn surveys_command(app: &TestApp) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"));
    cmd.args(["surveys", "run", "--config"])
        .arg(app.dir.path().join("promiseguard.toml"))
        .env("PROMISEGUARD_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

pub async fn surveys_run(app: &TestApp) -> std::process::Output {
    surveys_command(app).output().await.unwrap()
}

/// A received survey email as a mail client shows it: the subject and both parts decoded
/// (RFC 2047, quoted-printable, base64).
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn read(data: &str) -> Mail {
        let m = mail_parser::MessageParser::default()
            .parse(data.as_bytes())
            .expect("a MIME message");
        Mail {
            subject: m.subject().unwrap_or_default().to_owned(),
            text: m.body_text(0).unwrap_or_default().into_owned(),
            html: m.body_html(0).unwrap_or_default().into_owned(),
        }
    }
}

/// `text` without Unicode isolation marks (FSI, PDI), which body text puts around every
/// placeable: what a reader sees.
pub fn unmarked(text: &str) -> String {
    text.replace(['\u{2068}', '\u{2069}'], "")
}

/// The survey link for `score` in a received message.
pub fn link_in(data: &str, score: u8) -> String {
    let text = Mail::read(data).text;
    let marker = format!("?score={score}");
    let end = text.find(&marker).expect("a score link") + marker.len();
    let start = text[..end].rfind("https://").unwrap();
    text[start..end].to_owned()
}

/// One survey run through the CLI that must succeed; its stdout.
pub async fn surveys_run_ok(app: &TestApp) -> String {
    let out = surveys_run(app).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An app mailing `sink` whose alerts job runs every second, with `alerts` as its `[alerts]`
/// table's keys.
pub async fn app_alerting(sink: &SmtpSink, alerts: &str) -> TestApp {
    spawn_app(&format!(
        "public_base_url = \"https://cx.example.com\"\n\
         [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nalerts = \"* * * * * *\"\nlease_ttl_s = 2\n\
         [email]\ntransport = \"smtp\"\nsmtp_url = \"{smtp}\"\nfrom = \"Acme CX <cx@example.com>\"\n\
         [alerts]\n{alerts}\n",
        smtp = sink.url,
    ))
    .await
}

/// The fixture campaign whose branches are closed, checked before its send (it blocks: a
/// broken promise); its id.
pub async fn presend_blocked(app: &TestApp) -> String {
    let broken: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/campaigns/block.json").unwrap())
            .unwrap();
    assert_eq!(app.presend(&broken).await.status(), 200);
    broken["campaign"]["id"].as_str().unwrap().to_owned()
}

/// The fixture campaign blocked before its send and one click on it by `recipient`, surveyed by
/// one run of the CLI: the campaign's id, the survey email as the relay received it, and where
/// its form posts (on the test app).
pub async fn one_clicker_surveyed(
    app: &TestApp,
    sink: &SmtpSink,
    recipient: &str,
) -> (String, String, String) {
    let campaign = presend_blocked(app).await;
    post_events(app, "/v1/events", &clicks(&campaign, &[recipient], 100)).await;
    assert_eq!(surveys_run(app).await.status.code(), Some(0));
    let mail = sink.delivered()[0].data.clone();
    let form = link_in(&mail, 2)
        .split('?')
        .next()
        .unwrap()
        .replace("https://cx.example.com", &app.address);
    (campaign, mail, form)
}

/// The survey email's `List-Unsubscribe` URL, on the test app.
pub fn unsubscribe_url(app: &TestApp, mail: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .expect("a List-Unsubscribe header")
        .trim_end_matches('>')
        .replace("https://cx.example.com", &app.address)
}

/// Unsubscribes as a mail client does (RFC 8058: POST `List-Unsubscribe=One-Click`).
pub async fn one_click_unsubscribe(app: &TestApp, url: &str) {
    let res = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
