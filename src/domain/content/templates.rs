//! Link templates (`[promises] location_links`, `item_links`): which links of an email promise
//! a location or an item. A template is a URL with `{location}` and `{sku}` standing for one
//! whole path segment or one query value; a link matches it by scheme (http and https alike),
//! host (any case, the default port ignored), path segment by segment (a trailing slash
//! ignored) and the query parameters the template names — others (`utm_*`, tracking ids) are
//! ignored, in any order. Fragments are ignored.
use percent_encoding::percent_decode_str;
use url::Url;

/// What a matching link promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPromise {
    Location(String),
    /// A sku at a location, or `online` when the template names no location.
    Item {
        sku: String,
        location: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Location,
    Sku,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Slot(Slot),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Location,
    Item,
}

#[derive(Debug, Clone)]
struct LinkTemplate {
    kind: Kind,
    host: String,
    /// An explicit port that is not the scheme's default.
    port: Option<u16>,
    path: Vec<Part>,
    query: Vec<(String, Part)>,
}

/// The configured templates, location templates first, each list in its configured order: the
/// first that matches a link wins.
#[derive(Debug, Clone, Default)]
pub struct LinkTemplates {
    templates: Vec<LinkTemplate>,
}

impl LinkTemplates {
    /// Parses both lists; an error names the key and index of the template that cannot be used
    /// (`location_links[1]`), and why.
    pub fn new(location_links: &[String], item_links: &[String]) -> Result<Self, (String, String)> {
        let mut templates = Vec::new();
        for (key, kind, list) in [
            ("location_links", Kind::Location, location_links),
            ("item_links", Kind::Item, item_links),
        ] {
            for (i, text) in list.iter().enumerate() {
                let template = LinkTemplate::parse(text, kind)
                    .map_err(|why| (format!("{key}[{i}]"), format!("{text:?}: {why}")))?;
                templates.push(template);
            }
        }
        Ok(Self { templates })
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// What `href` promises, by the first template it matches.
    pub fn promise(&self, href: &str) -> Option<LinkPromise> {
        let url = web_url(href)?;
        self.templates.iter().find_map(|t| t.promise(&url))
    }

    /// Whether some template is for links to `host` (any case).
    pub fn has_host(&self, host: &str) -> bool {
        self.templates
            .iter()
            .any(|t| t.host.eq_ignore_ascii_case(host))
    }
}

/// `href` as an http(s) URL with a host, or none.
pub fn web_url(href: &str) -> Option<Url> {
    let url = Url::parse(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(())?;
    url.host_str()?;
    Some(url)
}

impl LinkTemplate {
    fn parse(text: &str, kind: Kind) -> Result<Self, String> {
        let url = Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        let host = url.host_str().ok_or("names no host")?.to_owned();
        if host.contains('{') || host.contains("%7b") {
            return Err("the host cannot hold a placeholder".into());
        }
        let path = segments(&url)
            .into_iter()
            .map(|s| part(&s))
            .collect::<Result<Vec<_>, _>>()?;
        let query = url
            .query_pairs()
            .map(|(name, value)| Ok((name.into_owned(), part(&value)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let slots: Vec<Slot> = path
            .iter()
            .chain(query.iter().map(|(_, p)| p))
            .filter_map(|p| match p {
                Part::Slot(s) => Some(*s),
                Part::Literal(_) => None,
            })
            .collect();
        let count = |slot| slots.iter().filter(|s| **s == slot).count();
        if count(Slot::Location) > 1 || count(Slot::Sku) > 1 {
            return Err("each placeholder may stand once".into());
        }
        match kind {
            Kind::Location if count(Slot::Location) == 0 => {
                return Err("a location link needs {location}".into());
            }
            Kind::Location if count(Slot::Sku) > 0 => {
                return Err("a location link cannot name {sku}; put it in item_links".into());
            }
            Kind::Item if count(Slot::Sku) == 0 => return Err("an item link needs {sku}".into()),
            _ => {}
        }
        Ok(Self {
            kind,
            host,
            port: url.port(),
            path,
            query,
        })
    }

    fn promise(&self, url: &Url) -> Option<LinkPromise> {
        if url.host_str()? != self.host || url.port() != self.port {
            return None;
        }
        let (mut location, mut sku) = (None, None);
        let mut take = |part: &Part, value: &str| match part {
            Part::Literal(text) => text == value,
            Part::Slot(slot) => {
                let value = value.trim();
                let good = crate::domain::validation::id_problem(value).is_none();
                match slot {
                    Slot::Location => location = Some(value.to_owned()),
                    Slot::Sku => sku = Some(value.to_owned()),
                }
                good
            }
        };
        let path = segments(url);
        if path.len() != self.path.len() || !self.path.iter().zip(&path).all(|(p, s)| take(p, s)) {
            return None;
        }
        for (name, part) in &self.query {
            let (_, value) = url.query_pairs().find(|(n, _)| n == name)?;
            if !take(part, &value) {
                return None;
            }
        }
        match self.kind {
            Kind::Location => location.map(LinkPromise::Location),
            Kind::Item => Some(LinkPromise::Item {
                sku: sku?,
                location: location.unwrap_or_else(|| "online".into()),
            }),
        }
    }
}

/// The URL's path segments, percent-decoded, without the empty one a trailing slash leaves.
fn segments(url: &Url) -> Vec<String> {
    let mut out: Vec<String> = url
        .path_segments()
        .map(|s| {
            s.map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// A template's segment or query value: a placeholder, or text to be matched as it is.
fn part(text: &str) -> Result<Part, String> {
    match text {
        "{location}" => Ok(Part::Slot(Slot::Location)),
        "{sku}" => Ok(Part::Slot(Slot::Sku)),
        t if t.contains('{') || t.contains('}') => Err(format!(
            "`{t}`: a placeholder is {{location}} or {{sku}} and stands for a whole path \
             segment or query value"
        )),
        t => Ok(Part::Literal(t.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates() -> LinkTemplates {
        LinkTemplates::new(
            &[
                "https://rent.example.com/branches/{location}".into(),
                "https://rent.example.com/find?branch={location}".into(),
            ],
            &[
                "https://shop.example.com/p/{sku}?store={location}".into(),
                "https://shop.example.com/p/{sku}".into(),
            ],
        )
        .unwrap()
    }

    fn location(id: &str) -> Option<LinkPromise> {
        Some(LinkPromise::Location(id.into()))
    }

    fn item(sku: &str, location: &str) -> Option<LinkPromise> {
        Some(LinkPromise::Item {
            sku: sku.into(),
            location: location.into(),
        })
    }

    #[test]
    fn links_match_by_scheme_host_path_and_the_named_query() {
        let t = templates();
        for href in [
            "https://rent.example.com/branches/loc-101",
            "http://RENT.example.com/branches/loc-101/",
            "https://rent.example.com:443/branches/loc-101?utm_source=email#top",
            "https://rent.example.com/branches/loc%2D101",
            "https://rent.example.com/find?utm_campaign=x&branch=loc-101",
            "  https://rent.example.com/find?branch=loc-101  ",
        ] {
            assert_eq!(t.promise(href), location("loc-101"), "{href}");
        }
        assert_eq!(
            t.promise("https://shop.example.com/p/TENT-2P?store=loc-7&utm_medium=email"),
            item("TENT-2P", "loc-7")
        );
        assert_eq!(
            t.promise("https://shop.example.com/p/TENT-2P"),
            item("TENT-2P", "online")
        );
        for href in [
            "https://rent.example.com/branches",
            "https://rent.example.com/branches/loc-101/reviews",
            "https://rent.example.com:8443/branches/loc-101",
            "https://rent.example.com/find?store=loc-101",
            "https://rent.example.com/find?branch=",
            "https://other.example.com/branches/loc-101",
            "ftp://rent.example.com/branches/loc-101",
            "mailto:rent@example.com",
            "/branches/loc-101",
        ] {
            assert_eq!(t.promise(href), None, "{href}");
        }
        assert!(t.has_host("rent.example.com"));
        assert!(!t.has_host("example.com"));
    }

    #[test]
    fn a_template_that_cannot_be_used_is_named_by_key_and_index() {
        let bad = |loc: &[&str], items: &[&str]| {
            let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let (key, why) = LinkTemplates::new(&s(loc), &s(items)).unwrap_err();
            format!("{key}: {why}")
        };
        let e = bad(
            &["https://a.example/{location}", "https://a.example/x"],
            &[],
        );
        assert!(e.starts_with("location_links[1]: "), "{e}");
        assert!(e.contains("needs {location}"), "{e}");
        let e = bad(&[], &["https://a.example/p/{sku}-{colour}"]);
        assert!(e.starts_with("item_links[0]: "), "{e}");
        assert!(bad(&["not a url"], &[]).contains("not a URL"));
        assert!(bad(&["ftp://a.example/{location}"], &[]).contains("http"));
        assert!(bad(&[], &["https://a.example/{sku}/{sku}"]).contains("once"));
        assert!(bad(&["https://a.example/{location}/{sku}"], &[]).contains("item_links"));
    }
}
