//! The window on plain values: zones with half-hour offsets and daylight saving, a window past
//! midnight, days, and the spread of a backlog.
use super::*;

fn window(s: &str) -> SendWindow {
    s.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn inside_the_window_a_message_goes_when_due() {
    let w = window("09:00-20:00");
    // Tehran is +03:30: 08:00 UTC is 11:30 there.
    let due = utc("2026-12-07T08:00:00Z");
    assert_eq!(w.send_at(due, chrono_tz::Asia::Tehran, 0.5), due);
    assert_eq!(SendWindow::Always.send_at(due, chrono_tz::UTC, 0.5), due);
}

#[test]
fn at_night_it_waits_for_the_local_opening_plus_its_spread() {
    let w = window("09:00-20:00");
    // 23:45 UTC is 03:15 in Tehran: it goes at 09:00 Tehran (05:30 UTC), plus its share of
    // the first hour.
    let due = utc("2026-12-06T23:45:00Z");
    assert_eq!(
        w.send_at(due, chrono_tz::Asia::Tehran, 0.0),
        utc("2026-12-07T05:30:00Z")
    );
    assert_eq!(
        w.send_at(due, chrono_tz::Asia::Tehran, 0.5),
        utc("2026-12-07T06:00:00Z")
    );
    // After the close, the next day's opening.
    let evening = utc("2026-12-07T17:00:00Z"); // 20:30 Tehran
    assert_eq!(
        w.send_at(evening, chrono_tz::Asia::Tehran, 0.0),
        utc("2026-12-08T05:30:00Z")
    );
}

#[test]
fn los_angeles_opens_at_nine_local_on_both_sides_of_daylight_saving() {
    let w = window("09:00-20:00");
    let la = chrono_tz::America::Los_Angeles;
    // The night before clocks go forward (8 March 2026): 09:00 PDT is 16:00 UTC.
    assert_eq!(
        w.send_at(utc("2026-03-08T10:00:00Z"), la, 0.0),
        utc("2026-03-08T16:00:00Z")
    );
    // A week earlier, 09:00 PST is 17:00 UTC.
    assert_eq!(
        w.send_at(utc("2026-03-01T10:00:00Z"), la, 0.0),
        utc("2026-03-01T17:00:00Z")
    );
    // The night clocks go back (1 November 2026): 09:00 PST is 17:00 UTC.
    assert_eq!(
        w.send_at(utc("2026-11-01T09:00:00Z"), la, 0.0),
        utc("2026-11-01T17:00:00Z")
    );
    // An opening the clocks skip (02:30 on 8 March) moves forward by the gap.
    let w = window("02:30-05:00");
    assert_eq!(
        w.send_at(utc("2026-03-08T08:00:00Z"), la, 0.0),
        utc("2026-03-08T10:30:00Z")
    );
}

#[test]
fn a_window_past_midnight_is_open_on_both_sides_of_it() {
    let w = window("20:00-02:00");
    let utc_zone = chrono_tz::UTC;
    for inside in ["2026-12-07T21:00:00Z", "2026-12-08T01:59:00Z"] {
        assert_eq!(
            w.send_at(utc(inside), utc_zone, 0.3),
            utc(inside),
            "{inside}"
        );
    }
    // 02:00 to 20:00 waits for 20:00; the spread is over the first hour.
    assert_eq!(
        w.send_at(utc("2026-12-08T02:00:00Z"), utc_zone, 0.0),
        utc("2026-12-08T20:00:00Z")
    );
    assert_eq!(
        w.send_at(utc("2026-12-08T12:00:00Z"), utc_zone, 0.25),
        utc("2026-12-08T20:15:00Z")
    );
}

#[test]
fn days_and_short_windows() {
    // Weekdays only: Saturday night waits for Monday 09:00.
    let w = window("09:00-17:00").with_days(&[
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]);
    assert_eq!(
        w.send_at(utc("2026-12-05T22:00:00Z"), chrono_tz::UTC, 0.0),
        utc("2026-12-07T09:00:00Z")
    );
    // A window of 20 minutes spreads its backlog over those 20 minutes.
    let w = window("12:00-12:20");
    assert_eq!(
        w.send_at(utc("2026-12-07T06:00:00Z"), chrono_tz::UTC, 0.5),
        utc("2026-12-07T12:10:00Z")
    );
}

#[test]
fn a_backlog_spreads_over_the_first_hour_by_recipient() {
    let w = window("09:00-20:00");
    let due = utc("2026-12-07T03:00:00Z");
    let times: Vec<DateTime<Utc>> = (0..500)
        .map(|i| {
            w.send_at(
                due,
                chrono_tz::UTC,
                spread_of(&format!("person{i}@example.com")),
            )
        })
        .collect();
    let opening = utc("2026-12-07T09:00:00Z");
    assert!(
        times
            .iter()
            .all(|t| *t >= opening && *t < opening + Duration::hours(1))
    );
    // Each quarter of the hour takes roughly a quarter of them.
    for q in 0..4 {
        let from = opening + Duration::minutes(15 * q);
        let n = times
            .iter()
            .filter(|t| **t >= from && **t < from + Duration::minutes(15))
            .count();
        assert!((90..=160).contains(&n), "quarter {q}: {n}");
    }
    assert_eq!(
        spread_of("a@example.com"),
        spread_of("a@example.com"),
        "fixed per recipient"
    );
}

#[test]
fn windows_and_days_are_read_or_refused_plainly() {
    assert_eq!(window("always"), SendWindow::Always);
    for bad in ["9-5", "09:00", "25:00-26:00", "09:00-09:00"] {
        assert!(bad.parse::<SendWindow>().is_err(), "{bad}");
    }
    assert_eq!(parse_day("mon"), Ok(Weekday::Mon));
    assert!(parse_day("someday").is_err());
}

#[test]
fn the_recipients_zone_is_their_branchs_else_the_one_every_location_shares() {
    use std::collections::{BTreeMap, BTreeSet};
    let locations: BTreeSet<String> = ["loc-1", "loc-2"].map(String::from).into();
    let mut zones: BTreeMap<String, String> = BTreeMap::new();
    zones.insert("loc-1".into(), "Asia/Tehran".into());
    zones.insert("loc-2".into(), "Europe/Berlin".into());
    assert_eq!(
        recipient_zone(Some("loc-2"), &locations, &zones).as_deref(),
        Some("Europe/Berlin")
    );
    assert_eq!(
        recipient_zone(None, &locations, &zones),
        None,
        "the branches disagree"
    );
    zones.insert("loc-2".into(), "Asia/Tehran".into());
    assert_eq!(
        recipient_zone(None, &locations, &zones).as_deref(),
        Some("Asia/Tehran")
    );
    zones.remove("loc-2");
    assert_eq!(
        recipient_zone(None, &locations, &zones),
        None,
        "one location's zone unknown"
    );
    assert_eq!(
        recipient_zone(Some("loc-9"), &BTreeSet::new(), &zones),
        None,
        "nothing known"
    );
}
