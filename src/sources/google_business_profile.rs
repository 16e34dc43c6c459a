//! Google Business Profile (Business Information API v1):
//! `GET {base_url}/v1/locations/{id}?readMask=…` for one location, and — with `account`
//! configured — `GET {base_url}/v1/{account}/locations?pageSize=100&readMask=…` following
//! `nextPageToken`, whenever listing the account costs fewer calls than asking each id.
use super::upstream::{Retry, Upstream};
use super::{
    Located, LocationAnswer, LocationSource, SourceError, parse_open_status, path_segment,
};
use crate::config::SourceConfig;
use crate::domain::hours::WeeklyPeriod;
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::time::Instant;

pub const NAME: &str = "google-business-profile";
const READ_MASK: &str = "name,title,storeCode,latlng,openInfo,regularHours,specialHours";
/// The most locations Google lists a page.
const PAGE_SIZE: usize = 100;
/// Pages followed before the list is called garbage (a loop guard: 100,000 locations).
const MAX_PAGES: usize = 1000;

pub struct GoogleBusinessProfile {
    config: SourceConfig,
    upstream: Upstream,
    /// Pages the account's list took last time (0: not listed yet).
    list_pages: AtomicUsize,
}

/// `accounts.locations.list`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocationList {
    #[serde(default)]
    locations: Vec<Location>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    total_size: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    /// `locations/{id}`.
    #[serde(default)]
    name: Option<String>,
    /// The business name people see.
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    open_info: Option<OpenInfo>,
    #[serde(default)]
    regular_hours: Option<RegularHours>,
    #[serde(default)]
    special_hours: Option<SpecialHours>,
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
struct OpenInfo {
    #[serde(default)]
    status: Option<String>,
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

/// `google.type.Date`.
#[derive(Debug, Deserialize)]
struct GoogleDate {
    year: i32,
    month: u32,
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

impl GoogleBusinessProfile {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self {
            config,
            upstream,
            list_pages: AtomicUsize::new(0),
        }
    }

    /// Our ids by Google's (`locations/{id}` without the prefix), for reading a list.
    fn ours_by_upstream<'a>(&self, ids: &'a [String]) -> HashMap<String, &'a String> {
        ids.iter()
            .map(|id| {
                let upstream = self.config.upstream_id(id);
                let bare = upstream.strip_prefix("locations/").unwrap_or(upstream);
                (bare.to_owned(), id)
            })
            .collect()
    }

    /// One page of the account's locations.
    async fn page(
        &self,
        account: &str,
        token: Option<&str>,
        deadline: Instant,
    ) -> Result<LocationList, SourceError> {
        let url = format!("{}/v1/{account}/locations", self.config.base());
        let bearer = self.config.token_value();
        let size = PAGE_SIZE.to_string();
        let reply = self
            .upstream
            .call(
                |c| {
                    let mut q = vec![("pageSize", size.as_str()), ("readMask", READ_MASK)];
                    if let Some(t) = token {
                        q.push(("pageToken", t));
                    }
                    c.get(&url).query(&q).bearer_auth(bearer)
                },
                Retry::Idempotent,
                deadline,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(SourceError::Status(reply.status.as_u16()));
        }
        reply
            .json::<LocationList>()
            .inspect_err(|_| self.upstream.note_garbage())
    }

    /// Reads `ids` from the account's list, page by page. After the first page, whose
    /// `totalSize` says how many pages there are, the ids still missing are asked one by one
    /// if that costs fewer calls than the rest of the list. An id the whole list does not
    /// contain is unknown, as a 404 would say.
    async fn listed(
        &self,
        account: &str,
        ids: &[String],
        deadline: Instant,
        permits: &tokio::sync::Semaphore,
    ) -> Located {
        let mut wanted = self.ours_by_upstream(ids);
        let mut out = HashMap::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = match self.page(account, token.as_deref(), deadline).await {
                Ok(page) => page,
                Err(e) => {
                    for id in wanted.into_values() {
                        out.insert(id.clone(), Err(e.clone()));
                    }
                    return out;
                }
            };
            pages += 1;
            for location in page.locations {
                let Some(name) = location.name.clone() else {
                    continue;
                };
                let bare = name.strip_prefix("locations/").unwrap_or(&name).to_owned();
                if let Some(id) = wanted.remove(&bare) {
                    let answer = interpret(location).inspect_err(|_| self.upstream.note_garbage());
                    out.insert(id.clone(), answer);
                }
            }
            token = page.next_page_token.filter(|t| !t.is_empty());
            let Some(_) = &token else {
                self.list_pages.store(pages, Ordering::Relaxed);
                for id in wanted.into_values() {
                    out.insert(id.clone(), Ok(LocationAnswer::unknown()));
                }
                return out;
            };
            if wanted.is_empty() {
                return out;
            }
            let pages_left = page
                .total_size
                .map(|total| total.div_ceil(PAGE_SIZE).saturating_sub(pages));
            if let Some(left) = pages_left {
                self.list_pages.store(pages + left, Ordering::Relaxed);
                if wanted.len() < left {
                    let rest: Vec<String> = wanted.into_values().cloned().collect();
                    out.extend(super::one_by_one(self, &rest, deadline, permits).await);
                    return out;
                }
            }
            if pages >= MAX_PAGES {
                let e =
                    SourceError::Garbage(format!("the location list ran past {MAX_PAGES} pages"));
                for id in wanted.into_values() {
                    out.insert(id.clone(), Err(e.clone()));
                }
                return out;
            }
        }
    }
}

#[async_trait]
impl LocationSource for GoogleBusinessProfile {
    super::upstream_source!();

    #[tracing::instrument(skip_all, fields(source = NAME, location = id))]
    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError> {
        let upstream_id = self.config.upstream_id(id);
        let upstream_id = upstream_id
            .strip_prefix("locations/")
            .unwrap_or(upstream_id);
        let base = self.config.base();
        let url = format!("{base}/v1/locations/{}", path_segment(upstream_id));
        let token = self.config.token_value();
        self.upstream
            .location(
                |c| {
                    c.get(&url)
                        .query(&[("readMask", READ_MASK)])
                        .bearer_auth(token)
                },
                deadline,
                |reply| SourceError::Status(reply.status.as_u16()),
                interpret,
            )
            .await
    }

    /// With an account, the list whenever it costs fewer calls than asking each id: more ids
    /// than the list had pages last time (or, before any listing, more than one).
    async fn locations(
        &self,
        ids: &[String],
        deadline: Instant,
        permits: &tokio::sync::Semaphore,
    ) -> Located {
        let pages = self.list_pages.load(Ordering::Relaxed);
        match &self.config.account {
            Some(account) if ids.len() > pages.max(1) => {
                self.listed(account, ids, deadline, permits).await
            }
            _ => super::one_by_one(self, ids, deadline, permits).await,
        }
    }
}

fn interpret(location: Location) -> Result<LocationAnswer, SourceError> {
    let raw_status = location
        .open_info
        .and_then(|o| o.status)
        .unwrap_or_else(|| "OPEN_FOR_BUSINESS_UNSPECIFIED".into());
    let status = parse_open_status(&raw_status)
        .ok_or_else(|| SourceError::Garbage(format!("unknown openInfo.status `{raw_status}`")))?;
    let mut answer = LocationAnswer::with_status(status, raw_status);
    answer.name = location.title.filter(|t| !t.trim().is_empty());
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
    Ok(answer)
}

#[cfg(test)]
#[path = "google_business_profile_tests.rs"]
mod tests;
