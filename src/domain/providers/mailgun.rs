//! Mailgun's webhook `event-data`: `clicked` is a click; `unsubscribed`, `complained` and a
//! `failed` of `severity: permanent` suppress; every other event is stored as it is named.
//! Events are deduplicated by `event-data.id`.
use super::{Checked, Parsed, campaign_text};
use crate::domain::complaint::{MARKER, marker_value};
use crate::domain::event::{EngagementEvent, EventKind};
use crate::domain::validation::language_tag;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Where an event's campaign comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignFrom {
    /// A custom variable (`user-variables`, sent as `v:campaign_id`).
    Variable(String),
    /// The first tag with this prefix (removed); empty: the first tag.
    Tag(String),
}

/// `event-data` of a Mailgun webhook (fields Mailgun adds are ignored).
#[derive(Debug, Deserialize)]
pub struct MailgunEvent {
    pub event: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub timestamp: Option<f64>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default, rename = "user-variables")]
    pub user_variables: Map<String, Value>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl MailgunEvent {
    /// `at` is the pointer of `event-data` (`/event-data`).
    pub fn parse(self, at: &str, campaign_from: &CampaignFrom) -> Parsed {
        let mut check = Checked::new(at);
        let id = check.id("id", self.id.as_deref());
        let recipient = check.address("recipient", self.recipient.as_deref());
        let occurred_at = check.unix("timestamp", self.timestamp);
        let url = check.text("url", self.url);
        let campaign_id = match campaign_from {
            CampaignFrom::Variable(name) => campaign_text(self.user_variables.get(name)),
            CampaignFrom::Tag(prefix) => self
                .tags
                .iter()
                .find_map(|t| t.strip_prefix(prefix.as_str()))
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.trim().to_owned()),
        };
        let locale = match self.user_variables.get("locale") {
            Some(Value::String(s)) => language_tag(s),
            _ => None,
        };
        let permanent = self.severity.as_deref() == Some("permanent");
        let (kind, suppresses) = match self.event.as_str() {
            "clicked" => (EventKind::Click, None),
            "unsubscribed" => (
                EventKind::Other("unsubscribed".into()),
                Some("unsubscribed"),
            ),
            "complained" => (EventKind::Other("complained".into()), Some("complained")),
            "failed" if permanent => (EventKind::Other("failed".into()), Some("bounce")),
            other => (EventKind::Other(other.chars().take(64).collect()), None),
        };
        check.done(|| EngagementEvent {
            campaign_id,
            url,
            locale,
            suppresses: suppresses.map(str::to_owned),
            survey_invitation: marker_value(self.user_variables.get(MARKER)),
            ..EngagementEvent::new(
                format!("mailgun:{}", id.unwrap_or_default()),
                "mailgun",
                kind,
                recipient.unwrap_or_default(),
                occurred_at.unwrap_or_default(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Taken;
    use super::*;
    use serde_json::json;

    fn parse(data: Value, from: &CampaignFrom) -> Result<EngagementEvent, Vec<String>> {
        let event: MailgunEvent = serde_json::from_value(data).unwrap();
        match event.parse("/event-data", from) {
            Ok(Taken::Event(e)) => Ok(*e),
            Ok(Taken::Ignored) => panic!("Mailgun events are never ignored"),
            Err(errors) => Err(errors.into_iter().map(|e| e.pointer).collect()),
        }
    }

    fn variable() -> CampaignFrom {
        CampaignFrom::Variable("campaign_id".into())
    }

    #[test]
    fn a_click_takes_its_campaign_from_the_variable_or_a_tag() {
        let data = json!({"event": "clicked", "id": "Ase7i2zsRYeDXztHGENqRA", "timestamp": 1_764_633_600.529_6,
                          "recipient": "Dana@Example.com", "url": "https://rentals.example.com/spring",
                          "user-variables": {"campaign_id": "spring-2027", "locale": "ar-EG"},
                          "tags": ["newsletter", "pg:spring-tag"]});
        let click = parse(data.clone(), &variable()).unwrap();
        assert_eq!(click.kind, EventKind::Click);
        assert_eq!(click.id, "mailgun:Ase7i2zsRYeDXztHGENqRA");
        assert_eq!(click.recipient, "dana@example.com");
        assert_eq!(click.campaign_id.as_deref(), Some("spring-2027"));
        assert_eq!(click.locale.as_deref(), Some("ar-EG"));
        assert_eq!(click.occurred_at.timestamp_millis(), 1_764_633_600_529);
        let tagged = parse(data.clone(), &CampaignFrom::Tag("pg:".into())).unwrap();
        assert_eq!(tagged.campaign_id.as_deref(), Some("spring-tag"));
        let first = parse(data, &CampaignFrom::Tag(String::new())).unwrap();
        assert_eq!(first.campaign_id.as_deref(), Some("newsletter"));
    }

    #[test]
    fn only_unsubscribes_complaints_and_permanent_failures_suppress() {
        let with = |event: &str, severity: &str| {
            parse(
                json!({"event": event, "severity": severity, "id": "x", "timestamp": 1_764_633_600,
                       "recipient": "a@example.com"}),
                &variable(),
            )
            .unwrap()
            .suppresses
        };
        assert_eq!(with("unsubscribed", "").as_deref(), Some("unsubscribed"));
        assert_eq!(with("complained", "").as_deref(), Some("complained"));
        assert_eq!(with("failed", "permanent").as_deref(), Some("bounce"));
        assert_eq!(with("failed", "temporary"), None);
        assert_eq!(with("delivered", ""), None);
        assert_eq!(with("opened", ""), None);
    }

    #[test]
    fn a_complaint_about_a_survey_email_carries_its_marker_back() {
        let complaint = parse(
            json!({"event": "complained", "id": "c-1", "timestamp": 1_764_633_600,
                   "recipient": "a@example.com",
                   "user-variables": {"promiseguard_invitation": "0193a7c2-1b2c-7d3e"}}),
            &variable(),
        )
        .unwrap();
        assert_eq!(
            complaint.survey_invitation.as_deref(),
            Some("0193a7c2-1b2c-7d3e")
        );
        assert!(complaint.may_be_about_a_survey());
    }

    #[test]
    fn a_bad_event_names_each_field_under_event_data() {
        let errors = parse(
            json!({"event": "clicked", "recipient": "nobody", "timestamp": null}),
            &variable(),
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "/event-data/id",
                "/event-data/recipient",
                "/event-data/timestamp"
            ]
        );
    }
}
