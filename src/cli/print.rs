//! What the CLI prints besides a check's own table: bad fields as the API names them, a table's
//! columns, and the promises read from an email.
use crate::domain::FieldError;
use crate::domain::content::{ContentReport, Extracted};

/// Says which fields are wrong, one per line, as the API would name them; exit status 2.
pub(super) fn report_problem(file: &std::path::Path, errors: &[FieldError]) -> i32 {
    match errors {
        [one] => eprintln!("{}: {}: {}", file.display(), one.pointer, one.detail),
        many => eprintln!("{}: {} fields are invalid", file.display(), many.len()),
    }
    for err in errors {
        eprintln!("  {} {}", err.pointer, err.detail);
    }
    2
}

/// The promises found, a row each, then the links counted and the personalised ones.
pub(super) fn promises(extracted: &[Extracted], report: &ContentReport) -> String {
    let rows: Vec<[String; 4]> = extracted
        .iter()
        .map(|e| {
            let promise = match (&e.sku, &e.location) {
                (Some(sku), Some(location)) => format!("{sku}@{location}"),
                (None, Some(location)) => location.clone(),
                (sku, None) => sku.clone().unwrap_or_default(),
            };
            let quantity = e.quantity.map(|q| q.to_string()).unwrap_or_default();
            let from = match (&e.text, &e.href) {
                (Some(text), Some(href)) => format!("“{text}” {href}"),
                (None, Some(href)) => href.clone(),
                (Some(text), None) => format!("“{text}” (markup)"),
                (None, None) => "(markup)".into(),
            };
            [e.offer_id.clone(), promise, quantity, from]
        })
        .collect();
    let mut out = match rows.is_empty() {
        true => "no promises found\n".to_owned(),
        false => columns(["OFFER", "PROMISE", "QTY", "FROM"], &rows),
    };
    out.push_str(&format!(
        "{} links, {} promising, {} personalised\n",
        report.links,
        report.promising_links,
        report.personalized.len()
    ));
    for href in &report.personalized {
        out.push_str(&format!(
            "  personalised (check at send time with GET /v1/lookup): {href}\n"
        ));
    }
    out
}

/// Rows under a header, each column but the last padded to its widest cell.
pub(super) fn columns<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let header = header.map(String::from);
    let mut widths = [0usize; N];
    for row in std::iter::once(&header).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        for (i, cell) in row.iter().enumerate() {
            match i + 1 == N {
                true => out.push_str(cell),
                false => out.push_str(&format!("{cell:<w$}  ", w = widths[i])),
            }
        }
        out.push('\n');
    }
    out
}
