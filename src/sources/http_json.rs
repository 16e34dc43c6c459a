//! `http-json`: any JSON API, described by a URL template and JSON pointers.
//! Locations: `url` with `{id}`, `status_pointer` (a string compared with `open_values`, or a
//! boolean, `true` = open), optional `closed_dates_pointer` (an array of `YYYY-MM-DD`).
//! Inventory: `url` with `{sku}` and `{location}`, `available_pointer` (number, decimal
//! string or null). A 404 means an unknown location, or none of that item in stock.
use super::upstream::{Retry, Upstream};
use super::{InventorySource, LocationAnswer, LocationSource, SourceError, Stock, path_segment};
use crate::config::SourceConfig;
use crate::domain::{ItemKey, LocationStatus};
use crate::sources::BatchLimits;
use async_trait::async_trait;
use reqwest::StatusCode;
use std::collections::HashMap;
use tokio::time::Instant;

pub const NAME: &str = "http-json";
const DEFAULT_OPEN: &[&str] = &["OPEN", "open", "OPEN_FOR_BUSINESS_UNSPECIFIED"];
const PERMANENT: &[&str] = &[
    "CLOSED_PERMANENTLY",
    "closed_permanently",
    "permanently_closed",
];

pub struct HttpJsonLocations {
    config: SourceConfig,
    upstream: Upstream,
}

pub struct HttpJsonInventory {
    config: SourceConfig,
    upstream: Upstream,
}

impl HttpJsonLocations {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self { config, upstream }
    }
}

impl HttpJsonInventory {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self { config, upstream }
    }
}

/// GETs `url` with the configured headers: `Ok(None)` for a 404.
async fn get_json(
    upstream: &Upstream,
    config: &SourceConfig,
    url: &str,
    deadline: Instant,
) -> Result<Option<serde_json::Value>, SourceError> {
    let reply = upstream
        .call(
            |c| {
                let mut r = c.get(url);
                for (name, value) in &config.headers {
                    r = r.header(name, value.expose());
                }
                r
            },
            Retry::Idempotent,
            deadline,
        )
        .await?;
    if reply.status == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !reply.status.is_success() {
        return Err(SourceError::Status(reply.status.as_u16()));
    }
    reply
        .json()
        .map(Some)
        .inspect_err(|_| upstream.note_garbage())
}

#[async_trait]
impl LocationSource for HttpJsonLocations {
    super::upstream_source!();

    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError> {
        let template = self.config.url.as_deref().unwrap_or_default();
        let url = template.replace("{id}", &path_segment(self.config.upstream_id(id)));
        let Some(body) = get_json(&self.upstream, &self.config, &url, deadline).await? else {
            return Ok(LocationAnswer::unknown());
        };
        let interpreted = interpret_location(&self.config, &body);
        if interpreted.is_err() {
            self.upstream.note_garbage();
        }
        interpreted
    }
}

fn interpret_location(
    config: &SourceConfig,
    body: &serde_json::Value,
) -> Result<LocationAnswer, SourceError> {
    let pointer = config.status_pointer.as_deref().unwrap_or_default();
    let (status, raw_status) = match body.pointer(pointer) {
        Some(serde_json::Value::Bool(true)) => (LocationStatus::Open, "true".to_owned()),
        Some(serde_json::Value::Bool(false)) => {
            (LocationStatus::ClosedTemporarily, "false".to_owned())
        }
        Some(serde_json::Value::String(s)) => {
            let open = match &config.open_values {
                Some(values) => values.iter().any(|v| v == s),
                None => DEFAULT_OPEN.contains(&s.as_str()),
            };
            let status = if open {
                LocationStatus::Open
            } else if PERMANENT.contains(&s.as_str()) {
                LocationStatus::ClosedPermanently
            } else {
                LocationStatus::ClosedTemporarily
            };
            (status, s.clone())
        }
        other => {
            return Err(SourceError::Garbage(format!(
                "status at {pointer} is {}",
                other
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "missing".into())
            )));
        }
    };
    let mut answer = LocationAnswer::with_status(status, raw_status);
    if let Some(pointer) = &config.name_pointer {
        answer.name = body
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_owned);
    }
    if let Some(pointer) = &config.closed_dates_pointer {
        let dates = match body.pointer(pointer) {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(other) => {
                return Err(SourceError::Garbage(format!(
                    "closed dates at {pointer} are {other}"
                )));
            }
        };
        for d in dates {
            let day = d
                .as_str()
                .and_then(|s| s.parse::<chrono::NaiveDate>().ok())
                .ok_or_else(|| {
                    SourceError::Garbage(format!("closed date {d} is not YYYY-MM-DD"))
                })?;
            answer.hours.add_special(day, None);
        }
    }
    Ok(answer)
}

#[async_trait]
impl InventorySource for HttpJsonInventory {
    super::upstream_source!();

    fn batch_limits(&self) -> BatchLimits {
        BatchLimits::ONE
    }

    async fn stock(&self, keys: &[ItemKey], deadline: Instant) -> Result<Stock, SourceError> {
        let mut answer = HashMap::new();
        let template = self.config.url.as_deref().unwrap_or_default();
        let pointer = self.config.available_pointer.as_deref().unwrap_or_default();
        for key in keys {
            let url = template
                .replace("{sku}", &path_segment(self.config.upstream_id(&key.sku)))
                .replace(
                    "{location}",
                    &path_segment(self.config.upstream_id(&key.location)),
                );
            let q = match get_json(&self.upstream, &self.config, &url, deadline).await? {
                None => 0.0,
                Some(body) => match body.pointer(pointer) {
                    Some(v) => {
                        super::parse_quantity(v).inspect_err(|_| self.upstream.note_garbage())?
                    }
                    None => {
                        self.upstream.note_garbage();
                        return Err(SourceError::Garbage(format!("no quantity at {pointer}")));
                    }
                },
            };
            answer.insert(key.clone(), q);
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceKind;
    use serde_json::json;

    fn config() -> SourceConfig {
        let mut c = SourceConfig::static_file("x");
        c.kind = SourceKind::HttpJson;
        c.status_pointer = Some("/data/state".into());
        c.closed_dates_pointer = Some("/data/closures".into());
        c
    }

    #[test]
    fn reads_strings_booleans_and_dates() {
        let c = config();
        let a = interpret_location(
            &c,
            &json!({"data": {"state": "open", "closures": ["2026-11-26"]}}),
        )
        .unwrap();
        assert_eq!(a.status, LocationStatus::Open);
        assert_eq!(a.hours.special.len(), 1);
        let b = interpret_location(&c, &json!({"data": {"state": false}})).unwrap();
        assert_eq!(b.status, LocationStatus::ClosedTemporarily);
        let p = interpret_location(&c, &json!({"data": {"state": "CLOSED_PERMANENTLY"}})).unwrap();
        assert_eq!(p.status, LocationStatus::ClosedPermanently);
        assert!(interpret_location(&c, &json!({"data": {}})).is_err());
        assert!(
            interpret_location(
                &c,
                &json!({"data": {"state": "open", "closures": ["soon"]}})
            )
            .is_err()
        );
    }
}
