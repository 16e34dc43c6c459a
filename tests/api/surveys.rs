use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    app_with_smtp, app_with_smtp_retrying, clicks, conversion, post_events, surveys_run_ok,
};
use promiseguard::store::{InvitationStatus, InvitationStore};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn clicked_but_not_converted_get_one_survey_email_each() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    let mut events = clicks(
        "c1",
        &[
            "a@example.com",
            "b@example.com",
            "conv@example.com",
            "recent@example.com",
        ],
        100,
    );
    events.push(conversion("conv-1", Some("c1"), "conv@example.com", 90));
    events.extend(clicks("c1", &["recent@example.com"], 1)); // window still open
    assert_eq!(post_events(&app, "/v1/events", &events).await.0, 200);

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.starts_with("2 invitations queued; 2 sent"),
        "{summary}"
    );
    let delivered = sink.delivered();
    let mut to: Vec<&str> = delivered.iter().map(|m| m.recipients[0].as_str()).collect();
    to.sort();
    assert_eq!(to, vec!["a@example.com", "b@example.com"]);
    let data = &delivered[0].data;
    assert!(
        data.contains("From: \"Acme CX\" <cx@example.com>")
            || data.contains("From: Acme CX <cx@example.com>"),
        "{data}"
    );
    assert!(data.contains("List-Unsubscribe: <https://cx.example.com/u/"));
    assert!(data.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(data.contains("Message-ID: <invitation-"));
    assert!(data.contains("text/plain") && data.contains("text/html"));
    let statuses: Vec<InvitationStatus> = app
        .store
        .invitations("c1")
        .await
        .unwrap()
        .iter()
        .map(|i| i.status)
        .collect();
    assert_eq!(statuses, vec![InvitationStatus::Sent; 2]);

    // A second sweep sends nothing.
    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.starts_with("0 invitations queued; 0 sent"),
        "{summary}"
    );
    assert_eq!(sink.all().len(), 2);
}

#[tokio::test]
async fn a_451_is_retried_on_a_later_run_and_a_550_fails_for_good() {
    let script: Arc<crate::support::smtp::Script> =
        Arc::new(|rcpt: &str, before: usize| match (rcpt, before) {
            ("busy@example.com", 0) => (451, "4.3.0 try again later"),
            ("gone@example.com", _) => (550, "5.1.1 no such user"),
            _ => (250, "2.0.0 OK"),
        });
    let sink = SmtpSink::scripted(script, Duration::ZERO).await;
    let app = app_with_smtp_retrying(&sink, 3).await;
    post_events(
        &app,
        "/v1/events",
        &clicks("c2", &["busy@example.com", "gone@example.com"], 100),
    )
    .await;

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("0 sent, 1 to retry, 1 failed"),
        "{summary}"
    );
    let rows = app.store.invitations("c2").await.unwrap();
    assert_eq!(
        (rows[0].recipient.as_str(), rows[0].status, rows[0].attempts),
        ("busy@example.com", InvitationStatus::Queued, 1)
    );
    assert!(rows[0].last_error.as_deref().unwrap().contains("451"));
    assert_eq!(rows[1].status, InvitationStatus::Failed);
    assert!(rows[1].last_error.as_deref().unwrap().contains("550"));

    // The retry waits for its backoff (3 s here, past the 451's 1 s pause), then goes out
    // once.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("1 sent, 0 to retry, 0 failed"),
        "{summary}"
    );
    assert_eq!(sink.delivered().len(), 1);
    assert_eq!(
        sink.count_to("gone@example.com"),
        1,
        "a 5xx is never retried"
    );
    let rows = app.store.invitations("c2").await.unwrap();
    assert_eq!(
        (rows[0].status, rows[0].attempts),
        (InvitationStatus::Sent, 2)
    );
}

#[tokio::test]
async fn smtp_connections_are_pooled() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    let people: Vec<String> = (0..40).map(|i| format!("p{i}@example.com")).collect();
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    post_events(&app, "/v1/events", &clicks("c3", &people, 100)).await;
    surveys_run_ok(&app).await;
    assert_eq!(sink.delivered().len(), 40);
    // Without a pool every email would open its own connection. With one, the two senders
    // (max_concurrent = 2) reuse theirs; lettre hands a finished connection back to the pool
    // in a spawned task, so a sender that is quicker than that task may open one more now and
    // then — hence a bound well under one per email rather than exactly two.
    assert!(
        sink.connections() <= 8,
        "40 emails over {} connections (max_concurrent = 2)",
        sink.connections()
    );
}

#[tokio::test]
async fn one_survey_per_address_within_the_cooldown_across_campaigns() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    post_events(
        &app,
        "/v1/events",
        &clicks("first", &["dana@example.com"], 200),
    )
    .await;
    post_events(
        &app,
        "/v1/events",
        &clicks("second", &["dana@example.com", "eli@example.com"], 100),
    )
    .await;
    surveys_run_ok(&app).await;
    assert_eq!(
        sink.count_to("dana@example.com"),
        1,
        "two eligible campaigns, one survey"
    );
    assert_eq!(sink.count_to("eli@example.com"), 1);
    // Later, a third campaign: dana was surveyed within 90 days, so no.
    post_events(
        &app,
        "/v1/events",
        &clicks("third", &["dana@example.com"], 80),
    )
    .await;
    surveys_run_ok(&app).await;
    assert_eq!(sink.count_to("dana@example.com"), 1);
    assert!(app.store.invitations("third").await.unwrap().is_empty());
}

#[tokio::test]
async fn suppressed_addresses_are_not_surveyed() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    post_events(
        &app,
        "/v1/events",
        &clicks(
            "c4",
            &["stay@example.com", "left@example.com", "spam@example.com"],
            100,
        ),
    )
    .await;
    let ts = chrono::Utc::now().timestamp() - 50 * 3600;
    let sendgrid = vec![
        json!({"email": "left@example.com", "timestamp": ts, "event": "group_unsubscribe", "sg_event_id": "u1"}),
        json!({"email": "SPAM@example.com", "timestamp": ts, "event": "spamreport", "sg_event_id": "u2"}),
    ];
    assert_eq!(
        post_events(&app, "/v1/events/sendgrid", &sendgrid).await.0,
        200
    );
    surveys_run_ok(&app).await;
    let to = sink.delivered_to();
    assert_eq!(to, vec!["stay@example.com"]);
}

/// An invitation waiting for its retry is withdrawn by the provider event that suppresses its
/// address — in the same ingest — and never sent; one for another address still goes.
#[tokio::test]
async fn an_unsubscribe_through_a_provider_withdraws_a_waiting_invitation() {
    let script: Arc<crate::support::smtp::Script> =
        Arc::new(|rcpt: &str, before: usize| match (rcpt, before) {
            (_, 0) => (451, "4.3.0 try again later"),
            _ => (250, "2.0.0 OK"),
        });
    let sink = SmtpSink::scripted(script, Duration::ZERO).await;
    // Retried after 3 s: the 451 pauses sending for 1 s, and the run must not meet its retries.
    let app = app_with_smtp_retrying(&sink, 3).await;
    post_events(
        &app,
        "/v1/events",
        &clicks("c5", &["leaving@example.com", "staying@example.com"], 100),
    )
    .await;
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("0 sent, 2 to retry"), "{summary}");
    let ts = chrono::Utc::now().timestamp();
    let sendgrid_unsubscribe = vec![json!({"email": "Leaving@example.com", "timestamp": ts,
        "event": "unsubscribe", "sg_event_id": "u-leaving"})];
    let (status, answer) = post_events(&app, "/v1/events/sendgrid", &sendgrid_unsubscribe).await;
    assert_eq!(
        (status, answer["suppressed"].as_u64()),
        (200, Some(1)),
        "{answer}"
    );
    let rows = app.store.invitations("c5").await.unwrap();
    let leaving = rows
        .iter()
        .find(|r| r.recipient == "leaving@example.com")
        .unwrap();
    assert_eq!(
        leaving.status,
        InvitationStatus::Failed,
        "withdrawn at ingest"
    );
    assert!(
        leaving
            .last_error
            .as_deref()
            .unwrap()
            .contains("withdrawn before it was sent")
    );

    tokio::time::sleep(Duration::from_millis(3100)).await;
    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("1 sent, 0 to retry, 0 failed"),
        "{summary}"
    );
    let to = sink.delivered_to();
    assert_eq!(to, vec!["staying@example.com"]);
}

#[tokio::test]
async fn a_conversion_without_campaign_counts_for_the_most_recent_click() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "").await;
    let mut events = clicks("older", &["ana@example.com"], 120);
    events.extend(clicks("newer", &["ana@example.com"], 110));
    events.push(conversion("conv-ana", None, "ana@example.com", 109));
    post_events(&app, "/v1/events", &events).await;
    surveys_run_ok(&app).await;
    // "newer" converted; "older" did not — so ana is surveyed about "older".
    assert_eq!(app.store.invitations("older").await.unwrap().len(), 1);
    assert!(app.store.invitations("newer").await.unwrap().is_empty());
}
