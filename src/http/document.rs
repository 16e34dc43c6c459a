//! The HTML document every page of the service is written in — the public survey pages and the
//! analyst pages alike: UTF-8, a viewport that fits a phone, kept out of search engines, one
//! inline style sheet (no scripts, no outside resources).
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// `dir`: `ltr` or `rtl`, the direction of `lang`'s script.
pub fn document(lang: &str, dir: &str, title: &str, css: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(css)) }
            }
            body { (body) }
        }
    }
}
