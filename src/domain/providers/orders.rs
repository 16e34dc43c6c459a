//! Conversions from where orders are: Shopify's `orders/create` webhook and Segment's Track
//! `Order Completed`. An order with no address to file it under is ignored (a guest checkout at
//! a till), not refused.
use super::{Checked, Parsed, Taken, campaign_text};
use crate::domain::event::{EngagementEvent, EventKind, normalize_address};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where an order's campaign comes from when its landing URL has no `utm_campaign`.
#[derive(Debug, Clone, Default)]
pub struct ShopifyCampaigns {
    /// A note (cart) attribute naming the campaign.
    pub note_attribute: Option<String>,
    /// Discount code (any case) → campaign id.
    pub by_discount_code: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct ShopifyOrder {
    pub id: Option<Value>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub customer: Option<ShopifyCustomer>,
    #[serde(default)]
    pub created_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub landing_site: Option<String>,
    #[serde(default)]
    pub note_attributes: Vec<NameValue>,
    #[serde(default)]
    pub discount_codes: Vec<DiscountCode>,
}

#[derive(Debug, Deserialize)]
pub struct ShopifyCustomer {
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NameValue {
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Deserialize)]
pub struct DiscountCode {
    pub code: String,
}

/// `utm_campaign` of a landing URL, absolute or (as Shopify keeps it) a path.
fn utm_campaign(landing: &str) -> Option<String> {
    let base = url::Url::parse("https://shop.invalid/").ok()?;
    let url = base.join(landing.trim()).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "utm_campaign")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

impl ShopifyOrder {
    /// `delivery` is what deduplicates it: `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id`
    /// (the order id when neither came).
    pub fn parse(self, shop: &str, delivery: Option<&str>, campaigns: &ShopifyCampaigns) -> Parsed {
        let mut check = Checked::new("");
        let order_id = campaign_text(self.id.as_ref());
        if order_id.is_none() {
            check.fail("id", "is required (the order's id)");
        }
        let address = self
            .customer
            .and_then(|c| c.email)
            .into_iter()
            .chain(self.email)
            .chain(self.contact_email)
            .find_map(|a| normalize_address(&a));
        let Some(recipient) = address else {
            return if check.errors.is_empty() {
                Ok(Taken::Ignored)
            } else {
                Err(check.errors)
            };
        };
        let occurred_at = self.created_at.map(|t| t.with_timezone(&Utc));
        if occurred_at.is_none() {
            check.fail("created_at", "is required (an RFC 3339 time)");
        }
        let campaign_id = self
            .landing_site
            .as_deref()
            .and_then(utm_campaign)
            .or_else(|| {
                let name = campaigns.note_attribute.as_deref()?;
                let attribute = self.note_attributes.iter().find(|a| a.name == name)?;
                campaign_text(Some(&attribute.value))
            })
            .or_else(|| {
                self.discount_codes.iter().find_map(|d| {
                    campaigns
                        .by_discount_code
                        .iter()
                        .find(|(code, _)| code.eq_ignore_ascii_case(d.code.trim()))
                        .map(|(_, campaign)| campaign.clone())
                })
            });
        let key = delivery
            .map(str::to_owned)
            .or_else(|| order_id.as_ref().map(|o| format!("order-{o}")))
            .unwrap_or_default();
        check.done(|| EngagementEvent {
            campaign_id,
            order_id,
            ..EngagementEvent::new(
                format!("shopify:{shop}:{key}"),
                format!("shopify:{shop}"),
                EventKind::Conversion,
                recipient,
                occurred_at.unwrap_or_default(),
            )
        })
    }
}

/// Where a Segment event's buyer address is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentRecipient {
    ContextTraitsEmail,
    PropertiesEmail,
    UserId,
}

impl SegmentRecipient {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "context.traits.email" => Some(Self::ContextTraitsEmail),
            "properties.email" => Some(Self::PropertiesEmail),
            "userId" => Some(Self::UserId),
            _ => None,
        }
    }

    fn pointer(self) -> &'static str {
        match self {
            Self::ContextTraitsEmail => "context/traits/email",
            Self::PropertiesEmail => "properties/email",
            Self::UserId => "userId",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentEvent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<Value>,
    #[serde(default)]
    pub timestamp: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub properties: serde_json::Map<String, Value>,
    #[serde(default)]
    pub context: serde_json::Map<String, Value>,
}

impl SegmentEvent {
    pub fn parse(self, recipient_from: &[SegmentRecipient]) -> Parsed {
        if self.kind != "track" || self.event.as_deref() != Some("Order Completed") {
            return Ok(Taken::Ignored);
        }
        let mut check = Checked::new("");
        let id = check.id("messageId", self.message_id.as_deref());
        let context = |path: &[&str]| {
            path.iter()
                .try_fold(None::<&Value>, |at, key| match at {
                    None => self.context.get(*key).map(Some),
                    Some(v) => v.get(*key).map(Some),
                })
                .flatten()
        };
        let recipient = recipient_from.iter().find_map(|from| {
            let raw = match from {
                SegmentRecipient::ContextTraitsEmail => context(&["traits", "email"]),
                SegmentRecipient::PropertiesEmail => self.properties.get("email"),
                SegmentRecipient::UserId => self.user_id.as_ref(),
            };
            raw.and_then(Value::as_str).and_then(normalize_address)
        });
        if recipient.is_none() {
            let first = recipient_from.first().map_or("userId", |f| f.pointer());
            check.fail(
                first,
                "no email address where [conversions.segment] recipient_from looks",
            );
        }
        let occurred_at = self.timestamp.map(|t| t.with_timezone(&Utc));
        if occurred_at.is_none() {
            check.fail("timestamp", "is required (an ISO 8601 time)");
        }
        let campaign_id = campaign_text(context(&["campaign", "name"]));
        let order_id = campaign_text(self.properties.get("order_id"));
        check.done(|| EngagementEvent {
            campaign_id,
            order_id,
            ..EngagementEvent::new(
                format!("segment:{}", id.unwrap_or_default()),
                "segment",
                EventKind::Conversion,
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

    fn order(body: Value, campaigns: &ShopifyCampaigns) -> Parsed {
        let order: ShopifyOrder = serde_json::from_value(body).unwrap();
        order.parse("example.myshopify.com", Some("evt-1"), campaigns)
    }

    #[test]
    fn an_order_is_a_conversion_of_its_landing_campaign_note_or_discount() {
        let body = json!({"id": 820_982_911_946_154_508_u64, "email": "jon@example.com",
            "created_at": "2026-12-01T19:00:00-05:00", "landing_site": "/products/cars?utm_source=email&utm_campaign=spring-2027",
            "customer": {"email": "Jon@Example.com"}, "note_attributes": [{"name": "pg_campaign", "value": "from-note"}],
            "discount_codes": [{"code": "SPRING10", "amount": "10.00", "type": "percentage"}]});
        let campaigns = ShopifyCampaigns {
            note_attribute: Some("pg_campaign".into()),
            by_discount_code: [("spring10".to_owned(), "from-code".to_owned())].into(),
        };
        let Ok(Taken::Event(e)) = order(body.clone(), &campaigns) else {
            panic!()
        };
        assert_eq!(e.kind, EventKind::Conversion);
        assert_eq!(e.recipient, "jon@example.com");
        assert_eq!(e.source, "shopify:example.myshopify.com");
        assert_eq!(e.id, "shopify:example.myshopify.com:evt-1");
        assert_eq!(e.order_id.as_deref(), Some("820982911946154508"));
        assert_eq!(e.campaign_id.as_deref(), Some("spring-2027"));
        assert_eq!(e.occurred_at.to_rfc3339(), "2026-12-02T00:00:00+00:00");
        let mut no_utm = body.clone();
        no_utm["landing_site"] = json!("/");
        let Ok(Taken::Event(e)) = order(no_utm.clone(), &campaigns) else {
            panic!()
        };
        assert_eq!(e.campaign_id.as_deref(), Some("from-note"));
        no_utm["note_attributes"] = json!([]);
        let Ok(Taken::Event(e)) = order(no_utm.clone(), &campaigns) else {
            panic!()
        };
        assert_eq!(e.campaign_id.as_deref(), Some("from-code"));
        let Ok(Taken::Event(e)) = order(no_utm, &ShopifyCampaigns::default()) else {
            panic!()
        };
        assert_eq!(e.campaign_id, None);
    }

    #[test]
    fn a_guest_order_is_ignored_and_a_broken_one_named() {
        assert_eq!(
            order(
                json!({"id": 1, "email": null, "created_at": "2026-12-01T19:00:00-05:00"}),
                &ShopifyCampaigns::default()
            ),
            Ok(Taken::Ignored)
        );
        let errors = order(
            json!({"id": null, "email": "a@example.com"}),
            &ShopifyCampaigns::default(),
        )
        .unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/id", "/created_at"]);
    }

    #[test]
    fn segment_takes_order_completed_and_looks_for_the_address_in_order() {
        let body = json!({"type": "track", "event": "Order Completed", "userId": "user-42", "messageId": "ajs-1",
            "timestamp": "2026-12-01T10:00:00.000Z", "properties": {"order_id": "50314b8e", "email": "Props@Example.com"},
            "context": {"traits": {"email": "Traits@Example.com"}, "campaign": {"name": "spring-2027", "source": "email"}}});
        let all = [
            SegmentRecipient::ContextTraitsEmail,
            SegmentRecipient::PropertiesEmail,
            SegmentRecipient::UserId,
        ];
        let parse = |body: Value, from: &[SegmentRecipient]| {
            serde_json::from_value::<SegmentEvent>(body)
                .unwrap()
                .parse(from)
        };
        let Ok(Taken::Event(e)) = parse(body.clone(), &all) else {
            panic!()
        };
        assert_eq!(
            (
                e.recipient.as_str(),
                e.campaign_id.as_deref(),
                e.order_id.as_deref()
            ),
            ("traits@example.com", Some("spring-2027"), Some("50314b8e"))
        );
        assert_eq!(e.id, "segment:ajs-1");
        let Ok(Taken::Event(e)) = parse(body.clone(), &[SegmentRecipient::PropertiesEmail]) else {
            panic!()
        };
        assert_eq!(e.recipient, "props@example.com");
        let errors = parse(body.clone(), &[SegmentRecipient::UserId]).unwrap_err();
        assert_eq!(errors[0].pointer, "/userId");
        let mut viewed = body;
        viewed["event"] = json!("Product Viewed");
        assert_eq!(parse(viewed, &all), Ok(Taken::Ignored));
    }
}
