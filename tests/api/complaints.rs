//! The complaint guard over real SMTP: each survey email carries its invitation id for the
//! relays to echo back; spam complaints that carry it (or that name no campaign, from an
//! address surveyed) count against survey mail, a marketing campaign's never; above the limit
//! survey mail pauses — alert sent, `/healthz` and the gauge say so — until a reviewer resumes.
use crate::support::analysts::{REVIEWER, VIEWER, get, post, tokens};
use crate::support::app::{TestApp, spawn_app};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{clicks, post_events, surveys_run_ok};
use serde_json::{Value, json};
use std::time::Duration;

fn people(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}@example.com")).collect()
}

async fn click_and_survey(app: &TestApp, campaign: &str, who: &[String]) -> String {
    let who: Vec<&str> = who.iter().map(String::as_str).collect();
    post_events(app, "/v1/events", &clicks(campaign, &who, 100)).await;
    surveys_run_ok(app).await
}

/// The invitation id a delivered survey email carries for SendGrid (`X-SMTPAPI` unique args).
fn marker_of(data: &str) -> String {
    let m = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .unwrap();
    let smtpapi: Value = serde_json::from_str(m.header_raw("X-SMTPAPI").unwrap().trim()).unwrap();
    smtpapi["unique_args"]["promiseguard_invitation"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A SendGrid `spamreport` by `email`, with the survey's unique arg or a campaign's.
fn spamreport(id: &str, email: &str, marker: Option<&str>, campaign: Option<&str>) -> Value {
    let mut e = json!({"email": email, "timestamp": chrono::Utc::now().timestamp(),
                       "event": "spamreport", "sg_event_id": id, "sg_message_id": "m.1"});
    if let Some(marker) = marker {
        e["promiseguard_invitation"] = json!(marker);
    }
    if let Some(campaign) = campaign {
        e["campaign_id"] = json!(campaign);
    }
    e
}

/// The survey emails delivered to customers (not the alerts to the CX team).
fn surveys_delivered(sink: &SmtpSink) -> Vec<crate::support::smtp::Received> {
    sink.delivered()
        .into_iter()
        .filter(|m| m.recipients[0] != "cx-team@example.com")
        .collect()
}

async fn status(app: &TestApp) -> Value {
    let (code, status) = get(app, "/v1/surveys/status", Some(VIEWER)).await;
    assert_eq!(code, 200, "{status}");
    status
}

/// A GET of one of the operator's doors (no token).
async fn open_get(app: &TestApp, path: &str) -> reqwest::Response {
    let url = format!("{}{path}", app.address);
    app.client.get(url).send().await.unwrap()
}

/// An app mailing `sink`, alerting the CX team by email (the alerts job every second), with
/// `guard` in `[surveys]`.
async fn guarded_app(sink: &SmtpSink, guard: &str) -> TestApp {
    spawn_app(&format!(
        "public_base_url = \"https://cx.example.com\"\n{tokens}\
         [schedule]\nrecheck = \"off\"\nsurveys = \"off\"\nalerts = \"* * * * * *\"\nlease_ttl_s = 2\n\
         [email]\ntransport = \"smtp\"\nsmtp_url = \"{smtp}\"\nfrom = \"Acme CX <cx@example.com>\"\nmax_concurrent = 2\n\
         [surveys]\n{guard}\n[alerts]\nemails = [\"cx-team@example.com\"]\n",
        tokens = tokens(),
        smtp = sink.url,
    ))
    .await
}

/// The first email delivered to `to`, waited for.
async fn wait_for_mail_to(sink: &SmtpSink, to: &str) -> crate::support::smtp::Received {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = sink.delivered().into_iter().find(|m| m.recipients[0] == to) {
            return m;
        }
        assert!(tokio::time::Instant::now() < deadline, "no email to {to}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_complaints_in_250_surveys_pause_survey_mail_until_a_reviewer_resumes() {
    let sink = SmtpSink::start().await;
    let app = guarded_app(&sink, "").await;
    let summary = click_and_survey(&app, "spring", &people("p", 250)).await;
    assert!(summary.contains("250 sent"), "{summary}");
    let mails = surveys_delivered(&sink);
    let (first, second) = (&mails[0], &mails[1]);

    // A complaint about the marketing campaign by a surveyed customer never counts.
    let marketing = spamreport("sg-m", &first.recipients[0], None, Some("spring"));
    let (code, _) = post_events(&app, "/v1/events/sendgrid", &[marketing]).await;
    assert_eq!(code, 200);
    assert_eq!(status(&app).await["complaints"], 0);

    // Two complaints carrying the survey's marker: 0.8 % of 250, above 0.1 %.
    let marked = [
        spamreport(
            "sg-1",
            &first.recipients[0],
            Some(&marker_of(&first.data)),
            None,
        ),
        spamreport(
            "sg-2",
            &second.recipients[0],
            Some(&marker_of(&second.data)),
            None,
        ),
    ];
    post_events(&app, "/v1/events/sendgrid", &marked).await;
    // Delivered again by SendGrid: counted once.
    post_events(&app, "/v1/events/sendgrid", &marked).await;
    let s = status(&app).await;
    assert_eq!(
        (s["sent"].as_u64(), s["complaints"].as_u64()),
        (Some(250), Some(2)),
        "{s}"
    );
    assert_eq!(s["complaint_rate"], 0.008);

    // The next run pauses instead of sending; the ones queued wait.
    let summary = click_and_survey(&app, "autumn", &people("q", 10)).await;
    assert!(
        summary.contains(
            "survey mail paused (2 spam complaints on 250 survey emails in 7 days (0.80 %)"
        ),
        "{summary}"
    );
    assert_eq!(surveys_delivered(&sink).len(), 250);
    let alert = wait_for_mail_to(&sink, "cx-team@example.com").await;
    assert!(
        alert.data.contains("Survey emails paused"),
        "{}",
        alert.data
    );
    let health = open_get(&app, "/healthz")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["surveys"]["paused"], true, "{health}");
    assert!(
        health["surveys"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("2 spam complaints")
    );
    let metrics = open_get(&app, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("promiseguard_surveys_paused 1"),
        "{metrics}"
    );
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("nothing sent"), "{summary}");

    // Only a reviewer resumes, and says why.
    let note = r#"{"note": "the spring list had stale addresses; pruned"}"#;
    let (code, _) = post(&app, "/v1/surveys/resume", Some(VIEWER), note).await;
    assert_eq!(code, 403);
    let (code, problem) = post(
        &app,
        "/v1/surveys/resume",
        Some(REVIEWER),
        r#"{"note": " "}"#,
    )
    .await;
    assert_eq!(
        (code, problem["errors"][0]["pointer"].as_str()),
        (422, Some("/note")),
        "{problem}"
    );
    let (code, resumed) = post(&app, "/v1/surveys/resume", Some(REVIEWER), note).await;
    assert_eq!(code, 200, "{resumed}");
    assert_eq!(resumed["paused"], false);
    assert_eq!(resumed["last_resume"]["by"], "dana");
    assert_eq!(
        resumed["last_resume"]["note"],
        "the spring list had stale addresses; pruned"
    );
    let (code, _) = post(&app, "/v1/surveys/resume", Some(REVIEWER), note).await;
    assert_eq!(code, 409, "nothing to resume");

    // Sending goes on although the week's rate has not fallen: the count starts afresh.
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("10 sent"), "{summary}");
    assert_eq!(surveys_delivered(&sink).len(), 260);
    let health = open_get(&app, "/healthz")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(health["surveys"], json!({"paused": false, "reason": null}));
}

#[tokio::test]
async fn below_the_limit_nothing_pauses_and_an_unmarked_complaint_counts_only_for_the_surveyed() {
    let sink = SmtpSink::start().await;
    let app = guarded_app(&sink, "pause_complaint_rate = 0.2\ncomplaint_min_sent = 10").await;
    let summary = click_and_survey(&app, "spring", &people("p", 20)).await;
    assert!(summary.contains("20 sent"), "{summary}");
    let mails = surveys_delivered(&sink);
    let complaints = [
        spamreport(
            "sg-1",
            &mails[0].recipients[0],
            Some(&marker_of(&mails[0].data)),
            None,
        ),
        // No marker, no campaign (a provider that echoes nothing): a surveyed address counts…
        spamreport("sg-2", &mails[1].recipients[0], None, None),
        // …one never surveyed does not; nor a marker naming another address's invitation.
        spamreport("sg-3", "stranger@example.com", None, None),
        spamreport(
            "sg-4",
            "stranger@example.com",
            Some(&marker_of(&mails[2].data)),
            None,
        ),
    ];
    post_events(&app, "/v1/events/sendgrid", &complaints).await;
    let s = status(&app).await;
    assert_eq!(
        (s["sent"].as_u64(), s["complaints"].as_u64()),
        (Some(20), Some(2)),
        "{s}"
    );
    // 10 % is under the 20 % configured: the next run sends.
    let summary = click_and_survey(&app, "autumn", &people("q", 3)).await;
    assert!(summary.contains("3 sent"), "{summary}");
    assert_eq!(status(&app).await["paused"], false);
}
