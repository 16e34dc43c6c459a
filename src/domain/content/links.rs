//! Links and text as the content holds them: which hrefs are web links, which hold a sending
//! platform's template syntax, the URLs of a text part, a link's visible text.

/// A link's visible text is kept to this many characters.
const MAX_TEXT: usize = 200;

/// An http(s) URL (by its scheme; a personalised one may not parse).
pub fn is_web(href: &str) -> bool {
    let h = href.trim_start().as_bytes();
    let starts = |p: &[u8]| h.len() >= p.len() && h[..p.len()].eq_ignore_ascii_case(p);
    starts(b"http://") || starts(b"https://")
}

/// Holds the syntax of a sending platform's templates: Liquid and Jinja (`{{ … }}`,
/// `{% … %}`), Mailchimp merge tags (`*|…|*`), AMPscript (`%%…%%`).
pub fn is_personalized(href: &str) -> bool {
    ["{{", "{%", "*|", "%%"].iter().any(|s| href.contains(s))
}

/// The host of an http(s) URL as written (any case), read as text: a personalised URL may not
/// parse.
pub fn link_host(href: &str) -> Option<&str> {
    let rest = href.trim().split_once("://")?.1;
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    let host = authority.rsplit('@').next()?;
    host.split(':').next()
}

/// Whitespace collapsed, at most `MAX_TEXT` characters (a link's visible text).
pub fn collapse(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.char_indices().nth(MAX_TEXT) {
        Some((end, _)) => out[..end].trim_end().to_owned(),
        None => out,
    }
}

/// The http(s) URLs of a text part: each runs to white space or a delimiter, without the
/// punctuation that ends a sentence.
pub fn text_urls(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = ["http://", "https://"]
        .iter()
        .filter_map(|s| lower[from..].find(s))
        .min()
    {
        let start = from + at;
        let len = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
            .unwrap_or(text.len() - start);
        let url = text[start..start + len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        out.push(url);
        from = start + len.max(1);
    }
    out
}
