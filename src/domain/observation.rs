//! What the upstream sources said, reduced to what the rules need.
use super::hours::{Hours, LocalZone};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LocationStatus {
    Open,
    ClosedTemporarily,
    ClosedPermanently,
    /// The source does not know the location (a 404).
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocationReport {
    pub status: LocationStatus,
    /// The status as the source spelled it, for evidence (`CLOSED_TEMPORARILY`).
    pub raw_status: String,
    /// The name people know it by (Google `title`, Square `name`), when the source gives one.
    pub name: Option<String>,
    /// Its time zone: its hours and special days are local to it.
    pub zone: LocalZone,
    pub hours: Hours,
    /// What the source said of it that a check passes on as a warning.
    pub notes: Vec<String>,
    /// The source's own id when locations are named by store code (`locations/123`).
    pub source_id: Option<String>,
    pub source: String,
    pub fetched_at: DateTime<Utc>,
}

impl LocationReport {
    /// "Midtown (loc-101)", or the id alone when the source gave no name; with the source's
    /// own id when it names it otherwise: "Midtown (STORE-7, locations/123)".
    pub fn label(&self, id: &str) -> String {
        match &self.source_id {
            Some(source_id) => location_label(&format!("{id}, {source_id}"), self.name.as_deref()),
            None => location_label(id, self.name.as_deref()),
        }
    }
}

/// "Midtown (loc-101)" when a location has a name of its own, else its id.
pub fn location_label(id: &str, name: Option<&str>) -> String {
    match name {
        Some(name) if name != id => format!("{name} ({id})"),
        _ => id.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockReport {
    /// Quantities can be fractional (Square sends decimal strings), so this is not an integer.
    pub available: f64,
    pub source: String,
    pub fetched_at: DateTime<Utc>,
}

/// A lookup that produced no usable answer: timed out, failed, or answered garbage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookupFailure {
    pub source: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Formats a quantity without a useless `.0`.
pub fn format_quantity(q: f64) -> String {
    if q.fract() == 0.0 && q.abs() < 1e15 {
        format!("{}", q as i64)
    } else {
        format!("{q}")
    }
}
