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

    /// How a click's judgement is stored (`events.judgement`): 0 unknown, 1 broken, 2 kept.
    pub fn code(self) -> i64 {
        match self {
            Judgement::Unknown => 0,
            Judgement::Broken => 1,
            Judgement::Kept => 2,
        }
    }

    /// The judgement stored as `code`.
    pub fn from_code(code: i64) -> Result<Judgement, String> {
        match code {
            0 => Ok(Judgement::Unknown),
            1 => Ok(Judgement::Broken),
            2 => Ok(Judgement::Kept),
            other => Err(format!("unknown judgement code {other}")),
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
    /// Each location's time zone (an IANA name), where one was known rather than assumed:
    /// the survey's send window reads it.
    #[serde(rename = "z", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub zones: BTreeMap<String, String>,
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
#[path = "judgement_tests.rs"]
mod tests;
