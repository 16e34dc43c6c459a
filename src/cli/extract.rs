//! `promiseguard extract EMAIL.html [--json]`: the promises an email makes, read with the
//! configured link templates and the markup, without asking any source — so a marketer can try
//! a template before the send is scheduled.
use super::print::{promises, report_problem};
use crate::config::Config;
use crate::domain::Campaign;
use crate::domain::campaign::Content;
use crate::domain::campaign::WindowTime;
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
        print!("{}", promises(&promised.extracted, &report));
        if config.promises.templates().is_empty() {
            println!(
                "(no [promises] location_links or item_links are configured: only markup was read)"
            );
        }
    }
    Ok(0)
}
