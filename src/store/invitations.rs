//! Survey invitations as an outbox: queued once per (campaign, recipient) — unique in the
//! database — then claimed by the sending workers' group commit (committed before SMTP is
//! spoken), and settled as sent, retried, failed or `unknown`.
use super::db::{Db, on_pool};
pub use super::invitation_queue::NewInvitation;
use super::outbox::{INVITATIONS, finish_query, unsent};
use super::rows::millis;
use super::sqlite_claims::{Claim, ClaimRow, OtherOutcome};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::outbox::GroupCommit;
use crate::domain::{DeliveryStatus, SendOutcome};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::HashSet;
use std::sync::LazyLock;

#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Addresses with an invitation (not failed) created at or after `since`.
    async fn surveyed_since(&self, since: DateTime<Utc>) -> Result<HashSet<String>, StoreError>;

    /// Queues invitations; a (campaign, recipient) already invited is left alone. Returns how
    /// many were queued now.
    async fn queue_invitations(
        &self,
        invitations: &[NewInvitation],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Invitations left `sending` by a run other than `run` (one that crashed mid-send) become
    /// `unknown`: the email may or may not have gone out, so it is never sent again.
    async fn abandon_unfinished_sends(&self, run: &str) -> Result<u64, StoreError>;

    /// Records how several sends ended and claims up to `commit.claims` due invitations, in one
    /// transaction: the group commit of the sending workers that are waiting for their next
    /// invitation (one claim each), so a commit is shared by several emails. Claimed
    /// invitations are committed before anything is sent (`FOR UPDATE SKIP LOCKED` on
    /// PostgreSQL, so instances never take the same one).
    async fn finish_and_claim(
        &self,
        run: &str,
        now: DateTime<Utc>,
        commit: GroupCommit<'_>,
    ) -> Result<Vec<ClaimedInvitation>, StoreError>;

    /// The invitation a survey link names; `None` if unknown or erased.
    async fn invitation(&self, id: &str) -> Result<Option<InvitationRow>, StoreError>;

    async fn invitations(&self, campaign_id: &str) -> Result<Vec<InvitationRow>, StoreError>;

    /// Survey and reminder emails handed to the relay at or after `since` (sent, or claimed
    /// and perhaps sent): what `[email] max_per_day` counts.
    async fn mailed_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// An invitation taken for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedInvitation {
    pub id: String,
    pub campaign_id: String,
    pub recipient: String,
    /// SMTP attempts including this one.
    pub attempts: u32,
    /// The catalog chosen when it was queued; `None`: the default.
    pub locale: Option<String>,
    /// The recipient's time zone as queued (a retry waits for their window too).
    pub zone: Option<String>,
}

/// An invitation's life cycle is the outbox's (`domain::outbox`).
pub type InvitationStatus = DeliveryStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct InvitationRow {
    pub id: String,
    pub campaign_id: String,
    pub campaign_name: Option<String>,
    pub recipient: String,
    pub status: InvitationStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub score: Option<u8>,
    pub comment: Option<String>,
    /// The promise question's answer, as the form value (`location_closed`).
    pub reason: Option<String>,
    /// The catalog chosen when it was queued; `None`: the default.
    pub locale: Option<String>,
}

/// The group commit of the sending workers, in one statement: the invitations in `$4` (a JSON
/// array of ids, which both backends can unpack) that were being sent become `sent`, and up to
/// `$3` due ones are claimed for `$2` — one round trip and one atomic write however many workers
/// it serves. Every `SET` expression sees the row as it was, so `status = 'sending'` tells the
/// two kinds of row apart; the claimed rows come back with status `sending`. On PostgreSQL the
/// claimed rows are locked with `SKIP LOCKED`, so concurrent claimers on other instances take
/// other rows instead of waiting (and `= ANY(ARRAY(…))` makes the planner run the limited
/// subquery exactly once); SQLite has a single writer, and a write statement takes the write
/// lock before it reads.
const FINISH_AND_CLAIM_SET: &str = "
UPDATE invitations SET
    status = CASE WHEN status = 'sending' THEN 'sent' ELSE 'sending' END,
    sent_at = CASE WHEN status = 'sending' THEN $1 ELSE sent_at END,
    last_error = CASE WHEN status = 'sending' THEN NULL ELSE last_error END,
    claimed_at = CASE WHEN status = 'sending' THEN claimed_at ELSE $1 END,
    claimed_by = CASE WHEN status = 'sending' THEN claimed_by ELSE $2 END,
    attempts = CASE WHEN status = 'sending' THEN attempts ELSE attempts + 1 END";
const FINISH_AND_CLAIM_POSTGRES: &str = "
WHERE (status = 'sending' AND id IN (SELECT jsonb_array_elements_text($4::jsonb)))
   OR id = ANY(ARRAY(SELECT id FROM invitations WHERE status = 'queued' AND next_attempt_at <= $1
                     ORDER BY next_attempt_at, created_at, recipient LIMIT $3 FOR UPDATE SKIP LOCKED))
RETURNING id, campaign_id, recipient, attempts, locale, status, zone";
const FINISH_AND_CLAIM_SQLITE: &str = "
WHERE (status = 'sending' AND id IN (SELECT value FROM json_each($4)))
   OR id IN (SELECT id FROM invitations WHERE status = 'queued' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, created_at, recipient LIMIT $3)
RETURNING id, campaign_id, recipient, attempts, locale, status, zone";

const SELECT_INVITATION: &str = "
SELECT i.id, i.campaign_id, c.name, i.recipient, i.status, i.attempts, i.last_error, i.score, i.comment,
       i.reason, i.locale
FROM invitations i JOIN campaigns c ON c.id = i.campaign_id";

type InvitationRaw = (
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn invitation_row(raw: InvitationRaw) -> Result<InvitationRow, StoreError> {
    let (
        id,
        campaign_id,
        campaign_name,
        recipient,
        status,
        attempts,
        last_error,
        score,
        comment,
        reason,
        locale,
    ) = raw;
    Ok(InvitationRow {
        id,
        campaign_id,
        campaign_name,
        recipient,
        status: status.parse().map_err(StoreError::Corrupt)?,
        attempts: attempts as u32,
        last_error,
        score: score.map(|s| s as u8),
        comment,
        reason,
        locale,
    })
}

/// The group commit's statements as the SQLite claims connection runs them, built once: `?N`
/// numbers SQLite's parameters as `$N` does for sqlx.
static SQLITE_CLAIM: LazyLock<String> =
    LazyLock::new(|| format!("{FINISH_AND_CLAIM_SET}{FINISH_AND_CLAIM_SQLITE}").replace('$', "?"));
static SQLITE_RECORD_UNSENT: LazyLock<String> =
    LazyLock::new(|| INVITATIONS.unsent.replace('$', "?"));

/// Invitations handed to the relay since $1 (an `unknown` one may have gone), and reminders.
const MAILED_SINCE: &str = "
SELECT (SELECT COUNT(*) FROM invitations
        WHERE status IN ('sending', 'sent', 'unknown') AND COALESCE(sent_at, claimed_at) >= $1)
     + (SELECT COUNT(*) FROM invitations WHERE reminder_sent_at >= $1)";

#[async_trait]
impl InvitationStore for SqlStore {
    async fn mailed_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self.db(), pool =>
            sqlx::query_scalar(MAILED_SINCE).bind(millis(since)).fetch_one(pool).await)?;
        Ok(n as u64)
    }

    async fn surveyed_since(&self, since: DateTime<Utc>) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as("SELECT DISTINCT recipient FROM invitations WHERE created_at >= $1 AND status <> 'failed'")
                .bind(millis(since))
                .fetch_all(pool)
                .await)?;
        Ok(rows.into_iter().map(|(r,)| r).collect())
    }

    async fn queue_invitations(
        &self,
        invitations: &[NewInvitation],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        super::invitation_queue::queue(self, invitations, now).await
    }

    async fn abandon_unfinished_sends(&self, run: &str) -> Result<u64, StoreError> {
        let n = on_writer!(self, conn => sqlx::query(INVITATIONS.abandon.as_str())
            .bind(run)
            .bind("claimed by a run that did not finish: it may have been sent, so it is not sent again")
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Records the outcomes of finished sends and claims up to `claims` due invitations, in one
    /// atomic write: each claim is committed before its email is sent, and one commit serves
    /// every worker that was waiting. Sends that ended otherwise than `sent` (rare: a 4xx to
    /// retry, a 5xx) are recorded in the same transaction, just before.
    async fn finish_and_claim(
        &self,
        run: &str,
        now: DateTime<Utc>,
        commit: GroupCommit<'_>,
    ) -> Result<Vec<ClaimedInvitation>, StoreError> {
        let GroupCommit { finished, claims } = commit;
        let sent: Vec<&str> = finished
            .iter()
            .filter(|(_, o)| matches!(o, SendOutcome::Sent))
            .map(|(id, _)| id.as_str())
            .collect();
        let others: Vec<&(String, SendOutcome)> = finished
            .iter()
            .filter(|(_, o)| !matches!(o, SendOutcome::Sent))
            .collect();
        let ids = serde_json::to_string(&sent)
            .map_err(|e| StoreError::Corrupt(format!("invitation ids: {e}")))?;
        let rows: Vec<ClaimRow> = match self.writer() {
            Db::Sqlite(pool) => {
                let others: Vec<OtherOutcome> = others
                    .iter()
                    .filter_map(|(id, outcome)| {
                        unsent(outcome).map(|(status, next_attempt_at, error)| OtherOutcome {
                            id,
                            status,
                            next_attempt_at,
                            error,
                        })
                    })
                    .collect();
                // Inside this process's turn to write, on the claims connection (see its module).
                let turn = self.sqlite_turn(pool).await?;
                let result = self
                    .sqlite_claims()?
                    .finish_and_claim(&Claim {
                        sql: &SQLITE_CLAIM,
                        record_unsent: &SQLITE_RECORD_UNSENT,
                        now_ms: millis(now),
                        run,
                        claims,
                        sent_ids: &ids,
                        others: &others,
                    })
                    .await;
                turn.finish::<(), StoreError>(Ok(()))?;
                result?
            }
            Db::Postgres(pool) => {
                let sql = format!("{FINISH_AND_CLAIM_SET}{FINISH_AND_CLAIM_POSTGRES}");
                let statement = sqlx::query_as::<_, ClaimRow>(sqlx::AssertSqlSafe(sql))
                    .bind(millis(now))
                    .bind(run)
                    .bind(i64::from(claims))
                    .bind(ids);
                let mut conn = pool.acquire().await?;
                if others.is_empty() {
                    statement.fetch_all(&mut *conn).await?
                } else {
                    let mut tx = conn.begin().await?;
                    for (id, outcome) in others {
                        finish_query(&INVITATIONS, id, outcome, now)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let rows = statement.fetch_all(&mut *tx).await?;
                    tx.commit().await?;
                    rows
                }
            }
        };
        Ok(rows
            .into_iter()
            .filter(|(.., status, _)| status == "sending")
            .map(
                |(id, campaign_id, recipient, attempts, locale, _, zone)| ClaimedInvitation {
                    id,
                    campaign_id,
                    recipient,
                    attempts: attempts as u32,
                    locale,
                    zone,
                },
            )
            .collect())
    }

    async fn invitation(&self, id: &str) -> Result<Option<InvitationRow>, StoreError> {
        // An erased invitation's links open nothing.
        let sql = format!("{SELECT_INVITATION} WHERE i.id = $1 AND i.erased_at IS NULL");
        let raw: Option<InvitationRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?;
        raw.map(invitation_row).transpose()
    }

    async fn invitations(&self, campaign_id: &str) -> Result<Vec<InvitationRow>, StoreError> {
        let sql = format!("{SELECT_INVITATION} WHERE i.campaign_id = $1 ORDER BY i.recipient");
        let raw: Vec<InvitationRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(campaign_id).fetch_all(pool).await)?;
        raw.into_iter().map(invitation_row).collect()
    }
}
