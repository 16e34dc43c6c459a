//! Braze Currents (custom HTTP connector): `{"events": [...]}`, up to 100 a batch. Email
//! `Click` is a click; `Unsubscribe`, `Bounce` (hard; `SoftBounce` is not) and `MarkAsSpam`
//! suppress. Braze adds event types and fields without notice and disables a connector after
//! days of errors, so an event of any other type is stored as it is named when it names an
//! address and ignored when it does not — never refused.
use super::{Checked, Parsed, Taken, campaign_text};
use crate::domain::event::{EngagementEvent, EventKind};
use crate::domain::validation::time_zone;
use serde_json::{Map, Value};

/// One event of a batch, read leniently: a field of an unexpected type reads as absent, so
/// no change of Braze's makes the event unreadable.
#[derive(Debug, Default)]
pub struct BrazeEvent {
    pub event_type: Option<String>,
    pub id: Option<String>,
    pub time: Option<f64>,
    pub properties: Map<String, Value>,
    /// `user.timezone`: the user's IANA zone as Braze knows it (not one: absent).
    pub zone: Option<String>,
}

/// A Currents batch: `{"events": [...]}`; `None` if the body is not one.
pub fn batch(body: &Value) -> Option<&Vec<Value>> {
    body.get("events")?.as_array()
}

const CLICK: &str = "users.messages.email.Click";
const SUPPRESSING: [(&str, &str); 3] = [
    ("users.messages.email.Unsubscribe", "unsubscribe"),
    ("users.messages.email.Bounce", "bounce"),
    ("users.messages.email.MarkAsSpam", "spamreport"),
];

impl BrazeEvent {
    pub fn read(event: &Value) -> Self {
        let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            event_type: text("event_type"),
            id: text("id"),
            time: event.get("time").and_then(Value::as_f64),
            zone: event
                .get("user")
                .and_then(|u| u.get("timezone"))
                .and_then(Value::as_str)
                .and_then(time_zone),
            properties: event
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        }
    }

    pub fn parse(self, at: &str) -> Parsed {
        let event_type = self.event_type.unwrap_or_default();
        let suppresses = SUPPRESSING
            .iter()
            .find(|(t, _)| *t == event_type)
            .map(|(_, reason)| (*reason).to_owned());
        let known = event_type == CLICK || suppresses.is_some();
        let address = self.properties.get("email_address").and_then(Value::as_str);
        if !known && address.is_none() {
            return Ok(Taken::Ignored);
        }
        let mut check = Checked::new(at);
        let recipient = check.address("properties/email_address", address);
        let id = check.id("id", self.id.as_deref());
        let occurred_at = check.unix("time", self.time);
        let url = check.text(
            "properties/url",
            self.properties
                .get("url")
                .and_then(Value::as_str)
                .map(str::to_owned),
        );
        // Currents names the campaign by an internal id; the REST API's id (the one the watch
        // stores a scheduled campaign under) arrives as `campaign_api_id`.
        let campaign_id = campaign_text(self.properties.get("campaign_api_id"))
            .or_else(|| campaign_text(self.properties.get("campaign_id")))
            .or_else(|| campaign_text(self.properties.get("canvas_api_id")))
            .or_else(|| campaign_text(self.properties.get("canvas_id")));
        let kind = if event_type == CLICK {
            EventKind::Click
        } else {
            let short = event_type.rsplit('.').next().unwrap_or_default();
            EventKind::Other(short.to_ascii_lowercase().chars().take(64).collect())
        };
        if !known {
            // An unknown type is never held against the batch: what it does not say, it
            // does not say.
            let (Some(recipient), Some(id), Some(occurred_at)) = (recipient, id, occurred_at)
            else {
                return Ok(Taken::Ignored);
            };
            return Ok(Taken::Event(Box::new(EngagementEvent::new(
                format!("braze:{id}"),
                "braze",
                kind,
                recipient,
                occurred_at,
            ))));
        }
        let zone = self.zone;
        check.done(|| EngagementEvent {
            campaign_id,
            url,
            suppresses,
            zone,
            ..EngagementEvent::new(
                format!("braze:{}", id.unwrap_or_default()),
                "braze",
                kind,
                recipient.unwrap_or_default(),
                occurred_at.unwrap_or_default(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(event: Value) -> Result<Taken, Vec<String>> {
        BrazeEvent::read(&event)
            .parse("/events/0")
            .map_err(|errors| errors.into_iter().map(|e| e.pointer).collect())
    }

    #[test]
    fn a_click_brings_the_users_own_time_zone_when_braze_knows_it() {
        let click = |zone: Value| {
            let Ok(Taken::Event(click)) = parse(json!({
                "event_type": "users.messages.email.Click", "id": "z", "time": 1_477_502_783,
                "user": {"user_id": "0123456789abcdef01234567", "timezone": zone},
                "properties": {"campaign_id": "spring-2027", "email_address": "a@example.com"}}))
            else {
                panic!()
            };
            click.zone
        };
        assert_eq!(
            click(json!("America/Chicago")).as_deref(),
            Some("America/Chicago")
        );
        // Not a zone (or not a string): absent, never an error.
        assert_eq!(click(json!("Mars/Olympus")), None);
        assert_eq!(click(json!(-5)), None);
    }

    #[test]
    fn clicks_count_suppressing_types_suppress_and_unknown_types_never_fail() {
        let click = parse(
            json!({"event_type": "users.messages.email.Click", "id": "a1234567-89ab-cdef-0123-456789abcdef",
            "time": 1_477_502_783, "user": {"user_id": "0123456789abcdef01234567", "external_user_id": "user_id"},
            "properties": {"campaign_id": "spring-2027", "email_address": "Example@Braze.com", "url": "https://braze.com"}}),
        );
        let Ok(Taken::Event(click)) = click else {
            panic!("{click:?}")
        };
        assert_eq!(
            (click.kind, click.campaign_id.as_deref()),
            (EventKind::Click, Some("spring-2027"))
        );
        assert_eq!(click.recipient, "example@braze.com");
        // The REST API's id wins over Currents' internal one: a watched campaign's clicks meet it.
        let Ok(Taken::Event(click)) = parse(
            json!({"event_type": "users.messages.email.Click", "id": "c", "time": 1_477_502_783,
            "properties": {"campaign_id": "internal-7", "campaign_api_id": "0f1e2d3c-rest",
                           "email_address": "a@example.com", "url": "https://braze.com"}}),
        ) else {
            panic!()
        };
        assert_eq!(click.campaign_id.as_deref(), Some("0f1e2d3c-rest"));
        let Ok(Taken::Event(bounce)) = parse(
            json!({"event_type": "users.messages.email.Bounce", "id": "b",
            "time": 1_477_502_783, "properties": {"email_address": "a@example.com"}}),
        ) else {
            panic!()
        };
        assert_eq!(bounce.suppresses.as_deref(), Some("bounce"));
        let Ok(Taken::Event(soft)) = parse(
            json!({"event_type": "users.messages.email.SoftBounce", "id": "s",
            "time": 1_477_502_783, "properties": {"email_address": "a@example.com"}}),
        ) else {
            panic!()
        };
        assert_eq!(soft.suppresses, None);
        assert_eq!(soft.kind, EventKind::Other("softbounce".into()));
        // Unknown, addressless, half-filled: ignored, never an error.
        for unknown in [
            json!({"event_type": "users.behaviors.HoloDeck.Entered", "id": "h", "time": 1_477_502_783}),
            json!({"event_type": "users.messages.hologram.Open", "properties": {"email_address": "a@example.com"}}),
            json!({}),
            json!({"event_type": 7, "id": ["x"], "time": "noon", "properties": "none"}),
        ] {
            assert_eq!(parse(unknown), Ok(Taken::Ignored));
        }
        assert_eq!(
            parse(json!({"event_type": "users.messages.email.Click", "properties": {}})),
            Err(vec![
                "/events/0/properties/email_address".into(),
                "/events/0/id".into(),
                "/events/0/time".into()
            ])
        );
    }
}
