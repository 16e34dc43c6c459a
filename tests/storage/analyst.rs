//! Storage tests for the analysts' side: reviews, the campaign list, alerts, and survey answers
//! split by broken and kept promises — written once, run on both backends.
use crate::checks::{Draft, at, finding};
use promiseguard::domain::{Phase, Severity, Verdict};
use promiseguard::store::{
    AlertChannel, AlertStatus, AlertTarget, CampaignFilter, ReviewAction, ReviewFilter,
    ReviewState, SendOutcome, SqlStore, Store,
};

pub async fn reviews_are_kept_and_carry_over_until_resolved(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let first =
        Draft::new("r1", 0, "2026-11-23T10:00:00Z").with_findings(vec![finding(0), finding(1)]);
    store.record_check(&first.check(), None).await.unwrap();
    let (closed, low) = (&first.findings[0], &first.findings[1]);
    let stored = store.findings(&first.id).await.unwrap();
    assert!(stored.iter().all(|f| f.review_state == ReviewState::Open));

    let ack = store
        .review_finding(&closed.id, ReviewAction::Acknowledge, None, "dana", now)
        .await
        .unwrap()
        .expect("the finding exists");
    assert_eq!(
        (ack.campaign_id.as_str(), ack.reviewer.as_str()),
        ("r1", "dana")
    );
    store
        .review_finding(
            &low.id,
            ReviewAction::Override,
            Some("two SUVs are enough for this audience"),
            "eli",
            at("2026-11-23T12:01:00Z"),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .review_finding("no-such-finding", ReviewAction::Resolve, None, "dana", now)
            .await
            .unwrap()
            .is_none()
    );
    let record = store.finding(&closed.id).await.unwrap().unwrap();
    assert_eq!(record.stored.review_state, ReviewState::Acknowledged);
    assert_eq!(
        (record.campaign_id.as_str(), record.check_id.as_str()),
        ("r1", first.id.as_str())
    );

    // Every review is kept, newest first, with the fingerprint of its finding.
    let reviews = store.reviews("r1").await.unwrap();
    assert_eq!(reviews.len(), 2);
    assert_eq!(reviews[0].1.action, ReviewAction::Override);
    assert_eq!(
        reviews[0].1.note.as_deref(),
        Some("two SUVs are enough for this audience")
    );
    assert_eq!(reviews[0].0, low.fingerprint());
    assert_eq!(reviews[1].1.reviewer, "dana");
    assert_eq!(reviews[1].1.created_at, now);

    // The next check finds both again: the reviews still stand, nothing is new.
    let second =
        Draft::new("r1", 0, "2026-11-23T12:15:00Z").with_findings(vec![finding(0), finding(1)]);
    store.record_check(&second.check(), None).await.unwrap();
    let states: Vec<(ReviewState, bool)> = store
        .findings(&second.id)
        .await
        .unwrap()
        .iter()
        .map(|f| (f.review_state, f.is_new))
        .collect();
    assert_eq!(
        states,
        [
            (ReviewState::Acknowledged, false),
            (ReviewState::Overridden, false)
        ]
    );

    // Resolved, then found again: open and new.
    store
        .review_finding(
            &second.findings[0].id,
            ReviewAction::Resolve,
            Some("branch reopened"),
            "dana",
            at("2026-11-23T12:20:00Z"),
        )
        .await
        .unwrap()
        .unwrap();
    let third =
        Draft::new("r1", 0, "2026-11-23T12:30:00Z").with_findings(vec![finding(0), finding(1)]);
    store.record_check(&third.check(), None).await.unwrap();
    let states: Vec<(ReviewState, bool)> = store
        .findings(&third.id)
        .await
        .unwrap()
        .iter()
        .map(|f| (f.review_state, f.is_new))
        .collect();
    assert_eq!(
        states,
        [(ReviewState::Open, true), (ReviewState::Overridden, false)]
    );

    // Reviewing an older check's finding also moves the same finding in the latest check.
    store
        .review_finding(&closed.id, ReviewAction::Acknowledge, None, "eli", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.findings(&third.id).await.unwrap()[0].review_state,
        ReviewState::Acknowledged
    );
    assert_eq!(store.reviews("r1").await.unwrap().len(), 4);
}

pub async fn an_override_without_a_note_is_refused_by_the_schema(store: SqlStore) {
    let draft = Draft::new("r2", 1, "2026-11-23T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    let refused = store
        .review_finding(
            &draft.findings[0].id,
            ReviewAction::Override,
            None,
            "dana",
            at("2026-11-23T11:00:00Z"),
        )
        .await;
    assert!(
        refused.is_err(),
        "the CHECK constraint holds on both backends"
    );
    assert!(store.reviews("r2").await.unwrap().is_empty());
    assert_eq!(
        store.findings(&draft.id).await.unwrap()[0].review_state,
        ReviewState::Open,
        "nothing of the refused review is kept"
    );
}

fn ids(rows: &[promiseguard::store::CampaignSummary]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

pub async fn the_campaign_list_filters_and_pages_newest_first(store: SqlStore) {
    // l1 oldest … l5 newest.
    let mut l1 = Draft::new("l1", 2, "2026-11-20T10:00:00Z"); // block, open findings
    l1.campaign.offers[0].valid_from = at("2026-10-01T00:00:00Z");
    l1.campaign.offers[0].valid_until = at("2026-10-08T00:00:00Z");
    let l2 = Draft::new("l2", 0, "2026-11-20T11:00:00Z"); // pass
    let l3 = Draft::new("l3", 0, "2026-11-20T12:00:00Z").with_findings(vec![finding(1)]); // flag
    let mut l4 = Draft::new("l4", 1, "2026-11-20T13:00:00Z"); // block, reviewed below
    l4.phase = Phase::Live;
    let l5 = Draft::new("l5", 1, "2026-11-20T14:00:00Z"); // block
    for d in [&l1, &l2, &l3, &l4, &l5] {
        store.record_check(&d.check(), None).await.unwrap();
    }
    store
        .review_finding(
            &l4.findings[0].id,
            ReviewAction::Acknowledge,
            None,
            "dana",
            at("2026-11-21T00:00:00Z"),
        )
        .await
        .unwrap()
        .unwrap();

    let all = |f: CampaignFilter| CampaignFilter { limit: 50, ..f };
    let rows = store
        .list_campaigns(&all(CampaignFilter::default()))
        .await
        .unwrap();
    assert_eq!(ids(&rows), ["l5", "l4", "l3", "l2", "l1"]);
    assert_eq!((rows[4].findings, rows[4].open_findings), (2, 2));
    assert_eq!(rows[1].latest_phase, Some(Phase::Live));
    assert_eq!(rows[2].latest_verdict, Some(Verdict::Flag));
    assert_eq!(rows[0].latest_checked_at, Some(at("2026-11-20T14:00:00Z")));

    let block = store
        .list_campaigns(&all(CampaignFilter {
            verdict: Some(Verdict::Block),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(ids(&block), ["l5", "l4", "l1"]);
    let open = store
        .list_campaigns(&all(CampaignFilter {
            verdict: Some(Verdict::Block),
            review: Some(ReviewFilter::Open),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(ids(&open), ["l5", "l1"]);
    let reviewed = store
        .list_campaigns(&all(CampaignFilter {
            review: Some(ReviewFilter::Reviewed),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(
        ids(&reviewed),
        ["l4"],
        "a campaign with no findings is neither"
    );
    let live = store
        .list_campaigns(&all(CampaignFilter {
            phase: Some(Phase::Live),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(ids(&live), ["l4"]);
    // Offer windows overlapping October: only l1.
    let october = store
        .list_campaigns(&all(CampaignFilter {
            from: Some(at("2026-10-01T00:00:00Z")),
            to: Some(at("2026-11-01T00:00:00Z")),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(ids(&october), ["l1"]);

    // Pages of two, each starting after the last row of the one before.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_campaigns(&CampaignFilter {
                limit: 2,
                after: after.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| (r.created_at, r.id.clone()));
        seen.extend(page.into_iter().map(|r| r.id));
    }
    assert_eq!(seen, ["l5", "l4", "l3", "l2", "l1"]);
}

pub async fn alerts_are_queued_once_per_new_block_finding_and_claimed_once(store: SqlStore) {
    let now = at("2026-11-25T10:00:00Z");
    let targets = [
        AlertTarget {
            channel: AlertChannel::Email,
            target: "cx@example.com".into(),
        },
        AlertTarget {
            channel: AlertChannel::Webhook,
            target: "http://hooks.example.com/pg".into(),
        },
    ];
    // One block and one flag finding: alerts for the block one only, one per target.
    let mut first = Draft::new("a1", 2, "2026-11-25T09:00:00Z");
    first.phase = Phase::Live;
    let mut check = first.check();
    check.alert_to = &targets;
    store.record_check(&check, None).await.unwrap();
    let alerts = store.alerts("a1").await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().all(|a| a.finding_id == first.findings[0].id));
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
    store.queue_invitations(&pairs, now).await.unwrap();
    let answer = |campaign: &'static str, recipient: &'static str, score: u8| {
        let store = store.clone();
        async move {
            let rows = store.invitations(campaign).await.unwrap();
            let id = &rows.iter().find(|r| r.recipient == recipient).unwrap().id;
            assert!(store.record_answer(id, score, None, now).await.unwrap());
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
