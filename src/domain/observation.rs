//! What the upstream sources said, reduced to what the rules need.
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LocationStatus {
    Open,
    ClosedTemporarily,
    ClosedPermanently,
    /// The source does not know the location (a 404).
    Unknown,
}

/// A run of whole days on which a location is closed (special hours, not regular weekly hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClosedPeriod {
    pub start: NaiveDate,
    /// Inclusive; equal to `start` for a single day.
    pub end: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocationReport {
    pub status: LocationStatus,
    /// The status as the source spelled it, for evidence (`CLOSED_TEMPORARILY`).
    pub raw_status: String,
    pub closed_periods: Vec<ClosedPeriod>,
    pub source: String,
    pub fetched_at: DateTime<Utc>,
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
