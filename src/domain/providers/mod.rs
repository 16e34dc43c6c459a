//! The email providers' and stores' own formats, read into engagement events: one module a
//! provider, each a pure reading of one event (verification is `signatures`', delivery
//! `http::providers`'). A provider's event becomes an `EngagementEvent`, is `Ignored` on
//! purpose (a type promiseguard has no use for and cannot file under an address), or is
//! refused with the JSON pointers of what is wrong (and quarantined by the caller).
pub mod braze;
pub mod customerio;
pub mod mailgun;
pub mod orders;
pub mod postmark;
pub mod sendgrid;
pub mod ses;

use super::FieldError;
use super::event::{EngagementEvent, EventKind, MAX_TEXT, normalize_address};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// What one provider event came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken {
    Event(Box<EngagementEvent>),
    /// Understood, and of no use here (counted, not stored).
    Ignored,
}

pub type Parsed = Result<Taken, Vec<FieldError>>;

impl EngagementEvent {
    /// An event with nothing but what every event has; the adapters fill in the rest.
    pub fn new(
        id: String,
        source: impl Into<String>,
        kind: EventKind,
        recipient: String,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            source: source.into(),
            kind,
            campaign_id: None,
            recipient,
            occurred_at,
            url: None,
            order_id: None,
            suppresses: None,
            reactivates: false,
            locale: None,
            promise: None,
            judgement: None,
            survey_invitation: None,
            zone: None,
        }
    }
}

/// An event type promiseguard stores by its provider's name (at most 64 characters).
pub(crate) fn other(name: &str) -> EventKind {
    EventKind::Other(name.chars().take(64).collect())
}

/// A campaign id as providers send one: a non-empty string or a number.
pub(crate) fn campaign_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() && s.len() <= 256 => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Collects the problems of one event as it is read, each at its pointer under `at`.
pub(crate) struct Checked<'a> {
    at: &'a str,
    pub errors: Vec<FieldError>,
}

impl<'a> Checked<'a> {
    pub fn new(at: &'a str) -> Self {
        Self {
            at,
            errors: Vec::new(),
        }
    }

    pub fn fail(&mut self, field: &str, detail: impl Into<String>) {
        let pointer = if field.is_empty() {
            self.at.to_owned()
        } else {
            format!("{}/{field}", self.at)
        };
        self.errors.push(FieldError::new(pointer, detail));
    }

    /// The normalised address, or a problem at `field`.
    pub fn address(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        let address = raw.and_then(normalize_address);
        if address.is_none() {
            self.fail(field, "is not an email address");
        }
        address
    }

    /// A provider's event id, 1 to 256 characters.
    pub fn id(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        match raw.map(str::trim) {
            Some(id) if !id.is_empty() && id.len() <= 256 => Some(id.to_owned()),
            _ => {
                self.fail(field, "must be 1 to 256 characters");
                None
            }
        }
    }

    /// Unix seconds (perhaps with a fraction, as Mailgun sends them).
    pub fn unix(&mut self, field: &str, seconds: Option<f64>) -> Option<DateTime<Utc>> {
        let at = seconds
            .filter(|s| s.is_finite())
            .and_then(|s| DateTime::from_timestamp_millis((s * 1000.0) as i64));
        if at.is_none() {
            self.fail(field, "is not a Unix time");
        }
        at
    }

    /// A URL or other text kept with the event, at most `MAX_TEXT` long.
    pub fn text(&mut self, field: &str, value: Option<String>) -> Option<String> {
        match value {
            Some(v) if v.len() > MAX_TEXT => {
                self.fail(field, format!("at most {MAX_TEXT} characters"));
                None
            }
            v => v,
        }
    }

    pub fn done(self, event: impl FnOnce() -> EngagementEvent) -> Parsed {
        if self.errors.is_empty() {
            Ok(Taken::Event(Box::new(event())))
        } else {
            Err(self.errors)
        }
    }
}
