use super::*;
use crate::domain::LocationStatus;

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
