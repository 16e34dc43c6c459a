//! Square Locations API: `GET {base_url}/v2/locations/{id}` with `Authorization: Bearer` and
//! `Square-Version`. `status` `ACTIVE` is open and `INACTIVE` closed for good; `timezone` (IANA)
//! is the location's zone; `business_hours.periods[]` (`day_of_week` `SUN`…`SAT`,
//! `start_local_time`/`end_local_time` as `8:30:00`, an end at or before the start running
//! past midnight) are its weekly hours; `name` is what people call it. A 404 is an unknown
//! location; any other error answers Square's envelope (`errors[]` with `category`, `code`,
//! `detail`), named in the failure.
use super::square::SQUARE_VERSION;
use super::upstream::{Reply, Upstream};
use super::{LocationAnswer, LocationSource, SourceError, path_segment};
use crate::config::SourceConfig;
use crate::domain::hours::WeeklyPeriod;
use crate::domain::{LocalZone, LocationStatus, ZoneOrigin};
use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;

pub const NAME: &str = "square-locations";

pub struct SquareLocations {
    config: SourceConfig,
    upstream: Upstream,
}

#[derive(Deserialize)]
struct Retrieved {
    location: Location,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    business_hours: Option<BusinessHours>,
    #[serde(default)]
    coordinates: Option<super::Coordinates>,
}

#[derive(Deserialize)]
struct BusinessHours {
    #[serde(default)]
    periods: Vec<Period>,
}

#[derive(Deserialize)]
struct Period {
    day_of_week: String,
    start_local_time: String,
    end_local_time: String,
}

/// Square's error envelope.
#[derive(Deserialize)]
struct Errors {
    #[serde(default)]
    errors: Vec<SquareError>,
}

#[derive(Deserialize)]
struct SquareError {
    #[serde(default)]
    category: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    detail: Option<String>,
}

impl SquareLocations {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self { config, upstream }
    }
}

#[async_trait]
impl LocationSource for SquareLocations {
    super::upstream_source!();

    #[tracing::instrument(skip_all, fields(source = NAME, location = id))]
    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError> {
        let url = format!(
            "{}/v2/locations/{}",
            self.config.base(),
            path_segment(self.config.upstream_id(id))
        );
        let token = self.config.token_value();
        self.upstream
            .location(
                |c| {
                    c.get(&url)
                        .bearer_auth(token)
                        .header("Square-Version", SQUARE_VERSION)
                },
                deadline,
                failure,
                |r: Retrieved| interpret(r.location),
            )
            .await
    }
}

/// A failed call, named by Square's envelope when it sent one.
fn failure(reply: &Reply) -> SourceError {
    let status = reply.status.as_u16();
    match reply.json::<Errors>() {
        Ok(Errors { errors }) if !errors.is_empty() => {
            let named: Vec<String> = errors
                .iter()
                .map(|e| match &e.detail {
                    Some(detail) => format!("{}/{}: {detail}", e.category, e.code),
                    None => format!("{}/{}", e.category, e.code),
                })
                .collect();
            SourceError::Refused(status, named.join("; "))
        }
        _ => SourceError::Status(status),
    }
}

fn interpret(location: Location) -> Result<LocationAnswer, SourceError> {
    let raw_status = location.status.unwrap_or_else(|| "ACTIVE".into());
    let status = match raw_status.as_str() {
        "ACTIVE" => LocationStatus::Open,
        "INACTIVE" => LocationStatus::ClosedPermanently,
        other => {
            return Err(SourceError::Garbage(format!(
                "unknown location status `{other}`"
            )));
        }
    };
    let mut answer = LocationAnswer::with_status(status, raw_status);
    answer.name = location.name.filter(|n| !n.trim().is_empty());
    answer.coordinates = location.coordinates;
    if let Some(zone) = location.timezone.filter(|z| !z.is_empty()) {
        let tz = zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| SourceError::Garbage(format!("unknown timezone `{zone}`")))?;
        answer.zone = LocalZone {
            tz,
            origin: ZoneOrigin::Source,
        };
    }
    if let Some(hours) = location.business_hours {
        let mut weekly = Vec::with_capacity(hours.periods.len());
        for p in hours.periods {
            let day = p
                .day_of_week
                .parse::<chrono::Weekday>()
                .map_err(|_| SourceError::Garbage(format!("unknown day `{}`", p.day_of_week)))?;
            let (opens, closes) = (
                local_time(&p.start_local_time)?,
                local_time(&p.end_local_time)?,
            );
            // An end at or before the start is the next morning.
            let close_day = if closes <= opens { day.succ() } else { day };
            let period = WeeklyPeriod::new(day, opens, close_day, closes).ok_or_else(|| {
                SourceError::Garbage(format!("invalid period on {}", p.day_of_week))
            })?;
            weekly.push(period);
        }
        answer.hours.weekly = Some(weekly);
    }
    Ok(answer)
}

/// `8:30:00` (Square's partial-time, seconds always `:00`) as minutes after midnight.
fn local_time(text: &str) -> Result<u32, SourceError> {
    let garbage = || SourceError::Garbage(format!("invalid local time `{text}`"));
    let mut parts = text.split(':');
    let hours: u32 = parts
        .next()
        .and_then(|h| h.parse().ok())
        .ok_or_else(garbage)?;
    let minutes: u32 = parts
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(garbage)?;
    if hours > 24 || minutes > 59 || (hours == 24 && minutes > 0) {
        return Err(garbage());
    }
    Ok(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Result<LocationAnswer, SourceError> {
        interpret(serde_json::from_value::<Retrieved>(v).unwrap().location)
    }

    #[test]
    fn reads_status_zone_name_and_weekly_hours() {
        let a = parse(serde_json::json!({"location": {
            "id": "L1", "name": "Midtown", "status": "ACTIVE", "timezone": "Asia/Tehran",
            "business_hours": {"periods": [
                {"day_of_week": "SAT", "start_local_time": "8:30:00", "end_local_time": "21:00:00"},
                {"day_of_week": "FRI", "start_local_time": "22:00:00", "end_local_time": "02:00:00"}
            ]}
        }}))
        .unwrap();
        assert_eq!(a.status, LocationStatus::Open);
        assert_eq!(a.name.as_deref(), Some("Midtown"));
        assert_eq!(a.zone.tz, chrono_tz::Asia::Tehran);
        assert_eq!(a.zone.origin, ZoneOrigin::Source);
        let weekly = a.hours.weekly.unwrap();
        assert_eq!(
            (weekly[0].opens, weekly[0].minutes),
            (8 * 60 + 30, 12 * 60 + 30)
        );
        assert_eq!(
            (weekly[1].day, weekly[1].minutes),
            (chrono::Weekday::Fri, 4 * 60)
        );
        let inactive = parse(serde_json::json!({"location": {"status": "INACTIVE"}})).unwrap();
        assert_eq!(inactive.status, LocationStatus::ClosedPermanently);
        assert_eq!(inactive.hours.weekly, None);
        assert!(parse(serde_json::json!({"location": {"timezone": "Mars/Olympus"}})).is_err());
        assert!(local_time("25:00:00").is_err());
    }
}
