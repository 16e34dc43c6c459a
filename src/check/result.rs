//! The result of one check, as answered by the webhook and stored with the check.
use super::{Evaluation, OfferOutcome};
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
    /// One line per `flag` finding.
    pub warnings: Vec<String>,
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
        }
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
