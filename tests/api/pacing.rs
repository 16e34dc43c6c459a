//! The relay's pace over real SMTP: `[email] max_per_second = 5` with 200 due never lets more
//! than that many survey emails reach the relay in any one-second span (timed at the SMTP
//! server), and `[email] max_per_day` holds what is over the cap for a later run.
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp_email, clicks, post_events, surveys_run_ok};
use promiseguard::store::InvitationStore;

fn addresses(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("person{i}@example.com")).collect()
}

#[tokio::test]
async fn no_second_at_the_relay_holds_more_than_max_per_second() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp_email(&sink, "max_per_second = 5").await;
    let people = addresses(200);
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    post_events(&app, "/v1/events", &clicks("paced", &people, 100)).await;
    let started = std::time::Instant::now();
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("200 sent"), "{summary}");
    let at: Vec<std::time::Instant> = sink.delivered().iter().map(|m| m.at).collect();
    assert_eq!(at.len(), 200);
    let mut sorted = at.clone();
    sorted.sort();
    for (i, t) in sorted.iter().enumerate() {
        let within = sorted[i..]
            .iter()
            .filter(|u| u.duration_since(*t) < std::time::Duration::from_secs(1))
            .count();
        assert!(within <= 5, "{within} emails in the second after email {i}");
    }
    // Paced, not stalled: 200 at 5 a second take about 40 s.
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_secs(35),
        "{took:?}: not paced"
    );
}

#[tokio::test]
async fn max_per_day_holds_the_rest_for_a_later_run() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp_email(&sink, "max_per_day = 30").await;
    let people = addresses(50);
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    post_events(&app, "/v1/events", &clicks("capped", &people, 100)).await;
    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("50 invitations queued; 30 sent"),
        "{summary}"
    );
    assert_eq!(sink.delivered().len(), 30);
    // The cap counts a rolling 24 hours: a later run sends nothing more today.
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("0 sent"), "{summary}");
    assert_eq!(sink.delivered().len(), 30);
    let rows = app.store.invitations("capped").await.unwrap();
    let waiting = rows
        .iter()
        .filter(|r| r.status == promiseguard::store::InvitationStatus::Queued)
        .count();
    assert_eq!(waiting, 20, "held, not dropped");
}
