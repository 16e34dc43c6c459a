//! The rules on plain values: each rule's findings, and every rule under every policy action
//! (`policy.rs`).
mod hours;
mod policy;

use super::*;
use crate::domain::hours::{Hours, LocalWindow, WeeklyPeriod};
use crate::domain::{Action, ItemPromise, LocalZone, ZoneOrigin};
use chrono_tz::America::{Los_Angeles, New_York};
use chrono_tz::Asia::Tehran;
use chrono_tz::Tz;
use std::collections::BTreeMap;

pub(super) fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(super) fn offer(locations: &[&str], items: &[(&str, &str, i64)]) -> Offer {
    Offer {
        id: "free-day".into(),
        title: None,
        valid_from: t("2026-11-24T00:00:00Z"),
        valid_until: t("2026-12-01T00:00:00Z"),
        local: None,
        locations: locations.iter().map(|s| s.to_string()).collect(),
        items: items
            .iter()
            .map(|(sku, loc, min)| ItemPromise {
                sku: sku.to_string(),
                location: loc.to_string(),
                min_available: *min,
            })
            .collect(),
    }
}

pub(super) fn campaign(offers: Vec<Offer>) -> Campaign {
    Campaign {
        offers,
        ..Campaign::named("c")
    }
}

pub(super) fn location(
    status: LocationStatus,
    raw: &str,
    closed: &[(&str, &str)],
) -> Result<LocationReport, LookupFailure> {
    let mut hours = Hours::default();
    for (a, b) in closed {
        for day in d(a).iter_days().take_while(|day| *day <= d(b)) {
            hours.add_special(day, None);
        }
    }
    Ok(LocationReport {
        status,
        raw_status: raw.into(),
        name: None,
        zone: LocalZone {
            tz: Tz::UTC,
            origin: ZoneOrigin::Default,
        },
        hours,
        notes: Vec::new(),
        source_id: None,
        source: "google-business-profile".into(),
        fetched_at: t("2026-11-23T14:00:00Z"),
    })
}

pub(super) fn open() -> Result<LocationReport, LookupFailure> {
    location(LocationStatus::Open, "OPEN", &[])
}

pub(super) fn stock(available: f64) -> Result<StockReport, LookupFailure> {
    Ok(StockReport {
        available,
        source: "square".into(),
        fetched_at: t("2026-11-23T14:00:00Z"),
    })
}

pub(super) fn failed() -> Result<LocationReport, LookupFailure> {
    Err(LookupFailure {
        source: "google-business-profile".into(),
        reason: "timed out after 2000 ms".into(),
        at: t("2026-11-23T14:00:00Z"),
    })
}

const SEND: &str = "2026-11-23T14:00:00Z";

pub(super) fn run(c: &Campaign, policy: &Policy, obs: &Observations) -> Evaluation {
    let mut n = 0;
    evaluate(c, t(SEND), t(SEND), policy, obs, || {
        n += 1;
        format!("f{n}")
    })
}

/// Location `a`, open, with these special closures (from, until).
pub(super) fn open_a_closed_on(closed: &[(&str, &str)]) -> Observations {
    obs_locations(vec![("a", location(LocationStatus::Open, "OPEN", closed))])
}

pub(super) fn obs_locations(
    pairs: Vec<(&str, Result<LocationReport, LookupFailure>)>,
) -> Observations {
    Observations {
        locations: pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        items: HashMap::new(),
    }
}

pub(super) fn rules(e: &Evaluation) -> Vec<(Rule, Severity)> {
    e.findings.iter().map(|f| (f.rule, f.severity)).collect()
}

#[test]
fn all_open_and_stocked_passes() {
    let c = campaign(vec![offer(&["a", "b"], &[("S", "a", 2)])]);
    let mut obs = obs_locations(vec![("a", open()), ("b", open())]);
    obs.items.insert(ItemKey::new("S", "a"), stock(2.0));
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(e.verdict, Verdict::Pass);
    assert_eq!(e.offers[0].keepable_locations, vec!["a", "b"]);
    assert!(e.findings.is_empty() && e.warnings.is_empty());
}

#[test]
fn closed_temporarily_and_permanently_block_and_leave_the_rest_keepable() {
    let c = campaign(vec![offer(&["a", "b", "c"], &[])]);
    let obs = obs_locations(vec![
        (
            "a",
            location(LocationStatus::ClosedTemporarily, "CLOSED_TEMPORARILY", &[]),
        ),
        (
            "b",
            location(LocationStatus::ClosedPermanently, "CLOSED_PERMANENTLY", &[]),
        ),
        ("c", open()),
    ]);
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(e.verdict, Verdict::Block);
    assert_eq!(rules(&e), vec![(Rule::LocationClosed, Severity::Block); 2]);
    assert_eq!(
        e.findings[0].message,
        "a is CLOSED_TEMPORARILY according to the location source"
    );
    assert_eq!(e.findings[0].evidence["status"], "CLOSED_TEMPORARILY");
    assert_eq!(e.offers[0].keepable_locations, vec!["c"]);
    assert_eq!(e.offers[0].findings, vec!["f1", "f2"]);
}

#[test]
fn unknown_location_blocks() {
    let c = campaign(vec![offer(&["x"], &[])]);
    let obs = obs_locations(vec![(
        "x",
        location(LocationStatus::Unknown, "NOT_FOUND", &[]),
    )]);
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(rules(&e), vec![(Rule::LocationUnknown, Severity::Block)]);
    assert!(e.offers[0].keepable_locations.is_empty());
}

#[test]
fn special_closure_inside_window_flags_with_a_warning() {
    let c = campaign(vec![offer(&["a"], &[])]);
    let obs = open_a_closed_on(&[("2026-11-26", "2026-11-26")]);
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(e.verdict, Verdict::Flag);
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedDuringWindow, Severity::Flag)]
    );
    assert_eq!(
        e.warnings,
        vec!["free-day: a is closed on Thu 26 Nov, inside the offer window"]
    );
    assert_eq!(
        e.findings[0].evidence["closed_dates"],
        serde_json::json!(["2026-11-26"])
    );
}

#[test]
fn special_closure_outside_window_is_not_a_finding() {
    let c = campaign(vec![offer(&["a"], &[])]);
    // The window is [11-24, 12-01): the first of December is outside, so is 11-23.
    let obs = open_a_closed_on(&[("2026-12-01", "2026-12-03"), ("2026-11-20", "2026-11-23")]);
    assert_eq!(run(&c, &Policy::default(), &obs).verdict, Verdict::Pass);
}

#[test]
fn stock_rules_out_low_and_enough() {
    let c = campaign(vec![offer(
        &[],
        &[
            ("A", "l", 5),
            ("B", "l", 5),
            ("C", "online", 5),
            ("D", "l", 1),
        ],
    )]);
    let mut obs = Observations::default();
    for (sku, loc, q) in [
        ("A", "l", 0.0),
        ("B", "l", 3.0),
        ("C", "online", 5.0),
        ("D", "l", -2.0),
    ] {
        obs.items.insert(
            ItemKey {
                sku: sku.into(),
                location: loc.into(),
            },
            stock(q),
        );
    }
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(
        rules(&e),
        vec![
            (Rule::OutOfStock, Severity::Block),
            (Rule::LowStock, Severity::Flag),
            (Rule::OutOfStock, Severity::Block)
        ]
    );
    assert_eq!(
        e.warnings,
        vec!["free-day: B at l has 3 available, 5 promised"]
    );
}

#[test]
fn fractional_stock_below_the_promise_is_low() {
    let c = campaign(vec![offer(&[], &[("A", "l", 4)])]);
    let mut obs = Observations::default();
    obs.items.insert(ItemKey::new("A", "l"), stock(3.5));
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(rules(&e), vec![(Rule::LowStock, Severity::Flag)]);
    assert!(e.findings[0].message.contains("3.5 available"));
}

#[test]
fn item_findings_make_their_location_unkeepable() {
    let c = campaign(vec![offer(&["a", "b"], &[("S", "a", 1)])]);
    let mut obs = obs_locations(vec![("a", open()), ("b", open())]);
    obs.items.insert(ItemKey::new("S", "a"), stock(0.0));
    let e = run(&c, &Policy::default(), &obs);
    assert_eq!(e.offers[0].keepable_locations, vec!["b"]);
}

#[test]
fn expired_offer_blocks_at_the_exact_send_time_and_keeps_nothing() {
    let mut o = offer(&["a"], &[]);
    o.valid_until = t(SEND);
    o.valid_from = t("2026-11-01T00:00:00Z");
    let c = campaign(vec![o]);
    let e = run(&c, &Policy::default(), &obs_locations(vec![("a", open())]));
    assert_eq!(rules(&e), vec![(Rule::OfferExpired, Severity::Block)]);
    assert!(e.offers[0].keepable_locations.is_empty());
    assert_eq!(e.findings[0].target, Target::default());
}

#[test]
fn upstream_failure_follows_failure_policy() {
    let c = campaign(vec![offer(&["a"], &[])]);
    let obs = obs_locations(vec![("a", failed())]);
    let flagged = run(&c, &Policy::default(), &obs);
    assert_eq!(
        rules(&flagged),
        vec![(Rule::UpstreamUnavailable, Severity::Flag)]
    );
    assert!(
        flagged.findings[0]
            .message
            .contains("timed out after 2000 ms")
    );
    let strict = Policy::default()
        .with_overrides(
            &BTreeMap::from([("failure_policy".into(), "block".into())]),
            "/policy",
        )
        .unwrap();
    assert_eq!(run(&c, &strict, &obs).verdict, Verdict::Block);
}

#[test]
fn a_lookup_with_no_answer_is_unavailable_not_a_pass() {
    let c = campaign(vec![offer(&["a"], &[("S", "a", 1)])]);
    let e = run(&c, &Policy::default(), &Observations::default());
    assert_eq!(
        rules(&e),
        vec![(Rule::UpstreamUnavailable, Severity::Flag); 2]
    );
}
