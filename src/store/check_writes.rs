//! Writing checks: checks of distinct campaigns, their campaigns, findings and alerts — and,
//! for a webhook, its idempotency record — in one transaction. Each finding inherits from its
//! campaign's previous check whether it is new and its review state (`domain::review::inherit`),
//! read in the same transaction before the new checks become the latest.
use super::alerts::insert_alerts;
use super::checks::{NewAnswer, NewCheck};
use super::db::Db;
use super::rows::{corrupt, millis, parse};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::review::{Inherited, inherit};
use crate::domain::{Finding, ReviewState};
use chrono::Utc;
use sqlx::Connection;
use std::collections::HashMap;

const INSERT_CAMPAIGNS: &str = "
INSERT INTO campaigns (id, name, platform, definition, window_start, window_end, created_at, updated_at,
                       latest_check_id, latest_verdict, latest_checked_at) ";
const ON_CAMPAIGN_CONFLICT: &str = "
ON CONFLICT (id) DO UPDATE SET
    name = COALESCE(excluded.name, campaigns.name),
    platform = COALESCE(excluded.platform, campaigns.platform),
    definition = excluded.definition,
    window_start = excluded.window_start,
    window_end = excluded.window_end,
    updated_at = excluded.updated_at,
    latest_check_id = excluded.latest_check_id,
    latest_verdict = excluded.latest_verdict,
    latest_checked_at = excluded.latest_checked_at";

const INSERT_CHECKS: &str = "
INSERT INTO checks (id, campaign_id, phase, mode, verdict, send_at, checked_at, result, covered) ";
/// Checks written in one transaction, at most: short turns of SQLite's writer (~10 ms), and
/// statements well inside its 32,766 parameters (11 a campaign, 9 a check).
const CHECKS_PER_TRANSACTION: usize = 250;

const INSERT_FINDINGS: &str = "
INSERT INTO findings (id, check_id, position, campaign_id, offer_id, rule, severity, target_sku,
                      target_location, target_link, message, evidence, created_at, fingerprint,
                      is_new, review_state, exemption) ";
/// 17 parameters a row: 500 rows stay well under SQLite's limit of 32,766 parameters.
const FINDINGS_PER_INSERT: usize = 500;

/// Fingerprints and review states of the findings of each campaign's latest check (the
/// campaigns in `$1`, a JSON array), read before these checks become the latest. Through the
/// findings' `check_id` index, not through every finding a campaign ever had.
const PREVIOUS_FINGERPRINTS: &str = "
SELECT c.id, f.fingerprint, f.review_state FROM campaigns c JOIN findings f ON f.check_id = c.latest_check_id
WHERE c.id IN ";

const INSERT_ANSWER: &str = "
INSERT INTO idempotency_keys (key, request_hash, check_id, status, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (key) DO NOTHING";

/// Cuts checks into batches of at most `size` in which no campaign comes twice (each batch's
/// checks read their campaigns' previous findings before any of them is written).
fn distinct_campaign_batches<'c, 'a>(
    checks: &'c [NewCheck<'a>],
    size: usize,
) -> Vec<Vec<&'c NewCheck<'a>>> {
    let mut batches: Vec<Vec<&NewCheck>> = Vec::new();
    let mut current: Vec<&NewCheck> = Vec::new();
    for check in checks {
        let repeated = current.iter().any(|c| c.campaign.id == check.campaign.id);
        if current.len() >= size.max(1) || repeated {
            batches.push(std::mem::take(&mut current));
        }
        current.push(check);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// A check about to be written, with what each of its findings inherits.
struct Writing<'c, 'a> {
    check: &'c NewCheck<'a>,
    definition: String,
    inherited: Vec<Inherited>,
}

impl SqlStore {
    /// Writes many checks in transactions of at most `CHECKS_PER_TRANSACTION`, in order.
    pub(super) async fn write_check_batches(
        &self,
        checks: &[NewCheck<'_>],
    ) -> Result<(), StoreError> {
        for batch in distinct_campaign_batches(checks, CHECKS_PER_TRANSACTION) {
            self.write_checks(&batch, None).await?;
        }
        Ok(())
    }

    /// Writes checks of distinct campaigns in one transaction — campaigns, checks, findings,
    /// alerts — and, last, the idempotency record. False (and nothing kept) when a concurrent
    /// request stored that key first.
    pub(super) async fn write_checks(
        &self,
        checks: &[&NewCheck<'_>],
        idempotency: Option<&NewAnswer<'_>>,
    ) -> Result<bool, StoreError> {
        let campaign_ids: Vec<&str> = checks.iter().map(|c| c.campaign.id.as_str()).collect();
        let ids = serde_json::to_string(&campaign_ids).map_err(|e| corrupt("campaign ids", e))?;
        let previous_sql = format!(
            "{PREVIOUS_FINGERPRINTS}({})",
            match self.db() {
                Db::Sqlite(_) => "SELECT value FROM json_each($1)",
                Db::Postgres(_) => "SELECT jsonb_array_elements_text($1::jsonb)",
            }
        );
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let rows: Vec<(String, String, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(previous_sql.clone()))
                    .bind(&ids)
                    .fetch_all(&mut *tx)
                    .await?;
            let mut previous: HashMap<String, HashMap<String, ReviewState>> = HashMap::new();
            for (campaign, fingerprint, state) in rows {
                let state = parse("findings.review_state", &state)?;
                previous.entry(campaign).or_default().insert(fingerprint, state);
            }
            let none = HashMap::new();
            let writing = checks
                .iter()
                .map(|check| {
                    let seen = previous.get(&check.campaign.id).unwrap_or(&none);
                    Ok(Writing {
                        check,
                        definition: match check.definition {
                            Some(text) => text.to_owned(),
                            None => serde_json::to_string(check.campaign)
                                .map_err(|e| corrupt("campaign", e))?,
                        },
                        inherited: inherit(check.findings, seen),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            insert_campaigns(&writing).build().execute(&mut *tx).await?;
            insert_checks(&writing).build().execute(&mut *tx).await?;
            for mut insert in insert_findings(&writing) {
                insert.build().execute(&mut *tx).await?;
            }
            for w in &writing {
                for mut insert in insert_alerts(w.check, &w.inherited) {
                    insert.build().execute(&mut *tx).await?;
                }
            }
            let inserted = match idempotency {
                None => true,
                Some(answer) => {
                    let done = sqlx::query(INSERT_ANSWER)
                        .bind(answer.key)
                        .bind(answer.request_hash)
                        .bind(checks.first().map(|c| c.id).unwrap_or_default())
                        .bind(i64::from(answer.status))
                        .bind(answer.body)
                        .bind(millis(checks.first().map_or_else(Utc::now, |c| c.checked_at)))
                        .execute(&mut *tx)
                        .await?;
                    done.rows_affected() == 1
                }
            };
            if inserted {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok::<bool, StoreError>(inserted)
        })
    }
}

/// The upsert of the campaigns of the checks being written, one statement.
fn insert_campaigns<DB: sqlx::Database>(writing: &[Writing<'_, '_>]) -> sqlx::QueryBuilder<DB>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut campaigns = sqlx::QueryBuilder::new(INSERT_CAMPAIGNS);
    campaigns.push_values(writing, |mut row, w| {
        let (c, checked_at) = (w.check.campaign, millis(w.check.checked_at));
        let (start, end) = c.window();
        row.push_bind(c.id.clone())
            .push_bind(c.name.clone())
            .push_bind(c.platform.clone())
            .push_bind(w.definition.clone())
            .push_bind(millis(start))
            .push_bind(millis(end))
            .push_bind(checked_at)
            .push_bind(checked_at)
            .push_bind(w.check.id.to_owned())
            .push_bind(w.check.verdict.as_str())
            .push_bind(checked_at);
    });
    campaigns.push(ON_CAMPAIGN_CONFLICT);
    campaigns
}

/// The insert of the checks being written, one statement.
fn insert_checks<DB: sqlx::Database>(writing: &[Writing<'_, '_>]) -> sqlx::QueryBuilder<DB>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut inserts = sqlx::QueryBuilder::new(INSERT_CHECKS);
    inserts.push_values(writing, |mut row, w| {
        let c = w.check;
        row.push_bind(c.id.to_owned())
            .push_bind(c.campaign.id.clone())
            .push_bind(c.phase.as_str())
            .push_bind(c.mode.as_str())
            .push_bind(c.verdict.as_str())
            .push_bind(millis(c.send_at))
            .push_bind(millis(c.checked_at))
            .push_bind(c.result.to_owned())
            .push_bind(c.covered.and_then(|c| serde_json::to_string(c).ok()));
    });
    inserts
}

/// The inserts of every finding of the checks being written: many rows per statement, one
/// round trip per `FINDINGS_PER_INSERT` findings instead of per finding.
fn insert_findings<DB: sqlx::Database>(writing: &[Writing<'_, '_>]) -> Vec<sqlx::QueryBuilder<DB>>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let findings: Vec<(&Writing, usize, &Finding, &Inherited)> = writing
        .iter()
        .flat_map(|w| {
            w.check
                .findings
                .iter()
                .zip(&w.inherited)
                .enumerate()
                .map(move |(i, (f, h))| (w, i, f, h))
        })
        .collect();
    findings
        .chunks(FINDINGS_PER_INSERT)
        .map(|chunk| {
            let mut insert = sqlx::QueryBuilder::new(INSERT_FINDINGS);
            insert.push_values(chunk, |mut row, (w, position, f, h)| {
                let check = w.check;
                row.push_bind(f.id.clone())
                    .push_bind(check.id.to_owned())
                    .push_bind(*position as i64)
                    .push_bind(check.campaign.id.clone())
                    .push_bind(f.offer_id.clone())
                    .push_bind(f.rule.as_str())
                    .push_bind(f.severity.as_str())
                    .push_bind(f.target.sku.clone())
                    .push_bind(f.target.location.clone())
                    .push_bind(f.target.link.clone())
                    .push_bind(f.message.clone())
                    .push_bind(f.evidence.to_string())
                    .push_bind(millis(check.checked_at))
                    .push_bind(h.fingerprint.clone())
                    .push_bind(i64::from(h.is_new))
                    .push_bind(h.review_state.as_str())
                    .push_bind(
                        f.exemption
                            .as_ref()
                            .map(|e| serde_json::json!(e).to_string()),
                    );
            });
            insert
        })
        .collect()
}
