//! When a location is open, in its own calendar: weekly hours and special days in its time
//! zone, and the instants of an offer window at that location. Pure: plain values in, plain
//! values out.
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

const DAY: u32 = 24 * 60;

/// One weekly opening: it opens on `day` at `opens` (minutes after local midnight) and stays
/// open `minutes` (a period past midnight, or a 24-hour day, simply runs on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WeeklyPeriod {
    pub day: Weekday,
    pub opens: u32,
    pub minutes: u32,
}

impl WeeklyPeriod {
    /// From open and close day and time (minutes after midnight, `24:00` = 1440). A close at
    /// or before the open on the same day means the next week's day (a 24/7 period).
    pub fn new(open_day: Weekday, opens: u32, close_day: Weekday, closes: u32) -> Option<Self> {
        if opens >= DAY || closes > DAY {
            return None;
        }
        let days = (close_day.num_days_from_monday() + 7 - open_day.num_days_from_monday()) % 7;
        let mut minutes = days * DAY + closes;
        if minutes <= opens {
            minutes += 7 * DAY;
        }
        Some(Self {
            day: open_day,
            opens,
            minutes: minutes - opens,
        })
    }
}

/// Hours of one local date that replace its regular hours: closed all day when `periods` is
/// empty. A period's `closes` may pass midnight (up to 48:00: it ends the next morning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    pub periods: Vec<(u32, u32)>,
}

/// What a source said about a location's hours. `weekly: None` — the source gave no regular
/// hours, so only special days are known (every other hour counts as open).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hours {
    pub weekly: Option<Vec<WeeklyPeriod>>,
    pub special: Vec<SpecialDay>,
}

impl Hours {
    /// Nothing is known: every hour counts as open.
    pub fn is_unknown(&self) -> bool {
        self.weekly.is_none() && self.special.is_empty()
    }

    /// Closed all day on `date` (a special day, not a weekly closed day).
    pub fn closed_on(&self, date: NaiveDate) -> bool {
        self.special
            .iter()
            .any(|s| s.date == date && s.periods.is_empty())
    }

    /// Adds a special day; several entries for one date are united (a closed entry adds no
    /// period, so a date with open periods is open in them).
    pub fn add_special(&mut self, date: NaiveDate, period: Option<(u32, u32)>) {
        let day = match self.special.iter_mut().find(|s| s.date == date) {
            Some(day) => day,
            None => {
                self.special.push(SpecialDay {
                    date,
                    periods: Vec::new(),
                });
                self.special.sort_by_key(|s| s.date);
                self.special
                    .iter_mut()
                    .find(|s| s.date == date)
                    .expect("just inserted")
            }
        };
        if let Some(period) = period {
            day.periods.push(period);
        }
    }

    /// The first open interval inside `[from, until)` in zone `tz`, if any — `None` means
    /// the location has no open hour at all in the window.
    pub fn first_open(
        &self,
        tz: Tz,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if from >= until {
            return None;
        }
        if self.is_unknown() {
            return Some((from, until));
        }
        let last_special = self.special.last().map(|s| s.date);
        let first_date = from.with_timezone(&tz).date_naive();
        let last_date = until.with_timezone(&tz).date_naive();
        // A period opens at most this many days before it closes (a special one: one).
        let reach = self.weekly.as_ref().map_or(0, |weekly| {
            weekly
                .iter()
                .map(|p| (p.opens + p.minutes) / DAY)
                .max()
                .unwrap_or(0)
        });
        let mut date = first_date - Duration::days(i64::from(reach.max(1)));
        let mut weekly_days_seen = 0;
        while date <= last_date {
            let window = (tz, date, from, until);
            let open = match (self.special.iter().find(|s| s.date == date), &self.weekly) {
                (Some(day), _) => first_within(window, day.periods.iter().copied()),
                (None, Some(weekly)) => first_within(
                    window,
                    weekly
                        .iter()
                        .filter(|p| p.day == date.weekday())
                        .map(|p| (p.opens, p.opens + p.minutes)),
                ),
                (None, None) => first_within(window, std::iter::once((0, DAY))),
            };
            if open.is_some() {
                return open;
            }
            // Weekly hours repeat: once eight days past the window's start and every special
            // day have opened nothing, no later day will.
            if last_special.is_none_or(|d| date > d) && date > first_date {
                weekly_days_seen += 1;
                if weekly_days_seen > 8 {
                    return None;
                }
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// Special closed days (local dates) that `[from, until)` touches in zone `tz`.
    pub fn closed_dates_within(
        &self,
        tz: Tz,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<NaiveDate> {
        if from >= until {
            return Vec::new();
        }
        let first = from.with_timezone(&tz).date_naive();
        // `until` is exclusive: a window ending at local midnight does not touch that day.
        let last = (until - Duration::nanoseconds(1))
            .with_timezone(&tz)
            .date_naive();
        self.special
            .iter()
            .filter(|s| s.periods.is_empty() && first <= s.date && s.date <= last)
            .map(|s| s.date)
            .collect()
    }
}

/// The first of `periods` (minutes after `date`'s local midnight) that is open inside
/// `[from, until)`, as instants.
fn first_within(
    (tz, date, from, until): (Tz, NaiveDate, DateTime<Utc>, DateTime<Utc>),
    periods: impl Iterator<Item = (u32, u32)>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    for (opens, closes) in periods {
        let start = local_instant(tz, at_minute(date, opens), Edge::Opens).max(from);
        let end = local_instant(tz, at_minute(date, closes), Edge::Closes).min(until);
        if start < end {
            return Some((start, end));
        }
    }
    None
}

/// Which side of an interval a local time is: in a daylight-saving overlap an opening takes
/// the earlier instant and a closing the later; in a gap both take the first instant after it.
#[derive(Clone, Copy)]
pub enum Edge {
    Opens,
    Closes,
}

/// The instant of a local wall-clock time in `tz`.
pub fn local_instant(tz: Tz, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
    let mut t = local;
    // Gaps are at most a few hours; step through one a quarter-hour at a time.
    for _ in 0..16 {
        match (tz.from_local_datetime(&t), edge) {
            (LocalResult::Single(x), _) | (LocalResult::Ambiguous(x, _), Edge::Opens) => {
                return x.with_timezone(&Utc);
            }
            (LocalResult::Ambiguous(_, y), Edge::Closes) => return y.with_timezone(&Utc),
            (LocalResult::None, _) => t += Duration::minutes(15),
        }
    }
    local.and_utc()
}

fn at_minute(date: NaiveDate, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute))
}

/// Where a location's time zone came from (evidence, and the warning when UTC was assumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneOrigin {
    /// `[sources.locations.timezones]`
    Configured,
    /// The source said (Square Locations' `timezone`).
    Source,
    /// Found offline from the coordinates the source gave (Google's `latlng`, Square's
    /// `coordinates`).
    #[serde(rename = "latlng")]
    Coordinates,
    /// `[sources.locations] timezone`
    Default,
    /// Nothing said: UTC.
    Assumed,
}

impl ZoneOrigin {
    /// As evidence names it (`zone_source`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Configured => "configured",
            Self::Source => "source",
            Self::Coordinates => "latlng",
            Self::Default => "default",
            Self::Assumed => "utc",
        }
    }
}

/// A location's time zone and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalZone {
    pub tz: Tz,
    pub origin: ZoneOrigin,
}

impl Default for LocalZone {
    fn default() -> Self {
        Self {
            tz: Tz::UTC,
            origin: ZoneOrigin::Assumed,
        }
    }
}

/// An offer window written without an offset: wall-clock times, local to each location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalWindow {
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
}

impl LocalWindow {
    /// The window's instants at a location in `tz`.
    pub fn at(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            local_instant(tz, self.from, Edge::Opens),
            local_instant(tz, self.until, Edge::Closes),
        )
    }

    /// From its start in the easternmost zone (UTC+14) to its end in the westernmost
    /// (UTC−12): every instant at which the window is open somewhere.
    pub fn envelope(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            (self.from - Duration::hours(14)).and_utc(),
            (self.until + Duration::hours(12)).and_utc(),
        )
    }
}

/// An offer window: instants, the same everywhere, or wall-clock times local to each location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferWindow {
    Instants(DateTime<Utc>, DateTime<Utc>),
    Local(LocalWindow),
}

impl OfferWindow {
    /// The window's instants at a location in `tz`.
    pub fn at(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            OfferWindow::Instants(from, until) => (*from, *until),
            OfferWindow::Local(local) => local.at(tz),
        }
    }
}

/// The next local midnight in `tz` after `now`.
pub fn next_local_midnight(tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    let tomorrow = today.succ_opt().unwrap_or(today);
    local_instant(tz, tomorrow.and_time(NaiveTime::MIN), Edge::Opens)
}

/// "Sun 13 Dec" — a date as a customer reads it.
pub fn day_label(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// "Sun 13 Dec 09:00" in `tz`.
pub fn local_label(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%a %-d %b %H:%M").to_string()
}

/// One end of an offer window as written: an instant (with an offset) or a local wall-clock
/// time (without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowTime {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
}

impl std::str::FromStr for WindowTime {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Years 1000 to 9999: a window's instants in every zone (±14 h) and a day beyond it
        // are then always representable.
        let sane = |t: NaiveDateTime| (1000..=9999).contains(&t.year());
        if let Ok(t) = DateTime::parse_from_rfc3339(text)
            && sane(t.naive_utc())
        {
            return Ok(WindowTime::Instant(t.with_timezone(&Utc)));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(text, format)
                && sane(t)
            {
                return Ok(WindowTime::Local(t));
            }
        }
        Err(format!(
            "`{text}` is not a date-time: write 2026-12-13T09:00:00Z (an instant) or \
             2026-12-13T09:00:00 (local to each location)"
        ))
    }
}

impl<'de> Deserialize<'de> for WindowTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for WindowTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            WindowTime::Instant(t) => t.serialize(s),
            WindowTime::Local(t) => s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        }
    }
}

impl From<DateTime<Utc>> for WindowTime {
    fn from(t: DateTime<Utc>) -> Self {
        WindowTime::Instant(t)
    }
}

impl WindowTime {
    /// Both ends of a window, or why they do not make one (said of `until`).
    pub fn window(from: WindowTime, until: WindowTime) -> Result<OfferWindow, &'static str> {
        match (from, until) {
            (WindowTime::Instant(a), WindowTime::Instant(b)) if a < b => {
                Ok(OfferWindow::Instants(a, b))
            }
            (WindowTime::Local(a), WindowTime::Local(b)) if a < b => {
                Ok(OfferWindow::Local(LocalWindow { from: a, until: b }))
            }
            (WindowTime::Instant(_), WindowTime::Instant(_))
            | (WindowTime::Local(_), WindowTime::Local(_)) => Err("must be after valid_from"),
            _ => Err(
                "write both ends with an offset (instants) or both without (local to \
                 each location), not one of each",
            ),
        }
    }
}

#[cfg(test)]
#[path = "hours_tests.rs"]
mod tests;
