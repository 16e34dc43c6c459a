//! The fleet dashboard's panels, one query each: open findings by rule, the locations with the
//! most open findings, checks and blocks per day, campaigns taken off a schedule, scheduled
//! campaigns that block, exemptions ending soon. (Open findings by severity are
//! `ReviewStore::open_findings`.) "Open" means what the campaign list and the findings export
//! mean: in a campaign's latest check, reviewed by nobody, under no exemption.
use super::db::on_pool;
use super::rows::{corrupt, millis, parse};
use super::{SqlStore, StoreError};
use crate::domain::Rule;
use crate::domain::judgement::Coverage;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// A location and its open findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationCount {
    pub location: String,
    /// As the location source named it in one of the checks that found it.
    pub name: Option<String>,
    pub open: u64,
}

/// Checks run on one UTC day, and how many of them blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub checks: u64,
    pub blocks: u64,
}

#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// Open findings by rule, most first.
    async fn open_by_rule(&self) -> Result<Vec<(Rule, u64)>, StoreError>;

    /// The `limit` locations with the most open findings, most first (then by id).
    async fn top_open_locations(&self, limit: u32) -> Result<Vec<LocationCount>, StoreError>;

    /// Checks per UTC day since `since` (days without checks left out), oldest first.
    async fn checks_per_day(&self, since: DateTime<Utc>) -> Result<Vec<DayCount>, StoreError>;

    /// Campaigns whose latest action on their platform took them off its schedule.
    async fn unscheduled_campaigns(&self) -> Result<u64, StoreError>;

    /// Campaigns whose latest check is a `scheduled` one that blocks.
    async fn scheduled_blocking(&self) -> Result<u64, StoreError>;

    /// Exemptions in force at `now` that end by `until`.
    async fn exemptions_ending(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

const OPEN_BY_RULE: &str = "
SELECT f.rule, COUNT(*) FROM campaigns c JOIN findings f ON f.check_id = c.latest_check_id
WHERE f.review_state = 'open' AND f.exemption IS NULL
GROUP BY f.rule";

/// The names come from what one of the counted checks covered (the one with the greatest id).
const TOP_LOCATIONS: &str = "
SELECT t.location, t.n, k.covered FROM (
    SELECT f.target_location AS location, COUNT(*) AS n, MAX(f.check_id) AS check_id
    FROM campaigns c JOIN findings f ON f.check_id = c.latest_check_id
    WHERE f.review_state = 'open' AND f.exemption IS NULL AND f.target_location IS NOT NULL
    GROUP BY f.target_location
    ORDER BY COUNT(*) DESC, f.target_location
    LIMIT $1
) t JOIN checks k ON k.id = t.check_id
ORDER BY t.n DESC, t.location";

const CHECKS_PER_DAY: &str = "
SELECT checked_at / 86400000 AS day, COUNT(*),
       SUM(CASE WHEN verdict = 'block' THEN 1 ELSE 0 END)
FROM checks WHERE checked_at >= $1
GROUP BY checked_at / 86400000 ORDER BY day";

/// As the campaign list reads a campaign's last action (`action=unscheduled` there).
const UNSCHEDULED: &str = "
SELECT COUNT(*) FROM campaigns c
WHERE (SELECT a.action FROM campaign_actions a WHERE a.campaign_id = c.id
       ORDER BY a.at DESC, a.id DESC LIMIT 1) = 'unscheduled'";

const SCHEDULED_BLOCKING: &str = "
SELECT COUNT(*) FROM campaigns c JOIN checks k ON k.id = c.latest_check_id
WHERE k.phase = 'scheduled' AND c.latest_verdict = 'block'";

const EXEMPTIONS_ENDING: &str = "
SELECT COUNT(*) FROM exemptions
WHERE revoked_at IS NULL AND expires_at > $1 AND expires_at <= $2";

#[async_trait]
impl DashboardStore for SqlStore {
    async fn open_by_rule(&self) -> Result<Vec<(Rule, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self.db(), pool =>
            sqlx::query_as(OPEN_BY_RULE).fetch_all(pool).await)?;
        let mut counts = rows
            .into_iter()
            .map(|(rule, n)| Ok((parse("findings.rule", &rule)?, n as u64)))
            .collect::<Result<Vec<(Rule, u64)>, StoreError>>()?;
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        Ok(counts)
    }

    async fn top_open_locations(&self, limit: u32) -> Result<Vec<LocationCount>, StoreError> {
        let rows: Vec<(String, i64, Option<String>)> = on_pool!(self.db(), pool =>
            sqlx::query_as(TOP_LOCATIONS).bind(i64::from(limit)).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|(location, n, covered)| {
                let name = match covered {
                    Some(text) => serde_json::from_str::<Coverage>(&text)
                        .map_err(|e| corrupt("checks.covered", e))?
                        .names
                        .remove(&location),
                    None => None,
                };
                Ok(LocationCount {
                    location,
                    name,
                    open: n as u64,
                })
            })
            .collect()
    }

    async fn checks_per_day(&self, since: DateTime<Utc>) -> Result<Vec<DayCount>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = on_pool!(self.db(), pool =>
            sqlx::query_as(CHECKS_PER_DAY).bind(millis(since)).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|(day, checks, blocks)| {
                let day = DateTime::from_timestamp(day * 86_400, 0)
                    .ok_or_else(|| corrupt("checks.checked_at", day))?
                    .date_naive();
                Ok(DayCount {
                    day,
                    checks: checks as u64,
                    blocks: blocks as u64,
                })
            })
            .collect()
    }

    async fn unscheduled_campaigns(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self.db(), pool =>
            sqlx::query_scalar(UNSCHEDULED).fetch_one(pool).await)?;
        Ok(n as u64)
    }

    async fn scheduled_blocking(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self.db(), pool =>
            sqlx::query_scalar(SCHEDULED_BLOCKING).fetch_one(pool).await)?;
        Ok(n as u64)
    }

    async fn exemptions_ending(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self.db(), pool => sqlx::query_scalar(EXEMPTIONS_ENDING)
            .bind(millis(now))
            .bind(millis(until))
            .fetch_one(pool)
            .await)?;
        Ok(n as u64)
    }
}
