//! Postmark's webhooks, one event a POST, told apart by `RecordType`: `Click` is a click;
//! a `Bounce` of `Type: HardBounce` and a `SpamComplaint` suppress; a `SubscriptionChange`
//! suppresses (`SuppressSending: true`) or reactivates (`false`: our suppression is lifted too).
//! Other record types (`Delivery`, `Open`, soft bounces…) are stored as they are named.
use super::{Checked, Parsed, campaign_text, other};
use crate::domain::complaint::{MARKER, marker_value};
use crate::domain::event::{EngagementEvent, EventKind};
use crate::domain::validation::language_tag;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PostmarkEvent {
    pub record_type: String,
    #[serde(default, rename = "ID")]
    pub id: Option<Value>,
    #[serde(default, rename = "MessageID")]
    pub message_id: Option<String>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub original_link: Option<String>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default, rename = "Type")]
    pub bounce_type: Option<String>,
    #[serde(default)]
    pub suppress_sending: Option<bool>,
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub bounced_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub changed_at: Option<DateTime<Utc>>,
}

impl PostmarkEvent {
    /// `at` is the event's pointer (the body: empty).
    pub fn parse(self, at: &str) -> Parsed {
        let mut check = Checked::new(at);
        let record = self.record_type.as_str();
        // Bounces and complaints name the address `Email`; the rest `Recipient`.
        let (address_field, address) = match record {
            "Bounce" | "SpamComplaint" => ("Email", self.email.as_deref()),
            _ => ("Recipient", self.recipient.as_deref()),
        };
        let recipient = check.address(address_field, address);
        let (time_field, time) = match record {
            "Bounce" | "SpamComplaint" => ("BouncedAt", self.bounced_at),
            "Delivery" => ("DeliveredAt", self.delivered_at),
            "SubscriptionChange" => ("ChangedAt", self.changed_at),
            _ => ("ReceivedAt", self.received_at),
        };
        if time.is_none() {
            check.fail(time_field, "is required (an RFC 3339 time)");
        }
        // Postmark gives bounces and complaints an `ID`; other events are one per message and
        // time (a click is posted once per unique link click).
        let id = match record {
            "Bounce" | "SpamComplaint" => {
                let id = campaign_text(self.id.as_ref());
                if id.is_none() {
                    check.fail("ID", "is required for bounces and complaints");
                }
                id
            }
            _ => check
                .id("MessageID", self.message_id.as_deref())
                .zip(time)
                .map(|(message, at)| format!("{message}:{}", at.timestamp_micros())),
        };
        let url = check.text("OriginalLink", self.original_link);
        let metadata = self.metadata.unwrap_or_default();
        let campaign_id = campaign_text(metadata.get("campaign_id")).or_else(|| {
            self.tag
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.trim().to_owned())
        });
        let locale = match metadata.get("locale") {
            Some(Value::String(s)) => language_tag(s),
            _ => None,
        };
        let survey_invitation = marker_value(metadata.get(MARKER));
        let hard = self.bounce_type.as_deref() == Some("HardBounce");
        let (kind, suppresses, reactivates) = match (record, self.suppress_sending) {
            ("Click", _) => (EventKind::Click, None, false),
            ("Bounce", _) if hard => (other("bounce"), Some("bounce"), false),
            ("SpamComplaint", _) => (other("spamcomplaint"), Some("spamreport"), false),
            ("SubscriptionChange", Some(true)) => {
                (other("subscriptionchange"), Some("unsubscribe"), false)
            }
            ("SubscriptionChange", Some(false)) => (other("subscriptionchange"), None, true),
            ("SubscriptionChange", None) => {
                check.fail("SuppressSending", "is required (true or false)");
                (other("subscriptionchange"), None, false)
            }
            (other_type, _) => (other(&other_type.to_ascii_lowercase()), None, false),
        };
        let kind_name = kind.as_str().to_owned();
        check.done(|| EngagementEvent {
            campaign_id,
            url,
            locale,
            suppresses: suppresses.map(str::to_owned),
            reactivates,
            survey_invitation,
            ..EngagementEvent::new(
                format!("postmark:{kind_name}:{}", id.unwrap_or_default()),
                "postmark",
                kind,
                recipient.unwrap_or_default(),
                time.unwrap_or_default(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Taken;
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<EngagementEvent, Vec<String>> {
        let event: PostmarkEvent = serde_json::from_value(body).unwrap();
        match event.parse("") {
            Ok(Taken::Event(e)) => Ok(*e),
            Ok(Taken::Ignored) => panic!("Postmark events are never ignored"),
            Err(errors) => Err(errors.into_iter().map(|e| e.pointer).collect()),
        }
    }

    #[test]
    fn a_click_takes_its_campaign_from_metadata_or_the_tag() {
        let mut click = json!({"RecordType": "Click", "MessageID": "00000000-0000-0000-0000-000000000000",
            "Recipient": "John@Example.com", "OriginalLink": "https://example.com", "Tag": "welcome-email",
            "Metadata": {"campaign_id": "spring-2027"}, "ReceivedAt": "2026-11-05T16:33:54.9070259Z"});
        let e = parse(click.clone()).unwrap();
        assert_eq!(e.kind, EventKind::Click);
        assert_eq!(e.recipient, "john@example.com");
        assert_eq!(e.campaign_id.as_deref(), Some("spring-2027"));
        assert!(e.id.starts_with("postmark:click:00000000-0000-0000-0000-000000000000:"));
        click["Metadata"] = json!({});
        assert_eq!(
            parse(click).unwrap().campaign_id.as_deref(),
            Some("welcome-email")
        );
    }

    #[test]
    fn only_hard_bounces_and_complaints_suppress_and_a_reactivation_lifts() {
        let bounce = |kind: &str| {
            parse(
                json!({"RecordType": "Bounce", "ID": 4_323_372_036_854_775_807_u64, "Type": kind,
                         "Email": "a@example.com", "BouncedAt": "2026-11-05T16:33:54.9070259Z"}),
            )
            .unwrap()
        };
        assert_eq!(bounce("HardBounce").suppresses.as_deref(), Some("bounce"));
        assert_eq!(bounce("SoftBounce").suppresses, None);
        assert_eq!(
            bounce("HardBounce").id,
            "postmark:bounce:4323372036854775807"
        );
        let spam = parse(
            json!({"RecordType": "SpamComplaint", "ID": 42, "Email": "a@example.com",
                                "BouncedAt": "2026-11-05T16:33:54Z"}),
        )
        .unwrap();
        assert_eq!(spam.suppresses.as_deref(), Some("spamreport"));
        assert_eq!(spam.survey_invitation, None);
        let survey_spam = parse(
            json!({"RecordType": "SpamComplaint", "ID": 43, "Email": "a@example.com",
                   "BouncedAt": "2026-11-05T16:33:54Z",
                   "Metadata": {"promiseguard_invitation": "0193a7c2-1b2c-7d3e"}}),
        )
        .unwrap();
        assert_eq!(
            survey_spam.survey_invitation.as_deref(),
            Some("0193a7c2-1b2c-7d3e")
        );
        let change = |suppress: bool| {
            parse(json!({"RecordType": "SubscriptionChange", "MessageID": "m-1", "Recipient": "a@example.com",
                         "SuppressSending": suppress, "ChangedAt": "2026-11-05T16:33:54Z"}))
            .unwrap()
        };
        assert_eq!(change(true).suppresses.as_deref(), Some("unsubscribe"));
        assert!(!change(true).reactivates);
        assert!(change(false).reactivates);
        assert_eq!(change(false).suppresses, None);
    }

    #[test]
    fn a_bad_event_names_each_field() {
        assert_eq!(
            parse(json!({"RecordType": "Bounce", "Type": "HardBounce", "Email": "nobody"}))
                .unwrap_err(),
            ["/Email", "/BouncedAt", "/ID"]
        );
        assert_eq!(
            parse(json!({"RecordType": "SubscriptionChange", "MessageID": "m", "Recipient": "a@example.com",
                         "ChangedAt": "2026-11-05T16:33:54Z"}))
            .unwrap_err(),
            ["/SuppressSending"]
        );
    }
}
