//! Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100.
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NpsSummary {
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// Null with no responses.
    pub nps: Option<f64>,
    /// Responses per score, 0 to 10.
    pub distribution: [u64; 11],
}

impl NpsSummary {
    pub fn from_distribution(distribution: [u64; 11]) -> Self {
        let responses: u64 = distribution.iter().sum();
        let promoters = distribution[9] + distribution[10];
        let passives = distribution[7] + distribution[8];
        let detractors: u64 = distribution[..7].iter().sum();
        let nps = (responses > 0).then(|| {
            let raw = (promoters as f64 - detractors as f64) * 100.0 / responses as f64;
            (raw * 10.0).round() / 10.0
        });
        Self {
            responses,
            promoters,
            passives,
            detractors,
            nps,
            distribution,
        }
    }

    pub fn from_scores(scores: impl IntoIterator<Item = u8>) -> Self {
        let mut distribution = [0u64; 11];
        for s in scores {
            if let Some(slot) = distribution.get_mut(usize::from(s)) {
                *slot += 1;
            }
        }
        Self::from_distribution(distribution)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        let s = NpsSummary::from_scores([10, 9, 8, 7, 6, 0, 10]);
        assert_eq!(
            (s.promoters, s.passives, s.detractors, s.responses),
            (3, 2, 2, 7)
        );
        assert_eq!(s.nps, Some(14.3));
        assert_eq!(NpsSummary::from_scores([0, 1]).nps, Some(-100.0));
        assert_eq!(NpsSummary::from_scores([]).nps, None);
    }
}
