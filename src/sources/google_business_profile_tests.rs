use super::*;
use crate::domain::LocationStatus;
use chrono::NaiveDate;

fn parse(v: serde_json::Value) -> Result<LocationAnswer, SourceError> {
    interpret(serde_json::from_value(v).unwrap())
}

#[test]
fn reads_status_and_only_closed_special_periods() {
    let a = parse(serde_json::json!({
        "name": "locations/123",
        "openInfo": {"status": "OPEN", "canReopen": true},
        "specialHours": {"specialHourPeriods": [
            {"startDate": {"year": 2026, "month": 11, "day": 26}, "closed": true},
            {"startDate": {"year": 2026, "month": 12, "day": 24}, "endDate": {"year": 2026, "month": 12, "day": 26}, "closed": true},
            {"startDate": {"year": 2026, "month": 11, "day": 27}, "openTime": {"hours": 9}, "closeTime": {"hours": 12}}
        ]}
    }))
    .unwrap();
    assert_eq!(a.status, LocationStatus::Open);
    // Closed on the 26th of November and on 24–26 December; open 9–12 on the 27th.
    let closed: Vec<String> = a
        .hours
        .special
        .iter()
        .filter(|s| s.periods.is_empty())
        .map(|s| s.date.to_string())
        .collect();
    assert_eq!(
        closed,
        ["2026-11-26", "2026-12-24", "2026-12-25", "2026-12-26"]
    );
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let open = a.hours.special.iter().find(|s| s.date == day).unwrap();
    assert_eq!(open.periods, vec![(9 * 60, 12 * 60)]);
    assert_eq!(a.hours.weekly, None);
}

#[test]
fn reads_title_and_regular_hours_past_midnight_and_to_24_00() {
    let a = parse(serde_json::json!({
        "name": "locations/123",
        "title": "Midtown",
        "regularHours": {"periods": [
            {"openDay": "MONDAY", "openTime": {"hours": 8}, "closeDay": "MONDAY", "closeTime": {"hours": 18, "minutes": 30}},
            {"openDay": "FRIDAY", "openTime": {"hours": 22}, "closeDay": "SATURDAY", "closeTime": {"hours": 2}},
            {"openDay": "SUNDAY", "openTime": {}, "closeDay": "SUNDAY", "closeTime": {"hours": 24}}
        ]},
        "specialHours": {"specialHourPeriods": [
            {"startDate": {"year": 2026, "month": 12, "day": 31}, "openTime": {"hours": 20},
             "endDate": {"year": 2027, "month": 1, "day": 1}, "closeTime": {"hours": 2}}
        ]}
    }))
    .unwrap();
    assert_eq!(a.name.as_deref(), Some("Midtown"));
    let weekly = a.hours.weekly.unwrap();
    assert_eq!((weekly[0].opens, weekly[0].minutes), (8 * 60, 10 * 60 + 30));
    assert_eq!((weekly[1].opens, weekly[1].minutes), (22 * 60, 4 * 60));
    assert_eq!((weekly[2].opens, weekly[2].minutes), (0, 24 * 60));
    assert_eq!(a.hours.special[0].periods, vec![(20 * 60, 26 * 60)]);
    assert!(
        parse(serde_json::json!({"regularHours": {"periods": [
            {"openDay": "MONDAY", "openTime": {"hours": 25}, "closeDay": "MONDAY"}]}}))
        .is_err()
    );
}

#[test]
fn missing_open_info_counts_as_open_and_unknown_status_is_garbage() {
    assert_eq!(
        parse(serde_json::json!({})).unwrap().status,
        LocationStatus::Open
    );
    assert!(parse(serde_json::json!({"openInfo": {"status": "MAYBE"}})).is_err());
    assert!(
        parse(serde_json::json!({"specialHours": {"specialHourPeriods": [
        {"startDate": {"year": 2026, "month": 2, "day": 30}, "closed": true}]}}))
        .is_err()
    );
}

#[test]
fn a_future_opening_date_closes_the_days_before_it_and_a_duplicate_is_noted() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    let opening = serde_json::json!({
        "openInfo": {"status": "OPEN", "openingDate": {"year": 2026, "month": 12, "day": 10}},
        "metadata": {"duplicateLocation": "locations/42"}
    });
    let a = location::interpret_on(serde_json::from_value(opening).unwrap(), today).unwrap();
    assert_eq!(a.status, LocationStatus::Open);
    let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
    for day in 5..10 {
        assert!(a.hours.closed_on(d(day)), "closed on the {day}th");
    }
    assert!(!a.hours.closed_on(d(10)), "open from the opening day");
    assert_eq!(a.notes.len(), 1);
    assert!(a.notes[0].contains("locations/42"), "{:?}", a.notes);
    // A month alone opens on its first day; an opening in the past closes nothing.
    let month = serde_json::json!({"openInfo": {"openingDate": {"year": 2027, "month": 1}}});
    let b = location::interpret_on(serde_json::from_value(month).unwrap(), today).unwrap();
    assert!(b.hours.closed_on(d(31)));
    assert!(
        !b.hours
            .closed_on(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
    );
    let past =
        serde_json::json!({"openInfo": {"openingDate": {"year": 2019, "month": 3, "day": 1}}});
    let c = location::interpret_on(serde_json::from_value(past).unwrap(), today).unwrap();
    assert!(c.hours.is_unknown() && c.notes.is_empty());
}
