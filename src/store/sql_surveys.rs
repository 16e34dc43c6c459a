//! Survey invitations: queueing, claiming for sending, outcomes, answers, NPS.
use super::db::on_pool;
use super::records::{from_millis, millis};
use super::{
    ClaimedInvitation, Db, InvitationRow, NpsComment, NpsReport, SendOutcome, SqlStore, StoreError,
};
use crate::domain::nps::NpsSummary;
use chrono::{DateTime, Utc};

/// 7 parameters a row.
const INVITATIONS_PER_INSERT: usize = 1000;

/// Claims one due invitation in one statement. On PostgreSQL the row is locked with
/// `SKIP LOCKED`, so concurrent claimers on other instances take other rows instead of waiting;
/// SQLite has a single writer, and the statement is atomic there as it stands.
const CLAIM_POSTGRES: &str = "
UPDATE invitations SET status = 'sending', claimed_at = $1, claimed_by = $2, attempts = attempts + 1
WHERE id = (SELECT id FROM invitations WHERE status = 'queued' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, created_at, recipient LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, campaign_id, recipient, attempts";
const CLAIM_SQLITE: &str = "
UPDATE invitations SET status = 'sending', claimed_at = $1, claimed_by = $2, attempts = attempts + 1
WHERE id = (SELECT id FROM invitations WHERE status = 'queued' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, created_at, recipient LIMIT 1)
RETURNING id, campaign_id, recipient, attempts";

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

/// The update that records how a send ended (written once, for both backends).
fn finish_query<'q, DB: sqlx::Database>(
    id: &str,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let id = id.to_owned();
    match outcome {
        SendOutcome::Sent => {
            sqlx::query("UPDATE invitations SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1")
                .bind(id)
                .bind(millis(now))
        }
        SendOutcome::Retry { at, error } => sqlx::query(
            "UPDATE invitations SET status = 'queued', next_attempt_at = $2, last_error = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(millis(*at))
        .bind(error.clone()),
        SendOutcome::Failed { error } => {
            sqlx::query("UPDATE invitations SET status = 'failed', last_error = $2 WHERE id = $1")
                .bind(id)
                .bind(error.clone())
        }
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
        let _turn = self.write_turn().await;
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_with(begin).await?;
            let mut queued = 0;
            for chunk in pairs.chunks(INVITATIONS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO invitations (id, campaign_id, recipient, status, attempts, next_attempt_at, created_at) ",
                );
                insert.push_values(chunk, |mut row, (campaign, recipient)| {
                    row.push_bind(uuid::Uuid::new_v4().to_string())
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
        let _turn = self.write_turn().await;
        let n = on_pool!(self.db(), pool => sqlx::query(
            "UPDATE invitations SET status = 'unknown',
                    last_error = 'claimed by a run that did not finish: it may have been sent, so it is not sent again'
             WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> $1)",
        )
        .bind(run)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Records the outcome of the worker's previous send (if any) and claims the next due
    /// invitation, in one transaction: one commit per email instead of two, and the claim is
    /// still committed before the email is sent.
    pub(super) async fn finish_and_claim_impl(
        &self,
        run: &str,
        now: DateTime<Utc>,
        previous: Option<(&str, &SendOutcome)>,
    ) -> Result<Option<ClaimedInvitation>, StoreError> {
        let sql = match self.db() {
            Db::Postgres(_) => CLAIM_POSTGRES,
            Db::Sqlite(_) => CLAIM_SQLITE,
        };
        let begin = self.db().begin_write();
        let claimed: Option<(String, String, String, i64)> = {
            let _turn = self.write_turn().await;
            on_pool!(self.db(), pool => {
                let mut tx = pool.begin_with(begin).await?;
                if let Some((id, outcome)) = previous {
                    finish_query(id, outcome, now).execute(&mut *tx).await?;
                }
                let claimed = sqlx::query_as(sql).bind(millis(now)).bind(run).fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(claimed)
            })?
        };
        Ok(
            claimed.map(|(id, campaign_id, recipient, attempts)| ClaimedInvitation {
                id,
                campaign_id,
                recipient,
                attempts: attempts as u32,
            }),
        )
    }

    pub(super) async fn finish_invitation_impl(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self.db(), pool => finish_query(id, outcome, now).execute(pool).await.map(|_| ()))?;
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
        let _turn = self.write_turn().await;
        let n = on_pool!(self.db(), pool => sqlx::query(
            "UPDATE invitations SET score = $2, comment = $3, answered_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(score))
        .bind(comment)
        .bind(millis(now))
        .execute(pool)
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
        let _turn = self.write_turn().await;
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_with(begin).await?;
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
            let _turn = self.write_turn().await;
            on_pool!(self.db(), pool => sqlx::query(
                "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh)
            .bind(millis(Utc::now()))
            .execute(pool)
            .await
            .map(|_| ()))?;
        }
        let (value,): (String,) = on_pool!(self.db(), pool =>
            sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1").bind(name).fetch_one(pool).await)?;
        Ok(value)
    }
}
