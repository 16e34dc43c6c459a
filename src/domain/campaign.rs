//! A campaign and its offers, parsed from what a platform sends. Parse, don't validate: a
//! `Campaign` can only be built from input that passed every check below, so the engine never
//! meets an offer whose window runs backwards.
pub use super::hours::WindowTime;
use super::hours::{LocalWindow, OfferWindow};
pub use super::validation::MAX_ID_LEN;
use super::validation::{FieldError, check_id};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// Bounds on what one campaign may promise, so one request cannot make unbounded work.
pub const MAX_OFFERS: usize = 10_000;
pub const MAX_LOCATIONS_PER_OFFER: usize = 1_000;
pub const MAX_ITEMS_PER_OFFER: usize = 5_000;

/// Serializable both ways: it is stored as the campaign's definition and read back by re-checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    pub send_at: Option<DateTime<Utc>>,
    pub audience_size: Option<u64>,
    /// The name customers know the sender by, for the survey (else `[surveys] brand`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// The audience's language (BCP 47), for the survey when an event names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The offers given as JSON (the content's are read from it at each check).
    pub offers: Vec<Offer>,
    /// The email itself, when given: its links and markup promise too (`domain::content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// The window of the content's offers, as written (or assumed: the send day, local to
    /// each location).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<WindowTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<WindowTime>,
    /// No window was given for the content's offers: the send day was assumed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub window_assumed: bool,
}

/// The email as the platform holds it (its promises are read by `domain::content`). Kept with the campaign, so a re-check reads it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Content {
    pub html: String,
    /// The plain-text part; its URLs are read too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The subject line: the title of the email's offer when the markup names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: String,
    pub title: Option<String>,
    /// The window's instants. For a window written in local time (`local`), the envelope of
    /// its instants in every zone (UTC+14 to UTC−12): when it is open anywhere.
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The window as written without an offset: local to each location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalWindow>,
    pub locations: Vec<String>,
    pub items: Vec<ItemPromise>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemPromise {
    pub sku: String,
    pub location: String,
    pub min_available: i64,
}

impl ItemPromise {
    pub fn key(&self) -> ItemKey {
        ItemKey {
            sku: self.sku.clone(),
            location: self.location.clone(),
        }
    }
}

/// One stock lookup: a sku at a location (or at `"online"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemKey {
    pub sku: String,
    pub location: String,
}

impl ItemKey {
    pub fn new(sku: &str, location: &str) -> Self {
        Self {
            sku: sku.to_owned(),
            location: location.to_owned(),
        }
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.sku, self.location)
    }
}

/// The campaign as it arrives on the wire. Unknown fields are ignored: platforms send more
/// than we read, and refusing them would break sends for no benefit.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CampaignInput {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub send_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub audience_size: Option<u64>,
    /// The brand customers know, used in the survey ("How likely are you to recommend Acme
    /// Rentals…"); absent: `[surveys] brand`.
    #[serde(default)]
    pub brand: Option<String>,
    /// The audience's language as a BCP 47 tag (`ar`, `fa-IR`): the survey's language for a
    /// recipient whose events name none; absent: `[surveys] default_locale`.
    #[serde(default)]
    pub locale: Option<String>,
    /// The offers as JSON. May be empty when `content` promises something.
    #[serde(default)]
    pub offers: Vec<OfferInput>,
    /// The email: the links and markup of its HTML (and the URLs of its text part) promise
    /// locations and items by `[promises] location_links` / `item_links` and
    /// `data-promise-*` attributes (docs/promises.md).
    #[serde(default)]
    pub content: Option<Content>,
    /// The window of the promises found in the content (a group's own
    /// `data-promise-valid-from` / `-until` wins), written like an offer's; absent: the send
    /// day, local to each location.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-12-13T09:00:00")]
    pub valid_from: Option<WindowTime>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-12-13T17:00:00")]
    pub valid_until: Option<WindowTime>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct OfferInput {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    /// With an offset (`…Z`, `…+03:30`): an instant. Without (`2026-12-13T09:00:00`): a
    /// wall-clock time at each location, in its own zone.
    #[schema(value_type = String, example = "2026-11-24T00:00:00Z")]
    pub valid_from: WindowTime,
    #[schema(value_type = String, example = "2026-12-01T00:00:00Z")]
    pub valid_until: WindowTime,
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub items: Vec<ItemInput>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ItemInput {
    pub sku: String,
    pub location: String,
    #[serde(default = "one")]
    pub min_available: i64,
}

fn one() -> i64 {
    1
}

impl CampaignInput {
    /// Turns wire input into a `Campaign`, or lists every field that is wrong, each by the JSON
    /// pointer under `base` (e.g. `/campaign`). `now` is the send day when none is given and
    /// the content's window must be assumed.
    pub fn parse(self, base: &str, now: DateTime<Utc>) -> Result<Campaign, Vec<FieldError>> {
        let mut errors = Vec::new();
        check_id(&self.id, format!("{base}/id"), &mut errors);
        if let Some(brand) = &self.brand {
            check_id(brand, format!("{base}/brand"), &mut errors);
        }
        let locale = super::validation::optional_language_tag(
            self.locale.as_deref(),
            format!("{base}/locale"),
            &mut errors,
        );
        if self.offers.is_empty() && self.content.is_none() {
            errors.push(FieldError::new(
                format!("{base}/offers"),
                "a campaign needs at least one offer, or content whose links promise",
            ));
        }
        let window = self.content_window(base, now, &mut errors);
        if self.offers.len() > MAX_OFFERS {
            errors.push(FieldError::new(
                format!("{base}/offers"),
                format!("at most {MAX_OFFERS} offers per campaign"),
            ));
        }
        let mut seen = HashSet::new();
        for (i, offer) in self.offers.iter().enumerate() {
            let at = format!("{base}/offers/{i}");
            check_id(&offer.id, format!("{at}/id"), &mut errors);
            if !seen.insert(offer.id.as_str()) {
                errors.push(FieldError::new(
                    format!("{at}/id"),
                    format!("offer id `{}` appears more than once", offer.id),
                ));
            }
            if let Err(why) = WindowTime::window(offer.valid_from, offer.valid_until) {
                errors.push(FieldError::new(format!("{at}/valid_until"), why));
            }
            if offer.locations.len() > MAX_LOCATIONS_PER_OFFER {
                errors.push(FieldError::new(
                    format!("{at}/locations"),
                    format!("at most {MAX_LOCATIONS_PER_OFFER} locations per offer"),
                ));
            }
            for (j, location) in offer.locations.iter().enumerate() {
                check_id(location, format!("{at}/locations/{j}"), &mut errors);
            }
            if offer.items.len() > MAX_ITEMS_PER_OFFER {
                errors.push(FieldError::new(
                    format!("{at}/items"),
                    format!("at most {MAX_ITEMS_PER_OFFER} items per offer"),
                ));
            }
            for (j, item) in offer.items.iter().enumerate() {
                check_id(&item.sku, format!("{at}/items/{j}/sku"), &mut errors);
                check_id(
                    &item.location,
                    format!("{at}/items/{j}/location"),
                    &mut errors,
                );
                if item.min_available < 1 {
                    errors.push(FieldError::new(
                        format!("{at}/items/{j}/min_available"),
                        "must be at least 1",
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Campaign {
            id: self.id,
            name: self.name,
            platform: self.platform,
            send_at: self.send_at,
            audience_size: self.audience_size,
            brand: self.brand.map(|b| b.trim().to_owned()),
            locale,
            offers: self
                .offers
                .into_iter()
                .map(OfferInput::into_offer)
                .collect(),
            valid_from: window.map(|w| w.0),
            valid_until: window.map(|w| w.1),
            window_assumed: window.is_some_and(|w| w.2),
            content: self.content,
        })
    }
}

impl OfferInput {
    /// The offer of input that passed `CampaignInput::parse` (or was built from content).
    pub(super) fn into_offer(self) -> Offer {
        let mut locations = Vec::with_capacity(self.locations.len());
        for location in self.locations {
            if !locations.contains(&location) {
                locations.push(location);
            }
        }
        // Validated: a window.
        let (valid_from, valid_until, local) =
            match WindowTime::window(self.valid_from, self.valid_until) {
                Ok(OfferWindow::Local(local)) => {
                    let (a, b) = local.envelope();
                    (a, b, Some(local))
                }
                _ => (instant(self.valid_from), instant(self.valid_until), None),
            };
        Offer {
            id: self.id,
            title: self.title,
            valid_from,
            valid_until,
            local,
            locations,
            items: self
                .items
                .into_iter()
                .map(|i| ItemPromise {
                    sku: i.sku,
                    location: i.location,
                    min_available: i.min_available,
                })
                .collect(),
        }
    }
}

fn instant(t: WindowTime) -> DateTime<Utc> {
    match t {
        WindowTime::Instant(t) => t,
        WindowTime::Local(t) => t.and_utc(),
    }
}

impl Offer {
    /// The window's instants at a location in `tz`: the same for every location when written
    /// with offsets, the local wall-clock times in `tz` when written without.
    pub fn window_in(&self, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        self.window().at(tz)
    }

    pub fn window(&self) -> OfferWindow {
        match self.local {
            Some(local) => OfferWindow::Local(local),
            None => OfferWindow::Instants(self.valid_from, self.valid_until),
        }
    }
}

impl Campaign {
    /// A campaign known only by its id (an event named it; no check has described it).
    pub fn named(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: None,
            platform: None,
            send_at: None,
            audience_size: None,
            brand: None,
            locale: None,
            offers: Vec::new(),
            content: None,
            valid_from: None,
            valid_until: None,
            window_assumed: false,
        }
    }

    /// What a survey about this campaign calls the offer: the first offer title written for
    /// customers (never the campaign's internal `name`), else the title its content gives.
    pub fn offer_title(&self) -> Option<String> {
        self.offers
            .iter()
            .filter_map(|o| o.title.as_deref())
            .map(str::trim)
            .find(|t| !t.is_empty())
            .map(str::to_owned)
            .or_else(|| self.content.as_ref().and_then(Content::title))
    }

    /// The offers still running or yet to start at `now` (a live re-check ignores the ended
    /// ones rather than calling them expired).
    pub fn unfinished_at(&self, now: DateTime<Utc>) -> Campaign {
        Campaign {
            offers: self
                .offers
                .iter()
                .filter(|o| o.valid_until > now)
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// The earliest start and latest end of all offer windows.
    pub fn window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.offers.iter().map(|o| o.valid_from).min();
        let end = self.offers.iter().map(|o| o.valid_until).max();
        // A parsed campaign has at least one offer.
        (start.unwrap_or_default(), end.unwrap_or_default())
    }
}

#[cfg(test)]
#[path = "campaign_tests.rs"]
mod tests;
