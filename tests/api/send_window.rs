//! The survey's send window over real SMTP, whatever the hour the test runs at: zones are chosen
//! so that it is 03:xx for one recipient and midday for another. The one at night is queued to
//! go at 09:00 their time (plus their share of the window's first hour) and not sent; the other
//! goes now; the access document says when the waiting one will go.
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp, clicks, post_events, surveys_run_ok};
use chrono::{DateTime, Duration, Timelike, Utc};
use promiseguard::store::{InvitationStatus, InvitationStore};
use serde_json::Value;

/// A fixed-offset zone (`Etc/GMT…`) in which it is now `hour` o'clock, and that offset.
fn zone_at(hour: i64) -> (String, i64) {
    let now = Utc::now().hour() as i64;
    let offset = (hour - now).rem_euclid(24);
    let offset = if offset > 12 { offset - 24 } else { offset };
    // The Etc zones' signs are POSIX's: Etc/GMT-3 is three hours ahead of UTC.
    let name = match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    (name, offset)
}

#[tokio::test]
async fn a_survey_due_at_night_waits_for_nine_in_the_recipients_zone() {
    let (night, night_offset) = zone_at(3);
    let (day, _) = zone_at(12);
    let sink = SmtpSink::start().await;
    // The branch of the checked campaign is in the night zone; anyone else is in the day zone.
    let app = app_with_smtp(
        &sink,
        &format!(
            "[surveys]\nsend_window = \"09:00-20:00\"\ndefault_timezone = \"{day}\"\n\
             [sources.locations]\nkind = \"static\"\npath = \"fixtures/locations.json\"\n\
             [sources.locations.timezones]\nloc-101 = \"{night}\"\n"
        ),
    )
    .await;
    let body =
        crate::support::app::presend_body(serde_json::json!([crate::support::app::live_offer(
            "o",
            &["loc-101"]
        )]));
    assert_eq!(app.presend(&body).await.status(), 200);
    post_events(
        &app,
        "/v1/events",
        &clicks("c-test", &["night@example.com"], 100),
    )
    .await;
    post_events(
        &app,
        "/v1/events",
        &clicks("events-only", &["day@example.com"], 100),
    )
    .await;

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("2 invitations queued; 1 sent"),
        "{summary}"
    );
    let to = sink.delivered_to();
    assert_eq!(to, vec!["day@example.com"], "the day zone's goes now");

    let waiting = &app.store.invitations("c-test").await.unwrap()[0];
    assert_eq!(waiting.status, InvitationStatus::Queued);
    // When it will go: 09:00 in the night zone, within the first hour.
    let (status, person) =
        crate::support::analysts::get(&app, "/v1/recipients/night@example.com", None).await;
    assert_eq!(status, 200, "{person}");
    let send_after: DateTime<Utc> = person["invitations"][0]["send_after"]
        .as_str()
        .unwrap_or_else(|| panic!("{person}"))
        .parse()
        .unwrap();
    let local = send_after + Duration::hours(night_offset);
    assert_eq!(local.hour(), 9, "{send_after} is {local} in {night}");
    assert!(send_after > Utc::now() + Duration::hours(5), "{send_after}");
    let (_, other) =
        crate::support::analysts::get(&app, "/v1/recipients/day@example.com", None).await;
    assert_eq!(
        other["invitations"][0]["send_after"],
        Value::Null,
        "sent: nothing waits"
    );

    // A later run does not send it early.
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("0 sent"), "{summary}");
    assert_eq!(sink.delivered().len(), 1);
}

/// A reminder whose recipient is at night waits too: it is not sent, and not claimed again
/// before 09:00 their time.
#[tokio::test]
async fn a_reminder_due_at_night_waits_for_the_window() {
    let (night, night_offset) = zone_at(3);
    let (day, _) = zone_at(12);
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(
        &sink,
        &format!(
            "[surveys]\nsend_window = \"09:00-20:00\"\ndefault_timezone = \"{day}\"\nreminder_after_days = 3\n"
        ),
    )
    .await;
    post_events(
        &app,
        "/v1/events",
        &clicks("c-r", &["owl@example.com"], 100),
    )
    .await;
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("1 sent"), "{summary}");
    // Three days on, and the recipient (as their branch later told us) is where it is night.
    let promiseguard::store::Db::Sqlite(pool) = app.store.db() else {
        panic!("the API tests run on SQLite");
    };
    sqlx::query("UPDATE invitations SET sent_at = sent_at - $1, zone = $2")
        .bind(3 * 86_400_000i64)
        .bind(&night)
        .execute(pool)
        .await
        .unwrap();
    let summary = surveys_run_ok(&app).await;
    assert!(summary.contains("reminders: 0 sent"), "{summary}");
    assert_eq!(sink.count_to("owl@example.com"), 1, "no reminder at night");
    let (not_before,): (Option<i64>,) =
        sqlx::query_as("SELECT reminder_not_before FROM invitations")
            .fetch_one(pool)
            .await
            .unwrap();
    let not_before = DateTime::from_timestamp_millis(not_before.expect("deferred")).unwrap();
    assert_eq!(
        (not_before + Duration::hours(night_offset)).hour(),
        9,
        "{not_before}"
    );
    // And it stays waiting on the next run.
    surveys_run_ok(&app).await;
    assert_eq!(sink.count_to("owl@example.com"), 1);
}
