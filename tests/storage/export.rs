//! Findings read out in bulk (keyset pages, filters, counts) and the fleet dashboard's panels,
//! each counting exactly what the list it links to shows.
use crate::fixtures::{Draft, at, finding};
use chrono::{Duration, NaiveDate};
use promiseguard::domain::exemption::{
    ExemptionCategory, ExemptionScope, FindingExemption, NewExemption,
};
use promiseguard::domain::judgement::Coverage;
use promiseguard::domain::review::Decision;
use promiseguard::domain::{Finding, Phase, ReviewAction, Rule, Severity, Target, Verdict};
use promiseguard::store::{
    CheckStore, DashboardStore, ExemptionStore, ExportedFinding, FindingExportStore, FindingQuery,
    ReviewFilter, ReviewStore, SqlStore,
};

fn at_location(n: usize, rule: Rule, severity: Severity, location: &str) -> Finding {
    Finding {
        rule,
        severity,
        target: Target::location(location),
        ..finding(n)
    }
}

/// Three campaigns: `a` checked twice (its first check's findings are history), `b` once with
/// an exempted finding, `c` scheduled and blocking. Locations are named by what they covered.
async fn seed(store: &SqlStore) -> (Draft, Draft, Draft, Draft) {
    let mut a1 = Draft::new("a", 0, "2026-12-01T10:00:00Z").with_findings(vec![at_location(
        0,
        Rule::LocationClosed,
        Severity::Block,
        "loc-101",
    )]);
    let mut a2 = Draft::new("a", 0, "2026-12-03T10:00:00Z").with_findings(vec![
        at_location(1, Rule::LocationClosed, Severity::Block, "loc-101"),
        at_location(2, Rule::LocationClosed, Severity::Block, "loc-102"),
        Finding {
            target: Target::item("SUV", "loc-101"),
            ..at_location(3, Rule::LowStock, Severity::Flag, "loc-101")
        },
    ]);
    let mut b = Draft::new("b", 0, "2026-12-02T10:00:00Z").with_findings(vec![
        at_location(4, Rule::LocationUnknown, Severity::Block, "loc-103"),
        Finding {
            exemption: Some(FindingExemption {
                id: "ex-1".into(),
                category: ExemptionCategory::Waiver,
                expires_at: at("2026-12-10T00:00:00Z"),
            }),
            ..at_location(5, Rule::LocationClosed, Severity::Block, "loc-101")
        },
    ]);
    b.verdict = Verdict::Block;
    let mut c = Draft::new("c", 0, "2026-12-04T10:00:00Z").with_findings(vec![at_location(
        6,
        Rule::LocationClosed,
        Severity::Block,
        "loc-101",
    )]);
    c.phase = Phase::Scheduled;
    for d in [&mut a1, &mut a2, &mut b, &mut c] {
        let mut covered = Coverage::default();
        covered.names.insert("loc-101".into(), "Downtown".into());
        covered.names.insert("loc-102".into(), "Airport".into());
        d.covered = Some(covered);
    }
    for d in [&a1, &b, &a2, &c] {
        store.record_check(&d.check(), None).await.unwrap();
    }
    (a1, a2, b, c)
}

fn ids(rows: &[ExportedFinding]) -> Vec<&str> {
    rows.iter().map(|r| r.finding_id.as_str()).collect()
}

async fn all(store: &SqlStore, query: &FindingQuery) -> Vec<ExportedFinding> {
    store.findings_page(query, None, 1000).await.unwrap()
}

pub async fn findings_are_exported_in_keyset_pages_by_check_time(store: SqlStore) {
    let (a1, a2, b, c) = seed(&store).await;
    let reviewed = &a2.findings[0];
    let decision = Decision {
        action: ReviewAction::Acknowledge,
        note: Some("on it"),
        reviewer: "dana",
    };
    let now = at("2026-12-03T12:00:00Z");
    store
        .review_finding(&reviewed.id, decision, now)
        .await
        .unwrap();

    // The latest checks, by check time then id; pages of two walk the same rows.
    let latest = FindingQuery::default();
    let rows = all(&store, &latest).await;
    let mut expected: Vec<(chrono::DateTime<chrono::Utc>, &str)> = b
        .findings
        .iter()
        .map(|f| (b.checked_at, f.id.as_str()))
        .chain(a2.findings.iter().map(|f| (a2.checked_at, f.id.as_str())))
        .chain(c.findings.iter().map(|f| (c.checked_at, f.id.as_str())))
        .collect();
    expected.sort();
    assert_eq!(ids(&rows), expected.iter().map(|e| e.1).collect::<Vec<_>>());
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .findings_page(&latest, after.as_ref(), 2)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.cursor());
        paged.extend(page);
    }
    assert_eq!(paged, rows);
    assert_eq!(store.count_findings(&latest).await.unwrap(), 6);

    // What a row carries: its campaign, names, review, exemption.
    let row = rows.iter().find(|r| r.finding_id == reviewed.id).unwrap();
    assert_eq!(row.campaign_name.as_deref(), Some("Neighborhood rental"));
    assert_eq!(row.location_name.as_deref(), Some("Downtown"));
    assert_eq!(
        (row.check_id.as_str(), row.checked_at),
        (a2.id.as_str(), a2.checked_at)
    );
    let review = row.last_review.as_ref().unwrap();
    assert_eq!((review.reviewer.as_str(), review.at), ("dana", now));
    let item = rows.iter().find(|r| r.sku.is_some()).unwrap();
    assert_eq!(item.location_id.as_deref(), Some("loc-101"));
    let exempt = rows.iter().find(|r| r.exemption.is_some()).unwrap();
    assert_eq!(exempt.exemption.as_ref().unwrap().id, "ex-1");
    let unknown = rows
        .iter()
        .find(|r| r.rule == Rule::LocationUnknown)
        .unwrap();
    assert_eq!(unknown.location_name, None, "no name was covered for it");

    // Every filter gives its exact set (the rows filtered here, in their order); the count
    // agrees with the rows.
    let history = FindingQuery {
        history: true,
        ..FindingQuery::default()
    };
    let every = all(&store, &history).await;
    let mut want = vec![a1.findings[0].id.as_str()];
    want.extend(ids(&rows));
    assert_eq!(ids(&every), want, "the first check's finding first");
    type Keep = fn(&ExportedFinding) -> bool;
    let cases: [(FindingQuery, &[ExportedFinding], Keep); 6] = [
        (history.clone(), &every, |_| true),
        (
            FindingQuery {
                review: Some(ReviewFilter::Open),
                severity: Some(Severity::Block),
                ..FindingQuery::default()
            },
            &rows,
            |r| r.severity == Severity::Block && r.exemption.is_none() && r.last_review.is_none(),
        ),
        (
            FindingQuery {
                review: Some(ReviewFilter::Reviewed),
                ..FindingQuery::default()
            },
            &rows,
            |r| r.last_review.is_some(),
        ),
        (
            FindingQuery {
                rule: Some(Rule::LowStock),
                ..FindingQuery::default()
            },
            &rows,
            |r| r.rule == Rule::LowStock,
        ),
        (
            FindingQuery {
                campaign_id: Some("a".into()),
                location: Some("loc-101".into()),
                history: true,
                ..FindingQuery::default()
            },
            &every,
            |r| r.campaign_id == "a" && r.location_id.as_deref() == Some("loc-101"),
        ),
        (
            FindingQuery {
                from: Some(at("2026-12-02T00:00:00Z")),
                to: Some(at("2026-12-04T00:00:00Z")),
                history: true,
                ..FindingQuery::default()
            },
            &every,
            |r| {
                r.checked_at >= at("2026-12-02T00:00:00Z")
                    && r.checked_at < at("2026-12-04T00:00:00Z")
            },
        ),
    ];
    for (query, from, keep) in cases {
        let want: Vec<&str> = from
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.finding_id.as_str())
            .collect();
        assert!(!want.is_empty(), "{query:?}");
        assert_eq!(ids(&all(&store, &query).await), want, "{query:?}");
        assert_eq!(
            store.count_findings(&query).await.unwrap(),
            want.len() as u64,
            "{query:?}"
        );
    }
    assert_eq!(
        a1.findings.len() + a2.findings.len() + b.findings.len() + c.findings.len(),
        every.len()
    );
}

pub async fn dashboard_panels_count_what_their_lists_show(store: SqlStore) {
    let (_, _, _, c) = seed(&store).await;
    let open = FindingQuery {
        review: Some(ReviewFilter::Open),
        ..FindingQuery::default()
    };
    // By rule and by location, as the findings list filtered the same way counts.
    for (rule, n) in store.open_by_rule().await.unwrap() {
        let q = FindingQuery {
            rule: Some(rule),
            ..open.clone()
        };
        assert_eq!(store.count_findings(&q).await.unwrap(), n, "{rule:?}");
    }
    let top = store.top_open_locations(10).await.unwrap();
    let shown: Vec<(&str, Option<&str>, u64)> = top
        .iter()
        .map(|l| (l.location.as_str(), l.name.as_deref(), l.open))
        .collect();
    assert_eq!(
        shown,
        [
            ("loc-101", Some("Downtown"), 3),
            ("loc-102", Some("Airport"), 1),
            ("loc-103", None, 1)
        ]
    );
    assert_eq!(store.top_open_locations(1).await.unwrap().len(), 1);
    let severity = store.open_findings().await.unwrap();
    assert_eq!(severity.get(&Severity::Block), Some(&4));

    // Checks per UTC day, blocks among them.
    let days = store
        .checks_per_day(at("2026-12-02T00:00:00Z"))
        .await
        .unwrap();
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let shown: Vec<(NaiveDate, u64, u64)> =
        days.iter().map(|d| (d.day, d.checks, d.blocks)).collect();
    assert_eq!(shown, [(day(2), 1, 1), (day(3), 1, 1), (day(4), 1, 1)]);

    // Scheduled and blocking: `c`; nothing taken off a schedule yet.
    assert_eq!(store.scheduled_blocking().await.unwrap(), 1);
    assert_eq!(store.unscheduled_campaigns().await.unwrap(), 0);
    let filter = promiseguard::store::CampaignFilter {
        phase: Some(Phase::Scheduled),
        verdict: Some(Verdict::Block),
        limit: 50,
        ..Default::default()
    };
    let listed = store.list_campaigns(&filter).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].latest_check_id.as_deref(), Some(c.id.as_str()));

    // Exemptions ending within the window, in force.
    let now = at("2026-12-06T10:00:00Z");
    let new = |days: i64| NewExemption {
        scope: ExemptionScope {
            campaign_id: Some("a".into()),
            ..ExemptionScope::default()
        },
        category: ExemptionCategory::Mitigated,
        reason: "reopening".into(),
        ticket: None,
        expires_at: now + Duration::days(days),
    };
    let soon = store.create_exemption(&new(3), "dana", now).await.unwrap();
    store.create_exemption(&new(20), "dana", now).await.unwrap();
    let revoked = store.create_exemption(&new(2), "dana", now).await.unwrap();
    store
        .revoke_exemption(&revoked.id, "eli", now)
        .await
        .unwrap();
    let week = now + Duration::days(7);
    assert_eq!(store.exemptions_ending(now, week).await.unwrap(), 1);
    assert_eq!(
        store
            .exemptions_ending(soon.expires_at, week)
            .await
            .unwrap(),
        0,
        "ended"
    );
}
