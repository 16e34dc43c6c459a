//! What the content was found to say: its offers and their promises, its links counted and
//! listed, its titles — the extraction's answer (`extract.rs`), read by `mod.rs`.
use crate::domain::campaign::WindowTime;

/// The offer that promises found outside any `data-promise-offer` element form.
pub const EMAIL_OFFER: &str = "email";

/// One promise as found: a location, or a sku at a location, with the link it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundPromise {
    pub location: String,
    pub sku: Option<String>,
    pub quantity: Option<i64>,
    pub href: Option<String>,
    pub text: Option<String>,
}

/// The promises one offer of the email makes: the `email` offer, or a `data-promise-offer`
/// group with its own title and window.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundOffer {
    pub id: String,
    pub title: Option<String>,
    pub window: Option<(WindowTime, WindowTime)>,
    pub promises: Vec<FoundPromise>,
}

/// Everything the content says: its offers in the order first seen, and its links counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub offers: Vec<FoundOffer>,
    /// `<a href>` elements with an http(s) URL, and URLs in the text part.
    pub links: u64,
    /// Those of them that promise something (by markup or by a template).
    pub promising_links: u64,
    /// Links holding template syntax to a template's host: judged at send time, not here.
    pub personalized: Vec<String>,
    /// The first `data-promise-title` outside any `data-promise-offer` element.
    pub title: Option<String>,
    /// The document's `<title>`.
    pub html_title: Option<String>,
    /// Every web link that is not personalised, in document order (the HTML's, then the text
    /// part's), with the group it stands in: what a link check fetches.
    pub web_links: Vec<FoundLink>,
}

/// A web link of the content, the `data-promise-offer` group it stands in (an index of
/// `Found::offers`), and its visible text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundLink {
    pub group: Option<usize>,
    pub href: String,
    pub text: Option<String>,
}
