//! Which lookups a campaign needs: each location and each (sku, location) once, however many
//! offers name it (the source cuts item lookups into the batches its API accepts).
use crate::domain::{Campaign, ItemKey};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupPlan {
    pub locations: Vec<String>,
    pub items: Vec<ItemKey>,
}

impl LookupPlan {
    pub fn for_campaign(campaign: &Campaign) -> Self {
        Self::for_campaigns(std::iter::once(campaign))
    }

    /// One plan for many campaigns (a re-check tick's fleet): a location or item named by
    /// any number of them is asked once.
    pub fn for_campaigns<'a>(campaigns: impl IntoIterator<Item = &'a Campaign>) -> Self {
        let mut locations = BTreeSet::new();
        let mut items = BTreeSet::new();
        for offer in campaigns.into_iter().flat_map(|c| &c.offers) {
            locations.extend(offer.locations.iter().cloned());
            items.extend(offer.items.iter().map(|i| i.key()));
        }
        Self {
            locations: locations.into_iter().collect(),
            items: items.into_iter().collect(),
        }
    }

    /// One plan asking what any of `plans` asks, each question once (plans of parts of a
    /// fleet, made apart).
    pub fn union(plans: impl IntoIterator<Item = LookupPlan>) -> Self {
        let mut locations = BTreeSet::new();
        let mut items = BTreeSet::new();
        for plan in plans {
            locations.extend(plan.locations);
            items.extend(plan.items);
        }
        Self {
            locations: locations.into_iter().collect(),
            items: items.into_iter().collect(),
        }
    }

    /// Distinct questions: locations and (sku, location) pairs.
    pub fn questions(&self) -> usize {
        self.locations.len() + self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaign::CampaignInput;

    #[test]
    fn forty_offers_naming_one_branch_plan_one_lookup() {
        let offers: Vec<_> = (0..40)
            .map(|i| serde_json::json!({
                "id": format!("o{i}"), "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
                "locations": ["loc-101"], "items": [{"sku": "S", "location": "loc-101"}]
            }))
            .collect();
        let input: CampaignInput =
            serde_json::from_value(serde_json::json!({"id": "c", "offers": offers})).unwrap();
        let plan = LookupPlan::for_campaign(&input.parse("", chrono::Utc::now()).unwrap());
        assert_eq!(plan.locations, vec!["loc-101"]);
        assert_eq!(plan.items, vec![ItemKey::new("S", "loc-101")]);
    }

    #[test]
    fn plans_made_apart_unite_into_the_plan_made_together() {
        let campaign = |id: &str, locations: &[&str], sku: &str| {
            let input: CampaignInput = serde_json::from_value(serde_json::json!({"id": id, "offers": [{
                "id": "o", "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
                "locations": locations, "items": [{"sku": sku, "location": locations[0]}]
            }]}))
            .unwrap();
            input.parse("", chrono::Utc::now()).unwrap()
        };
        let (a, b) = (
            campaign("a", &["l2", "l1"], "S1"),
            campaign("b", &["l3", "l2"], "S1"),
        );
        let united =
            LookupPlan::union([LookupPlan::for_campaign(&a), LookupPlan::for_campaign(&b)]);
        assert_eq!(united, LookupPlan::for_campaigns([&a, &b]));
        assert_eq!(united.locations, ["l1", "l2", "l3"]);
        assert_eq!(united.items.len(), 2);
    }
}
