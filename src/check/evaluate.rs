//! Turns what the sources said into findings, per-offer verdicts and keepable locations.
//! Pure: the same campaign, policy and observations always give the same evaluation.
use crate::domain::ZoneOrigin;
use crate::domain::hours::{day_label, local_label};
use crate::domain::judgement::Coverage;
use crate::domain::observation::format_quantity;
use crate::domain::{
    Campaign, Finding, ItemKey, ItemPromise, LocationReport, LocationStatus, LookupFailure, Offer,
    Policy, Rule, Severity, StockReport, Target, Verdict,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use std::collections::HashMap;

/// Everything the sources answered for one check, keyed by what was asked.
#[derive(Debug, Default, Clone)]
pub struct Observations {
    pub locations: HashMap<String, Result<LocationReport, LookupFailure>>,
    pub items: HashMap<ItemKey, Result<StockReport, LookupFailure>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfferOutcome {
    pub offer_id: String,
    pub verdict: Verdict,
    pub keepable_locations: Vec<String>,
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub verdict: Verdict,
    pub offers: Vec<OfferOutcome>,
    pub findings: Vec<Finding>,
    /// One line per `flag` finding (the Kubernetes admission-webhook convention), then one per
    /// location whose time zone had to be assumed.
    pub warnings: Vec<String>,
    /// What the check covered: the promises clicks are judged against (`domain::judgement`).
    pub covered: Coverage,
}

/// Evaluates every pinned rule for every offer, at `now` (the time a lookup that has no
/// recorded answer is reported to have failed). `new_id` names each finding.
pub fn evaluate(
    campaign: &Campaign,
    send_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &Policy,
    observations: &Observations,
    mut new_id: impl FnMut() -> String,
) -> Evaluation {
    let mut findings = Vec::new();
    let mut offers = Vec::with_capacity(campaign.offers.len());
    for offer in &campaign.offers {
        let mut candidates = Vec::new();
        offer_findings(offer, send_at, now, observations, &mut candidates);
        let mut ids = Vec::new();
        let mut offer_level = false;
        let mut broken_locations: Vec<String> = Vec::new();
        let mut offer_found = Vec::new();
        for c in candidates {
            let Some(severity) = policy.severity(c.rule) else {
                continue;
            };
            let finding = Finding {
                id: new_id(),
                offer_id: offer.id.clone(),
                rule: c.rule,
                severity,
                target: c.target,
                message: c.message,
                evidence: c.evidence,
                exemption: None,
            };
            match &finding.target.location {
                Some(location) => broken_locations.push(location.clone()),
                None => offer_level = true,
            }
            ids.push(finding.id.clone());
            offer_found.push(finding);
        }
        let keepable_locations = if offer_level {
            Vec::new()
        } else {
            offer
                .locations
                .iter()
                .filter(|l| !broken_locations.contains(l))
                .cloned()
                .collect()
        };
        offers.push(OfferOutcome {
            offer_id: offer.id.clone(),
            verdict: Verdict::of(&offer_found),
            keepable_locations,
            findings: ids,
        });
        findings.extend(offer_found);
    }
    let mut warnings: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Flag)
        .map(|f| format!("{}: {}", f.offer_id, f.message))
        .collect();
    warnings.extend(warnings::assumed_zones(campaign, observations));
    warnings.extend(warnings::source_notes(campaign, observations));
    Evaluation {
        verdict: Verdict::of(&findings),
        offers,
        findings,
        warnings,
        covered: coverage(campaign, observations),
    }
}

/// What the check covered, with the names the location source gave and the zones known.
fn coverage(campaign: &Campaign, observations: &Observations) -> Coverage {
    let mut covered = Coverage::of(&campaign.offers);
    covered.names = covered
        .locations
        .iter()
        .filter_map(|l| match observations.locations.get(l) {
            Some(Ok(LocationReport {
                name: Some(name), ..
            })) => Some((l.clone(), name.clone())),
            _ => None,
        })
        .collect();
    covered.zones = covered
        .locations
        .iter()
        .filter_map(|l| match observations.locations.get(l) {
            Some(Ok(report)) if report.zone.origin != ZoneOrigin::Assumed => {
                Some((l.clone(), report.zone.tz.name().to_owned()))
            }
            _ => None,
        })
        .collect();
    covered
}

/// A finding before the policy has given it a severity (or dropped it).
struct Candidate {
    rule: Rule,
    target: Target,
    message: String,
    evidence: serde_json::Value,
}

fn offer_findings(
    offer: &Offer,
    send_at: DateTime<Utc>,
    now: DateTime<Utc>,
    observations: &Observations,
    out: &mut Vec<Candidate>,
) {
    if offer.valid_until <= send_at {
        out.push(Candidate {
            rule: Rule::OfferExpired,
            target: Target::default(),
            message: format!(
                "{} ended at {}, at or before the send time {}",
                offer.id,
                offer.valid_until.to_rfc3339(),
                send_at.to_rfc3339()
            ),
            evidence: json!({ "valid_until": offer.valid_until, "send_at": send_at }),
        });
    }
    for location in &offer.locations {
        match observations.locations.get(location) {
            Some(Ok(report)) => location_findings(offer, location, report, send_at, out),
            Some(Err(failure)) => {
                out.push(unavailable(Target::location(location), location, failure))
            }
            None => out.push(unavailable(
                Target::location(location),
                location,
                &missing_answer("locations", now),
            )),
        }
    }
    for item in &offer.items {
        let key = item.key();
        match observations.items.get(&key) {
            Some(Ok(report)) => stock_findings(item, report, out),
            Some(Err(failure)) => out.push(unavailable(
                Target::item(&item.sku, &item.location),
                &format!("{} at {}", item.sku, item.location),
                failure,
            )),
            None => out.push(unavailable(
                Target::item(&item.sku, &item.location),
                &format!("{} at {}", item.sku, item.location),
                &missing_answer("inventory", now),
            )),
        }
    }
}

fn missing_answer(source: &str, now: DateTime<Utc>) -> LookupFailure {
    LookupFailure {
        source: source.to_owned(),
        reason: "no answer was recorded for this lookup".to_owned(),
        at: now,
    }
}

fn unavailable(target: Target, what: &str, failure: &LookupFailure) -> Candidate {
    Candidate {
        rule: Rule::UpstreamUnavailable,
        target,
        message: format!(
            "{what} could not be checked: {} ({})",
            failure.reason, failure.source
        ),
        evidence: json!({ "source": failure.source, "error": failure.reason, "at": failure.at }),
    }
}

fn location_findings(
    offer: &Offer,
    location: &str,
    report: &LocationReport,
    send_at: DateTime<Utc>,
    out: &mut Vec<Candidate>,
) {
    let label = report.label(location);
    let tz = report.zone.tz;
    // What is left of the window at this location once the offer reaches its customers.
    let (from, until) = offer.window_in(tz);
    let from = from.max(send_at);
    // Built only for a finding: most locations of most checks have none.
    let evidence = || {
        let mut evidence = json!({
            "source": report.source,
            "status": report.raw_status,
            "fetched_at": report.fetched_at,
            "zone": tz.name(),
            "zone_source": report.zone.origin.as_str(),
            "window": { "from": from, "until": until },
        });
        if let Some(name) = &report.name {
            evidence["name"] = json!(name);
        }
        if let Some(source_id) = &report.source_id {
            evidence["source_id"] = json!(source_id);
        }
        evidence
    };
    match report.status {
        LocationStatus::Unknown => out.push(Candidate {
            rule: Rule::LocationUnknown,
            target: Target::location(location),
            message: format!("{location} is not known to the location source"),
            evidence: evidence(),
        }),
        LocationStatus::ClosedTemporarily | LocationStatus::ClosedPermanently => {
            out.push(Candidate {
                rule: Rule::LocationClosed,
                target: Target::location(location),
                message: format!(
                    "{label} is {} according to the location source",
                    report.raw_status
                ),
                evidence: evidence(),
            })
        }
        LocationStatus::Open if from >= until || report.hours.is_unknown() => {}
        LocationStatus::Open => {
            if report.hours.first_open(tz, from, until).is_none() {
                let closed_dates = report.hours.closed_dates_within(tz, from, until);
                let mut evidence = evidence();
                evidence["closed_dates"] = json!(dates(&closed_dates));
                out.push(Candidate {
                    rule: Rule::LocationClosedWholeWindow,
                    target: Target::location(location),
                    message: format!(
                        "{label} has no open hour in the offer window, {} – {} ({tz})",
                        local_label(tz, from),
                        local_label(tz, until)
                    ),
                    evidence,
                });
                return;
            }
            let days = report.hours.closed_dates_within(tz, from, until);
            if let Some(first) = days.first() {
                let mut evidence = evidence();
                evidence["closed_dates"] = json!(dates(&days));
                out.push(Candidate {
                    rule: Rule::LocationClosedDuringWindow,
                    target: Target::location(location),
                    message: if days.len() == 1 {
                        format!(
                            "{label} is closed on {}, inside the offer window",
                            day_label(*first)
                        )
                    } else {
                        format!(
                            "{label} is closed on {} days inside the offer window, from {}",
                            days.len(),
                            day_label(*first)
                        )
                    },
                    evidence,
                });
            }
        }
    }
}

fn dates(days: &[NaiveDate]) -> Vec<String> {
    days.iter().map(|d| d.to_string()).collect()
}

fn stock_findings(item: &ItemPromise, report: &StockReport, out: &mut Vec<Candidate>) {
    let available = report.available;
    let evidence = json!({
        "source": report.source,
        "available": available,
        "required": item.min_available,
        "fetched_at": report.fetched_at,
    });
    if available <= 0.0 {
        out.push(Candidate {
            rule: Rule::OutOfStock,
            target: Target::item(&item.sku, &item.location),
            message: format!(
                "{} at {} is out of stock ({} available, {} promised)",
                item.sku,
                item.location,
                format_quantity(available),
                item.min_available
            ),
            evidence,
        });
    } else if available < item.min_available as f64 {
        out.push(Candidate {
            rule: Rule::LowStock,
            target: Target::item(&item.sku, &item.location),
            message: format!(
                "{} at {} has {} available, {} promised",
                item.sku,
                item.location,
                format_quantity(available),
                item.min_available
            ),
            evidence,
        });
    }
}

#[path = "evaluate_warnings.rs"]
mod warnings;

#[cfg(test)]
#[path = "evaluate_tests/mod.rs"]
mod tests;
