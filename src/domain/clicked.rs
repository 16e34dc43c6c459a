//! What broken promises go with, per person and per branch: clickers (one per campaign and
//! recipient) counted by what their clicks met, with their conversions and survey answers.
use super::insight::CampaignScores;
use super::nps::{NpsSummary, Reason, ReasonCounts, reason_shares};
use super::proportion::{Proportion, round4};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Clickers with the same key (a judgement, a side, a location or a sku), campaign, answer and
/// conversion, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub key: String,
    pub campaign_id: Option<String>,
    /// Their answer's score; none for those who gave none.
    pub score: Option<u8>,
    pub converted: bool,
    /// How many clickers.
    pub n: u64,
    pub clicks: u64,
    pub broken_clicks: u64,
}

/// Answers with a reason, counted by key (and campaign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonsCounted {
    pub key: String,
    pub campaign_id: Option<String>,
    pub reason: Reason,
    pub n: u64,
}

/// Everything counted under one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub clickers: u64,
    pub converted: u64,
    pub clicks: u64,
    pub broken_clicks: u64,
    pub distribution: [u64; 11],
    pub reasons: ReasonCounts,
}

impl Tally {
    fn add(&mut self, c: &Counted) {
        self.clickers += c.n;
        self.converted += if c.converted { c.n } else { 0 };
        self.clicks += c.clicks;
        self.broken_clicks += c.broken_clicks;
        if let Some(slot) = c
            .score
            .and_then(|s| self.distribution.get_mut(usize::from(s)))
        {
            *slot += c.n;
        }
    }

    pub fn conversions(&self) -> Proportion {
        Proportion {
            successes: self.converted,
            n: self.clickers,
        }
    }

    /// Counts per key.
    pub fn per_key(counts: &[Counted], reasons: &[ReasonsCounted]) -> HashMap<String, Tally> {
        let mut tallies: HashMap<String, Tally> = HashMap::new();
        for c in counts {
            tallies.entry(c.key.clone()).or_default().add(c);
        }
        for r in reasons {
            let tally = tallies.entry(r.key.clone()).or_default();
            *tally.reasons.entry(r.reason).or_default() += r.n;
        }
        tallies
    }
}

/// The figures of one branch (or item): its clickers' clicks, conversions and answers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PromiseFigures {
    /// Clicks that named it.
    pub clicks: u64,
    /// Clickers (campaign, recipient) with at least one click on it.
    pub clickers: u64,
    /// Clicks on it that met a broken promise.
    pub broken_clicks: u64,
    /// Its clickers who converted within the attribution window.
    pub converted: u64,
    /// `converted / clickers`; null with no clickers.
    pub conversion_rate: Option<f64>,
    /// Wilson's 95 % interval of `conversion_rate`.
    pub conversion_interval: Option<[f64; 2]>,
    /// Its clickers who answered the survey.
    pub responses: u64,
    pub nps: Option<f64>,
    /// 95 % margin of error of `nps` (adjusted Wald).
    pub moe: Option<f64>,
    pub interval: Option<[f64; 2]>,
    /// Fewer than 30 answers: too few to tell its NPS.
    pub too_few: bool,
    /// Each reason's share of the answers that gave one.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub reasons: BTreeMap<Reason, f64>,
}

impl From<&Tally> for PromiseFigures {
    fn from(t: &Tally) -> Self {
        let nps = NpsSummary::from_distribution(t.distribution);
        let conversions = t.conversions();
        Self {
            clicks: t.clicks,
            clickers: t.clickers,
            broken_clicks: t.broken_clicks,
            converted: t.converted,
            conversion_rate: conversions.rate().map(round4),
            conversion_interval: conversions.wilson().map(|[l, h]| [round4(l), round4(h)]),
            responses: nps.responses,
            nps: nps.nps,
            moe: nps.moe,
            interval: nps.interval,
            too_few: nps.too_few,
            reasons: reason_shares(&t.reasons),
        }
    }
}

/// One branch of `GET /v1/insights/locations`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocationFigures {
    pub location: String,
    /// As the location source names it, when a check saw a name.
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: PromiseFigures,
}

/// One item of `GET /v1/insights/items`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemFigures {
    pub sku: String,
    #[serde(flatten)]
    pub figures: PromiseFigures,
}

/// The answers of clickers judged `broken` or `kept` (keys of `counts`), per campaign and side,
/// as the insight pools them: a campaign is on the broken side with its clickers who met a
/// broken promise and on the kept side with those whose judged clicks were all kept.
pub fn side_scores(counts: &[Counted], reasons: &[ReasonsCounted]) -> Vec<CampaignScores> {
    let mut per: BTreeMap<(String, bool), CampaignScores> = BTreeMap::new();
    for c in counts {
        if let (Some(score), Some(s)) = (c.score, side_entry(&mut per, &c.key, &c.campaign_id))
            && let Some(slot) = s.distribution.get_mut(usize::from(score))
        {
            *slot += c.n;
        }
    }
    for r in reasons {
        if let Some(s) = side_entry(&mut per, &r.key, &r.campaign_id) {
            *s.reasons.entry(r.reason).or_default() += r.n;
        }
    }
    per.into_values().collect()
}

/// The scores of `campaign` on side `key` (`broken` or `kept`; none for `unknown`).
fn side_entry<'a>(
    per: &'a mut BTreeMap<(String, bool), CampaignScores>,
    key: &str,
    campaign: &Option<String>,
) -> Option<&'a mut CampaignScores> {
    let broken = match key {
        "broken" => true,
        "kept" => false,
        _ => return None,
    };
    let campaign_id = campaign.clone().unwrap_or_default();
    let scores = per
        .entry((campaign_id.clone(), broken))
        .or_insert_with(|| CampaignScores {
            campaign_id,
            name: None,
            broken,
            distribution: [0; 11],
            reasons: ReasonCounts::new(),
        });
    Some(scores)
}

/// The rows of a per-promise insight: most broken clicks first, then by key.
pub fn ranked(tallies: HashMap<String, Tally>) -> Vec<(String, PromiseFigures)> {
    let mut rows: Vec<(String, PromiseFigures)> = tallies
        .into_iter()
        .filter(|(_, t)| t.clickers > 0)
        .map(|(key, t)| (key, PromiseFigures::from(&t)))
        .collect();
    rows.sort_by(|a, b| {
        b.1.broken_clicks
            .cmp(&a.1.broken_clicks)
            .then_with(|| a.0.cmp(&b.0))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(key: &str, score: Option<u8>, converted: bool, n: u64, broken: u64) -> Counted {
        Counted {
            key: key.into(),
            campaign_id: None,
            score,
            converted,
            n,
            clicks: n * 2,
            broken_clicks: broken,
        }
    }

    #[test]
    fn rows_sum_clickers_answers_and_conversions_and_rank_by_broken_clicks() {
        let counts = [
            counted("loc-1", Some(10), false, 2, 0),
            counted("loc-1", None, true, 1, 0),
            counted("loc-2", Some(0), false, 3, 6),
            counted("loc-3", Some(9), true, 1, 1),
        ];
        let reasons = [ReasonsCounted {
            key: "loc-2".into(),
            campaign_id: None,
            reason: Reason::LocationClosed,
            n: 3,
        }];
        let rows = ranked(Tally::per_key(&counts, &reasons));
        let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["loc-2", "loc-3", "loc-1"]);
        let (_, loc1) = &rows[2];
        assert_eq!((loc1.clickers, loc1.clicks, loc1.converted), (3, 6, 1));
        assert_eq!(loc1.responses, 2);
        assert_eq!(loc1.nps, Some(100.0));
        assert_eq!(loc1.conversion_rate, Some(0.3333));
        // Wilson, 1 of 3: 0.0615 to 0.7923.
        assert_eq!(loc1.conversion_interval, Some([0.0615, 0.7923]));
        let (_, loc2) = &rows[0];
        assert_eq!(
            (loc2.broken_clicks, loc2.nps, loc2.converted),
            (6, Some(-100.0), 0)
        );
        assert_eq!(loc2.reasons[&Reason::LocationClosed], 1.0);
        assert!(loc2.too_few);
    }
}
