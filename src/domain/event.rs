//! Engagement events: what the platform (or SendGrid) says recipients did with a campaign.
use super::FieldError;
use super::content::templates::LinkPromise;
use super::judgement::Judgement;
use super::validation::{language_tag, optional_language_tag};
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Sent,
    Click,
    Conversion,
    /// Stored, otherwise ignored (SendGrid's `open`, `delivered`, …).
    Other(String),
}

impl EventKind {
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Sent => "sent",
            EventKind::Click => "click",
            EventKind::Conversion => "conversion",
            EventKind::Other(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EngagementEvent {
    pub id: String,
    /// Who reported it: `api`, `sendgrid`, `mailgun`, …, `shopify:{shop domain}`.
    pub source: String,
    pub kind: EventKind,
    pub campaign_id: Option<String>,
    /// Lower-cased, so one person is one address.
    pub recipient: String,
    pub occurred_at: DateTime<Utc>,
    pub url: Option<String>,
    pub order_id: Option<String>,
    /// Provider events that mean "never survey this address" (the reason).
    pub suppresses: Option<String>,
    /// The provider reactivated the address (Postmark's `SuppressSending: false`): the
    /// suppression a provider event set is lifted (a survey unsubscribe stays).
    pub reactivates: bool,
    /// The recipient's language, as a BCP 47 tag (`ar-EG`): the survey's, if a catalog ships it.
    pub locale: Option<String>,
    /// What a click reached for: the location (or sku@location) its URL names by the
    /// `[promises]` templates, set at ingest.
    pub promise: Option<LinkPromise>,
    /// A click's judgement against that promise (`domain::judgement`), set at ingest.
    pub judgement: Option<Judgement>,
}

/// `POST /v1/events`: one element of the array (or one NDJSON line).
#[derive(Debug, Deserialize)]
pub struct EventInput {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub campaign_id: Option<String>,
    pub recipient: String,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    /// The recipient's language (BCP 47), for the survey.
    #[serde(default)]
    pub locale: Option<String>,
}

/// One event of SendGrid's Event Webhook. Custom args arrive as top-level keys.
#[derive(Debug, Deserialize)]
pub struct SendgridEventInput {
    pub email: String,
    pub timestamp: i64,
    pub event: String,
    pub sg_event_id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub campaign_id: Option<serde_json::Value>,
    /// The custom arg `locale`: the recipient's language (BCP 47), for the survey.
    #[serde(default)]
    pub locale: Option<serde_json::Value>,
}

const SUPPRESSING: &[&str] = &["unsubscribe", "group_unsubscribe", "spamreport", "bounce"];
pub(crate) const MAX_TEXT: usize = 2048;

/// Validates an address and normalises it — trimmed, Unicode case-folded (`Straße@X.de` and
/// `STRASSE@x.de` are one person) — so the same person is one address whichever provider,
/// store or page reports them; `None` if it is not one. Done here, in Rust, because SQLite's
/// `lower()` folds ASCII only.
pub fn normalize_address(raw: &str) -> Option<String> {
    let a = raw.trim();
    let (local, domain) = a.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && a.len() <= 320
        && !a.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| fold_address(a))
}

/// An address folded as `normalize_address` folds it, without checking that it is one (to
/// look up what is stored under it).
pub fn fold_address(raw: &str) -> String {
    let raw = raw.trim();
    // Within ASCII, Unicode's default case folding maps A–Z to a–z and nothing else: the
    // common address takes the short way.
    if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        caseless::default_case_fold_str(raw)
    }
}

pub(crate) fn text(value: &Option<String>, pointer: String, errors: &mut Vec<FieldError>) {
    if value.as_ref().is_some_and(|v| v.len() > MAX_TEXT) {
        errors.push(FieldError::new(
            pointer,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
}

impl EventInput {
    /// Validates one event; `at` is its JSON pointer (`/17`).
    pub fn parse(self, at: &str) -> Result<EngagementEvent, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.id.trim().is_empty() || self.id.len() > 256 {
            errors.push(FieldError::new(
                format!("{at}/id"),
                "must be 1 to 256 characters",
            ));
        }
        let kind = match self.kind.as_str() {
            "sent" => Some(EventKind::Sent),
            "click" => Some(EventKind::Click),
            "conversion" => Some(EventKind::Conversion),
            other => {
                errors.push(FieldError::new(
                    format!("{at}/type"),
                    format!("unknown type `{other}`: expected sent, click or conversion"),
                ));
                None
            }
        };
        let campaign_id = self.campaign_id.filter(|c| !c.trim().is_empty());
        if campaign_id.is_none() && matches!(kind, Some(EventKind::Sent | EventKind::Click)) {
            errors.push(FieldError::new(
                format!("{at}/campaign_id"),
                "is required for sent and click events",
            ));
        }
        let recipient = normalize_address(&self.recipient);
        if recipient.is_none() {
            errors.push(FieldError::new(
                format!("{at}/recipient"),
                "is not an email address",
            ));
        }
        text(&self.url, format!("{at}/url"), &mut errors);
        text(&self.order_id, format!("{at}/order_id"), &mut errors);
        let locale =
            optional_language_tag(self.locale.as_deref(), format!("{at}/locale"), &mut errors);
        match (kind, recipient) {
            (Some(kind), Some(recipient)) if errors.is_empty() => Ok(EngagementEvent {
                id: self.id,
                source: "api".into(),
                kind,
                campaign_id,
                recipient,
                occurred_at: self.occurred_at,
                url: self.url,
                order_id: self.order_id,
                suppresses: None,
                reactivates: false,
                locale,
                promise: None,
                judgement: None,
            }),
            _ => Err(errors),
        }
    }
}

impl SendgridEventInput {
    pub fn parse(self, at: &str) -> Result<EngagementEvent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let recipient = normalize_address(&self.email);
        if recipient.is_none() {
            errors.push(FieldError::new(
                format!("{at}/email"),
                "is not an email address",
            ));
        }
        if self.sg_event_id.trim().is_empty() || self.sg_event_id.len() > 256 {
            errors.push(FieldError::new(
                format!("{at}/sg_event_id"),
                "must be 1 to 256 characters",
            ));
        }
        let occurred_at = DateTime::from_timestamp(self.timestamp, 0);
        if occurred_at.is_none() {
            errors.push(FieldError::new(
                format!("{at}/timestamp"),
                "is not a Unix time",
            ));
        }
        let campaign_id = match self.campaign_id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{at}/campaign_id"),
                    "must be a string",
                ));
                None
            }
        };
        text(&self.url, format!("{at}/url"), &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let kind = match self.event.as_str() {
            "click" => EventKind::Click,
            other => EventKind::Other(other.chars().take(64).collect()),
        };
        Ok(EngagementEvent {
            id: format!("sendgrid:{}", self.sg_event_id),
            source: "sendgrid".into(),
            suppresses: SUPPRESSING
                .contains(&self.event.as_str())
                .then(|| self.event.clone()),
            reactivates: false,
            kind,
            campaign_id,
            recipient: recipient.unwrap_or_default(),
            occurred_at: occurred_at.unwrap_or_default(),
            url: self.url,
            order_id: None,
            // Only picks the survey's language: a value that is not a tag is dropped (the
            // survey falls back to the campaign's or the default language) rather than making
            // SendGrid redeliver the whole batch.
            locale: match self.locale {
                Some(serde_json::Value::String(s)) => language_tag(&s),
                _ => None,
            },
            promise: None,
            judgement: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ascii_addresses_fold_as_unicode_folds_them() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(
            fold_address(&format!("x{every_ascii}x")),
            caseless::default_case_fold_str(&format!("x{every_ascii}x"))
        );
        assert_eq!(fold_address(" Ana@Example.COM "), "ana@example.com");
        assert_eq!(fold_address("STRASSE@example.com"), "strasse@example.com");
        assert_eq!(fold_address("Straße@example.com"), "strasse@example.com");
    }

    #[test]
    fn addresses_are_checked_trimmed_and_case_folded() {
        assert_eq!(
            normalize_address(" Dana@Example.COM "),
            Some("dana@example.com".into())
        );
        // Full Unicode case folding, not ASCII (SQLite's lower()) nor lower-casing alone.
        assert_eq!(
            normalize_address("Straße@Example.de"),
            normalize_address("STRASSE@example.DE")
        );
        assert_eq!(
            normalize_address("ΣΟΦΊΑΣ@example.gr"),
            normalize_address("σοφίας@example.gr")
        );
        assert_eq!(
            normalize_address("ЖЕНЯ@Пример.рф"),
            Some("женя@пример.рф".into())
        );
        for bad in [
            "",
            "dana",
            "@example.com",
            "dana@",
            "dana@localhost",
            "da na@example.com",
            "a@b@c.com",
        ] {
            assert_eq!(normalize_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn platform_events_name_each_bad_field() {
        let input: EventInput = serde_json::from_value(json!({
            "id": "", "type": "open", "recipient": "nope", "occurred_at": "2026-11-23T10:00:00Z"
        }))
        .unwrap();
        let pointers: Vec<String> = input
            .parse("/3")
            .unwrap_err()
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        assert_eq!(pointers, vec!["/3/id", "/3/type", "/3/recipient"]);
        let click: EventInput = serde_json::from_value(json!({
            "id": "e", "type": "click", "recipient": "a@example.com", "occurred_at": "2026-11-23T10:00:00Z"
        }))
        .unwrap();
        assert_eq!(click.parse("/0").unwrap_err()[0].pointer, "/0/campaign_id");
        let conversion: EventInput = serde_json::from_value(json!({
            "id": "e", "type": "conversion", "recipient": "a@example.com", "occurred_at": "2026-11-23T10:00:00Z", "order_id": "o-1"
        }))
        .unwrap();
        assert_eq!(conversion.parse("/0").unwrap().kind, EventKind::Conversion);
    }

    #[test]
    fn sendgrid_clicks_count_and_unsubscribes_suppress() {
        let parse = |event: &str| {
            let e: SendgridEventInput = serde_json::from_value(json!({
                "email": "a@example.com", "timestamp": 1_795_000_000, "event": event, "sg_event_id": "sg-1",
                "sg_message_id": "m.1", "campaign_id": 42
            }))
            .unwrap();
            e.parse("/0").unwrap()
        };
        let click = parse("click");
        assert_eq!(
            (click.kind, click.campaign_id.as_deref(), click.id.as_str()),
            (EventKind::Click, Some("42"), "sendgrid:sg-1")
        );
        for s in ["unsubscribe", "group_unsubscribe", "spamreport", "bounce"] {
            assert_eq!(parse(s).suppresses.as_deref(), Some(s));
        }
        let open = parse("open");
        assert_eq!(
            (open.kind, open.suppresses),
            (EventKind::Other("open".into()), None)
        );
    }
}
