//! Location hours in the location's own zone: the Los Angeles branch (Monday to
//! Saturday 08:00–18:00, closed Sundays, one special closed Wednesday) and a Tehran twin.
use super::*;

const H: u32 = 60;

/// Open Monday–Saturday 08:00–18:00 in `tz`, closed Sundays, closed on Wed 16 Dec 2026.
fn branch(tz: Tz, name: &str) -> Result<LocationReport, LookupFailure> {
    let mut hours = Hours {
        weekly: Some(
            [
                chrono::Weekday::Mon,
                chrono::Weekday::Tue,
                chrono::Weekday::Wed,
                chrono::Weekday::Thu,
                chrono::Weekday::Fri,
                chrono::Weekday::Sat,
            ]
            .into_iter()
            .map(|day| WeeklyPeriod::new(day, 8 * H, day, 18 * H).unwrap())
            .collect(),
        ),
        special: Vec::new(),
    };
    hours.add_special(d("2026-12-16"), None);
    Ok(LocationReport {
        status: LocationStatus::Open,
        raw_status: "OPEN".into(),
        name: Some(name.into()),
        zone: LocalZone {
            tz,
            origin: ZoneOrigin::Configured,
        },
        hours,
        notes: Vec::new(),
        source_id: None,
        source: "google-business-profile".into(),
        fetched_at: t("2026-12-01T00:00:00Z"),
    })
}

fn window(from: &str, until: &str) -> Campaign {
    let mut o = offer(&["loc-101"], &[]);
    o.valid_from = t(from);
    o.valid_until = t(until);
    campaign(vec![o])
}

fn judged(c: &Campaign, report: Result<LocationReport, LookupFailure>, at: &str) -> Evaluation {
    let obs = obs_locations(vec![("loc-101", report)]);
    let mut n = 0;
    evaluate(c, t(at), t(at), &Policy::default(), &obs, || {
        n += 1;
        format!("f{n}")
    })
}

const BEFORE: &str = "2026-12-01T00:00:00Z";

#[test]
fn the_tuesday_before_the_closed_wednesday_passes_though_it_ends_past_utc_midnight() {
    // Tue 15 Dec 10:00–17:00 in Los Angeles.
    let c = window("2026-12-15T18:00:00Z", "2026-12-16T01:00:00Z");
    let e = judged(&c, branch(Los_Angeles, "Midtown"), BEFORE);
    assert_eq!(e.verdict, Verdict::Pass, "{:?}", e.findings);
    assert!(e.warnings.is_empty());
}

#[test]
fn a_sunday_only_offer_at_a_branch_closed_every_sunday_blocks() {
    // Sun 13 Dec 09:00–17:00 in Los Angeles.
    let c = window("2026-12-13T17:00:00Z", "2026-12-14T01:00:00Z");
    let e = judged(&c, branch(Los_Angeles, "Midtown"), BEFORE);
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedWholeWindow, Severity::Block)]
    );
    assert_eq!(
        e.findings[0].message,
        "Midtown (loc-101) has no open hour in the offer window, \
         Sun 13 Dec 09:00 – Sun 13 Dec 17:00 (America/Los_Angeles)"
    );
    let evidence = &e.findings[0].evidence;
    assert_eq!(evidence["zone"], "America/Los_Angeles");
    assert_eq!(evidence["name"], "Midtown");
    assert_eq!(evidence["window"]["from"], "2026-12-13T17:00:00Z");
    assert!(e.offers[0].keepable_locations.is_empty());
    // The same instants in Tehran are Sunday 20:30 to Monday 04:30: closed too (closed on
    // Sundays, and Monday opens at 08:00).
    let e = judged(&c, branch(Tehran, "Vanak"), BEFORE);
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedWholeWindow, Severity::Block)]
    );
}

#[test]
fn a_window_wholly_on_the_special_closed_day_or_after_closing_time_blocks() {
    // Wed 16 Dec 10:00–17:00 in Los Angeles: the special closed day.
    let c = window("2026-12-16T18:00:00Z", "2026-12-17T01:00:00Z");
    let e = judged(&c, branch(Los_Angeles, "Midtown"), BEFORE);
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedWholeWindow, Severity::Block)]
    );
    assert_eq!(
        e.findings[0].evidence["closed_dates"],
        serde_json::json!(["2026-12-16"])
    );
    // "Tonight only", Thu 17 Dec 19:00–23:00 in Los Angeles: after closing time.
    let c = window("2026-12-18T03:00:00Z", "2026-12-18T07:00:00Z");
    let e = judged(&c, branch(Los_Angeles, "Midtown"), BEFORE);
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedWholeWindow, Severity::Block)]
    );
    // The same instants in Tehran are Friday 06:30–10:30: open from 08:00.
    let e = judged(&c, branch(Tehran, "Vanak"), BEFORE);
    assert_eq!(e.verdict, Verdict::Pass, "{:?}", e.findings);
}

#[test]
fn a_special_closed_day_inside_a_window_with_open_hours_flags_in_local_dates() {
    // Mon 14 Dec to Fri 18 Dec, local midnight to midnight in Los Angeles.
    let c = window("2026-12-14T08:00:00Z", "2026-12-19T08:00:00Z");
    let e = judged(&c, branch(Los_Angeles, "Midtown"), BEFORE);
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedDuringWindow, Severity::Flag)]
    );
    assert_eq!(
        e.warnings,
        vec!["free-day: Midtown (loc-101) is closed on Wed 16 Dec, inside the offer window"]
    );
    // A weekly closed day is not a closure: the week before, Sunday included, passes.
    let c = window("2026-12-07T08:00:00Z", "2026-12-14T08:00:00Z");
    assert_eq!(
        judged(&c, branch(Los_Angeles, "Midtown"), BEFORE).verdict,
        Verdict::Pass
    );
}

#[test]
fn a_running_offer_is_judged_on_what_is_left_of_its_window() {
    // Mon 7 Dec to Mon 14 Dec, local midnights in Los Angeles: open most days...
    let c = window("2026-12-07T08:00:00Z", "2026-12-14T08:00:00Z");
    // ...but re-checked at Sat 12 Dec 18:30 local, only the closed Saturday evening and
    // Sunday are left.
    let e = judged(&c, branch(Los_Angeles, "Midtown"), "2026-12-13T02:30:00Z");
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedWholeWindow, Severity::Block)]
    );
    assert_eq!(
        e.findings[0].evidence["window"]["from"],
        "2026-12-13T02:30:00Z"
    );
    // At Sat 12 Dec 17:00 local an hour of Saturday is still left.
    let e = judged(&c, branch(Los_Angeles, "Midtown"), "2026-12-13T01:00:00Z");
    assert_eq!(e.verdict, Verdict::Pass);
}

#[test]
fn a_window_without_an_offset_is_judged_in_each_branchs_zone() {
    // "Sunday 09:00–17:00" nationwide, at a Sunday-closed branch in Los Angeles and a
    // Sunday-open one in New York.
    let mut o = offer(&["la", "ny"], &[]);
    let local = LocalWindow {
        from: "2026-12-13T09:00:00".parse().unwrap(),
        until: "2026-12-13T17:00:00".parse().unwrap(),
    };
    (o.valid_from, o.valid_until) = local.envelope();
    o.local = Some(local);
    let c = campaign(vec![o]);
    let mut ny = branch(New_York, "Union Square").unwrap();
    ny.hours.weekly.as_mut().unwrap().push(
        WeeklyPeriod::new(chrono::Weekday::Sun, 10 * H, chrono::Weekday::Sun, 16 * H).unwrap(),
    );
    let obs = obs_locations(vec![("la", branch(Los_Angeles, "Midtown")), ("ny", Ok(ny))]);
    let e = evaluate(&c, t(BEFORE), t(BEFORE), &Policy::default(), &obs, || {
        "f".into()
    });
    assert_eq!(
        rules(&e),
        vec![(Rule::LocationClosedWholeWindow, Severity::Block)]
    );
    assert_eq!(e.findings[0].target.location.as_deref(), Some("la"));
    // The evidence names the instants used at that branch: 09:00 and 17:00 in Los Angeles.
    assert_eq!(
        e.findings[0].evidence["window"],
        serde_json::json!({"from": "2026-12-13T17:00:00Z", "until": "2026-12-14T01:00:00Z"})
    );
    assert_eq!(e.offers[0].keepable_locations, vec!["ny"]);
}

#[test]
fn hours_judged_in_an_assumed_utc_say_so_in_warnings() {
    let mut report = branch(Tz::UTC, "Midtown").unwrap();
    report.zone = LocalZone::default();
    let c = window("2026-12-15T10:00:00Z", "2026-12-15T12:00:00Z");
    let e = judged(&c, Ok(report), BEFORE);
    assert_eq!(e.verdict, Verdict::Pass);
    assert_eq!(e.warnings.len(), 1);
    assert!(
        e.warnings[0].starts_with("loc-101: no time zone is known"),
        "{:?}",
        e.warnings
    );
    // Nothing is said when there were no hours to judge.
    let mut bare = open().unwrap();
    bare.zone = LocalZone::default();
    let e = judged(&c, Ok(bare), BEFORE);
    assert!(e.warnings.is_empty());
}
