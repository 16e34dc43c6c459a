//! The retention job on both backends: what `[retention]` no longer keeps is gone — old events
//! deleted, old invitations without their address and comment, old checks without their
//! evidence — while every campaign's NPS, reasons and broken-vs-kept split stay as they were,
//! and what is recent is untouched. Small batches, so the pages are walked many times.
use crate::erasure::holding;
use crate::fixtures::{Draft, at, event, finding};
use promiseguard::config::RetentionConfig;
use promiseguard::domain::nps::{Reason, SurveyAnswer};
use promiseguard::services::retention::{Retention, RetentionReport};
use promiseguard::store::{
    AnswerStore, ChangeStore, CheckStore, EngagementStore, FindingStore, InvitationStore,
    NewInvitation, NewPush, NewQuarantined, PushRecorded, QuarantineStore, RecipientStore,
    SqlStore,
};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub async fn retention_removes_what_is_old_and_keeps_every_aggregate(store: SqlStore) {
    let now = at("2026-12-02T03:30:00Z");
    let long_ago = "2024-01-10T10:00:00Z"; // more than 800 days before `now`
    let lately = "2026-11-20T10:00:00Z";
    let old_check = Draft::new("old", 0, long_ago).with_findings(vec![finding(2)]);
    store.record_check(&old_check.check(), None).await.unwrap();
    let new_check = Draft::new("new", 0, lately).with_findings(vec![finding(2)]);
    store.record_check(&new_check.check(), None).await.unwrap();

    // Five old clicks, one recent; old invitations answered with comments, one recent.
    let mut events: Vec<_> = (0..5)
        .map(|i| {
            event(
                &format!("old-{i}"),
                "click",
                Some("old"),
                &format!("old{i}@example.com"),
                long_ago,
            )
        })
        .collect();
    events.push(event(
        "new-0",
        "click",
        Some("new"),
        "new0@example.com",
        lately,
    ));
    store.record_events(&events, "test", now).await.unwrap();
    let old_pairs: Vec<(String, String)> = (0..5)
        .map(|i| ("old".to_owned(), format!("old{i}@example.com")))
        .collect();
    store
        .queue_invitations(&NewInvitation::from_pairs(&old_pairs), at(long_ago))
        .await
        .unwrap();
    store
        .queue_invitations(
            &NewInvitation::from_pairs(&[("new".to_owned(), "new0@example.com".to_owned())]),
            at(lately),
        )
        .await
        .unwrap();
    for (campaign, when) in [("old", long_ago), ("new", lately)] {
        for (i, inv) in store
            .invitations(campaign)
            .await
            .unwrap()
            .iter()
            .enumerate()
        {
            let reason = (i % 2 == 0).then_some(Reason::LocationClosed);
            store
                .record_answer(
                    &inv.id,
                    SurveyAnswer {
                        score: (i * 2) as u8,
                        comment: Some("a comment"),
                        reason,
                    },
                    at(when),
                )
                .await
                .unwrap();
        }
    }
    let before = (
        store.nps("old").await.unwrap().summary,
        store.nps("new").await.unwrap().summary,
        store.promise_answers(None).await.unwrap(),
    );

    // A quarantined event from long ago, and one from lately.
    for (when, who) in [(long_ago, "old0@example.com"), (lately, "new0@example.com")] {
        let entry = NewQuarantined {
            endpoint: "/v1/events/sendgrid".into(),
            payload: format!(r#"{{"email":"{who}","event":"click"}}"#),
            reason: "/0/sg_event_id: missing field".into(),
            pointer: "/0/sg_event_id".into(),
            credential: "test".into(),
        };
        store.quarantine(&[entry], at(when)).await.unwrap();
    }
    // A pushed change's delivery from long ago (its id forgotten), and one from lately (kept:
    // a redelivery of it is still a duplicate).
    for (when, id) in [(long_ago, "push-old"), (lately, "push-new")] {
        store.record_push(&delivery(id), at(when)).await.unwrap();
    }
    let retention = Retention::new(
        Arc::new(store.clone()),
        RetentionConfig {
            batch: 2,
            ..RetentionConfig::default()
        },
        30,
    );
    let report = retention.run(now, &CancellationToken::new()).await.unwrap();
    assert_eq!(
        report,
        RetentionReport {
            events: 5,
            clickers: 0,
            invitations: 5,
            // Anonymising an invitation takes its comment with it.
            comments: 0,
            evidence: 1,
            quarantined: 1,
            complaints: 0,
            pushes: 1,
        }
    );
    assert_eq!(
        store.record_push(&delivery("push-new"), now).await.unwrap(),
        PushRecorded::Duplicate
    );
    assert_eq!(
        store.record_push(&delivery("push-old"), now).await.unwrap(),
        PushRecorded::Applied,
        "forgotten"
    );
    assert_eq!(
        store.quarantined(10, 0).await.unwrap().len(),
        1,
        "the recent one stays"
    );

    // Old personal data is nowhere; recent data is all there.
    for i in 0..5 {
        let who = format!("old{i}@example.com");
        assert_eq!(holding(&store, &who).await, Vec::<String>::new(), "{who}");
    }
    let recent = store.recipient_data("new0@example.com").await.unwrap();
    assert_eq!((recent.events.len(), recent.invitations.len()), (1, 1));
    assert_eq!(recent.invitations[0].comment.as_deref(), Some("a comment"));
    // Every aggregate as it was (comments aside).
    let after = (
        store.nps("old").await.unwrap().summary,
        store.nps("new").await.unwrap().summary,
        store.promise_answers(None).await.unwrap(),
    );
    assert_eq!(after, before);
    assert!(store.nps("old").await.unwrap().comments.is_empty());
    // The old check keeps its findings, without their evidence; the recent one keeps all.
    let evidence = |check: &str| {
        let store = store.clone();
        let check = check.to_owned();
        async move {
            store.findings(&check).await.unwrap()[0]
                .finding
                .evidence
                .clone()
        }
    };
    assert!(evidence(&old_check.id).await.is_null());
    assert!(!evidence(&new_check.id).await.is_null());
    let old_result = &store.checks("old").await.unwrap()[0].result;
    assert!(
        !old_result.contains("\"source\":\"static\""),
        "{old_result}"
    );

    // A second run finds nothing more.
    let again = retention.run(now, &CancellationToken::new()).await.unwrap();
    assert_eq!(again, RetentionReport::default());
    // Keeping forever (`0`) keeps.
    let forever = Retention::new(
        Arc::new(store.clone()),
        RetentionConfig {
            events_days: 0,
            invitations_days: 0,
            comments_days: 0,
            evidence_days: 0,
            batch: 2,
        },
        0,
    );
    let far = at("2030-01-01T00:00:00Z");
    assert_eq!(
        forever.run(far, &CancellationToken::new()).await.unwrap(),
        RetentionReport::default()
    );
}

/// A delivery of a pushed change that changes nothing, as its id only.
fn delivery(id: &str) -> NewPush<'_> {
    NewPush {
        delivery: id,
        topic: "inventory_levels/update",
        subject: id,
        also_after: &[],
        updated_at: None,
        keys: &[],
    }
}
