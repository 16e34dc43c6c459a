//! `promiseguard extract EMAIL.html [--json]`: the promises an email makes, read with the
//! configured link templates and the markup, without asking any source — so a marketer can try
//! a template before the send is scheduled.
use super::check::{columns, report_problem};
use crate::config::Config;
use crate::domain::Campaign;
use crate::domain::campaign::WindowTime;
use crate::domain::content::{Content, ContentReport, Extracted};
use anyhow::Context;
use std::path::Path;

/// Reads `file`, prints what it promises; 0, or 2 when its markup cannot be read.
pub fn run(config: &Config, file: &Path, json: bool) -> anyhow::Result<i32> {
    let html = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
    let mut campaign = Campaign::named("extract");
    campaign.content = Some(Content {
        html,
        text: None,
        subject: None,
    });
    // Any window will do (nothing is checked): today's.
    let today = chrono::Utc::now()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN);
    let tomorrow = today + chrono::Duration::days(1);
    campaign.valid_from = Some(WindowTime::Local(today));
    campaign.valid_until = Some(WindowTime::Local(tomorrow));
    let promised = match campaign.into_promised(config.promises.templates(), "") {
        Ok(p) => p,
        Err(errors) => return Ok(report_problem(file, &errors)),
    };
    let report = promised.content.unwrap_or_default();
    if json {
        let out = serde_json::json!({ "extracted": promised.extracted, "content": report });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", table(&promised.extracted, &report));
        if config.promises.templates().is_empty() {
            println!(
                "(no [promises] location_links or item_links are configured: only markup was read)"
            );
        }
    }
    Ok(0)
}

/// The promises found, a row each, then the links counted and the personalised ones.
pub fn table(extracted: &[Extracted], report: &ContentReport) -> String {
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
