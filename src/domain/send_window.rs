//! When a survey may reach someone (`[surveys] send_window`, `send_days`): in the recipient's
//! own local time, between the window's opening and closing, on the days it names. A message
//! that falls due outside goes at the next opening — not all at once: each at its own point of
//! the window's first hour (or of the whole window, if shorter), fixed by its recipient, so a
//! night's backlog trickles out instead of arriving as one burst.
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The part of a window a backlog is spread over, at most.
const SPREAD: Duration = Duration::hours(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendWindow {
    /// Any time (`"always"`).
    Always,
    /// From `open` to `close` local time (past midnight when `close` ≤ `open`), a window that
    /// opens on one of `days` (Monday first).
    Daily {
        open: NaiveTime,
        close: NaiveTime,
        days: [bool; 7],
    },
}

impl std::str::FromStr for SendWindow {
    type Err = String;

    /// `"always"`, or `"HH:MM-HH:MM"` (every day until `with_days`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("always") {
            return Ok(SendWindow::Always);
        }
        let bad = || format!("`{s}` is neither \"always\" nor a window like \"09:00-20:00\"");
        let (open, close) = s.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let (open, close) = (time(open)?, time(close)?);
        if open == close {
            return Err(format!(
                "`{s}` opens and closes at once: use \"always\" for no window"
            ));
        }
        Ok(SendWindow::Daily {
            open,
            close,
            days: [true; 7],
        })
    }
}

/// A day's name as `send_days` writes it (`mon` … `sun`).
pub fn parse_day(s: &str) -> Result<Weekday, String> {
    s.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("`{s}` is not a day (mon, tue, wed, thu, fri, sat, sun)"))
}

/// A number from 0 to 1 fixed by `key` (FNV-1a): where in the spread a recipient's mail goes.
pub fn spread_of(key: &str) -> f64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % 10_000) as f64 / 10_000.0
}

/// The instant a local date and time names in `zone`: the earlier of two (the hour repeated
/// when clocks go back), and a time the clocks skip moved forward by the gap (02:30 on the
/// night clocks jump from 02:00 to 03:00 is 03:30).
fn instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    (0..=3).find_map(|hours| {
        zone.from_local_datetime(&(local + Duration::hours(hours)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

impl SendWindow {
    /// Only on `days` (empty: every day).
    pub fn with_days(self, only: &[Weekday]) -> Self {
        match self {
            SendWindow::Daily { open, close, .. } if !only.is_empty() => {
                let mut days = [false; 7];
                for d in only {
                    days[d.num_days_from_monday() as usize] = true;
                }
                SendWindow::Daily { open, close, days }
            }
            other => other,
        }
    }

    /// The windows (as instants) that open on the days around `date` in `zone`.
    fn window_from(&self, zone: Tz, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let SendWindow::Daily { open, close, days } = self else {
            return None;
        };
        if !days[date.weekday().num_days_from_monday() as usize] {
            return None;
        }
        let close_date = if close <= open {
            date.succ_opt()?
        } else {
            date
        };
        Some((
            instant(zone, date, *open)?,
            instant(zone, close_date, *close)?,
        ))
    }

    /// When mail due at `due` may go to someone in `zone`: `due` itself inside a window,
    /// else the next window's opening plus `spread` (0 to 1) of its first hour.
    pub fn send_at(&self, due: DateTime<Utc>, zone: Tz, spread: f64) -> DateTime<Utc> {
        if *self == SendWindow::Always {
            return due;
        }
        let today = due.with_timezone(&zone).date_naive();
        // Yesterday's window may still be open (one past midnight); then today's, then later.
        for offset in -1..=8 {
            let date = today + Duration::days(offset);
            let Some((opens, closes)) = self.window_from(zone, date) else {
                continue;
            };
            if due >= opens && due < closes {
                return due;
            }
            if opens > due {
                let first = (closes - opens).min(SPREAD);
                let ms = (first.num_milliseconds() as f64 * spread.clamp(0.0, 0.9999)) as i64;
                return opens + Duration::milliseconds(ms);
            }
        }
        // No day allowed within a week (cannot happen with one day named): send when due.
        due
    }
}

/// The zone a recipient is in, as far as a campaign's check knows it: the zone of the branch
/// their click named, else the one zone every location of the campaign shares; `None` when
/// neither is known (the caller's default applies). `zones`: location → IANA name.
pub fn recipient_zone(
    clicked: Option<&str>,
    locations: &std::collections::BTreeSet<String>,
    zones: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    if let Some(zone) = clicked.and_then(|l| zones.get(l)) {
        return Some(zone.clone());
    }
    let mut each = locations.iter().map(|l| zones.get(l));
    let first = each.next()??;
    each.all(|z| z == Some(first)).then(|| first.clone())
}

#[cfg(test)]
#[path = "send_window_tests.rs"]
mod tests;
