//! A fleet's checks and findings written straight to the store, many at once: for the findings
//! export's tests and benchmark, and the dashboard's.
use chrono::{DateTime, Duration, Utc};
use promiseguard::domain::campaign::CampaignInput;
use promiseguard::domain::judgement::Coverage;
use promiseguard::domain::{Campaign, Finding, Mode, Phase, Rule, Severity, Target, Verdict};
use promiseguard::store::{CheckStore, NewCheck, SqlStore};
use serde_json::json;

/// What to write: `campaigns` campaigns checked `checks_per_campaign` times each, every check
/// with `findings_per_check` findings over `locations` branches; checks `step` apart, the last
/// one at `last`. `name(i)` is campaign i's name.
pub struct Fleet<'a> {
    pub campaigns: usize,
    pub checks_per_campaign: usize,
    pub findings_per_check: usize,
    pub locations: usize,
    pub last: DateTime<Utc>,
    pub step: Duration,
    pub name: &'a dyn Fn(usize) -> String,
}

pub const RULES: [(Rule, Severity); 4] = [
    (Rule::LocationClosed, Severity::Block),
    (Rule::OutOfStock, Severity::Block),
    (Rule::LowStock, Severity::Flag),
    (Rule::LocationUnknown, Severity::Block),
];

fn campaign(id: &str, name: &str) -> Campaign {
    let input: CampaignInput = serde_json::from_value(json!({
        "id": id, "name": name, "platform": "klaviyo",
        "offers": [{"id": "free-day", "valid_from": "2026-11-01T00:00:00Z",
                    "valid_until": "2027-01-01T00:00:00Z", "locations": ["loc-0"]}]
    }))
    .unwrap();
    input.parse("/campaign", Utc::now()).unwrap()
}

/// Finding `n` of a check: rules and branches in turn, a message with a comma and quotes.
pub fn finding(n: usize, locations: usize) -> Finding {
    let (rule, severity) = RULES[n % RULES.len()];
    let location = format!("loc-{}", n % locations);
    Finding {
        id: uuid::Uuid::now_v7().to_string(),
        offer_id: "free-day".into(),
        rule,
        severity,
        target: if rule == Rule::LowStock || rule == Rule::OutOfStock {
            Target::item(&format!("SKU-{}", n % 50), &location)
        } else {
            Target::location(&location)
        },
        message: format!("Branch {location} is \"closed\", finding {n}"),
        evidence: json!({"source": "bench", "n": n}),
        exemption: None,
    }
}

/// Writes the fleet, a few hundred checks a transaction; how many findings it wrote.
pub async fn seed(store: &SqlStore, fleet: &Fleet<'_>) -> usize {
    let campaigns: Vec<Campaign> = (0..fleet.campaigns)
        .map(|i| campaign(&format!("c-{i:05}"), &(fleet.name)(i)))
        .collect();
    let mut covered = Coverage::default();
    for l in 0..fleet.locations {
        covered
            .names
            .insert(format!("loc-{l}"), format!("Branch number {l}"));
    }
    let total = fleet.campaigns * fleet.checks_per_campaign;
    let first = fleet.last - fleet.step * (total as i32 - 1);
    let mut written = 0;
    for round in 0..fleet.checks_per_campaign {
        for chunk in (0..fleet.campaigns).collect::<Vec<_>>().chunks(500) {
            let drafts: Vec<(String, DateTime<Utc>, Vec<Finding>, Verdict)> = chunk
                .iter()
                .map(|&c| {
                    let at = first + fleet.step * (round * fleet.campaigns + c) as i32;
                    let findings: Vec<Finding> = (0..fleet.findings_per_check)
                        .map(|n| finding(n + c, fleet.locations))
                        .collect();
                    let verdict = Verdict::of(&findings);
                    (uuid::Uuid::now_v7().to_string(), at, findings, verdict)
                })
                .collect();
            let checks: Vec<NewCheck> = chunk
                .iter()
                .zip(&drafts)
                .map(|(&c, (id, at, findings, verdict))| NewCheck {
                    id,
                    campaign: &campaigns[c],
                    phase: Phase::Live,
                    mode: Mode::Enforce,
                    verdict: *verdict,
                    send_at: *at,
                    checked_at: *at,
                    findings,
                    result: "{}",
                    alert_to: &[],
                    definition: None,
                    covered: Some(&covered),
                })
                .collect();
            store.record_checks(&checks).await.unwrap();
            written += drafts.iter().map(|d| d.2.len()).sum::<usize>();
        }
    }
    written
}
