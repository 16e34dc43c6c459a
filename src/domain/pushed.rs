//! Changes a source pushes in rather than being asked for: Shopify's `inventory_levels/update`,
//! `locations/update` and `locations/deactivate` webhooks, read into what changed and as of
//! when (by Shopify's clock), and the keys of ours a change touches, which decide the live
//! campaigns checked again.
use super::Campaign;
use super::json::{JsonError, parse_json};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

/// The topics the Shopify source door takes (`X-Shopify-Topic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    InventoryLevelsUpdate,
    LocationsUpdate,
    LocationsDeactivate,
}

impl Topic {
    pub const ALL: [Topic; 3] = [
        Topic::InventoryLevelsUpdate,
        Topic::LocationsUpdate,
        Topic::LocationsDeactivate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::InventoryLevelsUpdate => "inventory_levels/update",
            Topic::LocationsUpdate => "locations/update",
            Topic::LocationsDeactivate => "locations/deactivate",
        }
    }
}

impl std::str::FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Topic::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a topic this door takes (inventory_levels/update, locations/update, locations/deactivate)"
                )
            })
    }
}

/// What one push says changed, in Shopify's ids (the numbers of its REST payloads).
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// An item's available quantity at a location; `None` when Shopify does not track the
    /// item (then it is not limited).
    Level {
        item: u64,
        location: u64,
        available: Option<i64>,
        updated_at: Option<DateTime<Utc>>,
    },
    /// A location edited or deactivated: `active` false takes every item there to 0.
    Location {
        location: u64,
        active: bool,
        updated_at: Option<DateTime<Utc>>,
    },
}

#[derive(Deserialize)]
struct LevelBody {
    inventory_item_id: u64,
    location_id: u64,
    available: Option<i64>,
    #[serde(default)]
    updated_at: Option<DateTime<FixedOffset>>,
}

#[derive(Deserialize)]
struct LocationBody {
    id: u64,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    updated_at: Option<DateTime<FixedOffset>>,
}

impl Pushed {
    /// The body of a `topic` webhook; a wrong field is named by its pointer.
    pub fn read(topic: Topic, body: &[u8]) -> Result<Pushed, JsonError> {
        let utc = |at: Option<DateTime<FixedOffset>>| at.map(|a| a.with_timezone(&Utc));
        Ok(match topic {
            Topic::InventoryLevelsUpdate => {
                let b: LevelBody = parse_json(body)?;
                Pushed::Level {
                    item: b.inventory_item_id,
                    location: b.location_id,
                    available: b.available,
                    updated_at: utc(b.updated_at),
                }
            }
            Topic::LocationsUpdate | Topic::LocationsDeactivate => {
                let b: LocationBody = parse_json(body)?;
                Pushed::Location {
                    location: b.id,
                    // `locations/deactivate` is a deactivation whatever the body says.
                    active: topic == Topic::LocationsUpdate && b.active.unwrap_or(true),
                    updated_at: utc(b.updated_at),
                }
            }
        })
    }

    /// What the push is about, as its staleness is kept: one item at one location, or one
    /// location (every item there).
    pub fn subject(&self) -> String {
        match self {
            Pushed::Level { item, location, .. } => format!("level:{item}@{location}"),
            Pushed::Location { location, .. } => format!("location:{location}"),
        }
    }

    /// When Shopify says the change happened, if it says.
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Pushed::Level { updated_at, .. } | Pushed::Location { updated_at, .. } => *updated_at,
        }
    }

    /// The location's Shopify number.
    pub fn location(&self) -> u64 {
        match self {
            Pushed::Level { location, .. } | Pushed::Location { location, .. } => *location,
        }
    }
}

/// One key of ours a pushed change touched: an item at a location, or (no SKU) a location and
/// everything promised at it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangedKey {
    pub sku: Option<String>,
    pub location: String,
}

impl ChangedKey {
    /// Whether a campaign promises what this key names: the item at the location, or — a
    /// location's change — the location itself or any item at it.
    pub fn touches(&self, campaign: &Campaign) -> bool {
        campaign.offers.iter().any(|offer| match &self.sku {
            Some(sku) => offer
                .items
                .iter()
                .any(|i| i.sku == *sku && i.location == self.location),
            None => {
                offer.locations.contains(&self.location)
                    || offer.items.iter().any(|i| i.location == self.location)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inventory_level_as_shopify_sends_it() {
        let body = br#"{"inventory_item_id":271878346596884015,"location_id":24826418,"available":0,"updated_at":"2026-12-06T14:00:00-05:00","admin_graphql_api_id":"gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"}"#;
        let pushed = Pushed::read(Topic::InventoryLevelsUpdate, body).unwrap();
        assert_eq!(
            pushed,
            Pushed::Level {
                item: 271878346596884015,
                location: 24826418,
                available: Some(0),
                updated_at: Some("2026-12-06T19:00:00Z".parse().unwrap()),
            }
        );
        assert_eq!(pushed.subject(), "level:271878346596884015@24826418");
    }

    #[test]
    fn an_untracked_item_has_no_quantity_and_a_deactivation_is_one_whatever_it_says() {
        let body = br#"{"inventory_item_id":5,"location_id":7,"available":null,"updated_at":"2026-12-06T19:00:00Z"}"#;
        assert!(matches!(
            Pushed::read(Topic::InventoryLevelsUpdate, body).unwrap(),
            Pushed::Level {
                available: None,
                ..
            }
        ));
        let location = br#"{"id":7,"name":"Downtown","active":true,"updated_at":"2026-12-06T19:00:00Z","admin_graphql_api_id":"gid://shopify/Location/7"}"#;
        let update = Pushed::read(Topic::LocationsUpdate, location).unwrap();
        let deactivate = Pushed::read(Topic::LocationsDeactivate, location).unwrap();
        assert!(matches!(update, Pushed::Location { active: true, .. }));
        assert!(matches!(deactivate, Pushed::Location { active: false, .. }));
        assert_eq!(deactivate.subject(), "location:7");
    }

    #[test]
    fn a_wrong_field_is_named_by_its_pointer() {
        let body = br#"{"inventory_item_id":"x","location_id":7,"available":1}"#;
        match Pushed::read(Topic::InventoryLevelsUpdate, body) {
            Err(JsonError::Invalid(errors)) => {
                assert_eq!(errors[0].pointer, "/inventory_item_id")
            }
            other => panic!("{other:?}"),
        }
        assert!("orders/create".parse::<Topic>().is_err());
        assert_eq!(
            "locations/deactivate".parse::<Topic>(),
            Ok(Topic::LocationsDeactivate)
        );
    }

    #[test]
    fn a_change_touches_the_campaigns_that_promise_its_item_or_location() {
        let campaign: Campaign = serde_json::from_value::<crate::domain::campaign::CampaignInput>(
            serde_json::json!({"id": "c", "offers": [{"id": "o", "valid_from": "2026-12-01T00:00:00Z",
                "valid_until": "2026-12-31T00:00:00Z", "locations": ["loc-1"],
                "items": [{"sku": "SUV", "location": "loc-2", "min_available": 1}]}]}),
        )
        .unwrap()
        .parse("", Utc::now())
        .unwrap();
        let key = |sku: Option<&str>, location: &str| ChangedKey {
            sku: sku.map(str::to_owned),
            location: location.into(),
        };
        assert!(key(Some("SUV"), "loc-2").touches(&campaign));
        assert!(!key(Some("SUV"), "loc-1").touches(&campaign));
        assert!(!key(Some("VAN"), "loc-2").touches(&campaign));
        assert!(key(None, "loc-2").touches(&campaign), "an item there");
        assert!(key(None, "loc-1").touches(&campaign), "the branch itself");
        assert!(!key(None, "loc-3").touches(&campaign));
    }
}
