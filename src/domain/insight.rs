//! The insight no other tool gives: NPS of respondents whose campaign broke a promise (a
//! `block` or `flag` finding at send or while live) next to those whose campaign kept them.
use super::nps::{
    Estimate, NpsSummary, Reason, ReasonCounts, TOO_FEW_BELOW, reason_shares, round1,
};
use super::proportion::ConversionComparison;
use serde::Serialize;
use std::collections::BTreeMap;

/// One campaign's answers, and whether it broke a promise.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignScores {
    pub campaign_id: String,
    pub name: Option<String>,
    pub broken: bool,
    /// Answers per score, 0 to 10.
    pub distribution: [u64; 11],
    /// Answers per reason given.
    pub reasons: ReasonCounts,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Side {
    /// Campaigns on this side with at least one survey answer.
    pub campaigns: u64,
    pub responses: u64,
    /// Null with no responses.
    pub nps: Option<f64>,
    /// Answers per score, 0 to 10.
    pub distribution: [u64; 11],
    /// 95 % margin of error of `nps` (adjusted Wald, see `domain::nps`); null with none.
    pub moe: Option<f64>,
    pub interval: Option<[f64; 2]>,
    /// Fewer than 30 answers on this side.
    pub too_few: bool,
    /// Each reason's share of this side's answers that gave one (0 to 1): whether customers
    /// who met a broken promise say "the branch was closed".
    #[schema(value_type = BTreeMap<String, f64>)]
    pub reasons: BTreeMap<Reason, f64>,
}

impl Default for Side {
    fn default() -> Self {
        Side::of([0; 11], &ReasonCounts::new(), 0)
    }
}

impl Side {
    fn of(distribution: [u64; 11], reasons: &ReasonCounts, campaigns: u64) -> Self {
        let s = NpsSummary::from_distribution(distribution);
        Side {
            reasons: reason_shares(reasons),
            campaigns,
            responses: s.responses,
            nps: s.nps,
            distribution,
            moe: s.moe,
            interval: s.interval,
            too_few: s.too_few,
        }
    }

    fn estimate(&self) -> Estimate {
        let promoters = self.distribution[9] + self.distribution[10];
        let detractors = self.distribution[..7].iter().sum();
        Estimate::of(promoters, detractors, self.responses)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignInsight {
    pub campaign_id: String,
    pub name: Option<String>,
    pub broken: bool,
    pub responses: u64,
    pub nps: Option<f64>,
}

/// Who is on which side of the insight.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Respondents whose campaign broke any promise against those whose campaign kept them.
    #[default]
    Campaign,
    /// Respondents (one per campaign and recipient) who clicked at least one broken promise
    /// against those whose judged clicks were all kept.
    Click,
}

impl CampaignInsight {
    /// Each campaign of `scores` with its NPS, broken ones first, then by id.
    pub fn list(scores: &[CampaignScores]) -> Vec<CampaignInsight> {
        let mut campaigns: Vec<CampaignInsight> = scores
            .iter()
            .map(|c| {
                let summary = NpsSummary::from_distribution(c.distribution);
                CampaignInsight {
                    campaign_id: c.campaign_id.clone(),
                    name: c.name.clone(),
                    broken: c.broken,
                    responses: summary.responses,
                    nps: summary.nps,
                }
            })
            .collect();
        campaigns.sort_by(|a, b| {
            b.broken
                .cmp(&a.broken)
                .then_with(|| a.campaign_id.cmp(&b.campaign_id))
        });
        campaigns
    }
}

/// `GET /v1/insights/promises` (pinned: `broken`, `kept`, `difference`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PromiseInsight {
    pub basis: Basis,
    pub broken: Side,
    pub kept: Side,
    /// kept NPS − broken NPS, in points; null when either side has no answers.
    pub difference: Option<f64>,
    /// 95 % margin of error of the difference (the sides' adjusted-Wald variances added);
    /// null when `difference` is.
    pub difference_moe: Option<f64>,
    /// The 95 % interval of the difference, `[low, high]`, within −200…200.
    pub difference_interval: Option<[f64; 2]>,
    /// Either side has fewer than 30 answers: too few to tell whether broken promises cost NPS.
    pub too_few: bool,
    /// Each campaign with answers, broken ones first, then by id (whether it broke any
    /// promise, on both bases).
    pub campaigns: Vec<CampaignInsight>,
    /// The conversion rate of each side's clickers within the attribution window.
    pub conversion: ConversionComparison,
}

impl PromiseInsight {
    /// The insight of `scores` pooled per side (a campaign may be on both sides, per click).
    pub fn from_campaigns(
        scores: &[CampaignScores],
        basis: Basis,
        conversion: ConversionComparison,
    ) -> Self {
        let mut broken = [0u64; 11];
        let mut kept = [0u64; 11];
        let (mut broken_reasons, mut kept_reasons) = (ReasonCounts::new(), ReasonCounts::new());
        let (mut broken_campaigns, mut kept_campaigns) = (0, 0);
        for c in scores {
            let (side, count, reasons) = if c.broken {
                (&mut broken, &mut broken_campaigns, &mut broken_reasons)
            } else {
                (&mut kept, &mut kept_campaigns, &mut kept_reasons)
            };
            *count += 1;
            for (reason, n) in &c.reasons {
                *reasons.entry(*reason).or_default() += n;
            }
            for (total, n) in side.iter_mut().zip(c.distribution) {
                *total += n;
            }
        }
        let broken = Side::of(broken, &broken_reasons, broken_campaigns);
        let kept = Side::of(kept, &kept_reasons, kept_campaigns);
        let difference = match (kept.nps, broken.nps) {
            (Some(k), Some(b)) => Some(round1(k - b)),
            _ => None,
        };
        let spread = difference.map(|_| kept.estimate().minus(&broken.estimate()));
        Self {
            basis,
            conversion,
            too_few: broken.responses < TOO_FEW_BELOW || kept.responses < TOO_FEW_BELOW,
            broken,
            kept,
            difference,
            difference_moe: spread.map(|e| round1(e.moe())),
            difference_interval: spread.map(|e| e.interval(200.0)),
            campaigns: CampaignInsight::list(scores),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(id: &str, broken: bool, scores: &[(usize, u64)]) -> CampaignScores {
        let mut distribution = [0; 11];
        for (score, n) in scores {
            distribution[*score] = *n;
        }
        CampaignScores {
            campaign_id: id.into(),
            name: None,
            broken,
            distribution,
            reasons: ReasonCounts::new(),
        }
    }

    impl PromiseInsight {
        fn from_campaigns_only(scores: &[CampaignScores]) -> Self {
            let none = crate::domain::proportion::Proportion { successes: 0, n: 0 };
            Self::from_campaigns(
                scores,
                Basis::Campaign,
                ConversionComparison::of(none, none),
            )
        }
    }

    #[test]
    fn broken_and_kept_campaigns_are_pooled_per_side() {
        let insight = PromiseInsight::from_campaigns_only(&[
            campaign("kept-a", false, &[(10, 3), (8, 1)]),
            campaign("broken-a", true, &[(2, 2), (9, 1)]),
            campaign("broken-b", true, &[(0, 1)]),
        ]);
        assert_eq!(insight.kept.campaigns, 1);
        assert_eq!(insight.kept.responses, 4);
        assert_eq!(insight.kept.nps, Some(75.0));
        assert_eq!(insight.broken.campaigns, 2);
        assert_eq!(insight.broken.responses, 4);
        // 1 promoter, 3 detractors of 4.
        assert_eq!(insight.broken.nps, Some(-50.0));
        assert_eq!(insight.difference, Some(125.0));
        let order: Vec<&str> = insight
            .campaigns
            .iter()
            .map(|c| c.campaign_id.as_str())
            .collect();
        assert_eq!(order, ["broken-a", "broken-b", "kept-a"]);
        assert_eq!(insight.campaigns[0].nps, Some(-33.3));
        // By hand: kept 3 promoters of 4 → n' 7, p 3.75/7, d 0.75/7: 42.9 ± 50.2; broken 1
        // promoter, 3 detractors of 4 → p 1.75/7, d 3.75/7: −28.6 ± 62.2; the difference
        // 71.4 ± 1.96 × √(var_k + var_b) = ± 79.9.
        assert_eq!(insight.kept.moe, Some(50.2));
        assert_eq!(insight.broken.moe, Some(62.2));
        assert_eq!(insight.difference_moe, Some(79.9));
        assert_eq!(insight.difference_interval, Some([-8.5, 151.3]));
        assert!(insight.too_few);
    }

    #[test]
    fn each_side_shares_its_reasons() {
        let mut broken = campaign("b", true, &[(2, 3)]);
        broken.reasons = ReasonCounts::from([(Reason::LocationClosed, 2), (Reason::Other, 1)]);
        let mut kept = campaign("k", false, &[(10, 2)]);
        kept.reasons = ReasonCounts::from([(Reason::Used, 2)]);
        let insight = PromiseInsight::from_campaigns_only(&[broken, kept]);
        assert_eq!(insight.broken.reasons[&Reason::LocationClosed], 0.667);
        assert_eq!(insight.kept.reasons[&Reason::Used], 1.0);
        assert_eq!(insight.kept.reasons.len(), 1);
    }

    #[test]
    fn the_difference_is_null_when_a_side_has_no_answers() {
        let insight = PromiseInsight::from_campaigns_only(&[campaign("k", false, &[(10, 1)])]);
        assert_eq!(insight.broken, Side::default());
        assert_eq!(insight.difference, None);
        let none = PromiseInsight::from_campaigns_only(&[]);
        assert_eq!((none.kept.nps, none.difference), (None, None));
    }
}
