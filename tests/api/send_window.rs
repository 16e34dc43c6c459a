//! The survey's send window over real SMTP, whatever the hour the test runs at: zones are chosen
//! so that it is 03:xx for one recipient and midday for another. The one at night is queued to
//! go at 09:00 their time (plus their share of the window's first hour) and not sent; the other
//! goes now; the access document says when the waiting one will go.
use crate::support::app::{TestApp, live_offer, presend_body};
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

/// An app with the 09:00–20:00 window (and `surveys` keys), whose campaign `c-test` was checked
/// with its one branch, loc-101, in `branch_zone`.
async fn app_checked_at(sink: &SmtpSink, branch_zone: &str, surveys: &str) -> TestApp {
    let app = app_with_smtp(
        sink,
        &format!(
            "[surveys]\nsend_window = \"09:00-20:00\"\n{surveys}\n\
             [sources.locations]\nkind = \"static\"\npath = \"fixtures/locations.json\"\n\
             [sources.locations.timezones]\nloc-101 = \"{branch_zone}\"\n"
        ),
    )
    .await;
    let body = presend_body(serde_json::json!([live_offer("o", &["loc-101"])]));
    assert_eq!(app.presend(&body).await.status(), 200);
    app
}

#[tokio::test]
async fn a_survey_due_at_night_waits_for_nine_in_the_recipients_zone() {
    let (night, night_offset) = zone_at(3);
    let (day, _) = zone_at(12);
    let sink = SmtpSink::start().await;
    // The branch of the checked campaign is in the night zone; anyone else is in the day zone.
    let app = app_checked_at(&sink, &night, &format!("default_timezone = \"{day}\"")).await;
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

/// The recipient's own zone, where an event gives one, comes before their branch's: a Braze
/// Currents click whose `user.timezone` is where it is night, and one of our JSON with
/// `timezone`, both wait — though the campaign's branch is where it is midday; a click that
/// names no zone goes by the branch and is sent.
#[tokio::test]
async fn the_zone_an_event_gives_comes_before_the_branchs() {
    let (night, night_offset) = zone_at(3);
    let (day, _) = zone_at(12);
    let sink = SmtpSink::start().await;
    let app = app_checked_at(&sink, &day, "").await;
    let clicked = (Utc::now() - Duration::hours(100)).timestamp();
    let braze = serde_json::json!({"events": [{
        "event_type": "users.messages.email.Click", "id": "braze-night", "time": clicked,
        "user": {"user_id": "0123456789abcdef01234567", "timezone": night},
        "properties": {"campaign_api_id": "c-test", "email_address": "owl@example.com",
                       "url": "https://rentals.example.com/branches"}}]});
    let res = app
        .client
        .post(format!("{}/v1/events/braze", app.address))
        .json(&braze)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut ours = clicks("c-test", &["lark@example.com", "noon@example.com"], 100);
    ours[0]["timezone"] = serde_json::json!(night);
    let (status, answer) = post_events(&app, "/v1/events", &ours).await;
    assert_eq!(status, 200, "{answer}");
    // Not a zone: refused at its pointer, as any bad field.
    let mut bad = clicks("c-test", &["x@example.com"], 100);
    bad[0]["timezone"] = serde_json::json!("Mars/Olympus");
    let (status, problem) = post_events(&app, "/v1/events", &bad).await;
    assert_eq!(
        (status, problem["errors"][0]["pointer"].as_str()),
        (422, Some("/0/timezone")),
        "{problem}"
    );

    let summary = surveys_run_ok(&app).await;
    assert!(
        summary.contains("3 invitations queued; 1 sent"),
        "{summary}"
    );
    assert_eq!(sink.delivered_to(), vec!["noon@example.com"]);
    for person in ["owl@example.com", "lark@example.com"] {
        let (_, data) =
            crate::support::analysts::get(&app, &format!("/v1/recipients/{person}"), None).await;
        assert_eq!(data["events"][0]["zone"], night.as_str(), "{data}");
        let send_after: DateTime<Utc> = data["invitations"][0]["send_after"]
            .as_str()
            .unwrap_or_else(|| panic!("{data}"))
            .parse()
            .unwrap();
        let local = send_after + Duration::hours(night_offset);
        assert_eq!(
            local.hour(),
            9,
            "{person}: {send_after} is {local} in {night}"
        );
    }
}
