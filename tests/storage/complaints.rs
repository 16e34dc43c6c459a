//! The complaint guard's records: a complaint counts once, only against a survey emailed to the
//! address that complained; one pause is open at a time however many instances try, its alert
//! queued with it; a resume keeps who and why.
use crate::fixtures::{at, event};
use crate::support::store::{claim_one, finish_one};
use chrono::Duration;
use promiseguard::domain::SendOutcome;
use promiseguard::domain::complaint::ComplaintFigures;
use promiseguard::domain::{AlertChannel, AlertTarget};
use promiseguard::store::{
    AlertAbout, AlertStore, ComplaintStore, EngagementStore, InvitationStore, NewComplaint,
    NewInvitation, NewPause, SqlStore,
};

fn complaint(event: &str, recipient: &str, marker: Option<&str>, at_: &str) -> NewComplaint {
    NewComplaint {
        event_id: event.into(),
        source: "sendgrid".into(),
        recipient: recipient.into(),
        invitation_id: marker.map(str::to_owned),
        occurred_at: at(at_),
    }
}

/// `address` clicked `campaign` and was emailed its survey at `now`: the invitation.
async fn surveyed(
    store: &SqlStore,
    campaign: &str,
    address: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> promiseguard::store::ClaimedInvitation {
    let click = event(
        &format!("c:{campaign}"),
        "click",
        Some(campaign),
        address,
        "2026-11-20T10:00:00Z",
    );
    store.record_events(&[click], "test", now).await.unwrap();
    let pairs = [(campaign.to_owned(), address.to_owned())];
    store
        .queue_invitations(&NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    let sent = claim_one(store, "run", now).await.unwrap();
    finish_one(store, &sent.id, SendOutcome::Sent, now).await;
    sent
}

pub async fn a_complaint_counts_once_and_only_against_a_survey_to_its_address(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let sent = surveyed(&store, "spring", "a@example.com", now).await;
    let week = Duration::days(7);

    let counted = store
        .record_complaints(
            &[
                complaint(
                    "e1",
                    "a@example.com",
                    Some(&sent.id),
                    "2026-11-24T08:00:00Z",
                ),
                // The same event again, a marker naming another address's invitation, an
                // address never surveyed: none counts.
                complaint(
                    "e1",
                    "a@example.com",
                    Some(&sent.id),
                    "2026-11-24T08:00:00Z",
                ),
                complaint(
                    "e2",
                    "b@example.com",
                    Some(&sent.id),
                    "2026-11-24T08:00:00Z",
                ),
                complaint("e3", "b@example.com", None, "2026-11-24T08:00:00Z"),
                // Unmarked, from the surveyed address within the week: counts.
                complaint("e4", "a@example.com", None, "2026-11-25T08:00:00Z"),
                // Unmarked, a month after the survey: about something else.
                complaint("e5", "a@example.com", None, "2026-12-23T08:00:00Z"),
            ],
            week,
            now,
        )
        .await
        .unwrap();
    assert_eq!(counted, 2);
    assert_eq!(
        store
            .complaints_since(at("2026-11-24T00:00:00Z"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .complaints_since(at("2026-11-25T00:00:00Z"))
            .await
            .unwrap(),
        1
    );
}

pub async fn one_pause_is_open_at_a_time_with_its_alert_and_a_resume_keeps_who_and_why(
    store: SqlStore,
) {
    let now = at("2026-11-23T12:00:00Z");
    let pause = NewPause {
        reason: "2 spam complaints on 250 survey emails".into(),
        figures: ComplaintFigures {
            sent: 250,
            complaints: 2,
        },
    };
    let to = [AlertTarget {
        channel: AlertChannel::Email,
        target: "cx@example.com".into(),
    }];
    // Two instances judge at once: one pause opens, alerted once.
    let (a, b) = futures::join!(
        store.pause_surveys(&pause, &to, now),
        store.pause_surveys(&pause, &to, now)
    );
    let opened: Vec<String> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(opened.len(), 1, "{opened:?}");
    let state = store.survey_pause().await.unwrap();
    let open = state.open.unwrap();
    assert_eq!(
        (open.id.as_str(), open.figures.sent),
        (opened[0].as_str(), 250)
    );
    assert!(state.last_resumed.is_none());
    let alert = store.claim_alert("run", now).await.unwrap().unwrap();
    assert_eq!(alert.about, AlertAbout::Pause(opened[0].clone()));
    assert_eq!(alert.campaign_id, None);
    assert!(store.claim_alert("run", now).await.unwrap().is_none());

    let later = now + Duration::hours(1);
    let resumed = store
        .resume_surveys("dana", "pruned the stale list", later)
        .await
        .unwrap()
        .unwrap();
    let resume = resumed.resumed.unwrap();
    assert_eq!(
        (resume.by.as_str(), resume.note.as_str(), resume.at),
        ("dana", "pruned the stale list", later)
    );
    assert!(
        store
            .resume_surveys("dana", "again", later)
            .await
            .unwrap()
            .is_none()
    );
    let state = store.survey_pause().await.unwrap();
    assert!(state.open.is_none());
    assert_eq!(state.last_resumed.unwrap().id, opened[0]);
    assert!(
        store
            .survey_pause_by_id(&opened[0])
            .await
            .unwrap()
            .is_some()
    );
    // Paused again later: a new pause.
    let again = store.pause_surveys(&pause, &[], later).await.unwrap();
    assert!(again.is_some_and(|id| id != opened[0]));
}

/// Complaints go with the events they came from: past `[retention] events_days` (long past
/// the guard's window) the retention job deletes them.
pub async fn old_complaints_are_deleted_with_old_events(store: SqlStore) {
    use promiseguard::config::RetentionConfig;
    use promiseguard::services::retention::Retention;
    let now = at("2026-11-23T12:00:00Z");
    let sent = surveyed(&store, "fall", "b@example.com", now).await;
    let old = complaint(
        "e9",
        "b@example.com",
        Some(&sent.id),
        "2026-11-24T08:00:00Z",
    );
    let counted = store
        .record_complaints(&[old], Duration::days(7), now)
        .await
        .unwrap();
    assert_eq!(counted, 1);
    let retention = Retention::new(
        std::sync::Arc::new(store.clone()),
        RetentionConfig {
            events_days: 30,
            ..RetentionConfig::default()
        },
        0,
    );
    let cancel = tokio_util::sync::CancellationToken::new();
    // Within 30 days: kept.
    let report = retention
        .run(at("2026-12-10T00:00:00Z"), &cancel)
        .await
        .unwrap();
    assert_eq!(report.complaints, 0);
    assert_eq!(
        store
            .complaints_since(at("2026-11-01T00:00:00Z"))
            .await
            .unwrap(),
        1
    );
    let report = retention
        .run(at("2027-01-10T00:00:00Z"), &cancel)
        .await
        .unwrap();
    assert_eq!(report.complaints, 1);
    assert_eq!(
        store
            .complaints_since(at("2026-11-01T00:00:00Z"))
            .await
            .unwrap(),
        0
    );
}
