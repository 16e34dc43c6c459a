//! What analysts read and write: the campaign list, findings with their review state, reviews,
//! alerts about new block findings, and survey answers split by broken and kept promises.
use super::db::on_pool;
use super::records::{from_millis, millis};
use super::sql::on_writer;
use super::sql::{corrupt, parse};
use super::{
    AlertRow, CampaignAnswers, CampaignFilter, CampaignSummary, ClaimedAlert, FindingRecord,
    ReviewAction, ReviewFilter, ReviewRow, SendOutcome, SqlStore, StoreError, StoredFinding,
};
use crate::domain::{Finding, Target};
use chrono::{DateTime, Utc};
use sqlx::Connection;

/// The columns `finding_record` reads, for `concat!` into each query that reads findings.
macro_rules! select_finding {
    () => {
        "SELECT id, offer_id, rule, severity, target_sku, target_location, message, evidence,
                is_new, review_state, check_id, campaign_id, fingerprint
         FROM findings "
    };
}
pub(super) use select_finding;

pub(super) type FindingRaw = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
);

pub(super) fn finding_record(raw: FindingRaw) -> Result<FindingRecord, StoreError> {
    let (
        id,
        offer_id,
        rule,
        severity,
        sku,
        location,
        message,
        evidence,
        is_new,
        review_state,
        check_id,
        campaign_id,
        fingerprint,
    ) = raw;
    Ok(FindingRecord {
        check_id,
        campaign_id,
        fingerprint,
        stored: StoredFinding {
            finding: Finding {
                id,
                offer_id,
                rule: parse("findings.rule", &rule)?,
                severity: parse("findings.severity", &severity)?,
                target: Target { sku, location },
                message,
                evidence: serde_json::from_str(&evidence)
                    .map_err(|e| corrupt("findings.evidence", e))?,
            },
            is_new: is_new != 0,
            review_state: parse("findings.review_state", &review_state)?,
        },
    })
}

const CLAIM_ALERT_POSTGRES: &str = "
UPDATE alerts SET status = 'sending', claimed_by = $2, attempts = attempts + 1
WHERE id = (SELECT id FROM alerts WHERE status = 'queued' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, finding_id, campaign_id, channel, target, attempts";
const CLAIM_ALERT_SQLITE: &str = "
UPDATE alerts SET status = 'sending', claimed_by = $2, attempts = attempts + 1
WHERE id = (SELECT id FROM alerts WHERE status = 'queued' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, created_at LIMIT 1)
RETURNING id, finding_id, campaign_id, channel, target, attempts";

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

impl SqlStore {
    pub(super) async fn finding_impl(&self, id: &str) -> Result<Option<FindingRecord>, StoreError> {
        const SQL: &str = concat!(select_finding!(), "WHERE id = $1");
        let raw: Option<FindingRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?;
        raw.map(finding_record).transpose()
    }

    pub(super) async fn review_finding_impl(
        &self,
        finding_id: &str,
        action: ReviewAction,
        note: Option<&str>,
        reviewer: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewRow>, StoreError> {
        let begin = self.db().begin_write();
        let review_id = uuid::Uuid::new_v4().to_string();
        let found = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let finding: Option<(String, String)> =
                sqlx::query_as("SELECT campaign_id, fingerprint FROM findings WHERE id = $1")
                    .bind(finding_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((campaign_id, fingerprint)) = finding else {
                return Ok(None);
            };
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
            tx.commit().await?;
            Ok::<_, StoreError>(Some(campaign_id))
        })?;
        Ok(found.map(|campaign_id| ReviewRow {
            id: review_id,
            finding_id: finding_id.to_owned(),
            campaign_id,
            action,
            note: note.map(str::to_owned),
            reviewer: reviewer.to_owned(),
            created_at: from_millis(millis(now)),
        }))
    }

    /// Every review of the campaign's findings, newest first, with the fingerprint of the
    /// finding each is about.
    pub(super) async fn reviews_impl(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<(String, ReviewRow)>, StoreError> {
        let rows: Vec<ReviewRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, finding_id, campaign_id, action, note, reviewer, created_at, fingerprint
             FROM reviews WHERE campaign_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(review_row).collect()
    }

    pub(super) async fn list_campaigns_impl(
        &self,
        filter: &CampaignFilter,
    ) -> Result<Vec<CampaignSummary>, StoreError> {
        type Raw = (
            String,
            Option<String>,
            Option<String>,
            i64,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            i64,
        );
        let rows: Vec<Raw> = on_pool!(self.db(), pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT * FROM (
                   SELECT c.id, c.name, c.platform, c.window_start, c.window_end, c.created_at,
                          c.latest_check_id, c.latest_verdict, k.phase, c.latest_checked_at,
                          (SELECT COUNT(*) FROM findings f WHERE f.check_id = c.latest_check_id) AS findings,
                          (SELECT COUNT(*) FROM findings f
                           WHERE f.check_id = c.latest_check_id AND f.review_state = 'open') AS open_findings
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
        rows.into_iter()
            .map(
                |(
                    id,
                    name,
                    platform,
                    window_start,
                    window_end,
                    created_at,
                    latest_check_id,
                    latest_verdict,
                    phase,
                    latest_checked_at,
                    findings,
                    open_findings,
                )| {
                    Ok(CampaignSummary {
                        id,
                        name,
                        platform,
                        window_start: from_millis(window_start),
                        window_end: from_millis(window_end),
                        created_at: from_millis(created_at),
                        latest_check_id,
                        latest_verdict: latest_verdict
                            .map(|v| parse("campaigns.latest_verdict", &v))
                            .transpose()?,
                        latest_phase: phase.map(|p| parse("checks.phase", &p)).transpose()?,
                        latest_checked_at: latest_checked_at.map(from_millis),
                        findings: findings as u64,
                        open_findings: open_findings as u64,
                    })
                },
            )
            .collect()
    }

    pub(super) async fn claim_alert_impl(
        &self,
        run: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedAlert>, StoreError> {
        type Raw = (String, String, String, String, String, i64);
        let sql = match self.db() {
            super::Db::Postgres(_) => CLAIM_ALERT_POSTGRES,
            super::Db::Sqlite(_) => CLAIM_ALERT_SQLITE,
        };
        let raw: Option<Raw> = on_writer!(self, conn => {
            sqlx::query_as(sql)
                .bind(millis(now))
                .bind(run)
                .fetch_optional(&mut *conn)
                .await
        })?;
        raw.map(|(id, finding_id, campaign_id, channel, target, attempts)| {
            Ok(ClaimedAlert {
                id,
                finding_id,
                campaign_id,
                channel: parse("alerts.channel", &channel)?,
                target,
                attempts: attempts as u32,
            })
        })
        .transpose()
    }

    pub(super) async fn finish_alert_impl(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_writer!(self, conn => {
            let q = match outcome {
                SendOutcome::Sent => sqlx::query(
                    "UPDATE alerts SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(millis(now)),
                SendOutcome::Retry { at, error } => sqlx::query(
                    "UPDATE alerts SET status = 'queued', next_attempt_at = $2, last_error = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(millis(*at))
                .bind(error.as_str()),
                SendOutcome::Failed { error } => sqlx::query(
                    "UPDATE alerts SET status = 'failed', last_error = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(error.as_str()),
            };
            q.execute(&mut *conn).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Alerts left `sending` by another run (one that died mid-delivery): a webhook goes out
    /// again with the same `webhook-id`, which receivers use to drop duplicates; an email may
    /// have been delivered, so it becomes `unknown` and is not sent again.
    pub(super) async fn abandon_unfinished_alerts_impl(
        &self,
        run: &str,
    ) -> Result<u64, StoreError> {
        let n = on_writer!(self, conn => sqlx::query(
            "UPDATE alerts SET
                 status = CASE channel WHEN 'webhook' THEN 'queued' ELSE 'unknown' END,
                 last_error = 'claimed by a run that did not finish'
             WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> $1)",
        )
        .bind(run)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    pub(super) async fn alerts_impl(&self, campaign_id: &str) -> Result<Vec<AlertRow>, StoreError> {
        type Raw = (
            String,
            String,
            String,
            String,
            String,
            String,
            i64,
            Option<String>,
        );
        let rows: Vec<Raw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, finding_id, campaign_id, channel, target, status, attempts, last_error
             FROM alerts WHERE campaign_id = $1 ORDER BY created_at, channel, target",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(
                |(id, finding_id, campaign_id, channel, target, status, attempts, last_error)| {
                    Ok(AlertRow {
                        id,
                        finding_id,
                        campaign_id,
                        channel: parse("alerts.channel", &channel)?,
                        target,
                        status: status.parse().map_err(StoreError::Corrupt)?,
                        attempts: attempts as u32,
                        last_error,
                    })
                },
            )
            .collect()
    }

    pub(super) async fn promise_answers_impl(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<CampaignAnswers>, StoreError> {
        type Raw = (String, Option<String>, i64, i64, i64);
        let rows: Vec<Raw> = on_pool!(self.db(), pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT i.campaign_id, c.name,
                        CAST(CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.campaign_id = i.campaign_id)
                             THEN 1 ELSE 0 END AS BIGINT) AS broken,
                        i.score, COUNT(*)
                 FROM invitations i JOIN campaigns c ON c.id = i.campaign_id
                 WHERE i.score IS NOT NULL",
            );
            if let Some(id) = campaign_id {
                q.push(" AND i.campaign_id = ").push_bind(id.to_owned());
            }
            q.push(" GROUP BY i.campaign_id, c.name, i.score ORDER BY i.campaign_id");
            q.build_query_as().fetch_all(pool).await
        })?;
        let mut out: Vec<CampaignAnswers> = Vec::new();
        for (campaign_id, name, broken, score, n) in rows {
            if out
                .last()
                .is_none_or(|last| last.campaign_id != campaign_id)
            {
                out.push(CampaignAnswers {
                    campaign_id,
                    name,
                    broken: broken != 0,
                    distribution: [0; 11],
                });
            }
            if let (Some(last), Some(slot)) = (out.last_mut(), usize::try_from(score).ok())
                && let Some(count) = last.distribution.get_mut(slot)
            {
                *count = n as u64;
            }
        }
        Ok(out)
    }
}
