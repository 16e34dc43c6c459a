//! Customer.io's reporting webhooks, one event a POST: `{event_id, object_type, metric,
//! timestamp, data: {…}}`. An email `clicked` is a click; `unsubscribed`, `bounced` (a hard
//! bounce: Customer.io reports soft ones as `failed`/`dropped`) and `spammed` suppress; other
//! metrics are stored as they are named. An event that names no address (a customer event of a
//! profile without one) is ignored.
use super::{Checked, Parsed, Taken, campaign_text, other};
use crate::domain::event::{EngagementEvent, EventKind};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
pub struct CustomerioEvent {
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub object_type: Option<String>,
    pub metric: String,
    #[serde(default)]
    pub timestamp: Option<f64>,
    #[serde(default)]
    pub data: Map<String, Value>,
}

impl CustomerioEvent {
    pub fn parse(self, at: &str) -> Parsed {
        let text = |key: &str| self.data.get(key).and_then(Value::as_str);
        let address = text("recipient")
            .or_else(|| text("email_address"))
            .or_else(|| {
                self.data
                    .get("identifiers")
                    .and_then(|i| i.get("email"))
                    .and_then(Value::as_str)
            });
        let email = self.object_type.as_deref() == Some("email");
        if address.is_none() && !email {
            return Ok(Taken::Ignored);
        }
        let mut check = Checked::new(at);
        let recipient = check.address("data/recipient", address);
        let id = check.id("event_id", self.event_id.as_deref());
        let occurred_at = check.unix("timestamp", self.timestamp);
        let url = check.text("data/href", text("href").map(str::to_owned));
        let campaign_id = ["campaign_id", "broadcast_id", "newsletter_id"]
            .into_iter()
            .find_map(|key| campaign_text(self.data.get(key)));
        let (kind, suppresses) = match (self.metric.as_str(), email) {
            ("clicked", true) => (EventKind::Click, None),
            ("unsubscribed", _) => (other("unsubscribed"), Some("unsubscribe")),
            ("bounced", _) => (other("bounced"), Some("bounce")),
            ("spammed", _) => (other("spammed"), Some("spamreport")),
            (metric, _) => (other(metric), None),
        };
        check.done(|| EngagementEvent {
            campaign_id,
            url,
            suppresses: suppresses.map(str::to_owned),
            ..EngagementEvent::new(
                format!("customerio:{}", id.unwrap_or_default()),
                "customerio",
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

    fn parse(body: Value) -> Result<Taken, Vec<String>> {
        let event: CustomerioEvent = serde_json::from_value(body).unwrap();
        event
            .parse("")
            .map_err(|errors| errors.into_iter().map(|e| e.pointer).collect())
    }

    #[test]
    fn an_email_click_is_a_click_of_its_campaign() {
        let Taken::Event(click) = parse(json!({"data": {"action_id": 36, "broadcast_id": 9, "customer_id": "0200102",
            "identifiers": {"id": "0200102", "email": "Test@Example.com"}, "delivery_id": "RPILAgABcRhIBqSp7kiPekGBIeVh",
            "href": "http://google.com", "link_id": 1, "recipient": "test@example.com", "subject": "hello"},
            "event_id": "01E2EMRMM6TZ12TF9WGZN0WJQT", "metric": "clicked", "object_type": "email",
            "timestamp": 1_585_250_199})).unwrap() else { panic!("a click is taken") };
        assert_eq!(click.kind, EventKind::Click);
        assert_eq!(click.campaign_id.as_deref(), Some("9"));
        assert_eq!(click.id, "customerio:01E2EMRMM6TZ12TF9WGZN0WJQT");
        assert_eq!(click.url.as_deref(), Some("http://google.com"));
    }

    #[test]
    fn unsubscribes_hard_bounces_and_spam_suppress_and_addressless_events_are_ignored() {
        for (metric, reason) in [
            ("unsubscribed", "unsubscribe"),
            ("bounced", "bounce"),
            ("spammed", "spamreport"),
        ] {
            let Taken::Event(e) = parse(json!({"data": {"recipient": "a@example.com", "campaign_id": 5},
                "event_id": "e", "metric": metric, "object_type": "email", "timestamp": 1_585_250_199}))
            .unwrap() else { panic!("{metric} is taken") };
            assert_eq!(e.suppresses.as_deref(), Some(reason));
        }
        assert_eq!(
            parse(
                json!({"data": {"customer_id": "42"}, "event_id": "e", "metric": "subscribed",
                         "object_type": "customer", "timestamp": 1_585_250_199})
            ),
            Ok(Taken::Ignored)
        );
        assert_eq!(
            parse(json!({"data": {}, "metric": "clicked", "object_type": "email"})),
            Err(vec![
                "/data/recipient".into(),
                "/event_id".into(),
                "/timestamp".into()
            ])
        );
    }
}
