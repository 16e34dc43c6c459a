//! The promises an email's HTML (and text part) makes, found by its links and markup.
//!
//! The HTML is parsed as a browser parses it (html5ever, through `scraper`): unclosed tags,
//! uppercase, stray end tags and comments — Outlook's conditional comments included — end up
//! where a browser puts them. A tree, not a stream: a promise belongs to the innermost
//! `data-promise-offer` element around it and an item to the nearest `data-promise-location`,
//! and only the parser's own tree knows what encloses what once it has repaired the markup. It
//! is walked once, in document order, without recursion (a deeply nested email cannot exhaust
//! the stack).
use super::found::{EMAIL_OFFER, Found, FoundLink, FoundOffer, FoundPromise};
use super::links::text_urls;
use super::links::{MAX_DEPTH, collapse, is_personalized, is_web, link_host, nesting_depth};
use super::marks::Marks;
use super::templates::{LinkPromise, LinkTemplates};
use super::window::group_window;
use crate::domain::campaign::WindowTime;
use crate::domain::validation::id_problem;
use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{Html, Node};
use std::collections::HashMap;

/// An element's markup that applies to what it encloses.
struct Frame {
    node: NodeId,
    group: Option<usize>,
    location: Option<String>,
}

/// A link being read: its promise (and the link itself) waits for the link's text.
struct Anchor {
    node: NodeId,
    text: String,
    promise: Option<(usize, FoundPromise)>,
    link: Option<(Option<usize>, String)>,
}

/// Finds the promises of `html` and `text` (the text part) with `templates`. An error is
/// markup that cannot be read (`data-promise-quantity="many"`), said of the element.
pub fn extract(
    html: &str,
    text: Option<&str>,
    templates: &LinkTemplates,
) -> Result<Found, Vec<String>> {
    let depth = nesting_depth(html);
    if depth > MAX_DEPTH {
        return Err(vec![format!(
            "the HTML nests elements {depth} deep; at most {MAX_DEPTH} are read"
        )]);
    }
    let document = Html::parse_document(html);
    let mut walk = Walk {
        templates,
        found: Found::default(),
        frames: Vec::new(),
        anchors: Vec::new(),
        title: None,
        offer_ids: HashMap::new(),
        errors: Vec::new(),
    };
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => walk.open(node.id(), element),
                Node::Text(t) => walk.text(t),
                _ => {}
            },
            Edge::Close(node) => walk.close(node.id()),
        }
    }
    if let Some(text) = text {
        for url in text_urls(text) {
            if let Some((group, promise)) = walk.link(url) {
                walk.add(group, promise);
            }
            if !is_personalized(url) {
                walk.found.web_links.push(FoundLink {
                    group: None,
                    href: url.to_owned(),
                    text: None,
                });
            }
        }
    }
    if walk.errors.is_empty() {
        Ok(walk.found)
    } else {
        Err(walk.errors)
    }
}

struct Walk<'t> {
    templates: &'t LinkTemplates,
    found: Found,
    frames: Vec<Frame>,
    anchors: Vec<Anchor>,
    /// The `<title>` being read, and its text so far.
    title: Option<(NodeId, String)>,
    /// Each offer's index in `found.offers`.
    offer_ids: HashMap<String, usize>,
    errors: Vec<String>,
}

impl Walk<'_> {
    fn open(&mut self, node: NodeId, element: &scraper::node::Element) {
        if element.name() == "title" && self.found.html_title.is_none() && self.title.is_none() {
            self.title = Some((node, String::new()));
        }
        let marks = Marks::of(element);
        let group = match marks.offer {
            Some(id) => self.group(id, &marks),
            None => {
                if let Some(title) = marks.title.filter(|t| !t.is_empty()) {
                    self.title_within(title);
                }
                None
            }
        };
        let location = marks.location.and_then(|l| self.id(l, "location"));
        if group.is_some() || location.is_some() {
            self.frames.push(Frame {
                node,
                group,
                location: location.clone(),
            });
        }
        let marked = self.marked(&marks, location);
        let is_link = element.name() == "a";
        let href = is_link.then_some(marks.href).flatten();
        match (marked, href) {
            (Some(promise), Some(href)) if is_web(href) => {
                self.found.links += 1;
                self.found.promising_links += 1;
                self.anchor(node, Some(promise), Some(href));
            }
            (Some(promise), href) if is_link => self.anchor(node, Some(promise), href),
            (Some((group, promise)), _) => self.add(group, promise),
            (None, Some(href)) => {
                let promise = self.link(href);
                self.anchor(node, promise, Some(href));
            }
            (None, None) => {}
        }
    }

    fn text(&mut self, text: &str) {
        for anchor in &mut self.anchors {
            if anchor.text.len() < 1000 {
                anchor.text.push_str(text);
            }
        }
        if let Some((_, title)) = &mut self.title {
            title.push_str(text);
        }
    }

    fn close(&mut self, node: NodeId) {
        if self.frames.last().is_some_and(|f| f.node == node) {
            self.frames.pop();
        }
        if self.anchors.last().is_some_and(|a| a.node == node)
            && let Some(anchor) = self.anchors.pop()
            && (anchor.promise.is_some() || anchor.link.is_some())
        {
            let text = Some(collapse(&anchor.text)).filter(|t| !t.is_empty());
            if let Some((group, mut promise)) = anchor.promise {
                promise.text = text.clone();
                self.add(group, promise);
            }
            if let Some((group, href)) = anchor.link {
                self.found.web_links.push(FoundLink { group, href, text });
            }
        }
        if self.title.as_ref().is_some_and(|(n, _)| *n == node)
            && let Some((_, title)) = self.title.take()
        {
            self.found.html_title = Some(collapse(&title)).filter(|t| !t.is_empty());
        }
    }

    /// Counts a link and finds what it promises by the templates, and in which offer.
    /// Personalised links are listed, not judged.
    fn link(&mut self, href: &str) -> Option<(usize, FoundPromise)> {
        if !is_web(href) {
            return None;
        }
        self.found.links += 1;
        let host = link_host(href);
        if is_personalized(href) {
            if host.is_some_and(|h| self.templates.has_host(h)) {
                self.found.personalized.push(href.to_owned());
            }
            return None;
        }
        // Most links of an email go elsewhere: a host written in ASCII that no template is for
        // cannot match, and is not parsed (a host written otherwise is, as the URL parser
        // reads it: punycode, percent-escapes).
        if host.is_some_and(|h| h.is_ascii() && !h.contains('%') && !self.templates.has_host(h)) {
            return None;
        }
        let promise = match self.templates.promise(href)? {
            LinkPromise::Location(location) => FoundPromise {
                location,
                sku: None,
                quantity: None,
                href: Some(href.to_owned()),
                text: None,
            },
            LinkPromise::Item { sku, location } => FoundPromise {
                location,
                sku: Some(sku),
                quantity: None,
                href: Some(href.to_owned()),
                text: None,
            },
        };
        self.found.promising_links += 1;
        Some((self.current_group(), promise))
    }

    fn anchor(&mut self, node: NodeId, promise: Option<(usize, FoundPromise)>, href: Option<&str>) {
        let web = href.filter(|h| is_web(h));
        let promise = promise.map(|(group, mut p)| {
            p.href = web.map(str::to_owned);
            (group, p)
        });
        let link = web.filter(|h| !is_personalized(h)).map(|h| {
            let group = self.frames.iter().rev().find_map(|f| f.group);
            (group, h.to_owned())
        });
        self.anchors.push(Anchor {
            node,
            text: String::new(),
            promise,
            link,
        });
    }

    /// The promise an element's own markup makes: a sku (at its location, the nearest enclosing
    /// one, or online) or a location.
    fn marked(&mut self, marks: &Marks, location: Option<String>) -> Option<(usize, FoundPromise)> {
        let quantity = marks.quantity;
        let sku = match marks.sku {
            Some(sku) => Some(self.id(sku, "sku")?),
            None if quantity.is_some() => {
                self.errors.push(
                    "data-promise-quantity is the quantity of a data-promise-sku on the same \
                     element"
                        .into(),
                );
                return None;
            }
            None => None,
        };
        let quantity = match quantity.map(str::parse::<i64>) {
            Some(Ok(q)) if q >= 1 => Some(q),
            Some(_) => {
                self.errors.push(format!(
                    "data-promise-quantity={:?}: must be a whole number of at least 1",
                    quantity.unwrap_or_default()
                ));
                return None;
            }
            None => None,
        };
        let promise = match sku {
            Some(sku) => FoundPromise {
                location: location
                    .or_else(|| self.frames.iter().rev().find_map(|f| f.location.clone()))
                    .unwrap_or_else(|| "online".into()),
                sku: Some(sku),
                quantity,
                href: None,
                text: None,
            },
            None => FoundPromise {
                location: location?,
                sku: None,
                quantity: None,
                href: None,
                text: None,
            },
        };
        Some((self.current_group(), promise))
    }

    /// The group a `data-promise-offer` element opens (or joins, when its id was seen before).
    fn group(&mut self, id: &str, marks: &Marks) -> Option<usize> {
        let title = marks.title;
        let id = self.id(id, "offer")?;
        let window = group_window(&id, marks.valid_from, marks.valid_until)
            .map_err(|e| self.errors.push(e))
            .ok()
            .flatten();
        let title = title.filter(|t| !t.is_empty()).map(str::to_owned);
        Some(self.offer(&id, title, window))
    }

    /// The index of offer `id`, added if new; a title or window it lacked is taken.
    fn offer(
        &mut self,
        id: &str,
        title: Option<String>,
        window: Option<(WindowTime, WindowTime)>,
    ) -> usize {
        if let Some(&i) = self.offer_ids.get(id) {
            let offer = &mut self.found.offers[i];
            offer.title = offer.title.take().or(title);
            offer.window = offer.window.or(window);
            return i;
        }
        self.found.offers.push(FoundOffer {
            id: id.to_owned(),
            title,
            window,
            promises: Vec::new(),
        });
        self.offer_ids
            .insert(id.to_owned(), self.found.offers.len() - 1);
        self.found.offers.len() - 1
    }

    fn current_group(&mut self) -> usize {
        match self.frames.iter().rev().find_map(|f| f.group) {
            Some(group) => group,
            None => self.offer(EMAIL_OFFER, None, None),
        }
    }

    /// A `data-promise-title` on an element that opens no offer: the title of the offer around
    /// it, or of the email when outside every group.
    fn title_within(&mut self, title: &str) {
        match self.frames.iter().rev().find_map(|f| f.group) {
            Some(group) => {
                let offer = &mut self.found.offers[group];
                offer.title.get_or_insert_with(|| title.to_owned());
            }
            None => {
                self.found.title.get_or_insert_with(|| title.to_owned());
            }
        }
    }

    /// Adds a promise to its offer, once: a second link to the same promise adds nothing but
    /// a larger quantity.
    fn add(&mut self, group: usize, promise: FoundPromise) {
        let offer = &mut self.found.offers[group];
        match offer
            .promises
            .iter_mut()
            .find(|p| p.location == promise.location && p.sku == promise.sku)
        {
            Some(seen) => seen.quantity = seen.quantity.max(promise.quantity),
            None => offer.promises.push(promise),
        }
    }

    /// A markup value used as an id, or an error naming the attribute.
    fn id(&mut self, value: &str, what: &str) -> Option<String> {
        if let Some(why) = id_problem(value) {
            self.errors
                .push(format!("data-promise-{what}={value:?}: {why}"));
            return None;
        }
        Some(value.to_owned())
    }
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
