//! Alerts: queued once per new block finding and destination, claimed once.
use crate::fixtures::{Draft, at};
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::domain::{AlertChannel, AlertTarget, Phase, SendOutcome, Severity};
use promiseguard::store::{AlertAbout, AlertStatus, AlertStore, CheckStore, SqlStore};

/// An email and a webhook destination.
fn destinations() -> [AlertTarget; 2] {
    [
        AlertTarget {
            channel: AlertChannel::Email,
            target: "cx@example.com".into(),
        },
        AlertTarget {
            channel: AlertChannel::Webhook,
            target: "http://hooks.example.com/pg".into(),
        },
    ]
}

pub async fn alerts_are_queued_once_per_new_block_finding_and_claimed_once(store: SqlStore) {
    let now = at("2026-11-25T10:00:00Z");
    let targets = destinations();
    // One block and one flag finding: alerts for the block one only, one per target.
    let mut first = Draft::new("a1", 2, "2026-11-25T09:00:00Z");
    first.phase = Phase::Live;
    let mut check = first.check();
    check.alert_to = &targets;
    store.record_check(&check, None).await.unwrap();
    let alerts = store.alerts("a1").await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts
            .iter()
            .all(|a| a.about == AlertAbout::Finding(first.findings[0].id.clone()))
    );
    assert_eq!(first.findings[0].severity, Severity::Block);

    // The same findings again are not new: no more alerts.
    let mut second = Draft::new("a1", 2, "2026-11-25T09:15:00Z");
    second.phase = Phase::Live;
    let mut check = second.check();
    check.alert_to = &targets;
    store.record_check(&check, None).await.unwrap();
    assert_eq!(store.alerts("a1").await.unwrap().len(), 2);

    // Claimed one at a time; each once.
    let a = store.claim_alert("run-1", now).await.unwrap().unwrap();
    let b = store.claim_alert("run-1", now).await.unwrap().unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!((a.attempts, b.attempts), (1, 1));
    assert!(store.claim_alert("run-1", now).await.unwrap().is_none());
    let (email, webhook) = if a.channel == AlertChannel::Email {
        (a, b)
    } else {
        (b, a)
    };
    // run-1 dies holding both. run-2 queues the webhook again (same id, so the receiver can
    // drop a duplicate) and marks the email unknown (it may have gone out).
    assert_eq!(store.abandon_unfinished_alerts("run-2").await.unwrap(), 2);
    let again = store.claim_alert("run-2", now).await.unwrap().unwrap();
    assert_eq!(
        (again.id.as_str(), again.attempts),
        (webhook.id.as_str(), 2)
    );
    assert!(store.claim_alert("run-2", now).await.unwrap().is_none());
    let later = at("2026-11-25T10:05:00Z");
    store
        .finish_alert(
            &again.id,
            &SendOutcome::Retry {
                at: later,
                error: "503".into(),
            },
            now,
        )
        .await
        .unwrap();
    assert!(store.claim_alert("run-2", now).await.unwrap().is_none());
    let retry = store.claim_alert("run-2", later).await.unwrap().unwrap();
    store
        .finish_alert(&retry.id, &SendOutcome::Sent, later)
        .await
        .unwrap();
    let rows = store.alerts("a1").await.unwrap();
    let status = |id: &str| rows.iter().find(|r| r.id == id).unwrap().status;
    assert_eq!(status(&email.id), AlertStatus::Unknown);
    assert_eq!(status(&webhook.id), AlertStatus::Sent);
}

pub async fn a_detractor_of_a_broken_promise_is_alerted_once_per_destination(store: SqlStore) {
    use promiseguard::store::{AnswerStore, InvitationStore};
    let now = at("2026-11-25T10:00:00Z");
    let targets = destinations();
    let broken = Draft::new("broken", 0, "2026-11-24T10:00:00Z")
        .with_findings(vec![crate::fixtures::finding(1)]);
    store.record_check(&broken.check(), None).await.unwrap();
    let kept = Draft::new("kept", 0, "2026-11-24T10:00:00Z");
    store.record_check(&kept.check(), None).await.unwrap();
    let pairs: Vec<(String, String)> = [
        ("broken", "a@x.com"),
        ("broken", "b@x.com"),
        ("kept", "c@x.com"),
    ]
    .iter()
    .map(|(c, r)| (c.to_string(), r.to_string()))
    .collect();
    store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    let id = |campaign: &'static str, recipient: &'static str| {
        let store = store.clone();
        async move {
            let rows = store.invitations(campaign).await.unwrap();
            rows.into_iter()
                .find(|r| r.recipient == recipient)
                .unwrap()
                .id
        }
    };
    let (a, b, c) = (
        id("broken", "a@x.com").await,
        id("broken", "b@x.com").await,
        id("kept", "c@x.com").await,
    );
    for (inv, score) in [(&a, 2), (&b, 9), (&c, 0)] {
        store
            .record_answer(
                inv,
                SurveyAnswer {
                    score,
                    comment: None,
                    reason: None,
                },
                now,
            )
            .await
            .unwrap();
    }
    // The detractor of the broken campaign: one per destination, and never again.
    assert_eq!(
        store
            .queue_detractor_alerts(&a, &targets, now)
            .await
            .unwrap(),
        2
    );
    store
        .record_answer(
            &a,
            SurveyAnswer {
                score: 1,
                comment: None,
                reason: None,
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .queue_detractor_alerts(&a, &targets, now)
            .await
            .unwrap(),
        0
    );
    // A promoter of the broken campaign, a detractor of the kept one: nothing.
    assert_eq!(
        store
            .queue_detractor_alerts(&b, &targets, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .queue_detractor_alerts(&c, &targets, now)
            .await
            .unwrap(),
        0
    );
    let alerts = store.alerts("broken").await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(
        alerts
            .iter()
            .all(|x| x.about == AlertAbout::Answer(a.clone()))
    );
    assert!(store.alerts("kept").await.unwrap().is_empty());
    // Claimed like any alert, and said to be about the answer.
    let claimed = store.claim_alert("run-1", now).await.unwrap().unwrap();
    assert_eq!(claimed.about, AlertAbout::Answer(a.clone()));
}
