//! bench/extract: reading the promises out of a 100 KB email with 400 links, 40 of them
//! promising (20 branch links, 20 product links) — the extraction beside a bare pass of the
//! same parser (html5ever through `scraper`: parse, then visit every node), in alternating
//! rounds. Target: extraction under 2 ms, and ≤ 1.5× the bare pass.
//!
//! Run: `cargo bench --bench extract` (optionally `-- --rounds 7 --runs 200`; `-- --file
//! EMAIL.html` times another email, read with the same templates).
#[path = "../tests/support/mod.rs"]
mod support;

use promiseguard::domain::content::LinkTemplates;
use promiseguard::domain::content::extract::extract;
use std::time::{Duration, Instant};
use support::arg;

const LINKS: usize = 400;
const PROMISING: usize = 40;
const SIZE: usize = 100 * 1024;

/// A table-layout email: 400 links in cells, every tenth one to a branch or a product page,
/// padded with copy to 100 KB.
fn email() -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Winter deals</title>\
         <style>td{padding:8px}</style></head><body><table role=\"presentation\" width=\"100%\">",
    );
    let filler = "Rent for the weekend and the extra day is on us, at every branch in town. ";
    let per_row = SIZE / LINKS;
    for i in 0..LINKS {
        let href = match i % (LINKS / PROMISING) {
            0 if i % 20 == 0 => format!(
                "https://rent.example.com/branches/loc-{i}?utm_source=email&amp;utm_medium=newsletter"
            ),
            0 => format!("https://shop.example.com/p/SKU-{i}?store=loc-{i}&amp;utm_source=email"),
            _ => format!(
                "https://www.example.com/article/{i}?utm_source=email&amp;utm_campaign=winter"
            ),
        };
        let mut row = format!(
            "<tr><td class=\"copy\" style=\"font-family:Arial;font-size:14px\"><p>\
             <a href=\"{href}\" target=\"_blank\" style=\"color:#0a7d3b\">Link <b>{i}</b> &rarr;</a> "
        );
        while row.len() < per_row - 20 {
            row.push_str(filler);
        }
        row.truncate(per_row - 20);
        row.push_str("</p></td></tr>");
        html.push_str(&row);
    }
    html.push_str("</table></body></html>");
    html
}

fn bare(html: &str) -> usize {
    let document = scraper::Html::parse_document(html);
    document.tree.root().traverse().count()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rounds = arg("--rounds", 7);
    let runs = arg("--runs", 200);
    let file = std::env::args().skip_while(|a| a != "--file").nth(1);
    let html = match &file {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => email(),
    };
    let templates = LinkTemplates::new(
        &["https://rent.example.com/branches/{location}".into()],
        &["https://shop.example.com/p/{sku}?store={location}".into()],
    )
    .unwrap();
    let found = extract(&html, None, &templates).unwrap();
    if file.is_none() {
        let counted = (found.links, found.promising_links);
        assert_eq!(counted, (LINKS as u64, PROMISING as u64));
    }
    println!(
        "extract: {} KB email, {} links, {} promising; {rounds} rounds of {runs} runs, alternating",
        html.len() / 1024,
        found.links,
        found.promising_links
    );
    println!(
        "{:>5} {:>12} {:>12} {:>7}",
        "round", "extract_ms", "bare_ms", "ratio"
    );
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let time = |f: &dyn Fn()| {
            let samples: Vec<Duration> = (0..runs)
                .map(|_| {
                    let started = Instant::now();
                    f();
                    started.elapsed()
                })
                .collect();
            median(samples)
        };
        let ex = || {
            std::hint::black_box(extract(std::hint::black_box(&html), None, &templates).unwrap());
        };
        let bp = || {
            std::hint::black_box(bare(std::hint::black_box(&html)));
        };
        let (e, b) = if round % 2 == 1 {
            let e = time(&ex);
            (e, time(&bp))
        } else {
            let b = time(&bp);
            (time(&ex), b)
        };
        let ratio = e.as_secs_f64() / b.as_secs_f64();
        println!(
            "{round:>5} {:>12.3} {:>12.3} {ratio:>7.3}",
            e.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3
        );
        ours.push(e);
        theirs.push(b);
        ratios.push(Duration::from_secs_f64(ratio));
    }
    let (e, b) = (median(ours), median(theirs));
    println!(
        "median: extraction {:.3} ms (target < 2 ms), bare pass {:.3} ms; ratio {:.3} (target ≤ 1.5×)",
        e.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        median(ratios).as_secs_f64()
    );
}
