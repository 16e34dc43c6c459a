//! Google Business Profile (Business Information API v1):
//! `GET {base_url}/v1/locations/{id}?readMask=name,openInfo,regularHours,specialHours`.
use super::upstream::{Retry, Upstream};
use super::{LocationAnswer, LocationSource, SourceError, parse_open_status, path_segment};
use crate::config::SourceConfig;
use crate::domain::observation::ClosedPeriod;
use async_trait::async_trait;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::time::Instant;

pub const NAME: &str = "google-business-profile";
const READ_MASK: &str = "name,openInfo,regularHours,specialHours";

pub struct GoogleBusinessProfile {
    config: SourceConfig,
    upstream: Upstream,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(default)]
    open_info: Option<OpenInfo>,
    #[serde(default)]
    special_hours: Option<SpecialHours>,
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
        Self { config, upstream }
    }
}

#[async_trait]
impl LocationSource for GoogleBusinessProfile {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pace(&self) -> Option<super::quota::Pace> {
        self.upstream.quota().pace()
    }

    #[tracing::instrument(skip_all, fields(source = NAME, location = id))]
    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError> {
        let upstream_id = self.config.upstream_id(id);
        let upstream_id = upstream_id
            .strip_prefix("locations/")
            .unwrap_or(upstream_id);
        let base = self.config.base();
        let url = format!("{base}/v1/locations/{}", path_segment(upstream_id));
        let token = self.config.token_value();
        let reply = self
            .upstream
            .call(
                |c| {
                    c.get(&url)
                        .query(&[("readMask", READ_MASK)])
                        .bearer_auth(token)
                },
                Retry::Idempotent,
                deadline,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(LocationAnswer::unknown());
        }
        if !reply.status.is_success() {
            return Err(SourceError::Status(reply.status.as_u16()));
        }
        let parsed = reply.json::<Location>().and_then(interpret);
        if parsed.is_err() {
            self.upstream.note_garbage();
        }
        parsed
    }
}

fn interpret(location: Location) -> Result<LocationAnswer, SourceError> {
    let raw_status = location
        .open_info
        .and_then(|o| o.status)
        .unwrap_or_else(|| "OPEN_FOR_BUSINESS_UNSPECIFIED".into());
    let status = parse_open_status(&raw_status)
        .ok_or_else(|| SourceError::Garbage(format!("unknown openInfo.status `{raw_status}`")))?;
    let mut closed_periods = Vec::new();
    for period in location
        .special_hours
        .map(|s| s.special_hour_periods)
        .unwrap_or_default()
    {
        if !period.closed {
            continue;
        }
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
        closed_periods.push(ClosedPeriod { start, end });
    }
    Ok(LocationAnswer {
        status,
        raw_status,
        closed_periods,
    })
}

#[cfg(test)]
mod tests {
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
        assert_eq!(a.closed_periods.len(), 2);
        assert_eq!(
            a.closed_periods[1].end,
            NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()
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
}
