//! Each click judged against the promise it reached for, from stored checks only: was the
//! branch (or the item at it) the click named kept at the moment of the click?
//!
//! The check that speaks for a click is the campaign's latest at or before the click's time. A
//! click met a **broken** promise when that check had a `block` or `flag` finding on what the
//! click named, not overridden before the click; **kept** when that check covered it without
//! one; **unknown** otherwise (no check yet, the check did not cover it, or the click named
//! nothing).
use super::content::templates::LinkPromise;
use super::review::ReviewAction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    Broken,
    Kept,
    Unknown,
}

impl Judgement {
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Broken => "broken",
            Judgement::Kept => "kept",
            Judgement::Unknown => "unknown",
        }
    }

    /// A person's clicks of one campaign, taken together: broken if any met a broken promise,
    /// kept if those judged were all kept, unknown if none was judged.
    pub fn of_person(clicks: impl IntoIterator<Item = Judgement>) -> Judgement {
        clicks
            .into_iter()
            .min()
            .filter(|j| *j != Judgement::Unknown)
            .unwrap_or(Judgement::Unknown)
    }
}

impl std::str::FromStr for Judgement {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "broken" => Ok(Judgement::Broken),
            "kept" => Ok(Judgement::Kept),
            "unknown" => Ok(Judgement::Unknown),
            other => Err(format!("unknown judgement {other:?}")),
        }
    }
}

/// What a check promised: the locations its offers named, and each (sku, location).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    #[serde(rename = "l", default)]
    pub locations: BTreeSet<String>,
    #[serde(rename = "i", default)]
    pub items: BTreeSet<(String, String)>,
    /// The names the location source gave, as the check saw them.
    #[serde(rename = "n", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
}

impl Coverage {
    /// What `offers` promise: each location, and each item at its location.
    pub fn of(offers: &[super::Offer]) -> Self {
        let mut covered = Coverage::default();
        for offer in offers {
            covered.locations.extend(offer.locations.iter().cloned());
            covered.items.extend(
                offer
                    .items
                    .iter()
                    .map(|i| (i.sku.clone(), i.location.clone())),
            );
        }
        covered
    }

    fn covers(&self, promise: &LinkPromise) -> bool {
        match promise {
            LinkPromise::Location(l) => self.locations.contains(l),
            LinkPromise::Item { sku, location } => {
                self.items.contains(&(sku.clone(), location.clone()))
            }
        }
    }
}

/// A finding of a check, as far as judging needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBroken {
    pub sku: Option<String>,
    pub location: Option<String>,
    pub fingerprint: String,
}

impl FoundBroken {
    /// A location click meets a finding about the location itself; an item click one about
    /// the item there, the location (closed: nothing there can be had) or the item anywhere.
    fn breaks(&self, promise: &LinkPromise) -> bool {
        match promise {
            LinkPromise::Location(l) => {
                self.sku.is_none() && self.location.as_deref() == Some(l.as_str())
            }
            LinkPromise::Item { sku, location } => {
                let sku_matches = self.sku.as_deref().is_none_or(|s| s == sku);
                let location_matches = self.location.as_deref().is_none_or(|l| l == location);
                (self.sku.is_some() || self.location.is_some()) && sku_matches && location_matches
            }
        }
    }
}

/// One stored check of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPromises {
    pub checked_at: DateTime<Utc>,
    /// What the check covered; none for checks stored before coverage was recorded (their
    /// findings still break, but nothing is known kept).
    pub covered: Option<Coverage>,
    pub broken: Vec<FoundBroken>,
}

/// An analyst's review of a finding (by fingerprint), as far as judging needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewMark {
    pub fingerprint: String,
    pub action: ReviewAction,
    pub at: DateTime<Utc>,
}

/// A campaign's checks and reviews around some clicks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Oldest first.
    pub checks: Vec<CheckedPromises>,
    /// Oldest first.
    pub reviews: Vec<ReviewMark>,
}

impl Timeline {
    /// The judgement of a click at `at` that reached for `promise`.
    pub fn judge(&self, promise: Option<&LinkPromise>, at: DateTime<Utc>) -> Judgement {
        let Some(promise) = promise else {
            return Judgement::Unknown;
        };
        let upto = self.checks.partition_point(|c| c.checked_at <= at);
        let Some(check) = upto.checked_sub(1).map(|i| &self.checks[i]) else {
            return Judgement::Unknown;
        };
        let broken = check
            .broken
            .iter()
            .any(|f| f.breaks(promise) && !self.overridden(&f.fingerprint, at));
        if broken {
            Judgement::Broken
        } else if check.covered.as_ref().is_some_and(|c| c.covers(promise)) {
            Judgement::Kept
        } else {
            Judgement::Unknown
        }
    }

    /// Whether the last review of `fingerprint` before `at` was an override.
    fn overridden(&self, fingerprint: &str, at: DateTime<Utc>) -> bool {
        self.reviews
            .iter()
            .rev()
            .filter(|r| r.at <= at && r.fingerprint == fingerprint)
            .map(|r| r.action)
            .next()
            == Some(ReviewAction::Override)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(minutes: i64) -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }
    fn branch(l: &str) -> LinkPromise {
        LinkPromise::Location(l.into())
    }
    fn item(sku: &str, l: &str) -> LinkPromise {
        LinkPromise::Item {
            sku: sku.into(),
            location: l.into(),
        }
    }
    fn covering(at: i64, locations: &[&str], items: &[(&str, &str)]) -> CheckedPromises {
        CheckedPromises {
            checked_at: t(at),
            covered: Some(Coverage {
                locations: locations.iter().map(|l| l.to_string()).collect(),
                items: items
                    .iter()
                    .map(|(s, l)| (s.to_string(), l.to_string()))
                    .collect(),
                names: BTreeMap::new(),
            }),
            broken: Vec::new(),
        }
    }
    fn closed(l: &str) -> FoundBroken {
        FoundBroken {
            sku: None,
            location: Some(l.into()),
            fingerprint: format!("o|location_closed||{l}"),
        }
    }

    #[test]
    fn a_click_before_any_check_is_unknown() {
        let timeline = Timeline {
            checks: vec![covering(10, &["loc-1"], &[])],
            reviews: vec![],
        };
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(5)),
            Judgement::Unknown
        );
        assert_eq!(
            Timeline::default().judge(Some(&branch("loc-1")), t(5)),
            Judgement::Unknown
        );
    }

    #[test]
    fn between_a_pass_and_a_block_the_earlier_check_speaks() {
        let mut block = covering(20, &["loc-1", "loc-2"], &[]);
        block.broken.push(closed("loc-1"));
        let timeline = Timeline {
            checks: vec![covering(10, &["loc-1", "loc-2"], &[]), block],
            reviews: vec![],
        };
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(15)),
            Judgement::Kept
        );
        // At the block check's own instant, and after it.
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(20)),
            Judgement::Broken
        );
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(90)),
            Judgement::Broken
        );
        // The other branch of the same check was kept.
        assert_eq!(
            timeline.judge(Some(&branch("loc-2")), t(90)),
            Judgement::Kept
        );
        // A branch the campaign never promised.
        assert_eq!(
            timeline.judge(Some(&branch("loc-9")), t(90)),
            Judgement::Unknown
        );
    }

    #[test]
    fn an_override_before_the_click_keeps_it_and_one_after_does_not() {
        let mut block = covering(20, &["loc-1"], &[]);
        block.broken.push(closed("loc-1"));
        let timeline = Timeline {
            checks: vec![block],
            reviews: vec![ReviewMark {
                fingerprint: "o|location_closed||loc-1".into(),
                action: ReviewAction::Override,
                at: t(30),
            }],
        };
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(25)),
            Judgement::Broken
        );
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(30)),
            Judgement::Kept
        );
        // An override resolved later counts no more after the resolve.
        let mut resolved = timeline.clone();
        resolved.reviews.push(ReviewMark {
            fingerprint: "o|location_closed||loc-1".into(),
            action: ReviewAction::Resolve,
            at: t(40),
        });
        assert_eq!(
            resolved.judge(Some(&branch("loc-1")), t(35)),
            Judgement::Kept
        );
        assert_eq!(
            resolved.judge(Some(&branch("loc-1")), t(45)),
            Judgement::Broken
        );
    }

    #[test]
    fn a_late_click_is_judged_at_its_own_time() {
        // Arrived after a later check that found the branch closed; clicked before it.
        let mut block = covering(60, &["loc-1"], &[]);
        block.broken.push(closed("loc-1"));
        let timeline = Timeline {
            checks: vec![covering(0, &["loc-1"], &[]), block],
            reviews: vec![],
        };
        assert_eq!(
            timeline.judge(Some(&branch("loc-1")), t(30)),
            Judgement::Kept
        );
    }

    #[test]
    fn an_item_click_meets_its_items_finding_and_its_branchs() {
        let mut check = covering(
            0,
            &["loc-1", "loc-2"],
            &[("sku-1", "loc-1"), ("sku-1", "loc-2")],
        );
        check.broken.push(FoundBroken {
            sku: Some("sku-1".into()),
            location: Some("loc-2".into()),
            fingerprint: "o|out_of_stock|sku-1|loc-2".into(),
        });
        let timeline = Timeline {
            checks: vec![check.clone()],
            reviews: vec![],
        };
        assert_eq!(
            timeline.judge(Some(&item("sku-1", "loc-1")), t(5)),
            Judgement::Kept
        );
        assert_eq!(
            timeline.judge(Some(&item("sku-1", "loc-2")), t(5)),
            Judgement::Broken
        );
        // The item's finding does not break the branch link.
        assert_eq!(
            timeline.judge(Some(&branch("loc-2")), t(5)),
            Judgement::Kept
        );
        // An item never promised at that branch.
        assert_eq!(
            timeline.judge(Some(&item("sku-9", "loc-1")), t(5)),
            Judgement::Unknown
        );
        // A closed branch breaks its items.
        check.broken = vec![closed("loc-1")];
        let timeline = Timeline {
            checks: vec![check],
            reviews: vec![],
        };
        assert_eq!(
            timeline.judge(Some(&item("sku-1", "loc-1")), t(5)),
            Judgement::Broken
        );
    }

    #[test]
    fn a_url_that_names_nothing_is_unknown_and_an_old_check_knows_nothing_kept() {
        let timeline = Timeline {
            checks: vec![covering(0, &["loc-1"], &[])],
            reviews: vec![],
        };
        assert_eq!(timeline.judge(None, t(5)), Judgement::Unknown);
        let old = Timeline {
            checks: vec![CheckedPromises {
                checked_at: t(0),
                covered: None,
                broken: vec![closed("loc-1")],
            }],
            reviews: vec![],
        };
        assert_eq!(old.judge(Some(&branch("loc-1")), t(5)), Judgement::Broken);
        assert_eq!(old.judge(Some(&branch("loc-2")), t(5)), Judgement::Unknown);
    }

    #[test]
    fn a_person_is_broken_by_one_broken_click_and_kept_only_by_kept_ones() {
        use Judgement::*;
        assert_eq!(Judgement::of_person([Kept, Broken, Unknown]), Broken);
        assert_eq!(Judgement::of_person([Kept, Unknown]), Kept);
        assert_eq!(Judgement::of_person([Unknown]), Unknown);
        assert_eq!(Judgement::of_person([]), Unknown);
    }
}
