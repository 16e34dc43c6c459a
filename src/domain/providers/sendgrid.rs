//! SendGrid's Event Webhook: one event of its array. `click` is a click; `unsubscribe`,
//! `group_unsubscribe`, `spamreport` and `bounce` suppress; other types are stored as they are
//! named. Custom args (`campaign_id`, `locale`, the survey's marker) arrive as top-level keys.
use crate::domain::FieldError;
use crate::domain::complaint::marker_value;
use crate::domain::event::{EngagementEvent, EventKind, normalize_address, text};
use crate::domain::validation::language_tag;
use chrono::DateTime;
use serde::Deserialize;

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
    /// The survey email's marker (`domain::complaint::MARKER`), a unique arg of its `X-SMTPAPI`.
    #[serde(default)]
    pub promiseguard_invitation: Option<serde_json::Value>,
}

const SUPPRESSING: &[&str] = &["unsubscribe", "group_unsubscribe", "spamreport", "bounce"];

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
            survey_invitation: marker_value(self.promiseguard_invitation.as_ref()),
            zone: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn a_sendgrid_complaint_brings_the_survey_marker_back_as_a_unique_arg() {
        let e: SendgridEventInput = serde_json::from_value(json!({
            "email": "a@example.com", "timestamp": 1_795_000_000, "event": "spamreport",
            "sg_event_id": "sg-2", "promiseguard_invitation": "0193a7c2-1b2c-7d3e"
        }))
        .unwrap();
        let complaint = e.parse("/0").unwrap();
        assert_eq!(
            complaint.survey_invitation.as_deref(),
            Some("0193a7c2-1b2c-7d3e")
        );
        assert!(complaint.may_be_about_a_survey());
    }
}
