//! What the storage cases build their records from.
use chrono::{DateTime, Utc};
use promiseguard::domain::campaign::CampaignInput;
use promiseguard::domain::event::{EngagementEvent, EventKind};
use promiseguard::domain::judgement::Coverage;
use promiseguard::domain::{Campaign, Finding, Mode, Phase, Rule, Severity, Target, Verdict};
use promiseguard::store::NewCheck;
use serde_json::json;

pub fn campaign(id: &str) -> Campaign {
    let input: CampaignInput = serde_json::from_value(json!({
        "id": id, "name": "Neighborhood rental", "platform": "braze",
        "offers": [{"id": "free-day", "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
                    "locations": ["loc-101", "loc-102"]}]
    }))
    .unwrap();
    input.parse("/campaign", chrono::Utc::now()).unwrap()
}

pub fn finding(n: usize) -> Finding {
    Finding {
        id: uuid::Uuid::new_v4().to_string(),
        offer_id: "free-day".into(),
        rule: if n.is_multiple_of(2) {
            Rule::LocationClosed
        } else {
            Rule::LowStock
        },
        severity: if n.is_multiple_of(2) {
            Severity::Block
        } else {
            Severity::Flag
        },
        target: if n.is_multiple_of(2) {
            Target::location("loc-101")
        } else {
            Target::item("SUV", "loc-101")
        },
        message: format!("finding {n}"),
        evidence: json!({"source": "static", "n": n}),
        exemption: None,
    }
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub struct Draft {
    pub id: String,
    pub campaign: Campaign,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    pub checked_at: DateTime<Utc>,
    pub phase: Phase,
    pub covered: Option<Coverage>,
}

impl Draft {
    pub fn new(campaign_id: &str, findings: usize, checked_at: &str) -> Self {
        let findings: Vec<Finding> = (0..findings).map(finding).collect();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            campaign: campaign(campaign_id),
            verdict: Verdict::of(&findings),
            findings,
            checked_at: at(checked_at),
            phase: Phase::PreSend,
            covered: None,
        }
    }

    pub fn with_findings(mut self, findings: Vec<Finding>) -> Self {
        self.verdict = Verdict::of(&findings);
        self.findings = findings;
        self
    }

    pub fn check(&self) -> NewCheck<'_> {
        NewCheck {
            id: &self.id,
            campaign: &self.campaign,
            phase: self.phase,
            mode: Mode::Enforce,
            verdict: self.verdict,
            send_at: at("2026-11-24T09:00:00Z"),
            checked_at: self.checked_at,
            findings: &self.findings,
            result: "{\"stored\": true}",
            alert_to: &[],
            definition: None,
            covered: self.covered.as_ref(),
        }
    }
}

pub fn event(
    id: &str,
    kind: &str,
    campaign: Option<&str>,
    recipient: &str,
    at_: &str,
) -> EngagementEvent {
    EngagementEvent {
        id: id.into(),
        source: "api".into(),
        kind: match kind {
            "click" => EventKind::Click,
            "conversion" => EventKind::Conversion,
            other => EventKind::Other(other.into()),
        },
        campaign_id: campaign.map(Into::into),
        recipient: recipient.into(),
        occurred_at: at(at_),
        url: None,
        order_id: None,
        suppresses: (kind == "unsubscribe").then(|| "unsubscribe".to_owned()),
        reactivates: false,
        locale: None,
        promise: None,
        judgement: None,
        survey_invitation: None,
        zone: None,
    }
}
