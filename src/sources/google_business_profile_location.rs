//! One Google Business Profile location as the API answers it (`readMask` fields), read into
//! what a check needs: status, title, weekly and special hours, a future opening date (closed
//! before it) and a duplicate mark (a warning).
use super::{LocationAnswer, SourceError, parse_open_status};
use crate::domain::hours::WeeklyPeriod;
use chrono::NaiveDate;
use serde::Deserialize;

/// Closed days added before a future opening date, at most (a year ahead covers any offer).
const MAX_DAYS_BEFORE_OPENING: usize = 400;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    /// `locations/{id}`.
    #[serde(default)]
    pub(super) name: Option<String>,
    /// The business name people see.
    #[serde(default)]
    title: Option<String>,
    /// The retailer's own code for it.
    #[serde(default)]
    pub(super) store_code: Option<String>,
    #[serde(default)]
    open_info: Option<OpenInfo>,
    #[serde(default)]
    regular_hours: Option<RegularHours>,
    #[serde(default)]
    special_hours: Option<SpecialHours>,
    #[serde(default)]
    metadata: Option<Metadata>,
    /// `google.type.LatLng`, when the owner set it.
    #[serde(default)]
    latlng: Option<super::super::Coordinates>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    /// The location this one duplicates, when Google marks it so.
    #[serde(default)]
    duplicate_location: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RegularHours {
    #[serde(default)]
    periods: Vec<TimePeriod>,
}

/// `TimePeriod`: opens on `openDay` at `openTime`, closes on `closeDay` at `closeTime`
/// (`24:00` = the end of that day).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimePeriod {
    open_day: String,
    #[serde(default)]
    open_time: TimeOfDay,
    close_day: String,
    #[serde(default)]
    close_time: TimeOfDay,
}

/// `google.type.TimeOfDay`; proto3 JSON leaves out zero fields (`{}` is midnight).
#[derive(Debug, Default, Deserialize)]
struct TimeOfDay {
    #[serde(default)]
    hours: u32,
    #[serde(default)]
    minutes: u32,
}

impl TimeOfDay {
    fn minutes(&self) -> Result<u32, SourceError> {
        if self.hours > 24 || self.minutes > 59 || (self.hours == 24 && self.minutes > 0) {
            return Err(SourceError::Garbage(format!(
                "invalid time {}:{:02}",
                self.hours, self.minutes
            )));
        }
        Ok(self.hours * 60 + self.minutes)
    }
}

fn weekday(day: &str) -> Result<chrono::Weekday, SourceError> {
    day.parse::<chrono::Weekday>()
        .map_err(|_| SourceError::Garbage(format!("unknown day of week `{day}`")))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenInfo {
    #[serde(default)]
    status: Option<String>,
    /// When it first opens (or opened); `day` 0 when only the month is known.
    #[serde(default)]
    opening_date: Option<GoogleDate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecialHours {
    #[serde(default)]
    special_hour_periods: Vec<SpecialHourPeriod>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecialHourPeriod {
    start_date: GoogleDate,
    #[serde(default)]
    end_date: Option<GoogleDate>,
    #[serde(default)]
    open_time: Option<TimeOfDay>,
    #[serde(default)]
    close_time: Option<TimeOfDay>,
    #[serde(default)]
    closed: bool,
}

/// `google.type.Date`; proto3 JSON leaves out a zero `day` (a month only).
#[derive(Debug, Deserialize)]
struct GoogleDate {
    year: i32,
    month: u32,
    #[serde(default)]
    day: u32,
}

impl GoogleDate {
    fn to_date(&self) -> Result<NaiveDate, SourceError> {
        NaiveDate::from_ymd_opt(self.year, self.month, self.day).ok_or_else(|| {
            SourceError::Garbage(format!(
                "invalid date {}-{}-{}",
                self.year, self.month, self.day
            ))
        })
    }
}

pub(super) fn interpret(location: Location) -> Result<LocationAnswer, SourceError> {
    interpret_on(location, chrono::Utc::now().date_naive())
}

/// As Google says it on `today`: a location whose `openingDate` is still ahead is closed on
/// every day before it (from yesterday, for zones behind UTC), so the rules judge a window
/// that starts before the opening as they judge any closed days.
pub(super) fn interpret_on(
    location: Location,
    today: NaiveDate,
) -> Result<LocationAnswer, SourceError> {
    let (raw_status, opening) = match location.open_info {
        Some(info) => (info.status, info.opening_date),
        None => (None, None),
    };
    let raw_status = raw_status.unwrap_or_else(|| "OPEN_FOR_BUSINESS_UNSPECIFIED".into());
    let status = parse_open_status(&raw_status)
        .ok_or_else(|| SourceError::Garbage(format!("unknown openInfo.status `{raw_status}`")))?;
    let mut answer = LocationAnswer::with_status(status, raw_status);
    answer.name = location.title.filter(|t| !t.trim().is_empty());
    answer.coordinates = location.latlng;
    if let Some(regular) = location.regular_hours {
        let mut weekly = Vec::with_capacity(regular.periods.len());
        for p in regular.periods {
            let (open_day, close_day) = (weekday(&p.open_day)?, weekday(&p.close_day)?);
            let (opens, closes) = (p.open_time.minutes()?, p.close_time.minutes()?);
            let period =
                WeeklyPeriod::new(open_day, opens, close_day, closes).ok_or_else(|| {
                    SourceError::Garbage(format!("invalid period {open_day} {opens} min"))
                })?;
            weekly.push(period);
        }
        answer.hours.weekly = Some(weekly);
    }
    for period in location
        .special_hours
        .map(|s| s.special_hour_periods)
        .unwrap_or_default()
    {
        let start = period.start_date.to_date()?;
        let end = match &period.end_date {
            Some(d) => d.to_date()?,
            None => start,
        };
        if end < start {
            return Err(SourceError::Garbage(format!(
                "special hours end {end} before start {start}"
            )));
        }
        if period.closed {
            // Closed on every date from start to end.
            for date in start.iter_days().take_while(|d| *d <= end) {
                answer.hours.add_special(date, None);
            }
            continue;
        }
        // Open on `start` from `openTime` to `closeTime` on `end` (the same day or the next).
        let opens = period.open_time.unwrap_or_default().minutes()?;
        let closes = period.close_time.unwrap_or_default().minutes()?;
        let closes = closes + 24 * 60 * ((end - start).num_days().clamp(0, 1) as u32);
        if closes <= opens {
            return Err(SourceError::Garbage(format!(
                "special hours on {start} close before they open"
            )));
        }
        answer.hours.add_special(start, Some((opens, closes)));
    }
    if let Some(opening) = opening {
        // A month alone opens on its first day.
        let day = GoogleDate {
            day: opening.day.max(1),
            ..opening
        };
        let opens = day.to_date()?;
        let from = today.pred_opt().unwrap_or(today);
        for date in from
            .iter_days()
            .take_while(|d| *d < opens)
            .take(MAX_DAYS_BEFORE_OPENING)
        {
            answer.hours.add_special(date, None);
        }
    }
    if let Some(original) = location.metadata.and_then(|m| m.duplicate_location) {
        answer.notes.push(format!(
            "Google marks it a duplicate of {original} (metadata.duplicateLocation): promise the location customers find"
        ));
    }
    Ok(answer)
}
