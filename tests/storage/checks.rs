//! The storage tests, written once against the `Store` interface.
use chrono::{DateTime, Utc};
use promiseguard::domain::campaign::CampaignInput;
use promiseguard::domain::{Campaign, Finding, Mode, Phase, Rule, Severity, Target, Verdict};
use promiseguard::store::{NewAnswer, NewCheck, Recorded, SqlStore, Store};
use serde_json::json;

pub(crate) fn campaign(id: &str) -> Campaign {
    let input: CampaignInput = serde_json::from_value(json!({
        "id": id, "name": "Neighborhood rental", "platform": "braze",
        "offers": [{"id": "free-day", "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
                    "locations": ["loc-101", "loc-102"]}]
    }))
    .unwrap();
    input.parse("/campaign").unwrap()
}

pub(crate) fn finding(n: usize) -> Finding {
    Finding {
        id: uuid::Uuid::new_v4().to_string(),
        offer_id: "free-day".into(),
        rule: if n.is_multiple_of(2) {
            Rule::LocationClosed
        } else {
            Rule::LowStock
        },
        severity: if n.is_multiple_of(2) {
            Severity::Block
        } else {
            Severity::Flag
        },
        target: if n.is_multiple_of(2) {
            Target::location("loc-101")
        } else {
            Target::item("SUV", "loc-101")
        },
        message: format!("finding {n}"),
        evidence: json!({"source": "static", "n": n}),
    }
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) struct Draft {
    pub(crate) id: String,
    pub(crate) campaign: Campaign,
    pub(crate) findings: Vec<Finding>,
    pub(crate) verdict: Verdict,
    pub(crate) checked_at: DateTime<Utc>,
    pub(crate) phase: Phase,
}

impl Draft {
    pub(crate) fn new(campaign_id: &str, findings: usize, checked_at: &str) -> Self {
        let findings: Vec<Finding> = (0..findings).map(finding).collect();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            campaign: campaign(campaign_id),
            verdict: Verdict::of(&findings),
            findings,
            checked_at: at(checked_at),
            phase: Phase::PreSend,
        }
    }

    pub(crate) fn with_findings(mut self, findings: Vec<Finding>) -> Self {
        self.verdict = Verdict::of(&findings);
        self.findings = findings;
        self
    }

    pub(crate) fn check(&self) -> NewCheck<'_> {
        NewCheck {
            id: &self.id,
            campaign: &self.campaign,
            phase: self.phase,
            mode: Mode::Enforce,
            verdict: self.verdict,
            send_at: at("2026-11-24T09:00:00Z"),
            checked_at: self.checked_at,
            findings: &self.findings,
            result: "{\"stored\": true}",
            alert_to: &[],
        }
    }
}

pub async fn story_of_a_campaign_checked_twice(store: SqlStore) {
    store.ping().await.unwrap();
    assert!(store.campaign("c1").await.unwrap().is_none());
    let first = Draft::new("c1", 3, "2026-11-23T10:00:00Z");
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
    assert_eq!(store.count_checks().await.unwrap(), 2);
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
        store.count_checks().await.unwrap(),
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
    assert_eq!(store.count_checks().await.unwrap(), 1);
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
    assert_eq!(store.count_checks().await.unwrap(), 50);
    assert_eq!(store.checks("c-0").await.unwrap().len(), 10);
}

pub async fn migrations_apply_twice_without_harm(store: SqlStore) {
    let draft = Draft::new("c4", 1, "2026-11-23T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_checks().await.unwrap(), 1);
}

/// The schema itself refuses a duplicate check id (a bug elsewhere must not become two rows).
pub async fn unique_keys_hold_in_the_schema(store: SqlStore) {
    let draft = Draft::new("c5", 1, "2026-11-23T10:00:00Z");
    store.record_check(&draft.check(), None).await.unwrap();
    let mut dup = Draft::new("c5", 1, "2026-11-23T10:00:01Z");
    dup.id = draft.id.clone();
    assert!(store.record_check(&dup.check(), None).await.is_err());
    assert_eq!(store.count_checks().await.unwrap(), 1);
    assert_eq!(
        store.findings(&draft.id).await.unwrap().len(),
        1,
        "the failed write left nothing behind"
    );
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
    let ids = |rows: Vec<promiseguard::store::CampaignRow>| {
        rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .live_campaigns(at("2026-11-25T00:00:00Z"))
            .await
            .unwrap()),
        vec!["c7"]
    );
    assert!(
        store
            .live_campaigns(at("2026-11-23T23:59:59Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .live_campaigns(at("2026-12-01T00:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_tick_is_leased_once_and_a_dead_holder_expires(store: SqlStore) {
    use std::time::Duration;
    let ttl = Duration::from_secs(60);
    let t0 = at("2026-11-23T10:00:00Z");
    let tick1 = at("2026-11-23T10:00:00Z");
    let tick2 = at("2026-11-23T10:15:00Z");
    // Two instances race for one tick: one wins.
    let (a, b) = futures::join!(
        store.try_lease("recheck", tick1, "a", t0, ttl),
        store.try_lease("recheck", tick1, "b", t0, ttl)
    );
    assert!(
        a.unwrap() ^ b.unwrap(),
        "exactly one instance takes the tick"
    );
    // The same tick is never taken twice, even after release.
    store.release_lease("recheck", "a").await.unwrap();
    store.release_lease("recheck", "b").await.unwrap();
    assert!(
        !store
            .try_lease("recheck", tick1, "c", t0, ttl)
            .await
            .unwrap()
    );
    // "a" takes tick 2 and dies holding it; while its lease lives, tick 3 is not run (no overlap).
    assert!(
        store
            .try_lease("recheck", tick2, "a", tick2, ttl)
            .await
            .unwrap()
    );
    let tick3 = at("2026-11-23T10:00:30Z") + chrono::Duration::minutes(15);
    assert!(
        !store
            .try_lease(
                "recheck",
                tick3,
                "b",
                tick2 + chrono::Duration::seconds(30),
                ttl
            )
            .await
            .unwrap()
    );
    // Renewal is the holder's alone.
    assert!(!store.renew_lease("recheck", "b", tick3).await.unwrap());
    // Once a's lease has expired, a later tick runs elsewhere.
    let tick4 = tick2 + chrono::Duration::minutes(30);
    assert!(
        store
            .try_lease("recheck", tick4, "b", tick4, ttl)
            .await
            .unwrap()
    );
    // Other jobs have leases of their own.
    assert!(
        store
            .try_lease("surveys", tick4, "a", tick4, ttl)
            .await
            .unwrap()
    );
}

fn event(
    id: &str,
    kind: &str,
    campaign: Option<&str>,
    recipient: &str,
    at_: &str,
) -> promiseguard::domain::event::EngagementEvent {
    use promiseguard::domain::event::{EngagementEvent, EventKind};
    EngagementEvent {
        id: id.into(),
        source: "api",
        kind: match kind {
            "click" => EventKind::Click,
            "conversion" => EventKind::Conversion,
            other => EventKind::Other(other.into()),
        },
        campaign_id: campaign.map(Into::into),
        recipient: recipient.into(),
        occurred_at: at(at_),
        url: None,
        order_id: None,
        suppresses: (kind == "unsubscribe").then(|| "unsubscribe".to_owned()),
    }
}

pub async fn events_are_idempotent_and_feed_the_sweep(store: SqlStore) {
    use promiseguard::domain::attribution::Touch;
    let now = at("2026-11-23T12:00:00Z");
    let events = vec![
        event(
            "e1",
            "click",
            Some("c8"),
            "a@example.com",
            "2026-11-18T10:00:00Z",
        ),
        event(
            "e2",
            "click",
            Some("c8"),
            "a@example.com",
            "2026-11-19T10:00:00Z",
        ),
        event(
            "e3",
            "click",
            Some("c8"),
            "b@example.com",
            "2026-11-19T09:00:00Z",
        ),
        event(
            "e4",
            "conversion",
            None,
            "b@example.com",
            "2026-11-19T11:00:00Z",
        ),
        event(
            "e5",
            "click",
            Some("c8"),
            "late@example.com",
            "2026-11-23T11:00:00Z",
        ),
        event(
            "e6",
            "click",
            Some("c8"),
            "gone@example.com",
            "2026-11-18T10:00:00Z",
        ),
        event(
            "e7",
            "unsubscribe",
            Some("c8"),
            "gone@example.com",
            "2026-11-18T11:00:00Z",
        ),
    ];
    let r = store.record_events(&events, now).await.unwrap();
    assert_eq!(
        (r.received, r.stored, r.duplicates, r.suppressed),
        (7, 7, 0, 1)
    );
    let again = store.record_events(&events[..2], now).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 2));
    assert!(
        store.campaign("c8").await.unwrap().is_some(),
        "an event-only campaign exists"
    );

    // Clicked before the cut-off, not invited, not suppressed; oldest last click first.
    let candidates = store
        .sweep_candidates(at("2026-11-20T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        candidates,
        vec![
            ("c8".to_owned(), "b@example.com".to_owned()),
            ("c8".to_owned(), "a@example.com".to_owned())
        ]
    );
    let touches = store.touches(&["b@example.com".to_owned()]).await.unwrap();
    let mut b = touches["b@example.com"].clone();
    b.sort_by_key(|t| match t {
        Touch::Click { at, .. } | Touch::Conversion { at, .. } => *at,
    });
    assert_eq!(
        b,
        vec![
            Touch::Click {
                campaign: "c8".into(),
                at: at("2026-11-19T09:00:00Z")
            },
            Touch::Conversion {
                campaign: None,
                at: at("2026-11-19T11:00:00Z")
            }
        ]
    );
}

pub async fn invitations_are_unique_claimed_once_and_answered(store: SqlStore) {
    use promiseguard::store::{InvitationStatus, SendOutcome};
    let now = at("2026-11-23T12:00:00Z");
    store
        .record_events(
            &[event(
                "e1",
                "click",
                Some("c9"),
                "a@example.com",
                "2026-11-18T10:00:00Z",
            )],
            now,
        )
        .await
        .unwrap();
    let pairs = vec![
        ("c9".to_owned(), "a@example.com".to_owned()),
        ("c9".to_owned(), "b@example.com".to_owned()),
    ];
    assert_eq!(store.queue_invitations(&pairs, now).await.unwrap(), 2);
    assert_eq!(
        store.queue_invitations(&pairs, now).await.unwrap(),
        0,
        "(campaign, recipient) is unique"
    );
    assert_eq!(store.surveyed_since(now).await.unwrap().len(), 2);

    let first = store.claim_invitation("run-1", now).await.unwrap().unwrap();
    assert_eq!(
        (first.recipient.as_str(), first.attempts),
        ("a@example.com", 1)
    );
    let retry_at = at("2026-11-23T12:05:00Z");
    store
        .finish_invitation(
            &first.id,
            &SendOutcome::Retry {
                at: retry_at,
                error: "451 busy".into(),
            },
            now,
        )
        .await
        .unwrap();
    let second = store.claim_invitation("run-1", now).await.unwrap().unwrap();
    assert_eq!(second.recipient, "b@example.com");
    assert!(
        store
            .claim_invitation("run-1", now)
            .await
            .unwrap()
            .is_none(),
        "a's retry is not due yet"
    );
    // run-1 dies holding b; run-2 finds it and marks it unknown, never to be sent again.
    assert_eq!(store.abandon_unfinished_sends("run-2").await.unwrap(), 1);
    let again = store
        .claim_invitation("run-2", retry_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.recipient.as_str(), again.attempts),
        ("a@example.com", 2)
    );
    store
        .finish_invitation(&again.id, &SendOutcome::Sent, retry_at)
        .await
        .unwrap();
    assert!(
        store
            .claim_invitation("run-2", retry_at)
            .await
            .unwrap()
            .is_none()
    );

    let rows = store.invitations("c9").await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![InvitationStatus::Sent, InvitationStatus::Unknown]
    );

    assert!(
        store
            .record_answer(&again.id, 9, Some("great"), retry_at)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_answer(&again.id, 4, None, retry_at)
            .await
            .unwrap(),
        "the last answer wins"
    );
    assert!(
        !store
            .record_answer("nope", 4, None, retry_at)
            .await
            .unwrap()
    );
    let nps = store.nps("c9").await.unwrap();
    assert_eq!(
        (
            nps.invited,
            nps.summary.responses,
            nps.summary.detractors,
            nps.summary.nps
        ),
        (2, 1, 1, Some(-100.0))
    );
    assert!(nps.comments.is_empty());

    assert!(store.unsubscribe(&second.id, retry_at).await.unwrap());
    store
        .record_events(
            &[event(
                "e9",
                "click",
                Some("c10"),
                "b@example.com",
                "2026-11-18T10:00:00Z",
            )],
            now,
        )
        .await
        .unwrap();
    let candidates = store.sweep_candidates(now).await.unwrap();
    assert!(candidates.iter().all(|(_, r)| r != "b@example.com"));

    let key = store.secret("k", "first").await.unwrap();
    assert_eq!(
        (
            key.as_str(),
            store.secret("k", "second").await.unwrap().as_str()
        ),
        ("first", "first")
    );
}

pub async fn claims_are_group_committed_with_the_outcomes_of_finished_sends(store: SqlStore) {
    use promiseguard::store::{InvitationStatus, SendOutcome};
    let now = at("2026-11-23T12:00:00Z");
    store
        .record_events(
            &[event(
                "g1",
                "click",
                Some("c7"),
                "r0@example.com",
                "2026-11-18T10:00:00Z",
            )],
            now,
        )
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = (0..7)
        .map(|i| ("c7".to_owned(), format!("r{i}@example.com")))
        .collect();
    assert_eq!(store.queue_invitations(&pairs, now).await.unwrap(), 7);

    // Two committers at once (two workers' batches, or two instances) take disjoint rows.
    let (a, b) = futures::join!(
        store.finish_and_claim("run-1", now, &[], 3),
        store.finish_and_claim("run-1", now, &[], 2)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.len(), b.len()), (3, 2));
    let mut taken: Vec<&str> = a.iter().chain(&b).map(|c| c.id.as_str()).collect();
    taken.sort();
    taken.dedup();
    assert_eq!(taken.len(), 5, "no invitation claimed twice");
    assert!(a.iter().chain(&b).all(|c| c.attempts == 1));

    // One transaction: three outcomes recorded, and the two remaining due rows claimed (the
    // retried one is not due yet, so it is not among them).
    let later = at("2026-11-23T13:00:00Z");
    let finished = vec![
        (a[0].id.clone(), SendOutcome::Sent),
        (
            a[1].id.clone(),
            SendOutcome::Failed {
                error: "550 no such user".into(),
            },
        ),
        (
            a[2].id.clone(),
            SendOutcome::Retry {
                at: later,
                error: "451 busy".into(),
            },
        ),
        (b[0].id.clone(), SendOutcome::Sent),
    ];
    let next = store
        .finish_and_claim("run-1", now, &finished, 8)
        .await
        .unwrap();
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|c| !taken.contains(&c.id.as_str())));
    let status = |rows: &[promiseguard::store::InvitationRow], id: &str| {
        rows.iter().find(|r| r.id == id).unwrap().status
    };
    let rows = store.invitations("c7").await.unwrap();
    assert_eq!(status(&rows, &a[0].id), InvitationStatus::Sent);
    assert_eq!(status(&rows, &a[1].id), InvitationStatus::Failed);
    assert_eq!(status(&rows, &a[2].id), InvitationStatus::Queued);
    assert_eq!(status(&rows, &b[0].id), InvitationStatus::Sent);
    assert_eq!(status(&rows, &b[1].id), InvitationStatus::Sending);
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == InvitationStatus::Sending)
            .count(),
        3
    );

    // Outcomes alone (the last requests of workers that find nothing due): nothing claimed.
    let last: Vec<(String, SendOutcome)> = next
        .iter()
        .chain(&b[1..])
        .map(|c| (c.id.clone(), SendOutcome::Sent))
        .collect();
    assert!(
        store
            .finish_and_claim("run-1", now, &last, 3)
            .await
            .unwrap()
            .is_empty()
    );
    let rows = store.invitations("c7").await.unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == InvitationStatus::Sent)
            .count(),
        5
    );
    // The retry comes due and is claimed for its second attempt.
    let retried = store
        .finish_and_claim("run-2", later, &[], 8)
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].id.as_str(), retried[0].attempts),
        (a[2].id.as_str(), 2)
    );
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
            promiseguard::store::ReviewAction::Acknowledge,
            None,
            "dana",
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
