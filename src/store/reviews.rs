//! Reviews of findings (every one kept, who and when), and the campaign list analysts work
//! from, filtered and paged newest first.
use super::db::on_pool;
use super::rows::{from_millis, millis, parse};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::review::Decision;
use crate::domain::{Phase, ReviewAction, Severity, Verdict};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::HashMap;

#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Campaigns for the analyst list, newest first.
    async fn list_campaigns(
        &self,
        filter: &CampaignFilter,
    ) -> Result<Vec<CampaignSummary>, StoreError>;

    /// Keeps a review and sets the finding's review state (and that of the same finding in the
    /// campaign's latest check). `None`: no such finding.
    async fn review_finding(
        &self,
        finding_id: &str,
        decision: Decision<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewRow>, StoreError>;

    /// Reviews every one of `finding_ids` with one decision, all or nothing in one transaction:
    /// the reviews in the ids' order, or the index of the first id that names no finding (and
    /// then nothing is written).
    async fn review_findings(
        &self,
        finding_ids: &[String],
        decision: Decision<'_>,
        now: DateTime<Utc>,
    ) -> Result<Result<Vec<ReviewRow>, usize>, StoreError>;

    /// Every review of a campaign's findings, newest first, each with the fingerprint of the
    /// finding it is about.
    async fn reviews(&self, campaign_id: &str) -> Result<Vec<(String, ReviewRow)>, StoreError>;

    /// Findings nobody has reviewed in every campaign's latest check, by severity.
    async fn open_findings(&self) -> Result<HashMap<Severity, u64>, StoreError>;
}

/// One review, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub id: String,
    pub finding_id: String,
    pub campaign_id: String,
    pub action: ReviewAction,
    pub note: Option<String>,
    pub reviewer: String,
    pub created_at: DateTime<Utc>,
}

/// Which campaigns the analyst list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignFilter {
    /// The latest check's verdict.
    pub verdict: Option<Verdict>,
    pub review: Option<ReviewFilter>,
    /// The latest check's phase.
    pub phase: Option<Phase>,
    /// What the watch did about it last (`unscheduled`, `alerted`, `failed`, `pending`).
    pub last_action: Option<String>,
    /// The offer window overlaps `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only campaigns after this one in the list's order (newest first).
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFilter {
    /// The latest check has at least one finding nobody has reviewed.
    Open,
    /// The latest check has findings and every one is reviewed.
    Reviewed,
}

/// A campaign as the analyst list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSummary {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub latest_check_id: Option<String>,
    pub latest_verdict: Option<Verdict>,
    pub latest_phase: Option<Phase>,
    pub latest_checked_at: Option<DateTime<Utc>>,
    /// The send time the latest check judged (a scheduled campaign's planned send).
    pub latest_send_at: Option<DateTime<Utc>>,
    /// What the watch did about it last (`unscheduled`, `alerted`, `failed`, `pending`).
    pub last_action: Option<String>,
    /// Findings of the latest check, and how many of them are open.
    pub findings: u64,
    pub open_findings: u64,
}

/// A row of the campaign list, as stored.
#[derive(sqlx::FromRow)]
struct SummaryRaw {
    id: String,
    name: Option<String>,
    platform: Option<String>,
    window_start: i64,
    window_end: i64,
    created_at: i64,
    latest_check_id: Option<String>,
    latest_verdict: Option<String>,
    phase: Option<String>,
    latest_checked_at: Option<i64>,
    latest_send_at: Option<i64>,
    last_action: Option<String>,
    findings: i64,
    open_findings: i64,
}

impl SummaryRaw {
    fn read(self) -> Result<CampaignSummary, StoreError> {
        Ok(CampaignSummary {
            latest_verdict: self
                .latest_verdict
                .map(|v| parse("campaigns.latest_verdict", &v))
                .transpose()?,
            latest_phase: self.phase.map(|p| parse("checks.phase", &p)).transpose()?,
            id: self.id,
            name: self.name,
            platform: self.platform,
            window_start: from_millis(self.window_start),
            window_end: from_millis(self.window_end),
            created_at: from_millis(self.created_at),
            latest_check_id: self.latest_check_id,
            latest_checked_at: self.latest_checked_at.map(from_millis),
            latest_send_at: self.latest_send_at.map(from_millis),
            last_action: self.last_action,
            findings: self.findings as u64,
            open_findings: self.open_findings as u64,
        })
    }
}

type ReviewRaw = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    String,
);

fn review_row(raw: ReviewRaw) -> Result<(String, ReviewRow), StoreError> {
    let (id, finding_id, campaign_id, action, note, reviewer, created_at, fingerprint) = raw;
    Ok((
        fingerprint,
        ReviewRow {
            id,
            finding_id,
            campaign_id,
            action: parse("reviews.action", &action)?,
            note,
            reviewer,
            created_at: from_millis(created_at),
        },
    ))
}

#[async_trait]
impl ReviewStore for SqlStore {
    async fn open_findings(&self) -> Result<HashMap<Severity, u64>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT f.severity, COUNT(*) FROM campaigns c JOIN findings f ON f.check_id = c.latest_check_id
             WHERE f.review_state = 'open' AND f.exemption IS NULL GROUP BY f.severity",
        )
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(severity, n)| Ok((parse("findings.severity", &severity)?, n as u64)))
            .collect()
    }

    async fn list_campaigns(
        &self,
        filter: &CampaignFilter,
    ) -> Result<Vec<CampaignSummary>, StoreError> {
        let rows: Vec<SummaryRaw> = on_pool!(self.db(), pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT * FROM (
                   SELECT c.id, c.name, c.platform, c.window_start, c.window_end, c.created_at,
                          c.latest_check_id, c.latest_verdict, k.phase, c.latest_checked_at,
                          k.send_at AS latest_send_at,
                          (SELECT a.action FROM campaign_actions a WHERE a.campaign_id = c.id
                           ORDER BY a.at DESC, a.id DESC LIMIT 1) AS last_action,
                          (SELECT COUNT(*) FROM findings f WHERE f.check_id = c.latest_check_id) AS findings,
                          (SELECT COUNT(*) FROM findings f
                           WHERE f.check_id = c.latest_check_id AND f.review_state = 'open' AND f.exemption IS NULL) AS open_findings
                   FROM campaigns c LEFT JOIN checks k ON k.id = c.latest_check_id
                 ) s WHERE 1 = 1",
            );
            if let Some(verdict) = filter.verdict {
                q.push(" AND latest_verdict = ").push_bind(verdict.as_str());
            }
            if let Some(phase) = filter.phase {
                q.push(" AND phase = ").push_bind(phase.as_str());
            }
            match filter.review {
                Some(ReviewFilter::Open) => {
                    q.push(" AND open_findings > 0");
                }
                Some(ReviewFilter::Reviewed) => {
                    q.push(" AND findings > 0 AND open_findings = 0");
                }
                None => {}
            }
            if let Some(action) = &filter.last_action {
                q.push(" AND last_action = ").push_bind(action.clone());
            }
            if let Some(from) = filter.from {
                q.push(" AND window_end > ").push_bind(millis(from));
            }
            if let Some(to) = filter.to {
                q.push(" AND window_start < ").push_bind(millis(to));
            }
            if let Some((created, id)) = &filter.after {
                q.push(" AND (created_at < ")
                    .push_bind(millis(*created))
                    .push(" OR (created_at = ")
                    .push_bind(millis(*created))
                    .push(" AND id < ")
                    .push_bind(id.clone())
                    .push("))");
            }
            q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
                .push_bind(i64::from(filter.limit));
            q.build_query_as().fetch_all(pool).await
        })?;
        rows.into_iter().map(SummaryRaw::read).collect()
    }

    async fn review_finding(
        &self,
        finding_id: &str,
        decision: Decision<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewRow>, StoreError> {
        let reviewed = self
            .review_findings(&[finding_id.to_owned()], decision, now)
            .await?;
        Ok(reviewed.ok().and_then(|mut rows| rows.pop()))
    }

    async fn review_findings(
        &self,
        finding_ids: &[String],
        decision: Decision<'_>,
        now: DateTime<Utc>,
    ) -> Result<Result<Vec<ReviewRow>, usize>, StoreError> {
        let Decision {
            action,
            note,
            reviewer,
        } = decision;
        let begin = self.db().begin_write();
        let found = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let mut campaigns = Vec::with_capacity(finding_ids.len());
            for (index, finding_id) in finding_ids.iter().enumerate() {
                let finding: Option<(String, String)> =
                    sqlx::query_as("SELECT campaign_id, fingerprint FROM findings WHERE id = $1")
                        .bind(finding_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                // Dropping the transaction unwritten rolls back the reviews before this one.
                let Some((campaign_id, fingerprint)) = finding else {
                    return Ok(Err(index));
                };
                let review_id = uuid::Uuid::new_v4().to_string();
                sqlx::query(
                    "INSERT INTO reviews (id, finding_id, campaign_id, fingerprint, action, note, reviewer, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&review_id)
                .bind(finding_id)
                .bind(&campaign_id)
                .bind(&fingerprint)
                .bind(action.as_str())
                .bind(note)
                .bind(reviewer)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
                // The reviewed finding, and the same finding in the campaign's latest check (an
                // analyst may review from an older check's page).
                sqlx::query(
                    "UPDATE findings SET review_state = $1
                     WHERE id = $2
                        OR (fingerprint = $3
                            AND check_id = (SELECT latest_check_id FROM campaigns WHERE id = $4))",
                )
                .bind(action.state().as_str())
                .bind(finding_id)
                .bind(&fingerprint)
                .bind(&campaign_id)
                .execute(&mut *tx)
                .await?;
                campaigns.push((review_id, campaign_id));
            }
            tx.commit().await?;
            Ok::<_, StoreError>(Ok(campaigns))
        })?;
        Ok(found.map(|campaigns| {
            campaigns
                .into_iter()
                .zip(finding_ids)
                .map(|((id, campaign_id), finding_id)| ReviewRow {
                    id,
                    finding_id: finding_id.clone(),
                    campaign_id,
                    action,
                    note: note.map(str::to_owned),
                    reviewer: reviewer.to_owned(),
                    created_at: from_millis(millis(now)),
                })
                .collect()
        }))
    }

    /// Every review of the campaign's findings, newest first, with the fingerprint of the
    /// finding each is about.
    async fn reviews(&self, campaign_id: &str) -> Result<Vec<(String, ReviewRow)>, StoreError> {
        let rows: Vec<ReviewRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, finding_id, campaign_id, action, note, reviewer, created_at, fingerprint
             FROM reviews WHERE campaign_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(review_row).collect()
    }
}
