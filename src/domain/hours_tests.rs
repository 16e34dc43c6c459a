use super::*;
use chrono::Weekday::{Fri, Mon, Sat, Sun, Tue, Wed};
use chrono_tz::America::{Los_Angeles, New_York};
use chrono_tz::Asia::Tehran;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn local(s: &str) -> NaiveDateTime {
    s.parse().unwrap()
}

const H: u32 = 60;

/// Monday to Saturday 08:00–18:00, closed Sundays (the branch).
fn shop() -> Hours {
    Hours {
        weekly: Some(
            [Mon, Tue, Wed, chrono::Weekday::Thu, Fri, Sat]
                .into_iter()
                .map(|d| WeeklyPeriod::new(d, 8 * H, d, 18 * H).unwrap())
                .collect(),
        ),
        special: Vec::new(),
    }
}

#[test]
fn weekly_hours_in_the_locations_zone() {
    let hours = shop();
    // Tue 15 Dec 2026 10:00–17:00 in Los Angeles is 18:00Z–01:00Z (the next UTC day).
    let open = hours.first_open(
        Los_Angeles,
        t("2026-12-15T18:00:00Z"),
        t("2026-12-16T01:00:00Z"),
    );
    assert_eq!(
        open,
        Some((t("2026-12-15T18:00:00Z"), t("2026-12-16T01:00:00Z")))
    );
    // Sunday 13 Dec, all day local: closed every Sunday.
    let sunday = (t("2026-12-13T08:00:00Z"), t("2026-12-14T08:00:00Z"));
    assert_eq!(hours.first_open(Los_Angeles, sunday.0, sunday.1), None);
    // "Tonight only", 19:00–23:00 local Monday: after closing time.
    assert_eq!(
        hours.first_open(
            Los_Angeles,
            t("2026-12-15T03:00:00Z"),
            t("2026-12-15T07:00:00Z")
        ),
        None
    );
    // The same Monday evening in UTC is Tuesday morning in Tehran (UTC+3:30): open from 08:00.
    assert_eq!(
        hours.first_open(Tehran, t("2026-12-15T03:00:00Z"), t("2026-12-15T07:00:00Z")),
        Some((t("2026-12-15T04:30:00Z"), t("2026-12-15T07:00:00Z")))
    );
}

#[test]
fn a_period_past_midnight_and_a_24_hour_day() {
    let late = Hours {
        weekly: Some(vec![WeeklyPeriod::new(Fri, 22 * H, Sat, 2 * H).unwrap()]),
        special: Vec::new(),
    };
    // Sat 02 Jan 2027 01:00–01:30 UTC: still Friday night's period.
    assert!(
        late.first_open(
            Tz::UTC,
            t("2027-01-02T01:00:00Z"),
            t("2027-01-02T01:30:00Z")
        )
        .is_some()
    );
    assert!(
        late.first_open(
            Tz::UTC,
            t("2027-01-02T02:00:00Z"),
            t("2027-01-02T21:59:00Z")
        )
        .is_none()
    );
    let all_day = Hours {
        weekly: Some(vec![WeeklyPeriod::new(Mon, 0, Mon, 24 * H).unwrap()]),
        special: Vec::new(),
    };
    assert_eq!(
        all_day.first_open(
            Tz::UTC,
            t("2027-01-04T23:00:00Z"),
            t("2027-01-05T02:00:00Z")
        ),
        Some((t("2027-01-04T23:00:00Z"), t("2027-01-05T00:00:00Z")))
    );
    // Open Monday 00:00 to Monday 00:00: always (24/7 in one period).
    let always = WeeklyPeriod::new(Mon, 0, Mon, 0).unwrap();
    assert_eq!(always.minutes, 7 * 24 * H);
    assert_eq!(WeeklyPeriod::new(Mon, 25 * H, Mon, 0), None);
}

#[test]
fn a_special_day_replaces_that_local_dates_regular_hours() {
    let mut hours = shop();
    hours.add_special(date("2026-12-16"), None);
    // Wed 16 Dec 10:00–17:00 Los Angeles: wholly on the special closed day.
    let wednesday = (t("2026-12-16T18:00:00Z"), t("2026-12-17T01:00:00Z"));
    assert_eq!(
        hours.first_open(Los_Angeles, wednesday.0, wednesday.1),
        None
    );
    assert_eq!(
        hours.closed_dates_within(Los_Angeles, wednesday.0, wednesday.1),
        vec![date("2026-12-16")]
    );
    // The Tuesday before, 10:00–17:00 local, ends past UTC midnight but never touches the
    // closed Wednesday in Los Angeles.
    assert!(
        hours
            .closed_dates_within(
                Los_Angeles,
                t("2026-12-15T18:00:00Z"),
                t("2026-12-16T01:00:00Z")
            )
            .is_empty()
    );
    // Special hours on a Sunday open a day that is closed every week.
    hours.add_special(date("2026-12-20"), Some((12 * H, 14 * H)));
    assert_eq!(
        hours.first_open(
            Los_Angeles,
            t("2026-12-20T17:00:00Z"),
            t("2026-12-20T23:00:00Z")
        ),
        Some((t("2026-12-20T20:00:00Z"), t("2026-12-20T22:00:00Z")))
    );
    assert!(!hours.closed_on(date("2026-12-20")));
    assert!(hours.closed_on(date("2026-12-16")));
}

#[test]
fn several_periods_on_one_date_are_united_and_one_may_end_the_next_morning() {
    let mut hours = shop();
    let day = date("2026-12-24");
    hours.add_special(day, Some((9 * H, 11 * H)));
    hours.add_special(day, Some((22 * H, 26 * H)));
    assert_eq!(hours.special.len(), 1);
    // 11:00–22:00 UTC on the 24th: between the two periods.
    assert_eq!(
        hours.first_open(
            Tz::UTC,
            t("2026-12-24T11:00:00Z"),
            t("2026-12-24T22:00:00Z")
        ),
        None
    );
    // 01:00 on the 25th is still the 24th's late period (to 02:00).
    assert_eq!(
        hours.first_open(
            Tz::UTC,
            t("2026-12-25T01:00:00Z"),
            t("2026-12-25T03:00:00Z")
        ),
        Some((t("2026-12-25T01:00:00Z"), t("2026-12-25T02:00:00Z")))
    );
}

#[test]
fn a_window_across_a_daylight_saving_change() {
    // Los Angeles falls back on Sun 1 Nov 2026 at 02:00 PDT: that Sunday has 25 hours.
    let sundays = Hours {
        weekly: Some(vec![WeeklyPeriod::new(Sun, 0, Sun, 24 * H).unwrap()]),
        special: Vec::new(),
    };
    let open = sundays
        .first_open(
            Los_Angeles,
            t("2026-10-31T00:00:00Z"),
            t("2026-11-03T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(open, (t("2026-11-01T07:00:00Z"), t("2026-11-02T08:00:00Z")));
    assert_eq!((open.1 - open.0).num_hours(), 25);
    // 01:30 happens twice that night: a window opening then opens at the first, closing then
    // closes at the second.
    let twice = local("2026-11-01T01:30:00");
    assert_eq!(
        local_instant(Los_Angeles, twice, Edge::Opens),
        t("2026-11-01T08:30:00Z")
    );
    assert_eq!(
        local_instant(Los_Angeles, twice, Edge::Closes),
        t("2026-11-01T09:30:00Z")
    );
    // 02:30 on Sun 8 Mar 2026 never happens (spring forward): the first instant after it.
    assert_eq!(
        local_instant(Los_Angeles, local("2026-03-08T02:30:00"), Edge::Opens),
        t("2026-03-08T10:00:00Z")
    );
}

#[test]
fn a_floating_window_is_one_window_in_each_zone() {
    let window = LocalWindow {
        from: local("2026-12-13T09:00:00"),
        until: local("2026-12-13T17:00:00"),
    };
    assert_eq!(
        window.at(Los_Angeles),
        (t("2026-12-13T17:00:00Z"), t("2026-12-14T01:00:00Z"))
    );
    assert_eq!(
        window.at(New_York),
        (t("2026-12-13T14:00:00Z"), t("2026-12-13T22:00:00Z"))
    );
    assert_eq!(
        window.at(Tehran),
        (t("2026-12-13T05:30:00Z"), t("2026-12-13T13:30:00Z"))
    );
    let (from, until) = window.envelope();
    for tz in [Los_Angeles, New_York, Tehran] {
        let (a, b) = window.at(tz);
        assert!(from <= a && b <= until, "{tz}");
    }
    // A Sunday-only floating window at the Sunday-closed shop is closed in every zone.
    for tz in [Los_Angeles, New_York, Tehran] {
        let (a, b) = window.at(tz);
        assert_eq!(shop().first_open(tz, a, b), None, "{tz}");
    }
}

#[test]
fn missing_hours_judge_only_what_is_known() {
    let nothing = Hours::default();
    assert!(nothing.is_unknown());
    let (a, b) = (t("2026-12-13T00:00:00Z"), t("2026-12-14T00:00:00Z"));
    assert_eq!(nothing.first_open(Tz::UTC, a, b), Some((a, b)));
    // Only a special closed day known (e.g. `static`): that day is closed, the rest open.
    let mut special_only = Hours::default();
    special_only.add_special(date("2026-12-13"), None);
    assert_eq!(special_only.first_open(Tz::UTC, a, b), None);
    assert_eq!(
        special_only.first_open(Tz::UTC, a, t("2026-12-14T01:00:00Z")),
        Some((t("2026-12-14T00:00:00Z"), t("2026-12-14T01:00:00Z")))
    );
    // In Tehran the same UTC day touches two local dates, the 13th from 03:30 local.
    assert_eq!(
        special_only.first_open(Tehran, a, b),
        Some((t("2026-12-13T20:30:00Z"), b))
    );
    // Closed every day of the week: never open, found without walking a year of days.
    let never = Hours {
        weekly: Some(Vec::new()),
        special: Vec::new(),
    };
    assert_eq!(
        never.first_open(Tz::UTC, a, t("2036-12-14T00:00:00Z")),
        None
    );
}

#[test]
fn labels_are_written_in_the_locations_zone() {
    assert_eq!(day_label(date("2026-12-13")), "Sun 13 Dec");
    assert_eq!(
        local_label(Tehran, t("2026-12-13T05:30:00Z")),
        "Sun 13 Dec 09:00"
    );
}
