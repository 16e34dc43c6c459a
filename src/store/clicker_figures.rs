//! The figures of the per-promise insights, read from `clicker_promises` alone (see
//! `store::clickers`): one row per (promise, score, reason), in the order of the index that
//! holds every column read.
use super::clickers::{ClickerFilter, PromiseCounts, PromiseKind};
use super::db::on_pool;
use super::rows::millis;
use super::{SqlStore, StoreError};
use crate::domain::clicked::Tally;
use crate::domain::nps::Reason;
use std::collections::{BTreeMap, HashMap};

impl SqlStore {
    pub(super) async fn read_promise_counts(
        &self,
        kind: PromiseKind,
        filter: &ClickerFilter,
    ) -> Result<PromiseCounts, StoreError> {
        let rows: Vec<FiguresRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(PROMISE_FIGURES)
                .bind(kind.as_str())
                .bind(filter.campaign_id.clone())
                .bind(filter.from.map_or(i64::MIN, millis))
                .bind(filter.to.map_or(i64::MAX, millis))
                .fetch_all(pool)
                .await)?;
        let mut tallies: HashMap<String, Tally> = HashMap::new();
        for (target, score, reason, n, converted, clicks, broken) in rows {
            let tally = tallies.entry(target).or_default();
            tally.clickers += n as u64;
            tally.converted += converted as u64;
            tally.clicks += clicks as u64;
            tally.broken_clicks += broken as u64;
            let Some(score) = score else { continue };
            if let Some(slot) = tally.distribution.get_mut(score as usize) {
                *slot += n as u64;
            }
            if let Some(reason) = reason {
                let reason = reason.parse::<Reason>().map_err(StoreError::Corrupt)?;
                *tally.reasons.entry(reason).or_default() += n as u64;
            }
        }
        let names = if kind == PromiseKind::Location {
            self.location_names(filter.campaign_id.as_deref()).await?
        } else {
            BTreeMap::new()
        };
        Ok(PromiseCounts { tallies, names })
    }

    /// The names the location source gave, as the latest check of each campaign with
    /// clickers (or of one campaign) saw them; a later check's name wins.
    async fn location_names(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let rows: Vec<(Option<String>,)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT k.covered FROM campaigns c JOIN checks k ON k.id = c.latest_check_id
             WHERE ($1 IS NULL OR c.id = $1)
               AND EXISTS (SELECT 1 FROM clickers x WHERE x.campaign_id = c.id)
             ORDER BY k.checked_at",
        )
        .bind(campaign_id.map(str::to_owned))
        .fetch_all(pool)
        .await)?;
        let mut names = BTreeMap::new();
        for (covered,) in rows {
            let Some(covered) = covered else { continue };
            let covered: crate::domain::judgement::Coverage = serde_json::from_str(&covered)
                .map_err(|e| StoreError::Corrupt(format!("check coverage: {e}")))?;
            names.extend(covered.names);
        }
        Ok(names)
    }
}

/// A per-promise figure as read: target, score, reason, clickers, converted, clicks, broken
/// clicks.
type FiguresRaw = (String, Option<i64>, Option<String>, i64, i64, i64, i64);

/// The per-promise figures, one row per (target, score, reason): read in the order of the
/// `clicker_promises_figures` index, which holds every column read, so nothing is sorted.
const PROMISE_FIGURES: &str = "
    SELECT p.target, p.score, p.reason, COUNT(*), CAST(SUM(p.converted) AS BIGINT),
           CAST(SUM(p.clicks) AS BIGINT), CAST(SUM(p.broken_clicks) AS BIGINT)
    FROM clicker_promises p
    WHERE p.kind = $1 AND ($2 IS NULL OR p.campaign_id = $2)
      AND p.first_click_at >= $3 AND p.first_click_at < $4
    GROUP BY p.target, p.score, p.reason";
