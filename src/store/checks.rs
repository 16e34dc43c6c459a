//! Checks and campaigns: a check is stored with its findings, its campaign and (for a webhook)
//! its idempotency record in one transaction (written in `check_writes.rs`); each finding
//! inherits from the campaign's previous check whether it is new and its review state; a new
//! block finding on a running campaign queues its alerts in the same transaction.
use super::db::on_pool;
use super::rows::{corrupt, from_millis, millis, parse};
use super::{SqlStore, StoreError};
use crate::domain::judgement::Coverage;
use crate::domain::{AlertTarget, Campaign, Finding, Mode, Phase, Verdict};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait CheckStore: Send + Sync {
    /// The answer stored for an idempotency key, if any.
    async fn idempotent_answer(&self, key: &str) -> Result<Option<StoredAnswer>, StoreError>;

    /// Stores a check, its findings and its campaign in one transaction. With an idempotency
    /// record, a key stored first by a concurrent request wins: nothing of this check is kept
    /// and that first answer comes back as `Recorded::Replayed`.
    async fn record_check(
        &self,
        check: &NewCheck<'_>,
        idempotency: Option<&NewAnswer<'_>>,
    ) -> Result<Recorded, StoreError>;

    /// Stores many checks (a re-check tick's) as `record_check` would one by one — the same
    /// findings, new-finding marks, carried-over reviews and alerts — in a few transactions of
    /// up to 250 checks each, rather than one round trip after another per check.
    async fn record_checks(&self, checks: &[NewCheck<'_>]) -> Result<(), StoreError>;

    async fn campaign(&self, id: &str) -> Result<Option<CampaignRow>, StoreError>;

    /// What the campaign's latest check covered (its locations, their names and zones);
    /// `None` when it has no check, or one from before coverage was kept.
    async fn latest_coverage(&self, campaign_id: &str) -> Result<Option<Coverage>, StoreError>;

    /// Checks of a campaign, newest first.
    async fn checks(&self, campaign_id: &str) -> Result<Vec<CheckRow>, StoreError>;

    /// Campaigns whose offer window is open at `now`, by id: at most `limit` of them, those
    /// after `after` (the last id of the previous page; `None` from the start). A campaign the
    /// watch took off its platform's schedule is not live — it was never sent — until the
    /// watch reads it again (rescheduled).
    async fn live_campaigns(
        &self,
        now: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CampaignRow>, StoreError>;
}

/// A check about to be stored.
pub struct NewCheck<'a> {
    pub id: &'a str,
    pub campaign: &'a Campaign,
    pub phase: Phase,
    pub mode: Mode,
    pub verdict: Verdict,
    pub send_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    pub findings: &'a [Finding],
    /// The check's result as answered (JSON).
    pub result: &'a str,
    /// Where to alert about this check's new `block` findings (empty: no alerts).
    pub alert_to: &'a [AlertTarget],
    /// `campaign` as JSON when the caller has it already (a re-check read it from the store);
    /// `None`: it is serialized here.
    pub definition: Option<&'a str>,
    /// What the check covered (`None`: not known), the promises clicks are judged against.
    pub covered: Option<&'a Coverage>,
}

/// The answer to keep under an idempotency key.
pub struct NewAnswer<'a> {
    pub key: &'a str,
    /// Hash of the request body: the same key with another body is refused, not replayed.
    pub request_hash: &'a str,
    pub status: u16,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub check_id: String,
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Stored,
    Replayed(StoredAnswer),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    /// The campaign as last received (JSON).
    pub definition: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub latest_check_id: Option<String>,
    pub latest_verdict: Option<Verdict>,
}

impl CampaignRow {
    /// The campaign as stored, read: the one place a stored definition is parsed.
    pub fn campaign(&self) -> Result<Campaign, serde_json::Error> {
        serde_json::from_str(&self.definition)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub id: String,
    pub campaign_id: String,
    pub phase: Phase,
    pub mode: Mode,
    pub verdict: Verdict,
    pub send_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    pub result: String,
}

const SELECT_ANSWER: &str =
    "SELECT request_hash, check_id, status, body FROM idempotency_keys WHERE key = $1";

/// The columns `CampaignRaw` reads, for `concat!` into each query that reads campaigns.
macro_rules! select_campaign {
    () => {
        "SELECT id, name, platform, definition, window_start, window_end, created_at,
                latest_check_id, latest_verdict
         FROM campaigns "
    };
}

#[derive(sqlx::FromRow)]
struct CampaignRaw {
    id: String,
    name: Option<String>,
    platform: Option<String>,
    definition: String,
    window_start: i64,
    window_end: i64,
    created_at: i64,
    latest_check_id: Option<String>,
    latest_verdict: Option<String>,
}

impl CampaignRaw {
    fn row(self) -> Result<CampaignRow, StoreError> {
        Ok(CampaignRow {
            id: self.id,
            name: self.name,
            platform: self.platform,
            definition: self.definition,
            window_start: from_millis(self.window_start),
            window_end: from_millis(self.window_end),
            created_at: from_millis(self.created_at),
            latest_check_id: self.latest_check_id,
            latest_verdict: self
                .latest_verdict
                .map(|v| parse("campaigns.latest_verdict", &v))
                .transpose()?,
        })
    }
}

#[async_trait]
impl CheckStore for SqlStore {
    async fn idempotent_answer(&self, key: &str) -> Result<Option<StoredAnswer>, StoreError> {
        let row: Option<(String, String, i64, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SELECT_ANSWER).bind(key).fetch_optional(pool).await)?;
        Ok(
            row.map(|(request_hash, check_id, status, body)| StoredAnswer {
                request_hash,
                check_id,
                status: status as u16,
                body,
            }),
        )
    }

    #[tracing::instrument(skip_all, fields(check = check.id, campaign = %check.campaign.id))]
    async fn record_check(
        &self,
        check: &NewCheck<'_>,
        idempotency: Option<&NewAnswer<'_>>,
    ) -> Result<Recorded, StoreError> {
        if self.write_checks(&[check], idempotency).await? {
            return Ok(Recorded::Stored);
        }
        let key = idempotency.map(|a| a.key).unwrap_or_default();
        match self.idempotent_answer(key).await? {
            Some(first) => Ok(Recorded::Replayed(first)),
            None => Err(StoreError::Corrupt(format!(
                "idempotency key {key} conflicted but cannot be read"
            ))),
        }
    }

    #[tracing::instrument(skip_all, fields(checks = checks.len()))]
    async fn record_checks(&self, checks: &[NewCheck<'_>]) -> Result<(), StoreError> {
        self.write_check_batches(checks).await
    }

    async fn campaign(&self, id: &str) -> Result<Option<CampaignRow>, StoreError> {
        const SQL: &str = concat!(select_campaign!(), "WHERE id = $1");
        let row: Option<CampaignRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?;
        row.map(CampaignRaw::row).transpose()
    }

    async fn latest_coverage(&self, campaign_id: &str) -> Result<Option<Coverage>, StoreError> {
        let covered: Option<Option<String>> = on_pool!(self.db(), pool => sqlx::query_scalar(
            "SELECT k.covered FROM campaigns c JOIN checks k ON k.id = c.latest_check_id WHERE c.id = $1",
        )
        .bind(campaign_id)
        .fetch_optional(pool)
        .await)?;
        covered
            .flatten()
            .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("checks.covered", e)))
            .transpose()
    }

    async fn checks(&self, campaign_id: &str) -> Result<Vec<CheckRow>, StoreError> {
        let sql = "SELECT id, campaign_id, phase, mode, verdict, send_at, checked_at, result
                   FROM checks WHERE campaign_id = $1 ORDER BY checked_at DESC, id DESC";
        type Raw = (String, String, String, String, String, i64, i64, String);
        let rows: Vec<Raw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sql).bind(campaign_id).fetch_all(pool).await)?;
        rows.into_iter()
            .map(
                |(id, campaign_id, phase, mode, verdict, send_at, checked_at, result)| {
                    Ok(CheckRow {
                        id,
                        campaign_id,
                        phase: parse("checks.phase", &phase)?,
                        mode: parse("checks.mode", &mode)?,
                        verdict: parse("checks.verdict", &verdict)?,
                        send_at: from_millis(send_at),
                        checked_at: from_millis(checked_at),
                        result,
                    })
                },
            )
            .collect()
    }

    async fn live_campaigns(
        &self,
        now: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CampaignRow>, StoreError> {
        const SQL: &str = concat!(
            select_campaign!(),
            "WHERE window_start <= $1 AND window_end > $1 AND id > $2
               AND NOT EXISTS (
                   SELECT 1 FROM campaign_actions a
                   WHERE a.campaign_id = campaigns.id AND a.action = 'unscheduled'
                     AND a.at >= COALESCE((SELECT MAX(w.fetched_at) FROM watched_campaigns w
                                           WHERE w.campaign_id = campaigns.id), 0))
             ORDER BY id LIMIT $3"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<CampaignRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL)
                .bind(millis(now))
                .bind(after.unwrap_or_default())
                .bind(limit)
                .fetch_all(pool)
                .await)?;
        rows.into_iter().map(CampaignRaw::row).collect()
    }
}
