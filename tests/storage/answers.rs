//! Survey answers split by whether the campaign broke a promise.
use crate::fixtures::{Draft, at, finding};
use promiseguard::domain::nps::{Reason, SurveyAnswer};
use promiseguard::store::{AnswerStore, CheckStore, InvitationStore, SqlStore};

pub async fn survey_answers_split_by_broken_and_kept_promises(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    // "broken" had a flag finding at send; "kept" had none.
    let broken = Draft::new("broken", 0, "2026-11-20T10:00:00Z").with_findings(vec![finding(1)]);
    let kept = Draft::new("kept", 0, "2026-11-20T10:00:00Z");
    store.record_check(&broken.check(), None).await.unwrap();
    store.record_check(&kept.check(), None).await.unwrap();
    // A later clean check does not un-break a campaign: it broke a promise once.
    let clean = Draft::new("broken", 0, "2026-11-21T10:00:00Z");
    store.record_check(&clean.check(), None).await.unwrap();
    let pairs: Vec<(String, String)> = [
        ("broken", "a@x.com"),
        ("broken", "b@x.com"),
        ("kept", "c@x.com"),
        ("kept", "d@x.com"),
        ("kept", "e@x.com"),
    ]
    .iter()
    .map(|(c, r)| (c.to_string(), r.to_string()))
    .collect();
    store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    let answer = |campaign: &'static str, recipient: &'static str, score: u8| {
        let store = store.clone();
        async move {
            let rows = store.invitations(campaign).await.unwrap();
            let id = &rows.iter().find(|r| r.recipient == recipient).unwrap().id;
            assert!(
                store
                    .record_answer(
                        id,
                        SurveyAnswer {
                            score,
                            comment: None,
                            reason: None
                        },
                        now
                    )
                    .await
                    .unwrap()
            );
        }
    };
    answer("broken", "a@x.com", 2).await;
    answer("broken", "b@x.com", 9).await;
    answer("kept", "c@x.com", 10).await;
    answer("kept", "d@x.com", 10).await;
    // e never answered.

    let all = store.promise_answers(None).await.unwrap();
    assert_eq!(all.len(), 2);
    let broken_row = all.iter().find(|c| c.campaign_id == "broken").unwrap();
    assert!(broken_row.broken);
    assert_eq!(broken_row.distribution[2], 1);
    assert_eq!(broken_row.distribution[9], 1);
    assert_eq!(broken_row.name.as_deref(), Some("Neighborhood rental"));
    let kept_row = all.iter().find(|c| c.campaign_id == "kept").unwrap();
    assert!(!kept_row.broken);
    assert_eq!(kept_row.distribution[10], 2);
    assert_eq!(kept_row.distribution.iter().sum::<u64>(), 2);

    let one = store.promise_answers(Some("kept")).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].campaign_id, "kept");
}

pub async fn reasons_are_kept_with_answers_and_counted_per_campaign_and_side(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let broken = Draft::new("broken", 0, "2026-11-20T10:00:00Z").with_findings(vec![finding(1)]);
    store.record_check(&broken.check(), None).await.unwrap();
    let pairs: Vec<(String, String)> = ["a@x.com", "b@x.com", "c@x.com"]
        .iter()
        .map(|r| ("broken".to_owned(), r.to_string()))
        .collect();
    store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    let rows = store.invitations("broken").await.unwrap();
    let id = |r: &str| rows.iter().find(|i| i.recipient == r).unwrap().id.clone();
    // a first says "did not try", then changes it: the last answer wins, reason included.
    let a = id("a@x.com");
    store
        .record_answer(
            &a,
            SurveyAnswer {
                score: 5,
                comment: None,
                reason: Some(Reason::DidNotTry),
            },
            now,
        )
        .await
        .unwrap();
    store
        .record_answer(
            &a,
            SurveyAnswer {
                score: 3,
                comment: None,
                reason: Some(Reason::LocationClosed),
            },
            now,
        )
        .await
        .unwrap();
    store
        .record_answer(
            &id("b@x.com"),
            SurveyAnswer {
                score: 2,
                comment: None,
                reason: Some(Reason::LocationClosed),
            },
            now,
        )
        .await
        .unwrap();
    // c answers the score only.
    store
        .record_answer(
            &id("c@x.com"),
            SurveyAnswer {
                score: 9,
                comment: None,
                reason: None,
            },
            now,
        )
        .await
        .unwrap();

    let nps = store.nps("broken").await.unwrap();
    assert_eq!(nps.summary.responses, 3);
    assert_eq!(
        nps.summary.reasons,
        [(Reason::LocationClosed, 2)].into_iter().collect()
    );
    let answers = store.promise_answers(Some("broken")).await.unwrap();
    assert_eq!(answers[0].reasons[&Reason::LocationClosed], 2);
    assert_eq!(answers[0].reasons.len(), 1);
    assert_eq!(
        store
            .invitation(&a)
            .await
            .unwrap()
            .unwrap()
            .reason
            .as_deref(),
        Some("location_closed")
    );
}
