//! The one reminder, over real SMTP: to the silent invitee only, once, with the same links —
//! and after a SIGKILL mid-run, still never twice.
use crate::support::app::TestApp;
use crate::support::smtp::{Script, SmtpSink};
use crate::support::surveys::{
    app_with_smtp, clicks, link_in, one_click_unsubscribe, post_events, surveys_command,
    surveys_run_ok, unsubscribe_url,
};
use promiseguard::store::{Db, InvitationStore, ReminderStore};
use std::sync::Arc;
use std::time::Duration;

/// Every invitation of `campaign` as if sent `days` ago.
async fn sent_days_ago(app: &TestApp, campaign: &str, days: i64) {
    let Db::Sqlite(pool) = app.store.db() else {
        panic!("the API tests run on SQLite");
    };
    sqlx::query("UPDATE invitations SET sent_at = sent_at - $1 WHERE campaign_id = $2")
        .bind(days * 86_400_000)
        .bind(campaign)
        .execute(pool)
        .await
        .unwrap();
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().find_map(|l| l.strip_prefix(name))
}

#[tokio::test]
async fn a_silent_invitee_is_reminded_once_and_nobody_else_ever() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "[surveys]\nreminder_after_days = 3\n").await;
    let people = ["a@example.com", "b@example.com", "c@example.com"];
    post_events(&app, "/v1/events", &clicks("c1", &people, 100)).await;
    surveys_run_ok(&app).await;
    let mut first = sink.delivered();
    first.sort_by(|x, y| x.recipients.cmp(&y.recipients));
    assert_eq!(first.len(), 3);
    // b answers; c unsubscribes (one click).
    let b = link_in(&first[1].data, 9);
    let res = app
        .client
        .post(
            b.split('?')
                .next()
                .unwrap()
                .replace("https://cx.example.com", &app.address),
        )
        .form(&[("score", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    one_click_unsubscribe(&app, &unsubscribe_url(&app, &first[2].data)).await;

    // Two days on: not yet.
    sent_days_ago(&app, "c1", 2).await;
    surveys_run_ok(&app).await;
    assert_eq!(sink.count_to("a@example.com"), 1);
    // Three days on: a, and only a, is reminded — with the same links.
    sent_days_ago(&app, "c1", 1).await;
    surveys_run_ok(&app).await;
    assert_eq!(sink.count_to("a@example.com"), 2);
    assert_eq!(sink.count_to("b@example.com"), 1);
    assert_eq!(sink.count_to("c@example.com"), 1);
    let reminder = sink
        .delivered()
        .into_iter()
        .filter(|m| m.recipients.iter().any(|r| r == "a@example.com"))
        .nth(1)
        .unwrap();
    assert!(
        header(&reminder.data, "Subject: ")
            .unwrap()
            .starts_with("Reminder"),
        "{}",
        reminder.data
    );
    assert_eq!(link_in(&reminder.data, 7), link_in(&first[0].data, 7));
    assert_eq!(
        header(&reminder.data, "List-Unsubscribe: "),
        header(&first[0].data, "List-Unsubscribe: ")
    );
    // Never twice, however many runs follow.
    sent_days_ago(&app, "c1", 30).await;
    surveys_run_ok(&app).await;
    assert_eq!(sink.count_to("a@example.com"), 2);
    let a = app.store.invitations("c1").await.unwrap();
    let a = a.iter().find(|i| i.recipient == "a@example.com").unwrap();
    assert_eq!(
        app.store.reminder_status(&a.id).await.unwrap().as_deref(),
        Some("sent")
    );
}

/// A reminder the relay turns away for now (451) is due again at the next run, and goes out
/// then, once; the run that met the 451 claims no more.
#[tokio::test]
async fn a_reminder_deferred_by_the_relay_goes_out_at_the_next_run_once() {
    let script: Arc<Script> = Arc::new(|rcpt: &str, before: usize| match (rcpt, before) {
        ("busy@example.com", 1) => (451, "4.3.0 try again later"),
        _ => (250, "2.0.0 OK"),
    });
    let sink = SmtpSink::scripted(script, Duration::ZERO).await;
    let app = app_with_smtp(&sink, "[surveys]\nreminder_after_days = 3\n").await;
    post_events(
        &app,
        "/v1/events",
        &clicks("c1", &["busy@example.com"], 100),
    )
    .await;
    surveys_run_ok(&app).await;
    sent_days_ago(&app, "c1", 3).await;

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("reminders: 0 sent, 1 to retry, 0 failed"),
        "{summary}"
    );
    let busy = &app.store.invitations("c1").await.unwrap()[0];
    assert_eq!(app.store.reminder_status(&busy.id).await.unwrap(), None);

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("reminders: 1 sent, 0 to retry, 0 failed"),
        "{summary}"
    );
    surveys_run_ok(&app).await;
    assert_eq!(
        sink.count_to("busy@example.com"),
        3,
        "the survey, the 451, the reminder"
    );
    assert_eq!(
        app.store
            .reminder_status(&busy.id)
            .await
            .unwrap()
            .as_deref(),
        Some("sent")
    );
}

/// Killed with SIGKILL mid-reminder-run and run again: nobody gets a second reminder; the ones
/// in flight at the kill are `unknown` and stay unsent.
#[tokio::test]
async fn a_reminder_run_killed_mid_send_never_reminds_anyone_twice() {
    let sink = SmtpSink::scripted(
        std::sync::Arc::new(|_, _| (250, "2.0.0 OK")),
        Duration::from_millis(150),
    )
    .await;
    let app = app_with_smtp(&sink, "[surveys]\nreminder_after_days = 1\n").await;
    let people: Vec<String> = (0..20).map(|i| format!("p{i:02}@example.com")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    post_events(&app, "/v1/events", &clicks("crash", &refs, 100)).await;
    surveys_run_ok(&app).await;
    assert_eq!(sink.all().len(), 20);
    sent_days_ago(&app, "crash", 2).await;

    let mut child = surveys_command(&app).spawn().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while sink.all().len() < 26 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reminders did not get going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let rows = app.store.invitations("crash").await.unwrap();
    let mut in_flight = 0;
    for row in &rows {
        if app.store.reminder_status(&row.id).await.unwrap().as_deref() == Some("sending") {
            in_flight += 1;
        }
    }
    assert!(
        in_flight <= 2,
        "at most max_concurrent (2) in flight, found {in_flight}"
    );

    surveys_run_ok(&app).await;
    let mut unknown = 0;
    for row in &rows {
        let status = app.store.reminder_status(&row.id).await.unwrap();
        let emails = sink.count_to(&row.recipient);
        assert!(emails <= 2, "{} got {emails} emails", row.recipient);
        match status.as_deref() {
            Some("unknown") => unknown += 1,
            Some("sent") => assert_eq!(emails, 2, "{} is marked reminded", row.recipient),
            other => panic!("{}: reminder {other:?}", row.recipient),
        }
    }
    assert_eq!(
        unknown, in_flight,
        "exactly the ones in flight at the kill are unknown"
    );
}
