//! Survey invitations: queueing, claiming for sending, outcomes, answers, NPS.
use super::db::on_pool;
use super::records::{from_millis, millis};
use super::sql::on_writer;
use super::sqlite_claims::{Claim, ClaimRow, OtherOutcome};
use super::{
    ClaimedInvitation, Db, InvitationRow, NpsComment, NpsReport, SendOutcome, SqlStore, StoreError,
};
use crate::domain::nps::NpsSummary;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::sync::LazyLock;

/// 7 parameters a row.
const INVITATIONS_PER_INSERT: usize = 1000;

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
RETURNING id, campaign_id, recipient, attempts, status";
const FINISH_AND_CLAIM_SQLITE: &str = "
WHERE (status = 'sending' AND id IN (SELECT value FROM json_each($4)))
   OR id IN (SELECT id FROM invitations WHERE status = 'queued' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, created_at, recipient LIMIT $3)
RETURNING id, campaign_id, recipient, attempts, status";

const SELECT_INVITATION: &str = "
SELECT i.id, i.campaign_id, c.name, i.recipient, i.status, i.attempts, i.last_error, i.score, i.comment
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
);

fn invitation_row(raw: InvitationRaw) -> Result<InvitationRow, StoreError> {
    let (id, campaign_id, campaign_name, recipient, status, attempts, last_error, score, comment) =
        raw;
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
    })
}

/// How a send that did not end in `sent` is recorded: `$2` the new status, `$3` the next
/// attempt (NULL keeps it), `$4` the error.
const RECORD_UNSENT: &str = "UPDATE invitations SET status = $2, next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4 WHERE id = $1";

/// The group commit's statements as the SQLite claims connection runs them, built once: `?N`
/// numbers SQLite's parameters as `$N` does for sqlx.
static SQLITE_CLAIM: LazyLock<String> =
    LazyLock::new(|| format!("{FINISH_AND_CLAIM_SET}{FINISH_AND_CLAIM_SQLITE}").replace('$', "?"));
static SQLITE_RECORD_UNSENT: LazyLock<String> = LazyLock::new(|| RECORD_UNSENT.replace('$', "?"));

/// A send that did not end in `sent`: its new status, next attempt (ms) if it is retried, and
/// error.
fn unsent(outcome: &SendOutcome) -> Option<(&'static str, Option<i64>, &str)> {
    match outcome {
        SendOutcome::Sent => None,
        SendOutcome::Retry { at, error } => Some(("queued", Some(millis(*at)), error)),
        SendOutcome::Failed { error } => Some(("failed", None, error)),
    }
}

/// The update that records how a send ended (written once, for both backends).
fn finish_query<'q, DB: sqlx::Database>(
    id: &str,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let id = id.to_owned();
    match unsent(outcome) {
        None => sqlx::query(
            "UPDATE invitations SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(millis(now)),
        Some((status, next_attempt_at, error)) => sqlx::query(RECORD_UNSENT)
            .bind(id)
            .bind(status.to_owned())
            .bind(next_attempt_at)
            .bind(error.to_owned()),
    }
}

impl SqlStore {
    pub(super) async fn queue_invitations_impl(
        &self,
        pairs: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let now_ms = millis(now);
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let mut queued = 0;
            for chunk in pairs.chunks(INVITATIONS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO invitations (id, campaign_id, recipient, status, attempts, next_attempt_at, created_at) ",
                );
                insert.push_values(chunk, |mut row, (campaign, recipient)| {
                    row.push_bind(uuid::Uuid::now_v7().to_string())
                        .push_bind(campaign.clone())
                        .push_bind(recipient.clone())
                        .push_bind("queued")
                        .push_bind(0i64)
                        .push_bind(now_ms)
                        .push_bind(now_ms);
                });
                insert.push(" ON CONFLICT (campaign_id, recipient) DO NOTHING");
                queued += insert.build().execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(queued)
        })
    }

    pub(super) async fn abandon_unfinished_sends_impl(&self, run: &str) -> Result<u64, StoreError> {
        let n = on_writer!(self, conn => sqlx::query(
            "UPDATE invitations SET status = 'unknown',
                    last_error = 'claimed by a run that did not finish: it may have been sent, so it is not sent again'
             WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> $1)",
        )
        .bind(run)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Records the outcomes of finished sends and claims up to `claims` due invitations, in one
    /// atomic write: each claim is committed before its email is sent, and one commit serves
    /// every worker that was waiting. Sends that ended otherwise than `sent` (rare: a 4xx to
    /// retry, a 5xx) are recorded in the same transaction, just before.
    pub(super) async fn finish_and_claim_impl(
        &self,
        run: &str,
        now: DateTime<Utc>,
        finished: &[(String, SendOutcome)],
        claims: u32,
    ) -> Result<Vec<ClaimedInvitation>, StoreError> {
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
                        finish_query(id, outcome, now).execute(&mut *tx).await?;
                    }
                    let rows = statement.fetch_all(&mut *tx).await?;
                    tx.commit().await?;
                    rows
                }
            }
        };
        Ok(rows
            .into_iter()
            .filter(|(.., status)| status == "sending")
            .map(
                |(id, campaign_id, recipient, attempts, _)| ClaimedInvitation {
                    id,
                    campaign_id,
                    recipient,
                    attempts: attempts as u32,
                },
            )
            .collect())
    }

    pub(super) async fn finish_invitation_impl(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_writer!(self, conn => finish_query(id, outcome, now).execute(&mut *conn).await.map(|_| ()))?;
        Ok(())
    }

    pub(super) async fn invitation_impl(
        &self,
        id: &str,
    ) -> Result<Option<InvitationRow>, StoreError> {
        let sql = format!("{SELECT_INVITATION} WHERE i.id = $1");
        let raw: Option<InvitationRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?;
        raw.map(invitation_row).transpose()
    }

    pub(super) async fn invitations_impl(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<InvitationRow>, StoreError> {
        let sql = format!("{SELECT_INVITATION} WHERE i.campaign_id = $1 ORDER BY i.recipient");
        let raw: Vec<InvitationRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(campaign_id).fetch_all(pool).await)?;
        raw.into_iter().map(invitation_row).collect()
    }

    pub(super) async fn record_answer_impl(
        &self,
        id: &str,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = on_writer!(self, conn => sqlx::query(
            "UPDATE invitations SET score = $2, comment = $3, answered_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(score))
        .bind(comment)
        .bind(millis(now))
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub(super) async fn unsubscribe_impl(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let recipient: Option<(String,)> = sqlx::query_as("SELECT recipient FROM invitations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((recipient,)) = recipient else {
                return Ok(false);
            };
            sqlx::query("UPDATE invitations SET unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE id = $1")
                .bind(id)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO suppressions (address, reason, created_at) VALUES ($1, 'unsubscribe link', $2)
                 ON CONFLICT (address) DO NOTHING",
            )
            .bind(&recipient)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        })
    }

    pub(super) async fn nps_impl(&self, campaign_id: &str) -> Result<NpsReport, StoreError> {
        let (invited,): (i64,) = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT COUNT(*) FROM invitations WHERE campaign_id = $1 AND status IN ('sent', 'unknown')",
        )
        .bind(campaign_id)
        .fetch_one(pool)
        .await)?;
        let scores: Vec<(i64, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT score, COUNT(*) FROM invitations WHERE campaign_id = $1 AND score IS NOT NULL GROUP BY score",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        let mut distribution = [0u64; 11];
        for (score, n) in scores {
            if let Some(slot) = distribution.get_mut(score as usize) {
                *slot = n as u64;
            }
        }
        let comments: Vec<(i64, String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT score, comment, answered_at FROM invitations
             WHERE campaign_id = $1 AND score IS NOT NULL AND comment IS NOT NULL AND comment <> ''
             ORDER BY answered_at DESC LIMIT 100",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        Ok(NpsReport {
            invited: invited as u64,
            summary: NpsSummary::from_distribution(distribution),
            comments: comments
                .into_iter()
                .map(|(score, comment, at)| NpsComment {
                    score: score as u8,
                    comment,
                    answered_at: from_millis(at),
                })
                .collect(),
        })
    }

    pub(super) async fn secret_impl(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        {
            on_writer!(self, conn => sqlx::query(
                "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh)
            .bind(millis(Utc::now()))
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
        }
        let (value,): (String,) = on_pool!(self.db(), pool =>
            sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1").bind(name).fetch_one(pool).await)?;
        Ok(value)
    }
}
