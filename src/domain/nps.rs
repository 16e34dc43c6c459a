//! Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100, with an
//! honest margin of error.
//!
//! The margin is a 95 % **adjusted-Wald** interval for NPS (Rocks, 2016; the method MeasuringU
//! recommends for small samples): add 3 pseudo-answers — ¾ of a promoter, ¾ of a detractor and
//! 1½ passives — then with n′ = n + 3, p̂ = (promoters + ¾) / n′, d̂ = (detractors + ¾) / n′,
//! the adjusted NPS is p̂ − d̂ with variance (p̂ + d̂ − (p̂ − d̂)²) / n′, and the interval is the
//! adjusted NPS ± 1.96 standard errors (clipped to −100…100). Unlike the plain normal
//! approximation, which says "100 ± 0" for three promoters, it says 50 ± 56.6 there.
use serde::Serialize;

/// The promise question after the score: "Were you able to use the offer?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Yes.
    Used,
    /// The branch or store was closed.
    LocationClosed,
    /// What I wanted was not available.
    Unavailable,
    OfferEnded,
    DidNotTry,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::Used,
        Reason::LocationClosed,
        Reason::Unavailable,
        Reason::OfferEnded,
        Reason::DidNotTry,
        Reason::Other,
    ];

    /// The form value and the key in `reasons`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Used => "used",
            Reason::LocationClosed => "location_closed",
            Reason::Unavailable => "unavailable",
            Reason::OfferEnded => "offer_ended",
            Reason::DidNotTry => "did_not_try",
            Reason::Other => "other",
        }
    }

    /// As the survey page and the analyst pages say it.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Used => "Yes, I used it",
            Reason::LocationClosed => "The branch or store was closed",
            Reason::Unavailable => "What I wanted was not available",
            Reason::OfferEnded => "The offer had ended",
            Reason::DidNotTry => "I did not try",
            Reason::Other => "Something else",
        }
    }
}

impl std::str::FromStr for Reason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown reason `{s}`"))
    }
}

/// How many answers gave each reason (answers without one are not counted).
pub type ReasonCounts = std::collections::BTreeMap<Reason, u64>;

/// Each reason's share of the answers that gave one, 0 to 1, to three decimals.
pub fn reason_shares(counts: &ReasonCounts) -> std::collections::BTreeMap<Reason, f64> {
    let total: u64 = counts.values().sum();
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| (*r, (*n as f64 / total as f64 * 1000.0).round() / 1000.0))
        .collect()
}

/// z for a two-sided 95 % interval.
pub(super) const Z95: f64 = 1.959_963_985;

/// Below this many answers an NPS (or one side of a comparison) is `too_few`: the API says so
/// and the pages say "too few answers to tell" instead of a verdict. At 30 answers the margin
/// is still about ±30 points for a middling NPS.
pub const TOO_FEW_BELOW: u64 = 30;

/// One survey answer as given: the score, the optional comment, and the optional reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveyAnswer<'a> {
    pub score: u8,
    pub comment: Option<&'a str>,
    pub reason: Option<Reason>,
}

/// The adjusted-Wald estimate behind a margin: centre and variance, in NPS points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub centre: f64,
    pub variance: f64,
}

impl Estimate {
    pub fn of(promoters: u64, detractors: u64, responses: u64) -> Self {
        let n = responses as f64 + 3.0;
        let p = (promoters as f64 + 0.75) / n;
        let d = (detractors as f64 + 0.75) / n;
        Self {
            centre: (p - d) * 100.0,
            variance: (p + d - (p - d).powi(2)) / n * 10_000.0,
        }
    }

    /// 1.96 standard errors, in points.
    pub fn moe(&self) -> f64 {
        Z95 * self.variance.sqrt()
    }

    /// The 95 % interval, clipped to what an NPS can be (`bound`: 100, or 200 for a difference).
    pub fn interval(&self, bound: f64) -> [f64; 2] {
        let m = self.moe();
        [
            round1((self.centre - m).max(-bound)),
            round1((self.centre + m).min(bound)),
        ]
    }

    /// `a − b` for independent samples: centres subtract, variances add.
    pub fn minus(&self, other: &Estimate) -> Estimate {
        Estimate {
            centre: self.centre - other.centre,
            variance: self.variance + other.variance,
        }
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

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
    /// 95 % margin of error of `nps`, in points (adjusted Wald); null with no responses.
    pub moe: Option<f64>,
    /// The 95 % interval it comes from, `[low, high]` (centred on the adjusted NPS, so not
    /// always symmetric about `nps`); null with no responses.
    pub interval: Option<[f64; 2]>,
    /// Fewer than `TOO_FEW_BELOW` (30) responses: too few answers to tell.
    pub too_few: bool,
    /// Answers per reason given ("Were you able to use the offer?"); only reasons given.
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    pub reasons: ReasonCounts,
}

impl NpsSummary {
    pub fn from_distribution(distribution: [u64; 11]) -> Self {
        let responses: u64 = distribution.iter().sum();
        let promoters = distribution[9] + distribution[10];
        let passives = distribution[7] + distribution[8];
        let detractors: u64 = distribution[..7].iter().sum();
        let nps = (responses > 0)
            .then(|| round1((promoters as f64 - detractors as f64) * 100.0 / responses as f64));
        let estimate = (responses > 0).then(|| Estimate::of(promoters, detractors, responses));
        Self {
            responses,
            promoters,
            passives,
            detractors,
            nps,
            distribution,
            moe: estimate.map(|e| round1(e.moe())),
            interval: estimate.map(|e| e.interval(100.0)),
            too_few: responses < TOO_FEW_BELOW,
            reasons: ReasonCounts::new(),
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

    #[test]
    fn reasons_parse_by_their_form_values_and_share_what_was_given() {
        for r in Reason::ALL {
            assert_eq!(r.as_str().parse::<Reason>(), Ok(r));
        }
        assert!("closed".parse::<Reason>().is_err());
        let counts = ReasonCounts::from([(Reason::LocationClosed, 2), (Reason::Used, 1)]);
        let shares = reason_shares(&counts);
        assert_eq!(shares[&Reason::LocationClosed], 0.667);
        assert_eq!(shares[&Reason::Used], 0.333);
        assert!(reason_shares(&ReasonCounts::new()).is_empty());
    }

    #[test]
    fn the_margin_is_honest_at_small_samples() {
        // Three promoters: n' = 6, p = 3.75/6, d = 0.75/6, adjusted NPS 50, variance
        // (0.75 − 0.25)/6 → se 28.87 points, moe 1.96 × 28.87 = 56.6.
        let three = NpsSummary::from_scores([10, 10, 9]);
        assert_eq!(three.nps, Some(100.0));
        assert_eq!(three.moe, Some(56.6));
        assert_eq!(three.interval, Some([-6.6, 100.0]));
        assert!(three.too_few);
        // [10, 9, 8, 7, 6, 0, 10]: n' = 10, p = 0.375, d = 0.275, variance (0.65 − 0.01)/10.
        let seven = NpsSummary::from_scores([10, 9, 8, 7, 6, 0, 10]);
        assert_eq!(seven.moe, Some(49.6));
        assert_eq!(seven.interval, Some([-39.6, 59.6]));
        // 100 answers, 50 promoters and 20 detractors: n' = 103 → ±15.1 around 29.1.
        let mut d = [0u64; 11];
        (d[10], d[8], d[3]) = (50, 30, 20);
        let many = NpsSummary::from_distribution(d);
        assert_eq!(many.nps, Some(30.0));
        assert_eq!(many.moe, Some(15.1));
        assert_eq!(many.interval, Some([14.1, 44.2]));
        assert!(!many.too_few);
        let none = NpsSummary::from_scores([]);
        assert_eq!((none.moe, none.interval, none.too_few), (None, None, true));
    }
}
