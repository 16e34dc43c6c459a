//! Links and text as the content holds them: which hrefs are web links, which hold a sending
//! platform's template syntax, the URLs of a text part, a link's visible text; and how deep the
//! markup nests, read before it is parsed.

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

/// The deepest an email's elements may nest (Chromium's parser stops nesting at 512 too). The
/// HTML parser checks scope by walking the stack of open elements, so elements nested
/// thousands deep make parsing quadratic: a 1 MB body of `<div>`s would hold a thread for
/// minutes. Real emails nest tens deep.
pub const MAX_DEPTH: usize = 512;

/// How deep the elements of `html` nest, read from its tags alone: start tags of elements that
/// hold content deepen it, their end tags undo that; void elements, self-closed tags and the
/// elements a parser closes by itself when the next one starts (`p`, `li`, `td`, `tr`, `option`,
/// …) do not count, nor anything inside comments. An estimate that errs deep only where the
/// markup leaves such elements open, which does not make the parser slow.
pub fn nesting_depth(html: &str) -> usize {
    const FLAT: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
        "tbody", "thead", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "rtc", "html", "head",
        "body", "!doctype",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while let Some(offset) = bytes[at..].iter().position(|b| *b == b'<') {
        at += offset + 1;
        if bytes[at..].starts_with(b"!--") {
            at = html[at..]
                .find("-->")
                .map_or(bytes.len(), |end| at + end + 3);
            continue;
        }
        let closing = bytes.get(at) == Some(&b'/');
        let name_start = at + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'!'))
            .unwrap_or(bytes.len() - name_start);
        if name_len == 0 {
            continue;
        }
        let name = &html[name_start..name_start + name_len];
        if FLAT.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            continue;
        }
        let end = bytes[name_start..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(bytes.len(), |e| name_start + e);
        if closing {
            depth = depth.saturating_sub(1);
        } else if bytes.get(end.wrapping_sub(1)) != Some(&b'/') {
            depth += 1;
            deepest = deepest.max(depth);
        }
        at = end.min(bytes.len());
    }
    deepest
}
