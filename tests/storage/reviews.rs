//! Reviews of findings (kept, carried over until resolved, an override needs a note) and the
//! campaign list analysts work from.
use crate::fixtures::{Draft, at, finding};
use promiseguard::domain::review::Decision;
use promiseguard::domain::{Phase, ReviewAction, ReviewState, Verdict};
use promiseguard::store::{
    CampaignFilter, CheckStore, FindingStore, ReviewFilter, ReviewStore, SqlStore,
};

/// Many findings reviewed with one decision: all in one transaction, or — when one id names
/// no finding — none, whichever came before it.
pub async fn bulk_reviews_are_all_or_nothing(store: SqlStore) {
    let check = Draft::new("bulk", 0, "2026-11-23T10:00:00Z").with_findings(vec![
        finding(0),
        finding(1),
        finding(2),
    ]);
    store.record_check(&check.check(), None).await.unwrap();
    let ids: Vec<String> = check.findings.iter().map(|f| f.id.clone()).collect();
    let decision = Decision {
        action: ReviewAction::Acknowledge,
        note: Some("known: the renovation ends on the 30th"),
        reviewer: "dana",
    };
    let now = at("2026-11-23T12:00:00Z");

    let mut with_unknown = ids.clone();
    with_unknown.insert(2, "no-such-finding".into());
    let refused = store
        .review_findings(&with_unknown, decision, now)
        .await
        .unwrap();
    assert_eq!(refused, Err(2), "the index of the id that names nothing");
    assert!(
        store.reviews("bulk").await.unwrap().is_empty(),
        "nothing kept"
    );
    let stored = store.findings(&check.id).await.unwrap();
    assert!(stored.iter().all(|f| f.review_state == ReviewState::Open));

    let reviewed = store
        .review_findings(&ids, decision, now)
        .await
        .unwrap()
        .expect("every id names a finding");
    let order: Vec<&str> = reviewed.iter().map(|r| r.finding_id.as_str()).collect();
    assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(reviewed.iter().all(|r| r.campaign_id == "bulk"
        && r.note.as_deref() == Some("known: the renovation ends on the 30th")
        && r.reviewer == "dana"));
    let stored = store.findings(&check.id).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|f| f.review_state == ReviewState::Acknowledged)
    );
    assert_eq!(store.reviews("bulk").await.unwrap().len(), 3);
}

pub async fn reviews_are_kept_and_carry_over_until_resolved(store: SqlStore) {
    let now = at("2026-11-23T12:00:00Z");
    let first =
        Draft::new("r1", 0, "2026-11-23T10:00:00Z").with_findings(vec![finding(0), finding(1)]);
    store.record_check(&first.check(), None).await.unwrap();
    let (closed, low) = (&first.findings[0], &first.findings[1]);
    let stored = store.findings(&first.id).await.unwrap();
    assert!(stored.iter().all(|f| f.review_state == ReviewState::Open));

    let ack = store
        .review_finding(
            &closed.id,
            Decision {
                action: ReviewAction::Acknowledge,
                note: None,
                reviewer: "dana",
            },
            now,
        )
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
            Decision {
                action: ReviewAction::Override,
                note: Some("two SUVs are enough for this audience"),
                reviewer: "eli",
            },
            at("2026-11-23T12:01:00Z"),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .review_finding(
                "no-such-finding",
                Decision {
                    action: ReviewAction::Resolve,
                    note: None,
                    reviewer: "dana"
                },
                now
            )
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
            Decision {
                action: ReviewAction::Resolve,
                note: Some("branch reopened"),
                reviewer: "dana",
            },
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
        .review_finding(
            &closed.id,
            Decision {
                action: ReviewAction::Acknowledge,
                note: None,
                reviewer: "eli",
            },
            now,
        )
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
            Decision {
                action: ReviewAction::Override,
                note: None,
                reviewer: "dana",
            },
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
            Decision {
                action: ReviewAction::Acknowledge,
                note: None,
                reviewer: "dana",
            },
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
