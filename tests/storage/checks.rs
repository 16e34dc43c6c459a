//! Checks and campaigns: a campaign's story, idempotency records, concurrent writers, new
//! findings, live campaigns — and what a failed or cancelled write leaves behind.
use crate::fixtures::{Draft, at, campaign, finding};
use promiseguard::domain::review::Decision;
use promiseguard::domain::{Campaign, Finding, Phase, ReviewAction, Rule, Target, Verdict};
use promiseguard::store::{
    CheckStore, FindingStore, NewAnswer, Ping, Recorded, ReviewStore, SqlStore,
};

pub async fn story_of_a_campaign_checked_twice(store: SqlStore) {
    store.ping().await.unwrap();
    assert!(store.campaign("c1").await.unwrap().is_none());
    // Three findings about locations and items, and one about a link of the email.
    let mut findings: Vec<Finding> = (0..3).map(finding).collect();
    findings.push(Finding {
        rule: Rule::LinkBroken,
        target: Target::link("https://rent.example.com/gone"),
        ..finding(3)
    });
    let first = Draft::new("c1", 0, "2026-11-23T10:00:00Z").with_findings(findings);
    assert_eq!(
        store.record_check(&first.check(), None).await.unwrap(),
        Recorded::Stored
    );
    let second = Draft::new("c1", 0, "2026-11-23T11:00:00Z");
    assert_eq!(
        store.record_check(&second.check(), None).await.unwrap(),
        Recorded::Stored
    );

    let c = store.campaign("c1").await.unwrap().unwrap();
    assert_eq!(c.name.as_deref(), Some("Neighborhood rental"));
    assert_eq!(c.platform.as_deref(), Some("braze"));
    assert_eq!(c.latest_check_id.as_deref(), Some(second.id.as_str()));
    assert_eq!(c.latest_verdict, Some(Verdict::Pass));
    assert_eq!(c.window_start, at("2026-11-24T00:00:00Z"));
    assert_eq!(c.window_end, at("2026-12-01T00:00:00Z"));
    assert_eq!(
        c.created_at,
        at("2026-11-23T10:00:00Z"),
        "created by the first check"
    );
    let stored: Campaign = serde_json::from_str::<serde_json::Value>(&c.definition)
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .map(|id| campaign(&id))
        .unwrap();
    assert_eq!(stored, first.campaign);

    let checks = store.checks("c1").await.unwrap();
    assert_eq!(
        checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec![second.id.as_str(), first.id.as_str()]
    );
    assert_eq!(checks[1].verdict, Verdict::Block);
    assert_eq!(checks[1].phase, Phase::PreSend);
    assert_eq!(checks[1].result, "{\"stored\": true}");
    assert_eq!(checks[1].checked_at, at("2026-11-23T10:00:00Z"));

    let findings = store.findings(&first.id).await.unwrap();
    let plain: Vec<Finding> = findings.iter().map(|f| f.finding.clone()).collect();
    assert_eq!(
        plain, first.findings,
        "findings come back whole and in order"
    );
    assert!(
        findings.iter().all(|f| f.is_new),
        "the first check's findings are all new"
    );
    assert!(store.findings(&second.id).await.unwrap().is_empty());
    assert_eq!(crate::support::store::count_checks(&store).await, 2);
}

pub async fn idempotency_records_replay_the_first_answer(store: SqlStore) {
    let first = Draft::new("c2", 1, "2026-11-23T10:00:00Z");
    let answer = NewAnswer {
        key: "presend:msg_1",
        request_hash: "h1",
        status: 200,
        body: "{\"first\": 1}",
    };
    assert_eq!(
        store
            .record_check(&first.check(), Some(&answer))
            .await
            .unwrap(),
        Recorded::Stored
    );
    let stored = store
        .idempotent_answer("presend:msg_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.status,
            stored.body.as_str(),
            stored.check_id.as_str()
        ),
        (200, "{\"first\": 1}", first.id.as_str())
    );

    let retry = Draft::new("c2", 2, "2026-11-23T10:00:01Z");
    let again = NewAnswer {
        key: "presend:msg_1",
        request_hash: "h1",
        status: 200,
        body: "{\"second\": 2}",
    };
    match store
        .record_check(&retry.check(), Some(&again))
        .await
        .unwrap()
    {
        Recorded::Replayed(a) => assert_eq!(a, stored),
        other => panic!("expected a replay, got {other:?}"),
    }
    assert_eq!(
        crate::support::store::count_checks(&store).await,
        1,
        "the retry stored nothing"
    );
    assert!(store.findings(&retry.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .campaign("c2")
            .await
            .unwrap()
            .unwrap()
            .latest_check_id
            .as_deref(),
        Some(first.id.as_str())
    );
    assert!(
        store
            .idempotent_answer("presend:other")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn concurrent_deliveries_of_one_key_store_one_check(store: SqlStore) {
    let drafts: Vec<Draft> = (0..10)
        .map(|_| Draft::new("c3", 2, "2026-11-23T10:00:00Z"))
        .collect();
    let results = futures::future::join_all(drafts.iter().map(|d| {
        let store = store.clone();
        async move {
            let answer = NewAnswer {
                key: "presend:race",
                request_hash: "h",
                status: 200,
                body: &d.id,
            };
            store.record_check(&d.check(), Some(&answer)).await.unwrap()
        }
    }))
    .await;
    let stored = results.iter().filter(|r| **r == Recorded::Stored).count();
    assert_eq!(stored, 1);
    let winner = store
        .idempotent_answer("presend:race")
        .await
        .unwrap()
        .unwrap();
    for r in &results {
        if let Recorded::Replayed(a) = r {
            assert_eq!(a, &winner);
        }
    }
    assert_eq!(crate::support::store::count_checks(&store).await, 1);
}

pub async fn concurrent_distinct_writes_all_land(store: SqlStore) {
    let drafts: Vec<Draft> = (0..50)
        .map(|i| Draft::new(&format!("c-{}", i % 5), 3, "2026-11-23T10:00:00Z"))
        .collect();
    let results = futures::future::join_all(drafts.iter().map(|d| {
        let store = store.clone();
        async move { store.record_check(&d.check(), None).await }
    }))
    .await;
    for r in results {
        assert_eq!(r.unwrap(), Recorded::Stored);
    }
    assert_eq!(crate::support::store::count_checks(&store).await, 50);
    assert_eq!(store.checks("c-0").await.unwrap().len(), 10);
}

pub async fn findings_are_new_only_when_the_previous_check_lacked_them(store: SqlStore) {
    let mut first = Draft::new("c6", 0, "2026-11-23T10:00:00Z");
    first.findings = vec![finding(0)];
    store.record_check(&first.check(), None).await.unwrap();
    // The same broken promise again (new id, same fingerprint), plus one more.
    let mut second = Draft::new("c6", 0, "2026-11-23T10:15:00Z");
    second.findings = vec![finding(0), finding(1)];
    store.record_check(&second.check(), None).await.unwrap();
    let stored = store.findings(&second.id).await.unwrap();
    let flags: Vec<(Rule, bool)> = stored.iter().map(|f| (f.finding.rule, f.is_new)).collect();
    assert_eq!(
        flags,
        vec![(Rule::LocationClosed, false), (Rule::LowStock, true)]
    );
    // A finding that went away and came back is new again.
    let third = Draft::new("c6", 0, "2026-11-23T10:30:00Z");
    store.record_check(&third.check(), None).await.unwrap();
    let mut fourth = Draft::new("c6", 0, "2026-11-23T10:45:00Z");
    fourth.findings = vec![finding(0)];
    store.record_check(&fourth.check(), None).await.unwrap();
    assert!(store.findings(&fourth.id).await.unwrap()[0].is_new);
}

pub async fn live_campaigns_are_those_whose_window_is_open(store: SqlStore) {
    let draft = Draft::new("c7", 0, "2026-11-23T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    let live = |at_: &'static str| {
        let store = store.clone();
        async move {
            store
                .live_campaigns(at(at_), None, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(live("2026-11-25T00:00:00Z").await, vec!["c7"]);
    assert!(live("2026-11-23T23:59:59Z").await.is_empty());
    assert!(live("2026-12-01T00:00:00Z").await.is_empty());
}

pub async fn live_campaigns_come_in_pages_by_id(store: SqlStore) {
    for id in ["p3", "p1", "p5", "p2", "p4"] {
        let draft = Draft::new(id, 0, "2026-11-23T10:00:00Z");
        store.record_check(&draft.check(), None).await.unwrap();
    }
    let now = at("2026-11-25T00:00:00Z");
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page: Vec<String> = store
            .live_campaigns(now, after.as_deref(), 2)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        let last = page.len() < 2;
        after = page.last().cloned();
        pages.push(page);
        if last {
            break;
        }
    }
    assert_eq!(pages, [vec!["p1", "p2"], vec!["p3", "p4"], vec!["p5"]]);
}

/// A write that fails, returns early, or is dropped mid-transaction (a client that hangs up)
/// leaves nothing half-done, and the writes after it go through — on SQLite, through the one
/// connection the store holds for writing.
pub async fn failed_or_cancelled_writes_leave_nothing_behind_and_writing_goes_on(store: SqlStore) {
    let now = at("2026-11-23T10:00:00Z");
    let first = Draft::new("w1", 1, "2026-11-23T10:00:00Z");
    store.record_check(&first.check(), None).await.unwrap();

    // An error inside the transaction.
    let mut dup = Draft::new("w1", 1, "2026-11-23T10:00:01Z");
    dup.id = first.id.clone();
    assert!(store.record_check(&dup.check(), None).await.is_err());
    // A transaction left by an early return (no such finding).
    let none = store
        .review_finding(
            "no-such-finding",
            Decision {
                action: ReviewAction::Acknowledge,
                note: None,
                reviewer: "dana",
            },
            now,
        )
        .await
        .unwrap();
    assert!(none.is_none());
    // Writes dropped after 1, 3, 10, … polls: before, inside and after their transaction (one
    // takes about 1,000 polls here on SQLite, over 10,000 on PostgreSQL).
    let mut cancelled = Vec::new();
    for polls in [1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000] {
        let draft = Draft::new(&format!("w-cancelled-{polls}"), 200, "2026-11-23T11:00:00Z");
        {
            let check = draft.check();
            let write = store.record_check(&check, None);
            tokio::pin!(write);
            for _ in 0..polls {
                if futures::poll!(&mut write).is_ready() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        cancelled.push(draft);
    }

    let after = Draft::new("w2", 2, "2026-11-23T12:00:00Z");
    assert_eq!(
        store.record_check(&after.check(), None).await.unwrap(),
        Recorded::Stored
    );
    assert_eq!(store.findings(&after.id).await.unwrap().len(), 2);
    assert_eq!(store.findings(&first.id).await.unwrap().len(), 1);
    for draft in &cancelled {
        let stored = store.findings(&draft.id).await.unwrap().len();
        let campaign = store.campaign(&draft.campaign.id).await.unwrap();
        assert!(
            (stored == 0 && campaign.is_none()) || (stored == 200 && campaign.is_some()),
            "{}: all of the check or none of it, not {stored} findings",
            draft.campaign.id
        );
    }
}

/// A tick's checks written in batches end up as they would one by one: the same findings,
/// new-finding marks, carried-over reviews and latest checks.
pub async fn checks_written_in_batches_are_stored_as_one_by_one(store: SqlStore) {
    let other = crate::support::databases::sqlite().await;
    let campaigns: Vec<String> = (0..230).map(|i| format!("batch-{i}")).collect();
    let round = |at: &str, n: usize| -> Vec<Draft> {
        campaigns
            .iter()
            .map(|c| Draft::new(c, n, at))
            .collect::<Vec<_>>()
    };
    // Two rounds: the second repeats the first round's findings (not new) and adds one.
    let mut first = round("2026-11-23T10:00:00Z", 2);
    let mut second = round("2026-11-23T11:00:00Z", 3);
    for (a, b) in first.iter_mut().zip(second.iter_mut()) {
        a.phase = Phase::Live;
        b.phase = Phase::Live;
        for (fa, fb) in a.findings.iter().zip(b.findings.iter_mut()) {
            fb.offer_id = fa.offer_id.clone();
            fb.rule = fa.rule;
            fb.target = fa.target.clone();
        }
        b.findings[2].target = promiseguard::domain::Target::location("loc-999");
    }
    for drafts in [&first, &second] {
        let checks: Vec<_> = drafts.iter().map(Draft::check).collect();
        store.record_checks(&checks).await.unwrap();
        for check in &checks {
            other.store.record_check(check, None).await.unwrap();
        }
    }
    for c in &campaigns {
        let batched = store.checks(c).await.unwrap();
        let single = other.store.checks(c).await.unwrap();
        assert_eq!(batched.len(), 2);
        assert_eq!(
            batched.iter().map(|k| &k.id).collect::<Vec<_>>(),
            single.iter().map(|k| &k.id).collect::<Vec<_>>()
        );
        let marks = |found: Vec<promiseguard::store::StoredFinding>| {
            found
                .into_iter()
                .map(|f| (f.finding.id, f.is_new, f.review_state))
                .collect::<Vec<_>>()
        };
        let latest = &batched[0].id;
        assert_eq!(
            marks(store.findings(latest).await.unwrap()),
            marks(other.store.findings(latest).await.unwrap())
        );
        let news: Vec<bool> = store
            .findings(latest)
            .await
            .unwrap()
            .iter()
            .map(|f| f.is_new)
            .collect();
        assert_eq!(news, [false, false, true], "{c}");
        assert_eq!(
            store
                .campaign(c)
                .await
                .unwrap()
                .unwrap()
                .latest_check_id
                .as_ref(),
            Some(latest)
        );
    }
    other.store.close().await;
}
