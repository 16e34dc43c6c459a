//! Engagement events: what the platform or a provider says recipients did with a campaign, and
//! our own JSON of them (`POST /v1/events`).
use super::FieldError;
use super::content::templates::LinkPromise;
use super::judgement::Judgement;
use super::validation::{optional_language_tag, optional_time_zone};
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
    /// The survey invitation a relay echoed back (`domain::complaint::MARKER`): this event is
    /// about promiseguard's own survey email.
    pub survey_invitation: Option<String>,
    /// The recipient's own time zone (an IANA name) where the event gives one (Braze Currents'
    /// `user.timezone`, our JSON's `timezone`): the survey's send window goes by it first.
    pub zone: Option<String>,
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
    /// The recipient's time zone (IANA), for the survey's send window.
    #[serde(default)]
    pub timezone: Option<String>,
}

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

/// The reasons (`EngagementEvent::suppresses`) that mean a recipient reported the email as spam.
const COMPLAINT_REASONS: &[&str] = &["spamreport", "complained"];

impl EngagementEvent {
    /// A recipient reported the email as spam (SendGrid `spamreport`, Mailgun `complained`,
    /// Postmark `SpamComplaint`, SES `Complaint`, Braze `MarkAsSpam`, Customer.io `spammed`).
    pub fn is_complaint(&self) -> bool {
        self.suppresses
            .as_deref()
            .is_some_and(|r| COMPLAINT_REASONS.contains(&r))
    }

    /// Whether this complaint may be about a survey email: it carries the survey's marker, or
    /// it names no campaign at all (a provider that echoes nothing back). A complaint naming a
    /// marketing campaign is about that campaign, never about the survey.
    pub fn may_be_about_a_survey(&self) -> bool {
        self.is_complaint() && (self.survey_invitation.is_some() || self.campaign_id.is_none())
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
        let zone = optional_time_zone(
            self.timezone.as_deref(),
            format!("{at}/timezone"),
            &mut errors,
        );
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
                survey_invitation: None,
                zone,
            }),
            _ => Err(errors),
        }
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
    fn only_complaints_with_the_marker_or_no_campaign_may_be_about_a_survey() {
        let mut e = EngagementEvent::new(
            "sendgrid:1".into(),
            "sendgrid",
            EventKind::Other("spamreport".into()),
            "a@example.com".into(),
            chrono::Utc::now(),
        );
        e.suppresses = Some("spamreport".into());
        assert!(e.may_be_about_a_survey(), "no campaign at all");
        e.campaign_id = Some("spring".into());
        assert!(!e.may_be_about_a_survey(), "a marketing campaign's");
        e.survey_invitation = Some("0193-ab".into());
        assert!(e.may_be_about_a_survey(), "the survey's marker");
        e.suppresses = Some("bounce".into());
        assert!(!e.may_be_about_a_survey(), "a bounce is no complaint");
        e.suppresses = Some("complained".into());
        assert!(e.is_complaint(), "Mailgun's word");
    }
}
