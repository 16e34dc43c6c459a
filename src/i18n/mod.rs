//! The survey in the reader's language: which shipped catalog a locale tag gets, which way its
//! text runs, and the catalog's words (`locales/<language>/survey.ftl`, Fluent, embedded at
//! build time so the binary needs no files beside it).
//!
//! Two deliberate departures from the library's defaults:
//! - Placeables (a brand, an offer title, an address) are wrapped in Unicode isolation marks
//!   (FSI … PDI) in body text, Fluent's default, so a Latin brand inside an Arabic sentence
//!   keeps its place; `header` text — a mail subject, anything that may end up in a URL — is
//!   formatted without them, since marks there show as junk or break the value.
//! - Numbers stay in Latin digits in every language: `fluent-bundle` writes ASCII digits, the
//!   score a reader taps is the value posted and stored, and Latin digits are read across the
//!   Arabic- and Persian-speaking markets this ships for. A catalog that wants native digits
//!   would need ICU4X's `icu_decimal`; docs/api.md "Surveys" says so.
use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, StaticLoader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;
use unic_langid::CharacterDirection;

static_loader! {
    static TEXT = {
        locales: "./locales",
        fallback_language: "en",
    };
}

static_loader! {
    static HEADER = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the catalogs ship, as negotiated for one reader.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(LanguageIdentifier);

/// A variable of a message: `("brand", "Acme".into())`, `("days", 3.into())`.
pub type Arg<'a> = (&'static str, FluentValue<'a>);

impl Locale {
    /// English, the catalogs' fallback.
    pub fn english() -> Locale {
        Locale(TEXT.fallback().clone())
    }

    /// Every shipped language, sorted by tag; listed once (an invitation's language is
    /// negotiated for every email a sweep sends).
    pub fn shipped() -> &'static [Locale] {
        static SHIPPED: LazyLock<Vec<Locale>> = LazyLock::new(|| {
            let mut all: Vec<Locale> = TEXT.locales().cloned().map(Locale).collect();
            all.sort_by_key(Locale::tag);
            all
        });
        &SHIPPED
    }

    /// The shipped catalog for a BCP 47 tag: the exact language and region if shipped, else
    /// the same language (`ar-EG` → `ar`); `None` for a language not shipped or a tag that
    /// does not parse.
    pub fn negotiate(tag: &str) -> Option<Locale> {
        let wanted: LanguageIdentifier = tag.trim().parse().ok()?;
        let shipped = Locale::shipped();
        if let Some(exact) = shipped.iter().find(|l| l.0 == wanted) {
            return Some(exact.clone());
        }
        shipped
            .iter()
            .filter(|l| l.0.language == wanted.language)
            .cloned()
            // The plain language (`ar`) before a regional variant of it (`ar-MA`).
            .min_by_key(|l| (l.0.region.is_some(), l.0.script.is_some(), l.tag()))
    }

    /// The first of `tags` (most specific first: the event's, the campaign's) that a catalog
    /// ships, else `default`.
    pub fn choose<'a>(tags: impl IntoIterator<Item = Option<&'a str>>, default: &Locale) -> Locale {
        tags.into_iter()
            .flatten()
            .find_map(Locale::negotiate)
            .unwrap_or_else(|| default.clone())
    }

    /// The tag stored and written in `lang` (`fa`, `ar`, `en`).
    pub fn tag(&self) -> String {
        self.0.to_string()
    }

    /// Arabic, Persian, Hebrew, Urdu…: text runs right to left.
    pub fn is_rtl(&self) -> bool {
        matches!(self.0.character_direction(), CharacterDirection::RTL)
    }

    /// `rtl` or `ltr`, for `dir` attributes.
    pub fn dir(&self) -> &'static str {
        if self.is_rtl() { "rtl" } else { "ltr" }
    }

    /// `right` or `left`: the start edge, for the `align` attribute of mail clients that ignore
    /// `dir` and logical CSS.
    pub fn start(&self) -> &'static str {
        if self.is_rtl() { "right" } else { "left" }
    }

    /// The offer as the survey names it: its title (`“A free day”`), or "our recent offer"
    /// for a campaign without one; for body text.
    pub fn offer(&self, title: Option<&str>) -> String {
        match title.map(str::trim).filter(|t| !t.is_empty()) {
            Some(title) => self.text("offer-titled", &[("title", title.into())]),
            None => self.text("offer-untitled", &[]),
        }
    }

    /// `offer`, for a mail header.
    pub fn offer_in_header(&self, title: Option<&str>) -> String {
        match title.map(str::trim).filter(|t| !t.is_empty()) {
            Some(title) => self.header("offer-titled", &[("title", title.into())]),
            None => self.header("offer-untitled", &[]),
        }
    }

    /// A message of body text (placeables isolated).
    pub fn text(&self, id: &str, args: &[Arg<'_>]) -> String {
        lookup(&TEXT, &self.0, id, args)
    }

    /// A message for a mail header or a URL (no isolation marks).
    pub fn header(&self, id: &str, args: &[Arg<'_>]) -> String {
        lookup(&HEADER, &self.0, id, args)
    }
}

fn lookup(loader: &StaticLoader, lang: &LanguageIdentifier, id: &str, args: &[Arg<'_>]) -> String {
    if args.is_empty() {
        return loader.lookup(lang, id);
    }
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
        .collect();
    loader.lookup_with_args(lang, id, &args)
}

/// A configured language (`default_locale = "fa"`): a tag a shipped catalog answers to.
impl<'de> serde::Deserialize<'de> for Locale {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(d)?;
        Locale::negotiate(&tag).ok_or_else(|| {
            let shipped: Vec<String> = Locale::shipped().iter().map(Locale::tag).collect();
            serde::de::Error::custom(format!(
                "no catalog for `{tag}` (shipped: {})",
                shipped.join(", ")
            ))
        })
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests;
