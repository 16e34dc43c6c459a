//! Rates with honest intervals: Wilson's score interval for one proportion, and Newcombe's
//! hybrid score interval (his method 10, 1998) for the difference of two independent ones —
//! both stay inside 0…1 (−1…1) and behave at 0 and at all, where the plain Wald interval
//! collapses to a point.
use super::nps::{TOO_FEW_BELOW, Z95};
use serde::Serialize;

/// `successes` of `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proportion {
    pub successes: u64,
    pub n: u64,
}

impl Proportion {
    pub fn rate(self) -> Option<f64> {
        (self.n > 0).then(|| self.successes as f64 / self.n as f64)
    }

    /// Wilson's 95 % score interval; none for no trials.
    pub fn wilson(self) -> Option<[f64; 2]> {
        let p = self.rate()?;
        let n = self.n as f64;
        let z2 = Z95 * Z95;
        let denominator = 1.0 + z2 / n;
        let centre = (p + z2 / (2.0 * n)) / denominator;
        let half = Z95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        Some([(centre - half).max(0.0), (centre + half).min(1.0)])
    }

    /// `self − other` and Newcombe's hybrid score 95 % interval of it; none when either side
    /// has no trials.
    pub fn minus(self, other: Proportion) -> Option<(f64, [f64; 2])> {
        let (p1, p2) = (self.rate()?, other.rate()?);
        let ([l1, u1], [l2, u2]) = (self.wilson()?, other.wilson()?);
        let below = ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
        let above = ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
        let d = p1 - p2;
        Some((d, [(d - below).max(-1.0), (d + above).min(1.0)]))
    }
}

/// Rounded to 4 places, as rates are answered.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// One side's conversions: its clickers and how many of them converted.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Conversions {
    pub clickers: u64,
    pub converted: u64,
    /// Null with no clickers.
    pub rate: Option<f64>,
    /// Wilson's 95 % interval of `rate`.
    pub interval: Option<[f64; 2]>,
}

impl Conversions {
    pub fn of(p: Proportion) -> Self {
        Self {
            clickers: p.n,
            converted: p.successes,
            rate: p.rate().map(round4),
            interval: p.wilson().map(|[l, h]| [round4(l), round4(h)]),
        }
    }

    fn proportion(&self) -> Proportion {
        Proportion {
            successes: self.converted,
            n: self.clickers,
        }
    }
}

/// The conversion block of both insights: kept − broken, with Newcombe's interval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConversionComparison {
    pub broken: Conversions,
    pub kept: Conversions,
    /// Kept rate − broken rate; null when a side has no clickers.
    pub difference: Option<f64>,
    pub difference_interval: Option<[f64; 2]>,
    /// Either side has fewer than 30 clickers: too few to tell.
    pub too_few: bool,
}

impl ConversionComparison {
    pub fn of(broken: Proportion, kept: Proportion) -> Self {
        let (broken, kept) = (Conversions::of(broken), Conversions::of(kept));
        let difference = kept.proportion().minus(broken.proportion());
        Self {
            too_few: broken.clickers < TOO_FEW_BELOW || kept.clickers < TOO_FEW_BELOW,
            difference: difference.map(|(d, _)| round4(d)),
            difference_interval: difference.map(|(_, [l, h])| [round4(l), round4(h)]),
            broken,
            kept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(successes: u64, n: u64) -> Proportion {
        Proportion { successes, n }
    }
    fn rounded([l, h]: [f64; 2]) -> [f64; 2] {
        [round4(l), round4(h)]
    }

    #[test]
    fn wilson_intervals_match_hand_computed_values() {
        // 81/263 (Newcombe 1998, table I example): 0.2553 to 0.3662.
        assert_eq!(rounded(p(81, 263).wilson().unwrap()), [0.2553, 0.3662]);
        // 0 of 10: 0 to z²/(n + z²) = 3.8415/13.8415 = 0.2775.
        assert_eq!(rounded(p(0, 10).wilson().unwrap()), [0.0, 0.2775]);
        // All of 10: the mirror image.
        assert_eq!(rounded(p(10, 10).wilson().unwrap()), [0.7225, 1.0]);
        assert_eq!(p(0, 0).wilson(), None);
        assert_eq!(p(0, 0).rate(), None);
    }

    /// Newcombe (1998), "Interval estimation for the difference between independent
    /// proportions", Statistics in Medicine 17, table II, method 10.
    #[test]
    fn differences_match_newcombes_published_examples() {
        let cases = [
            ((56, 70), (48, 80), [0.0524, 0.3339]),
            ((9, 10), (3, 10), [0.1705, 0.8090]),
            ((6, 7), (2, 7), [0.0582, 0.8062]),
            ((5, 56), (0, 29), [-0.0381, 0.1926]),
            ((0, 10), (0, 20), [-0.1611, 0.2775]),
            ((0, 10), (0, 10), [-0.2775, 0.2775]),
            ((10, 10), (0, 20), [0.6791, 1.0]),
            ((10, 10), (0, 10), [0.6075, 1.0]),
        ];
        for ((a, m), (b, n), interval) in cases {
            let (_, got) = p(a, m).minus(p(b, n)).unwrap();
            assert_eq!(rounded(got), interval, "{a}/{m} − {b}/{n}");
        }
        assert_eq!(p(1, 2).minus(p(0, 0)), None);
    }

    #[test]
    fn the_comparison_is_kept_minus_broken_and_too_few_below_30_clickers() {
        let c = ConversionComparison::of(p(3, 10), p(9, 10));
        assert_eq!(c.difference, Some(0.6));
        assert_eq!(c.difference_interval, Some([0.1705, 0.809]));
        assert_eq!(c.broken.rate, Some(0.3));
        assert!(c.too_few);
        let none = ConversionComparison::of(p(0, 0), p(40, 50));
        assert_eq!((none.broken.rate, none.difference), (None, None));
        assert_eq!(none.kept.clickers, 50);
    }
}
