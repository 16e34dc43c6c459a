use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp, clicks, post_events, surveys_command, surveys_run};
use promiseguard::store::{InvitationStatus, InvitationStore};
use std::time::Duration;

/// The sweep is killed with SIGKILL mid-send and run again: nobody gets two emails, and every
/// invitation not marked `unknown` is delivered.
#[tokio::test]
async fn a_sweep_killed_mid_send_never_emails_anyone_twice() {
    let sink = SmtpSink::scripted(
        std::sync::Arc::new(|_, _| (250, "2.0.0 OK")),
        Duration::from_millis(150),
    )
    .await;
    let app = app_with_smtp(&sink, "").await;
    let people: Vec<String> = (0..30).map(|i| format!("p{i:02}@example.com")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    post_events(&app, "/v1/events", &clicks("crash", &refs, 100)).await;

    let mut child = surveys_command(&app).spawn().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while sink.all().len() < 6 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweep did not get going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let before = app.store.invitations("crash").await.unwrap();
    let in_flight = before
        .iter()
        .filter(|i| i.status == InvitationStatus::Sending)
        .count();
    assert!(
        in_flight <= 2,
        "at most max_concurrent (2) claimed-but-unsent, found {in_flight}"
    );
    eprintln!("in flight at the kill: {in_flight}");

    // Run again: it waits for the dead run's lease to expire, then finishes the job.
    let out = surveys_run(&app).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rows = app.store.invitations("crash").await.unwrap();
    assert_eq!(rows.len(), 30);
    for person in &people {
        assert!(
            sink.count_to(person) <= 1,
            "{person} got {} emails",
            sink.count_to(person)
        );
    }
    let unknown = rows
        .iter()
        .filter(|r| r.status == InvitationStatus::Unknown)
        .count();
    assert_eq!(
        unknown, in_flight,
        "exactly the ones in flight at the kill are unknown"
    );
    for row in rows
        .iter()
        .filter(|r| r.status != InvitationStatus::Unknown)
    {
        assert_eq!(row.status, InvitationStatus::Sent, "{}", row.recipient);
        assert_eq!(
            sink.count_to(&row.recipient),
            1,
            "{} is marked sent",
            row.recipient
        );
    }
}
