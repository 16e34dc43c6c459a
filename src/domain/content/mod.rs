//! Promises read out of the email itself: its content (`content.html`, `text`, `subject`), the
//! link templates and markup that say what a link promises (`templates.rs`, `extract.rs`),
//! and the offers they make beside the offers given as JSON (`promised`).
pub mod extract;
pub mod found;
mod links;
mod marks;
pub mod templates;
mod window;

use super::campaign::{Campaign, Content, ItemInput, ItemKey, MAX_LOCATIONS_PER_OFFER, OfferInput};
use super::campaign::{MAX_ITEMS_PER_OFFER, MAX_OFFERS, WindowTime};
use super::validation::FieldError;
use found::{EMAIL_OFFER, Found, FoundOffer, FoundPromise};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
pub use templates::LinkTemplates;

/// One promise found in the content, the offer it belongs to, and the link it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Extracted {
    pub offer_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// The link's visible text, white space collapsed, at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The A/B variations of a watched campaign's email that make this promise (by the
    /// platform's names); absent for an email without variations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variations: Vec<String>,
}

/// The content's links: how many, how many promise something, and which cannot be judged
/// before the send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentReport {
    pub links: u64,
    pub promising_links: u64,
    /// Links to a template's host holding template syntax (`{{ … }}`, `*|…|*`, …): checked at
    /// send time by `GET /v1/lookup`.
    pub personalized: Vec<String>,
}

/// What a campaign promises: the offers to check (those given as JSON, then those the content
/// makes), what was found where, and what the reader should know about it.
#[derive(Debug, Clone)]
pub struct Promised {
    pub campaign: Campaign,
    pub extracted: Vec<Extracted>,
    pub content: Option<ContentReport>,
    pub warnings: Vec<String>,
    /// The content's web links, each once, with the offer each belongs to: what a link check
    /// fetches (of the listed hosts).
    pub links: Vec<EmailLink>,
}

impl Promised {
    /// No offer given and none found: nothing to check.
    pub fn nothing(&self) -> bool {
        self.campaign.offers.is_empty()
    }
}

impl Campaign {
    /// The offers this campaign makes, read from its content with `templates` beside the
    /// offers given as JSON. A location or sku@location that a JSON offer names attaches to
    /// that offer; what is left forms the offer `email` or the markup's groups, each over the
    /// group's window, the campaign's, or the send day (assumed, and said). Errors (markup that
    /// cannot be read) are said of `{base}/content/html`.
    pub fn into_promised(
        self,
        templates: &LinkTemplates,
        base: &str,
    ) -> Result<Promised, Vec<FieldError>> {
        if self.content.is_none() {
            return Ok(Promised {
                campaign: self,
                extracted: Vec::new(),
                content: None,
                warnings: Vec::new(),
                links: Vec::new(),
            });
        }
        self.promised(templates, base)
    }

    /// As `into_promised`, keeping this campaign as it is.
    pub fn promised(
        &self,
        templates: &LinkTemplates,
        base: &str,
    ) -> Result<Promised, Vec<FieldError>> {
        let Some(content) = &self.content else {
            return self.clone().into_promised(templates, base);
        };
        let at = format!("{base}/content/html");
        let window = self.valid_from.zip(self.valid_until).ok_or_else(|| {
            vec![FieldError::new(
                format!("{base}/valid_from"),
                "a campaign with content has a window (given, or the send day assumed)",
            )]
        })?;
        let found = extract::extract(&content.html, content.text.as_deref(), templates).map_err(
            |errors| {
                errors
                    .into_iter()
                    .map(|e| FieldError::new(at.clone(), e))
                    .collect::<Vec<_>>()
            },
        )?;
        let mut merge = Merge::new(self, window);
        for offer in &found.offers {
            merge.offer(offer, &found, content);
        }
        let mut warnings = Vec::new();
        if self.window_assumed
            && merge.used_campaign_window()
            && let Some(WindowTime::Local(from)) = self.valid_from
        {
            warnings.push(format!(
                "content: no window given (campaign valid_from / valid_until, or \
                 data-promise-valid-from / -until): the send day, {}, local to each \
                 location, was assumed",
                from.date()
            ));
        }
        if !found.personalized.is_empty() {
            warnings.push(format!(
                "content: {} personalised link(s) cannot be judged before the send; check \
                 them at send time with GET /v1/lookup",
                found.personalized.len()
            ));
        }
        let (campaign, extracted) = merge.finish(&at)?;
        let links = email_links(&found, &extracted);
        let report = ContentReport {
            links: found.links,
            promising_links: found.promising_links,
            personalized: found.personalized,
        };
        Ok(Promised {
            campaign,
            extracted,
            content: Some(report),
            warnings,
            links,
        })
    }
}

/// A web link of the email, the offer it belongs to — the offer its promise joined, else its
/// `data-promise-offer` group, else `email` — and its visible text.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailLink {
    pub offer_id: String,
    pub href: String,
    pub text: Option<String>,
}

/// Each distinct web link of `found`, with its offer.
pub fn email_links(found: &Found, extracted: &[Extracted]) -> Vec<EmailLink> {
    let joined: HashMap<&str, &str> = extracted
        .iter()
        .filter_map(|e| Some((e.href.as_deref()?, e.offer_id.as_str())))
        .collect();
    let mut seen = HashSet::new();
    found
        .web_links
        .iter()
        .filter(|l| seen.insert(l.href.as_str()))
        .map(|l| {
            let offer_id = match (joined.get(l.href.as_str()), l.group) {
                (Some(offer), _) => (*offer).to_owned(),
                (None, Some(group)) => found.offers[group].id.clone(),
                (None, None) => EMAIL_OFFER.to_owned(),
            };
            EmailLink {
                offer_id,
                href: l.href.clone(),
                text: l.text.clone(),
            }
        })
        .collect()
}

/// The refusal of content that promises nothing, with no offers beside it (HTTP and CLI).
pub fn nothing_promised(base: &str, report: &ContentReport) -> FieldError {
    FieldError::new(
        format!("{base}/content"),
        format!(
            "nothing is promised: no offers, and none of the content's {} links matches \
             [promises] location_links or item_links or carries data-promise-* markup",
            report.links
        ),
    )
}

impl Content {
    /// What a survey calls the email's offer: the first `data-promise-title` (outside any
    /// group, else of the first group that has one), else the subject, else the HTML
    /// `<title>`.
    pub fn title(&self) -> Option<String> {
        let found = extract::extract(&self.html, None, &LinkTemplates::default()).ok();
        let (markup, html_title) = found
            .map(|f| {
                let first = f.offers.iter().find_map(|o| o.title.clone());
                (f.title.or(first), f.html_title)
            })
            .unwrap_or_default();
        title_of(markup, self, html_title)
    }
}

fn title_of(markup: Option<String>, content: &Content, html: Option<String>) -> Option<String> {
    let subject = content.subject.as_deref().map(str::trim);
    markup
        .or_else(|| subject.filter(|s| !s.is_empty()).map(str::to_owned))
        .or(html)
}

type Window = (WindowTime, WindowTime);

/// The campaign's JSON offers, with what the content adds.
struct Merge<'c> {
    campaign: &'c Campaign,
    /// The window of a group that gives none: the campaign's (given or assumed).
    window: Window,
    /// Each location and item key a JSON offer names, and the first offer naming it.
    given_locations: HashMap<&'c str, &'c str>,
    given_items: HashMap<ItemKey, &'c str>,
    /// Offers the content adds to (new, or a JSON offer by the group's id), by id.
    added: Vec<OfferInput>,
    added_ids: HashMap<String, usize>,
    extracted: Vec<Extracted>,
    seen: HashSet<(String, String, Option<String>)>,
    used_campaign_window: bool,
}

impl<'c> Merge<'c> {
    fn new(campaign: &'c Campaign, window: Window) -> Self {
        let mut given_locations = HashMap::new();
        let mut given_items = HashMap::new();
        for offer in &campaign.offers {
            for location in &offer.locations {
                given_locations
                    .entry(location.as_str())
                    .or_insert(offer.id.as_str());
            }
            for item in &offer.items {
                given_items.entry(item.key()).or_insert(offer.id.as_str());
            }
        }
        Self {
            campaign,
            window,
            given_locations,
            given_items,
            added: Vec::new(),
            added_ids: HashMap::new(),
            extracted: Vec::new(),
            seen: HashSet::new(),
            used_campaign_window: false,
        }
    }

    /// Whether an offer the content makes runs over the campaign's window (a group gave none).
    fn used_campaign_window(&self) -> bool {
        self.used_campaign_window
    }

    fn offer(&mut self, found: &FoundOffer, all: &Found, content: &Content) {
        for promise in &found.promises {
            let given = match &promise.sku {
                Some(sku) => self
                    .given_items
                    .get(&ItemKey::new(sku, &promise.location))
                    .copied(),
                None => self.given_locations.get(promise.location.as_str()).copied(),
            };
            let offer_id = match given {
                Some(id) => id.to_owned(),
                None => {
                    self.add(found, promise, all, content);
                    found.id.clone()
                }
            };
            let key = (offer_id, promise.location.clone(), promise.sku.clone());
            if !self.seen.contains(&key) {
                self.extracted.push(extracted(key.0.clone(), promise));
                self.seen.insert(key);
            }
        }
    }

    /// Adds a promise no JSON offer names to the offer of its group.
    fn add(&mut self, found: &FoundOffer, promise: &FoundPromise, all: &Found, content: &Content) {
        let index = match self.added_ids.get(&found.id) {
            Some(i) => *i,
            None => {
                let title = match found.id.as_str() {
                    EMAIL_OFFER => all.title.clone(),
                    _ => found.title.clone(),
                };
                self.used_campaign_window |= found.window.is_none();
                let (valid_from, valid_until) = found.window.unwrap_or(self.window);
                self.added.push(OfferInput {
                    id: found.id.clone(),
                    title: title_of(title, content, all.html_title.clone()),
                    valid_from,
                    valid_until,
                    locations: Vec::new(),
                    items: Vec::new(),
                });
                self.added_ids
                    .insert(found.id.clone(), self.added.len() - 1);
                self.added.len() - 1
            }
        };
        let offer = &mut self.added[index];
        match &promise.sku {
            Some(sku) => offer.items.push(ItemInput {
                sku: sku.clone(),
                location: promise.location.clone(),
                min_available: promise.quantity.unwrap_or(1),
            }),
            None => offer.locations.push(promise.location.clone()),
        }
    }

    /// The campaign to check: its JSON offers (one whose id a group shares takes the group's
    /// promises too), then the content's offers.
    fn finish(self, at: &str) -> Result<(Campaign, Vec<Extracted>), Vec<FieldError>> {
        let mut campaign = self.campaign.clone();
        let given: HashMap<String, usize> = campaign
            .offers
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();
        for added in self.added {
            let too_many = added.locations.len() > MAX_LOCATIONS_PER_OFFER
                || added.items.len() > MAX_ITEMS_PER_OFFER;
            if too_many {
                return Err(vec![FieldError::new(
                    at,
                    format!(
                        "offer `{}` promises more than {MAX_LOCATIONS_PER_OFFER} locations or \
                         {MAX_ITEMS_PER_OFFER} items",
                        added.id
                    ),
                )]);
            }
            match given.get(&added.id) {
                Some(&i) => {
                    let offer = added.into_offer();
                    campaign.offers[i].locations.extend(offer.locations);
                    campaign.offers[i].items.extend(offer.items);
                }
                None => campaign.offers.push(added.into_offer()),
            }
        }
        if campaign.offers.len() > MAX_OFFERS {
            return Err(vec![FieldError::new(
                at,
                format!("more than {MAX_OFFERS} offers with the content's"),
            )]);
        }
        Ok((campaign, self.extracted))
    }
}

fn extracted(offer_id: String, promise: &FoundPromise) -> Extracted {
    Extracted {
        offer_id,
        location: Some(promise.location.clone()),
        sku: promise.sku.clone(),
        quantity: promise.quantity,
        href: promise.href.clone(),
        text: promise.text.clone(),
        variations: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
