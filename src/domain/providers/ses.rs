//! Amazon SES events published to SNS (the `Message` of a notification): `Click` is a click;
//! a `Bounce` of `bounceType: Permanent`, a `Complaint` and a `Subscription` that unsubscribes
//! from all suppress; other types are stored as they are named. SES's older notifications
//! (`notificationType` instead of `eventType`) read the same. The campaign comes from the
//! message tag `campaign_id` (`mail.tags`). One SES event can name several recipients (a bounce
//! of several): each becomes an event.
use super::{Checked, campaign_text, other};
use crate::domain::FieldError;
use crate::domain::complaint::{MARKER, marker_value};
use crate::domain::event::{EngagementEvent, EventKind};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The events an SES message comes to (none: a type of no use that names nobody).
pub fn parse(sns_message_id: &str, message: &str) -> Result<Vec<EngagementEvent>, Vec<FieldError>> {
    let mut check = Checked::new("/Message");
    let Ok(event) = serde_json::from_str::<Value>(message) else {
        check.fail("", "is not an SES event (JSON)");
        return Err(check.errors);
    };
    let kind = event
        .get("eventType")
        .or_else(|| event.get("notificationType"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mail = event.get("mail").cloned().unwrap_or(Value::Null);
    let destination: Vec<&str> = mail
        .get("destination")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let campaign_id = mail
        .get("tags")
        .and_then(|t| t.get("campaign_id"))
        .and_then(|v| v.as_array().and_then(|a| a.first()).or(Some(v)))
        .and_then(|v| campaign_text(Some(v)));
    let survey_invitation = marker_value(mail.get("tags").and_then(|t| t.get(MARKER)));
    let Some(Reading {
        kind,
        suppresses,
        recipients,
        at,
        url,
        pointer,
    }) = read_type(&kind, &event, &mail, &destination, &mut check)
    else {
        return Err(check.errors);
    };
    let at = at.or_else(|| time_of(&mail));
    if at.is_none() {
        check.fail(
            &format!("{pointer}/timestamp"),
            "is required (an ISO 8601 time)",
        );
    }
    let url = check.text("click/link", url);
    let mut events = Vec::new();
    for (i, raw) in recipients.iter().enumerate() {
        if let Some(recipient) = check.address(&format!("{pointer}/recipients/{i}"), Some(raw)) {
            events.push(EngagementEvent {
                campaign_id: campaign_id.clone(),
                url: url.clone(),
                suppresses: suppresses.map(str::to_owned),
                survey_invitation: survey_invitation.clone(),
                ..EngagementEvent::new(
                    format!("ses:{sns_message_id}:{recipient}"),
                    "ses",
                    kind.clone(),
                    recipient,
                    at.unwrap_or_default(),
                )
            });
        }
    }
    if check.errors.is_empty() {
        Ok(events)
    } else {
        Err(check.errors)
    }
}

/// What one SES event type says: the kind stored, what it suppresses, who, when, the link, and
/// where its details sit (for errors).
struct Reading {
    kind: EventKind,
    suppresses: Option<&'static str>,
    recipients: Vec<String>,
    at: Option<DateTime<Utc>>,
    url: Option<String>,
    pointer: &'static str,
}

/// The details an event type carries (`None`, with the error noted: no type at all).
fn read_type(
    kind: &str,
    event: &Value,
    mail: &Value,
    destination: &[&str],
    check: &mut Checked,
) -> Option<Reading> {
    let detail = |key: &str| event.get(key).cloned().unwrap_or(Value::Null);
    let everyone = || destination.iter().map(|d| (*d).to_owned()).collect();
    let reading = |kind, suppresses, recipients, at, pointer| Reading {
        kind,
        suppresses,
        recipients,
        at,
        url: None,
        pointer,
    };
    Some(match kind {
        "Click" => {
            let click = detail("click");
            if destination.len() > 1 {
                check.fail(
                    "mail/destination",
                    "a click on a message to several recipients does not say who clicked",
                );
            }
            Reading {
                url: click.get("link").and_then(Value::as_str).map(str::to_owned),
                ..reading(EventKind::Click, None, everyone(), time_of(&click), "click")
            }
        }
        "Bounce" => {
            let bounce = detail("bounce");
            let permanent = bounce.get("bounceType").and_then(Value::as_str) == Some("Permanent");
            reading(
                other("bounce"),
                permanent.then_some("bounce"),
                listed(&bounce, "bouncedRecipients"),
                time_of(&bounce),
                "bounce",
            )
        }
        "Complaint" => {
            let complaint = detail("complaint");
            reading(
                other("complaint"),
                Some("spamreport"),
                listed(&complaint, "complainedRecipients"),
                time_of(&complaint),
                "complaint",
            )
        }
        "Subscription" => {
            let sub = detail("subscription");
            let all = sub
                .get("newTopicPreferences")
                .and_then(|p| p.get("unsubscribeAll"))
                .and_then(Value::as_bool)
                == Some(true);
            reading(
                other("subscription"),
                all.then_some("unsubscribe"),
                everyone(),
                time_of(&sub),
                "subscription",
            )
        }
        "" => {
            check.fail("eventType", "is missing");
            return None;
        }
        name => reading(
            other(&name.to_ascii_lowercase()),
            None,
            everyone(),
            time_of(mail),
            "mail",
        ),
    })
}

/// A detail's `timestamp`.
fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    v.get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The `emailAddress` of each entry of a detail's `list`.
fn listed(v: &Value, list: &str) -> Vec<String> {
    v.get(list)
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|x| {
                    x.get("emailAddress")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clicks_permanent_bounces_complaints_and_unsubscribe_all_map() {
        let click = json!({"eventType": "Click", "mail": {"timestamp": "2026-12-01T08:00:00.000Z",
            "destination": ["Lee@Example.com"], "tags": {"campaign_id": ["spring-2027"]}},
            "click": {"link": "https://rentals.example.com", "timestamp": "2026-12-01T08:10:00.000Z"}});
        let events = parse("m-1", &click.to_string()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (
                events[0].kind.clone(),
                events[0].recipient.as_str(),
                events[0].campaign_id.as_deref()
            ),
            (EventKind::Click, "lee@example.com", Some("spring-2027"))
        );
        assert_eq!(events[0].id, "ses:m-1:lee@example.com");
        let bounce = |kind: &str| {
            json!({"eventType": "Bounce", "mail": {"timestamp": "2026-12-01T08:00:00Z", "destination": ["a@example.com", "b@example.com"]},
            "bounce": {"bounceType": kind, "bouncedRecipients": [{"emailAddress": "a@example.com"}, {"emailAddress": "b@example.com"}], "timestamp": "2026-12-01T08:00:01Z"}}).to_string()
        };
        let hard = parse("m-2", &bounce("Permanent")).unwrap();
        assert_eq!(hard.len(), 2);
        assert!(
            hard.iter()
                .all(|e| e.suppresses.as_deref() == Some("bounce"))
        );
        assert!(
            parse("m-3", &bounce("Transient"))
                .unwrap()
                .iter()
                .all(|e| e.suppresses.is_none())
        );
        let complaint = json!({"notificationType": "Complaint", "mail": {"timestamp": "2026-12-01T08:00:00Z"},
            "complaint": {"complainedRecipients": [{"emailAddress": "c@example.com"}], "timestamp": "2026-12-01T09:00:00Z"}});
        assert_eq!(
            parse("m-4", &complaint.to_string()).unwrap()[0]
                .suppresses
                .as_deref(),
            Some("spamreport")
        );
        let tagged = json!({"eventType": "Complaint",
            "mail": {"timestamp": "2026-12-01T08:00:00Z",
                     "tags": {"promiseguard_invitation": ["0193a7c2-1b2c-7d3e"], "ses:configuration-set": ["surveys"]}},
            "complaint": {"complainedRecipients": [{"emailAddress": "c@example.com"}], "timestamp": "2026-12-01T09:00:00Z"}});
        assert_eq!(
            parse("m-6", &tagged.to_string()).unwrap()[0]
                .survey_invitation
                .as_deref(),
            Some("0193a7c2-1b2c-7d3e")
        );
        let unsubscribe = json!({"eventType": "Subscription", "mail": {"timestamp": "2026-12-01T08:00:00Z", "destination": ["d@example.com"]},
            "subscription": {"timestamp": "2026-12-01T09:00:00Z", "newTopicPreferences": {"unsubscribeAll": true}}});
        assert_eq!(
            parse("m-5", &unsubscribe.to_string()).unwrap()[0]
                .suppresses
                .as_deref(),
            Some("unsubscribe")
        );
    }

    #[test]
    fn what_cannot_be_read_is_named() {
        let pointers = |m: &str| {
            parse("m", m)
                .unwrap_err()
                .into_iter()
                .map(|e| e.pointer)
                .collect::<Vec<_>>()
        };
        assert_eq!(pointers("not json"), ["/Message"]);
        assert_eq!(pointers("{}"), ["/Message/eventType"]);
        let shared = json!({"eventType": "Click", "mail": {"timestamp": "2026-12-01T08:00:00Z", "destination": ["a@example.com", "b@example.com"]}, "click": {}});
        assert_eq!(pointers(&shared.to_string()), ["/Message/mail/destination"]);
    }
}
