//! `promiseguard check FILE`: one campaign checked against the configured sources, printed as
//! a table or JSON; and the tables the CLI prints.
use super::print::{columns, promises, report_problem};
use crate::check::{CheckResult, CheckSpec, Checker};
use crate::config::Config;
use crate::domain::campaign::CampaignInput;
use crate::domain::content::nothing_promised;
use crate::domain::json::{JsonError, parse_json};
use crate::domain::{Finding, Phase, Verdict};
use crate::metrics::Metrics;
use crate::services::checks::PresendRequest;
use crate::sources::links::SystemResolver;
use crate::startup::{check_limits, observer};
use anyhow::Context;
use std::sync::Arc;

pub(super) async fn check(
    config: &Config,
    file: &std::path::Path,
    json: bool,
) -> anyhow::Result<i32> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let value: serde_json::Value = match serde_json::from_slice(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{}: not valid JSON: {e}", file.display());
            return Ok(2);
        }
    };
    // A pre-send request body (`{"campaign": …}`), or a bare campaign.
    let request = if value.get("campaign").is_some() {
        parse_json::<PresendRequest>(&text)
    } else {
        parse_json::<CampaignInput>(&text).map(|campaign| PresendRequest {
            campaign,
            mode: Default::default(),
            policy: None,
        })
    };
    let bare = value.get("campaign").is_none();
    let request = match request {
        Ok(r) => r,
        Err(JsonError::Malformed(detail)) => {
            eprintln!("{}: the body is not valid JSON: {detail}", file.display());
            return Ok(2);
        }
        Err(JsonError::Invalid(errors)) => return Ok(report_problem(file, &errors)),
    };
    let now = chrono::Utc::now();
    let base = if bare { "" } else { "/campaign" };
    let validated = if bare {
        request
            .campaign
            .parse("", now)
            .map(|c| (c, request.mode, config.policy().clone()))
    } else {
        request.validated(config.policy(), now)
    };
    let promised = validated.and_then(|(campaign, mode, policy)| {
        let promised = campaign.into_promised(config.promises.templates(), base)?;
        match promised.nothing() {
            true => Err(vec![nothing_promised(
                base,
                &promised.content.clone().unwrap_or_default(),
            )]),
            false => Ok((promised, mode, policy)),
        }
    });
    let (promised, mode, policy) = match promised {
        Ok(v) => v,
        Err(errors) => return Ok(report_problem(file, &errors)),
    };
    let campaign = &promised.campaign;
    let metrics = Metrics::new();
    let sources = crate::sources::build(&config.sources, &metrics, None)?;
    let observer = Arc::new(observer(
        config,
        sources,
        &metrics,
        Arc::new(SystemResolver),
    )?);
    let checker = Checker::new(observer, check_limits(config));
    let spec = CheckSpec {
        phase: Phase::Manual,
        mode,
        send_at: campaign.send_at.unwrap_or_else(chrono::Utc::now),
        policy: &policy,
    };
    let result = checker.run_promised(campaign, &promised, spec).await;
    let verdict = result.verdict;
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", table(&campaign.id, verdict, &result));
    }
    Ok(verdict.exit_code())
}

/// A plain-text table of findings, then each offer's keepable locations.
pub fn table(campaign_id: &str, verdict: Verdict, result: &CheckResult) -> String {
    let mut out = format!(
        "campaign {campaign_id}: {}\n",
        verdict.as_str().to_uppercase()
    );
    if result.findings.is_empty() {
        out.push_str("no findings: every promise can be kept\n");
    } else {
        let rows: Vec<[String; 5]> = result
            .findings
            .iter()
            .map(|f: &Finding| {
                let target = match (&f.target.sku, &f.target.location) {
                    (Some(s), Some(l)) => format!("{s}@{l}"),
                    (None, Some(l)) => l.clone(),
                    _ => "(offer)".into(),
                };
                [
                    f.severity.as_str().into(),
                    f.rule.as_str().into(),
                    f.offer_id.clone(),
                    target,
                    f.message.clone(),
                ]
            })
            .collect();
        let header = ["SEVERITY", "RULE", "OFFER", "TARGET", "MESSAGE"];
        out.push_str(&columns(header, &rows));
    }
    for offer in &result.offers {
        out.push_str(&format!(
            "offer {}: {} — keepable locations: {}\n",
            offer.offer_id,
            offer.verdict.as_str(),
            if offer.keepable_locations.is_empty() {
                "none".to_owned()
            } else {
                offer.keepable_locations.join(", ")
            }
        ));
    }
    if let Some(report) = &result.content {
        out.push_str(&promises(&result.extracted, report));
    }
    out
}
