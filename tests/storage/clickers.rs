//! What clicks are judged against (a campaign's checks, their coverage and findings, and its
//! reviews, around the clicks' times) and the clickers the promise insights count: recorded
//! once, linked to their invitation and answer, and kept without the address after erasure.
use crate::fixtures::{Draft, at, event, finding};
use chrono::{DateTime, Utc};
use promiseguard::domain::ReviewAction;
use promiseguard::domain::attribution::{Decided, PromiseClicks};
use promiseguard::domain::judgement::{Coverage, Judgement, Timeline};
use promiseguard::domain::nps::{Reason, SurveyAnswer};
use promiseguard::domain::review::Decision;
use promiseguard::store::{
    AnswerStore, CheckStore, ClickSpan, ClickStore, ClickerFilter, ClickerStore, EngagementStore,
    ErasureStore, InvitationStore, NewClicker, NewInvitation, PromiseKind, ReviewStore, SqlStore,
};
use std::collections::BTreeMap;

/// What judges the clicks of `campaign` from `from` to `to`, read alone.
async fn read_timeline(
    store: &SqlStore,
    campaign: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Timeline {
    let span = ClickSpan {
        campaign_id: campaign.into(),
        from,
        to,
    };
    let mut timelines = store.timelines(&[span]).await.unwrap();
    assert_eq!(timelines.len(), 1);
    timelines.remove(0)
}

fn covering(locations: &[&str]) -> Coverage {
    Coverage {
        locations: locations.iter().map(|l| l.to_string()).collect(),
        items: Default::default(),
        names: BTreeMap::from([("loc-101".to_owned(), "Downtown".to_owned())]),
        zones: BTreeMap::new(),
    }
}

fn decided(
    campaign: &str,
    location: &str,
    broken: bool,
    converted: bool,
    at_: DateTime<Utc>,
) -> Decided {
    let clicks = PromiseClicks {
        clicks: 2,
        broken_clicks: if broken { 2 } else { 0 },
        first_click_at: at_,
    };
    Decided {
        campaign: campaign.into(),
        first_click_at: at_,
        last_click_at: at_,
        clicks: 2,
        broken_clicks: clicks.broken_clicks,
        kept_clicks: 2 - clicks.broken_clicks,
        judgement: if broken {
            Judgement::Broken
        } else {
            Judgement::Kept
        },
        converted,
        locations: BTreeMap::from([(location.to_owned(), clicks)]),
        items: BTreeMap::new(),
    }
}

pub async fn clicks_are_judged_from_the_checks_around_them_and_clickers_are_counted(
    store: SqlStore,
) {
    // A pass at 09:00, a closed branch found at 10:00 and overridden at 10:30.
    let mut pass = Draft::new("c", 0, "2026-11-24T09:00:00Z");
    pass.covered = Some(covering(&["loc-101", "loc-102"]));
    store.record_check(&pass.check(), None).await.unwrap();
    let mut block = Draft::new("c", 0, "2026-11-24T10:00:00Z").with_findings(vec![finding(0)]);
    block.covered = Some(covering(&["loc-101", "loc-102"]));
    store.record_check(&block.check(), None).await.unwrap();
    let timeline = read_timeline(
        &store,
        "c",
        at("2026-11-24T09:30:00Z"),
        at("2026-11-24T11:00:00Z"),
    )
    .await;
    assert_eq!(
        timeline.checks.len(),
        2,
        "the check before the first click, and the later one"
    );
    assert_eq!(timeline.checks[0].covered, pass.covered);
    assert!(timeline.checks[0].broken.is_empty());
    assert_eq!(
        timeline.checks[1].broken[0].location.as_deref(),
        Some("loc-101")
    );
    let later = read_timeline(
        &store,
        "c",
        at("2026-11-24T10:15:00Z"),
        at("2026-11-24T11:00:00Z"),
    )
    .await;
    assert_eq!(
        later.checks.len(),
        1,
        "only the check that speaks for the clicks"
    );
    // Several campaigns in one read: each span's own, in the spans' order; none for a
    // campaign never checked.
    let other = Draft::new("d", 0, "2026-11-24T08:00:00Z").with_findings(vec![finding(0)]);
    store.record_check(&other.check(), None).await.unwrap();
    let span = |campaign: &str, from: &str| ClickSpan {
        campaign_id: campaign.into(),
        from: at(from),
        to: at("2026-11-24T11:00:00Z"),
    };
    let read = store
        .timelines(&[
            span("never-checked", "2026-11-24T09:30:00Z"),
            span("d", "2026-11-24T09:30:00Z"),
            span("c", "2026-11-24T10:15:00Z"),
        ])
        .await
        .unwrap();
    assert_eq!(read.len(), 3);
    assert!(read[0].checks.is_empty() && read[0].reviews.is_empty());
    assert_eq!(read[1].checks.len(), 1, "d's one check, before its clicks");
    assert_eq!(read[1].checks[0].broken.len(), 1);
    assert_eq!(read[2].checks, later.checks);
    store
        .review_finding(
            &block.findings[0].id,
            Decision {
                action: ReviewAction::Override,
                note: Some("the branch reopens at noon"),
                reviewer: "dana",
            },
            at("2026-11-24T10:30:00Z"),
        )
        .await
        .unwrap()
        .unwrap();
    let reviewed = read_timeline(
        &store,
        "c",
        at("2026-11-24T09:30:00Z"),
        at("2026-11-24T11:00:00Z"),
    )
    .await;
    let branch = promiseguard::domain::content::templates::LinkPromise::Location("loc-101".into());
    assert_eq!(
        reviewed.judge(Some(&branch), at("2026-11-24T09:45:00Z")),
        Judgement::Kept
    );
    assert_eq!(
        reviewed.judge(Some(&branch), at("2026-11-24T10:15:00Z")),
        Judgement::Broken
    );
    assert_eq!(
        reviewed.judge(Some(&branch), at("2026-11-24T10:45:00Z")),
        Judgement::Kept
    );

    // Clickers: recorded once, linked to the invitation queued after them, with its answer.
    let t = at("2026-11-24T10:15:00Z");
    for (id, who) in [("e1", "ana@x.com"), ("e2", "ben@x.com")] {
        store
            .record_events(
                &[event(id, "click", Some("c"), who, "2026-11-24T10:15:00Z")],
                "api",
                t,
            )
            .await
            .unwrap();
    }
    let undecided = store
        .undecided_clickers(at("2026-11-25T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(undecided.len(), 2);
    let clickers = [
        NewClicker {
            recipient: "ana@x.com".into(),
            decided: decided("c", "loc-101", true, false, t),
        },
        NewClicker {
            recipient: "ben@x.com".into(),
            decided: decided("c", "loc-102", false, true, t),
        },
    ];
    assert_eq!(store.record_clickers(&clickers, t).await.unwrap(), 2);
    assert_eq!(
        store.record_clickers(&clickers, t).await.unwrap(),
        0,
        "once per campaign and recipient"
    );
    assert!(
        store
            .undecided_clickers(at("2026-11-25T00:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    let invite = NewInvitation {
        campaign_id: "c".into(),
        recipient: "ana@x.com".into(),
        locale: None,
        promise_state: Some(Judgement::Broken),
        zone: None,
        send_after: None,
    };
    assert_eq!(store.queue_invitations(&[invite], t).await.unwrap(), 1);
    let invitation = store.invitations("c").await.unwrap().remove(0);
    let answer = SurveyAnswer {
        score: 3,
        comment: Some("closed"),
        reason: Some(Reason::LocationClosed),
    };
    assert!(
        store
            .record_answer(&invitation.id, answer, t)
            .await
            .unwrap()
    );

    let (counts, reasons) = store.clicker_counts(false, None).await.unwrap();
    let mut seen: Vec<(String, Option<u8>, bool, u64)> = counts
        .iter()
        .map(|c| (c.key.clone(), c.score, c.converted, c.n))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("broken".into(), Some(3), false, 1),
            ("kept".into(), None, true, 1)
        ]
    );
    assert_eq!(
        (reasons[0].key.as_str(), reasons[0].reason, reasons[0].n),
        ("broken", Reason::LocationClosed, 1)
    );
    let (by_campaign, _) = store.clicker_counts(true, Some("c")).await.unwrap();
    assert!(
        by_campaign.iter().all(|c| c.key == "broken"),
        "the campaign broke a promise"
    );
    let per_branch = store
        .promise_counts(PromiseKind::Location, &ClickerFilter::default())
        .await
        .unwrap();
    let downtown = &per_branch.tallies["loc-101"];
    assert_eq!(per_branch.tallies.len(), 2);
    // Ana's answer, copied to her per-branch row when she answered.
    assert_eq!(
        (
            downtown.clickers,
            downtown.clicks,
            downtown.broken_clicks,
            downtown.converted
        ),
        (1, 2, 2, 0)
    );
    assert_eq!(downtown.distribution[3], 1);
    assert_eq!(downtown.reasons[&Reason::LocationClosed], 1);
    assert_eq!(per_branch.tallies["loc-102"].converted, 1);
    assert_eq!(per_branch.names["loc-101"], "Downtown");
    let later_only = ClickerFilter {
        from: Some(at("2026-11-24T11:00:00Z")),
        ..ClickerFilter::default()
    };
    assert!(
        store
            .promise_counts(PromiseKind::Location, &later_only)
            .await
            .unwrap()
            .tallies
            .is_empty()
    );

    // Erased: the address goes, every count stays.
    store.erase("ana@x.com", t).await.unwrap();
    let (after, _) = store.clicker_counts(false, None).await.unwrap();
    let mut after: Vec<(String, Option<u8>, bool, u64)> = after
        .iter()
        .map(|c| (c.key.clone(), c.score, c.converted, c.n))
        .collect();
    after.sort();
    assert_eq!(after, seen);
}
