//! `static` sources: JSON files read once at start-up (the embedded default, from `fixtures/`).
//!
//! Locations: `{ "locations": { "loc-101": { "name": "Downtown", "status": "CLOSED_TEMPORARILY",
//! "closed_dates": ["2026-11-26"], "timezone": "America/Los_Angeles" } } }` — status spelled
//! as Google spells `openInfo.status`, closed dates local to the location; a location not in
//! the file is unknown. No weekly hours: only the closed dates are judged. A location may carry
//! its `store_code`: with `ids = "store_code"` locations are found by it (the key is then the
//! source's own id, shown beside it; a code two entries share is judged as the first key and
//! said as a warning).
//! Inventory: `{ "items": [ { "sku": "SUV-STD", "location": "loc-101", "available": 3 } ] }` —
//! a pair not in the file has 0 available.
use super::{
    InventorySource, LocationAnswer, LocationSource, SourceError, Stock, parse_open_status,
};
use crate::config::SourceConfig;
use crate::domain::ItemKey;
use crate::domain::{LocalZone, ZoneOrigin};
use crate::sources::BatchLimits;
use anyhow::Context;
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use tokio::time::Instant;

pub const NAME: &str = "static";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationsFile {
    locations: HashMap<String, StaticLocation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaticLocation {
    status: String,
    #[serde(default)]
    closed_dates: Vec<NaiveDate>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    timezone: Option<chrono_tz::Tz>,
    #[serde(default)]
    store_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryFile {
    items: Vec<StaticItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaticItem {
    sku: String,
    location: String,
    available: serde_json::Value,
}

pub struct StaticLocations {
    locations: HashMap<String, LocationAnswer>,
}

pub struct StaticInventory {
    levels: HashMap<ItemKey, f64>,
}

fn read<T: serde::de::DeserializeOwned>(config: &SourceConfig, what: &str) -> anyhow::Result<T> {
    let path = config
        .path
        .as_ref()
        .with_context(|| format!("sources.{what}.path is required for a static source"))?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("sources.{what}.path: cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "sources.{what}.path: {} is not a valid {what} file",
            path.display()
        )
    })
}

impl StaticLocations {
    /// No locations at all (for tests of what wraps a source).
    #[cfg(test)]
    pub fn empty() -> Self {
        Self {
            locations: HashMap::new(),
        }
    }

    pub fn load(config: &SourceConfig) -> anyhow::Result<Self> {
        let file: LocationsFile = read(config, "locations")?;
        let mut locations = HashMap::new();
        let mut entries: Vec<(String, StaticLocation)> = file.locations.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, l) in entries {
            let code = l.store_code.clone();
            let status = parse_open_status(&l.status).with_context(|| {
                format!(
                    "sources.locations.path: location {id} has unknown status `{}`",
                    l.status
                )
            })?;
            let mut answer = LocationAnswer::with_status(status, l.status);
            answer.name = l.name;
            if let Some(tz) = l.timezone {
                answer.zone = LocalZone {
                    tz,
                    origin: ZoneOrigin::Source,
                };
            }
            for date in l.closed_dates {
                answer.hours.add_special(date, None);
            }
            if config.ids == crate::config::LocationIds::Name {
                locations.insert(id, answer);
                continue;
            }
            let Some(code) = code else { continue };
            match locations.get_mut(&code) {
                Some(first) => {
                    let first: &mut LocationAnswer = first;
                    let kept = first.source_id.clone().unwrap_or_default();
                    first.notes.push(format!(
                        "store code {code} is used by {kept} and {id}; judged as {kept}"
                    ));
                }
                None => {
                    answer.source_id = Some(id);
                    locations.insert(code, answer);
                }
            }
        }
        Ok(Self { locations })
    }
}

impl StaticInventory {
    pub fn load(config: &SourceConfig) -> anyhow::Result<Self> {
        let file: InventoryFile = read(config, "inventory")?;
        let mut levels = HashMap::new();
        for item in file.items {
            let q = super::parse_quantity(&item.available).map_err(|e| {
                anyhow::anyhow!(
                    "sources.inventory.path: {}@{}: {e}",
                    item.sku,
                    item.location
                )
            })?;
            levels.insert(
                ItemKey {
                    sku: item.sku,
                    location: item.location,
                },
                q,
            );
        }
        Ok(Self { levels })
    }
}

#[async_trait]
impl LocationSource for StaticLocations {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn location(&self, id: &str, _deadline: Instant) -> Result<LocationAnswer, SourceError> {
        Ok(self
            .locations
            .get(id)
            .cloned()
            .unwrap_or_else(LocationAnswer::unknown))
    }
}

#[async_trait]
impl InventorySource for StaticInventory {
    fn name(&self) -> &'static str {
        NAME
    }

    fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            max_pairs: 10_000,
            max_skus: 10_000,
            max_locations: 10_000,
        }
    }

    async fn stock(&self, keys: &[ItemKey], _deadline: Instant) -> Result<Stock, SourceError> {
        Ok(keys
            .iter()
            .map(|k| (k.clone(), self.levels.get(k).copied().unwrap_or(0.0)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LocationIds;

    #[tokio::test]
    async fn by_store_code_a_location_is_found_by_its_code_and_a_shared_code_is_noted() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            r#"{"locations": {
                "loc-1": {"name": "Downtown", "status": "OPEN", "store_code": "S-1"},
                "loc-2": {"name": "Harbor", "status": "CLOSED_TEMPORARILY", "store_code": "S-2"},
                "loc-3": {"name": "Harbor annex", "status": "OPEN", "store_code": "S-2"},
                "loc-4": {"name": "No code", "status": "OPEN"}
            }}"#,
        )
        .unwrap();
        let mut config = SourceConfig::static_file(file.path().to_str().unwrap());
        config.ids = LocationIds::StoreCode;
        let source = StaticLocations::load(&config).unwrap();
        let deadline = Instant::now();
        let one = source.location("S-1", deadline).await.unwrap();
        assert_eq!(
            (one.name.as_deref(), one.source_id.as_deref()),
            (Some("Downtown"), Some("loc-1"))
        );
        let shared = source.location("S-2", deadline).await.unwrap();
        assert_eq!(shared.source_id.as_deref(), Some("loc-2"));
        assert_eq!(
            shared.notes,
            vec!["store code S-2 is used by loc-2 and loc-3; judged as loc-2"]
        );
        for not_a_code in ["loc-1", "loc-4"] {
            let unknown = source.location(not_a_code, deadline).await.unwrap();
            assert_eq!(unknown.status, crate::domain::LocationStatus::Unknown);
        }
    }
}
