//! The insight no other tool gives: NPS of respondents whose campaign broke a promise (a
//! `block` or `flag` finding at send or while live) next to those whose campaign kept them.
use super::nps::NpsSummary;
use serde::Serialize;

/// One campaign's answers, and whether it broke a promise.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignScores {
    pub campaign_id: String,
    pub name: Option<String>,
    pub broken: bool,
    /// Answers per score, 0 to 10.
    pub distribution: [u64; 11],
}

/// One side of the comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Side {
    /// Campaigns on this side with at least one survey answer.
    pub campaigns: u64,
    pub responses: u64,
    /// Null with no responses.
    pub nps: Option<f64>,
    /// Answers per score, 0 to 10.
    pub distribution: [u64; 11],
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignInsight {
    pub campaign_id: String,
    pub name: Option<String>,
    pub broken: bool,
    pub responses: u64,
    pub nps: Option<f64>,
}

/// `GET /v1/insights/promises` (pinned: `broken`, `kept`, `difference`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PromiseInsight {
    pub broken: Side,
    pub kept: Side,
    /// kept NPS − broken NPS, in points; null when either side has no answers.
    pub difference: Option<f64>,
    /// Each campaign with answers, broken ones first, then by id.
    pub campaigns: Vec<CampaignInsight>,
}

impl PromiseInsight {
    pub fn from_campaigns(scores: &[CampaignScores]) -> Self {
        let mut broken = [0u64; 11];
        let mut kept = [0u64; 11];
        let (mut broken_campaigns, mut kept_campaigns) = (0, 0);
        let mut campaigns = Vec::with_capacity(scores.len());
        for c in scores {
            let (side, count) = if c.broken {
                (&mut broken, &mut broken_campaigns)
            } else {
                (&mut kept, &mut kept_campaigns)
            };
            *count += 1;
            for (total, n) in side.iter_mut().zip(c.distribution) {
                *total += n;
            }
            let summary = NpsSummary::from_distribution(c.distribution);
            campaigns.push(CampaignInsight {
                campaign_id: c.campaign_id.clone(),
                name: c.name.clone(),
                broken: c.broken,
                responses: summary.responses,
                nps: summary.nps,
            });
        }
        campaigns.sort_by(|a, b| {
            b.broken
                .cmp(&a.broken)
                .then_with(|| a.campaign_id.cmp(&b.campaign_id))
        });
        let side = |distribution: [u64; 11], campaigns: u64| {
            let s = NpsSummary::from_distribution(distribution);
            Side {
                campaigns,
                responses: s.responses,
                nps: s.nps,
                distribution,
            }
        };
        let broken = side(broken, broken_campaigns);
        let kept = side(kept, kept_campaigns);
        let difference = match (kept.nps, broken.nps) {
            (Some(k), Some(b)) => Some(((k - b) * 10.0).round() / 10.0),
            _ => None,
        };
        Self {
            broken,
            kept,
            difference,
            campaigns,
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
        }
    }

    #[test]
    fn broken_and_kept_campaigns_are_pooled_per_side() {
        let insight = PromiseInsight::from_campaigns(&[
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
    }

    #[test]
    fn the_difference_is_null_when_a_side_has_no_answers() {
        let insight = PromiseInsight::from_campaigns(&[campaign("k", false, &[(10, 1)])]);
        assert_eq!(insight.broken, Side::default());
        assert_eq!(insight.difference, None);
        let none = PromiseInsight::from_campaigns(&[]);
        assert_eq!((none.kept.nps, none.difference), (None, None));
    }
}
