//! The result of one check, as answered by the webhook and stored with the check.
use super::{Evaluation, OfferOutcome};
use crate::domain::content::{ContentReport, Extracted, Promised};
use crate::domain::exemption::Exemption;
use crate::domain::judgement::Coverage;
use crate::domain::{Finding, Mode, Phase, Verdict};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckResult {
    pub check_id: String,
    pub campaign_id: String,
    pub phase: Phase,
    pub mode: Mode,
    #[schema(value_type = String, example = "block")]
    pub verdict: Verdict,
    /// False only when the verdict is `block` and the mode is `enforce`.
    pub allowed: bool,
    pub checked_at: DateTime<Utc>,
    pub send_at: DateTime<Utc>,
    pub offers: Vec<OfferResult>,
    pub findings: Vec<Finding>,
    /// One line per `flag` finding, after what the content's reading needs said (an assumed
    /// window, personalised links).
    pub warnings: Vec<String>,
    /// The promises found in the campaign's content, each with its offer and link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extracted: Vec<Extracted>,
    /// The content's links counted, and the personalised ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentReport>,
    /// What the check covered, stored beside it (not answered): clicks are judged against it.
    #[serde(skip)]
    #[schema(ignore)]
    pub covered: Coverage,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferResult {
    pub offer_id: String,
    #[schema(value_type = String)]
    pub verdict: Verdict,
    /// The offer's locations with no finding: where the promise can still be kept.
    pub keepable_locations: Vec<String>,
    /// Ids of this offer's findings.
    pub findings: Vec<String>,
}

impl CheckResult {
    /// Marks each finding an `active` exemption covers (the first that does), and counts each
    /// offer's verdict, the check's and whether the send is allowed again without them.
    pub fn exempt(&mut self, active: &[Exemption]) {
        let campaign = &self.campaign_id;
        for f in self.findings.iter_mut() {
            f.exemption = active
                .iter()
                .find(|e| e.scope.covers(campaign, f))
                .map(Exemption::mark);
        }
        for offer in self.offers.iter_mut() {
            offer.verdict = Verdict::of(
                self.findings
                    .iter()
                    .filter(|f| offer.findings.contains(&f.id)),
            );
        }
        self.verdict = Verdict::of(&self.findings);
        self.allowed = !(self.verdict == Verdict::Block && self.mode == Mode::Enforce);
    }

    /// The result of `evaluation`, recorded as check `check_id` at `checked_at`.
    pub fn new(
        check_id: String,
        campaign_id: String,
        phase: Phase,
        mode: Mode,
        send_at: DateTime<Utc>,
        evaluation: Evaluation,
        checked_at: DateTime<Utc>,
    ) -> Self {
        Self {
            check_id,
            campaign_id,
            phase,
            mode,
            verdict: evaluation.verdict,
            allowed: !(evaluation.verdict == Verdict::Block && mode == Mode::Enforce),
            checked_at,
            send_at,
            offers: evaluation
                .offers
                .into_iter()
                .map(OfferResult::from)
                .collect(),
            findings: evaluation.findings,
            warnings: evaluation.warnings,
            extracted: Vec::new(),
            content: None,
            covered: evaluation.covered,
        }
    }

    /// With what was read from the campaign's content: the promises found, the links
    /// counted, the content's warnings first, and each finding's evidence naming the link its
    /// promise came from (`evidence.link: {href, text}`).
    pub fn with_promised(mut self, promised: &Promised) -> Self {
        if promised.content.is_none() {
            return self;
        }
        let linked: std::collections::HashMap<_, _> = promised
            .extracted
            .iter()
            .filter_map(|e| {
                let href = e.href.as_ref()?;
                let key = (e.offer_id.as_str(), e.sku.as_deref(), e.location.as_deref());
                Some((key, (href, &e.text)))
            })
            .collect();
        for finding in &mut self.findings {
            let t = &finding.target;
            let key = (
                finding.offer_id.as_str(),
                t.sku.as_deref(),
                t.location.as_deref(),
            );
            if let (Some((href, text)), Some(evidence)) =
                (linked.get(&key), finding.evidence.as_object_mut())
            {
                let mut link = serde_json::Map::new();
                link.insert("href".into(), (*href).clone().into());
                if let Some(text) = text {
                    link.insert("text".into(), text.clone().into());
                }
                evidence.insert("link".into(), link.into());
            }
        }
        let mut warnings = promised.warnings.clone();
        warnings.append(&mut self.warnings);
        self.warnings = warnings;
        self.extracted = promised.extracted.clone();
        self.content = promised.content.clone();
        self
    }
}

impl From<OfferOutcome> for OfferResult {
    fn from(o: OfferOutcome) -> Self {
        Self {
            offer_id: o.offer_id,
            verdict: o.verdict,
            keepable_locations: o.keepable_locations,
            findings: o.findings,
        }
    }
}
