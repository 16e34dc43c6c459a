//! Retention: what `[retention]` no longer keeps, found in pages on the readers (keyset by id,
//! one pass over each table however many runs it takes) and removed in short write
//! transactions, so a run over a million old rows never holds the SQLite writer for long.
//! Aggregates stay right because nothing they count is deleted: an invitation loses its address
//! and comment, never its score or reason; a clicker loses its address, never its figures.
use super::db::{Db, on_pool};
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;

/// What expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiring {
    /// Engagement events older than the cut-off (by `occurred_at`): deleted.
    Events,
    /// Clickers whose last click is older than the events' cut-off: address removed (their
    /// clicks' judgements, conversion and answer stay, so the promise insights stay).
    Clickers,
    /// Invitations queued before the cut-off: address removed (`expired:{id}`), comment and
    /// errors too; score and reason kept; links open nothing.
    Invitations,
    /// Comments answered before the cut-off: deleted.
    Comments,
    /// Checks run before the cut-off: their findings' evidence and the evidence in their stored
    /// result set to null, their pre-send replay records deleted.
    Evidence,
    /// Spam complaints counted against survey mail that happened before the cut-off (the
    /// events' own): deleted — long past the complaint guard's window.
    Complaints,
    /// Deliveries of pushed changes received before the cut-off (the events'): deleted — their
    /// ids only recognise a redelivery, long past the source's retries.
    Pushes,
}

/// What expires: the rows of `kind` older than `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoff {
    pub kind: Expiring,
    pub before: DateTime<Utc>,
}

/// One page of expiring rows: their ids and, for `Evidence`, each check's result with its
/// evidence removed.
#[derive(Debug, Clone, Copy)]
pub struct ExpiringPage<'a> {
    pub ids: &'a [String],
    pub results: &'a [(String, String)],
}

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Up to `limit` ids of the rows `cutoff` expires, after `after` in id order (the readers
    /// only: the writer is not held).
    async fn expiring(
        &self,
        cutoff: Cutoff,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;

    /// The stored results of these checks, to strip their evidence (readers only).
    async fn check_results(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError>;

    /// Removes the cutoff's kind from the page's rows (still past it), in one short write
    /// transaction; how many changed.
    async fn expire(
        &self,
        cutoff: Cutoff,
        page: ExpiringPage<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

fn find_sql(kind: Expiring) -> &'static str {
    match kind {
        Expiring::Events => {
            "SELECT id FROM events WHERE id > $1 AND occurred_at < $2 ORDER BY id LIMIT $3"
        }
        Expiring::Clickers => {
            "SELECT id FROM clickers WHERE id > $1 AND last_click_at < $2 AND recipient IS NOT NULL
             ORDER BY id LIMIT $3"
        }
        Expiring::Invitations => {
            "SELECT id FROM invitations WHERE id > $1 AND created_at < $2 AND erased_at IS NULL
             ORDER BY id LIMIT $3"
        }
        Expiring::Comments => {
            "SELECT id FROM invitations WHERE id > $1 AND answered_at < $2 AND comment IS NOT NULL
             ORDER BY id LIMIT $3"
        }
        Expiring::Evidence => {
            "SELECT id FROM checks WHERE id > $1 AND checked_at < $2 AND evidence_expired_at IS NULL
             ORDER BY id LIMIT $3"
        }
        Expiring::Complaints => {
            "SELECT event_id FROM survey_complaints WHERE event_id > $1 AND occurred_at < $2
             ORDER BY event_id LIMIT $3"
        }
        Expiring::Pushes => {
            "SELECT id FROM source_push_deliveries WHERE id > $1 AND received_at < $2
             ORDER BY id LIMIT $3"
        }
    }
}

#[async_trait]
impl RetentionStore for SqlStore {
    async fn expiring(
        &self,
        cutoff: Cutoff,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let Cutoff { kind, before } = cutoff;
        let sql = find_sql(kind);
        let ids: Vec<String> = on_pool!(self.db(), pool => sqlx::query_scalar(sql)
            .bind(after.unwrap_or(""))
            .bind(millis(before))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)?;
        Ok(ids)
    }

    async fn check_results(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        let list = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sql = match self.db() {
            Db::Sqlite(_) => {
                "SELECT id, result FROM checks WHERE id IN (SELECT value FROM json_each($1))"
            }
            Db::Postgres(_) => {
                "SELECT id, result FROM checks WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))"
            }
        };
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(sql).bind(list).fetch_all(pool).await)?;
        Ok(rows)
    }

    async fn expire(
        &self,
        cutoff: Cutoff,
        page: ExpiringPage<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let (Cutoff { kind, before }, ExpiringPage { ids, results }) = (cutoff, page);
        if ids.is_empty() {
            return Ok(0);
        }
        let list = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let unpack = match self.db() {
            Db::Sqlite(_) => "SELECT value FROM json_each($1)",
            Db::Postgres(_) => "SELECT jsonb_array_elements_text($1::jsonb)",
        };
        // Each statement re-tests the age: a row changed since it was found is judged anew.
        // Every statement takes the list and the cut-off; one that writes a time, now as $3.
        let statements: Vec<String> = match kind {
            Expiring::Events => vec![format!(
                "DELETE FROM events WHERE id IN ({unpack}) AND occurred_at < $2"
            )],
            Expiring::Clickers => vec![format!(
                "UPDATE clickers SET recipient = NULL WHERE id IN ({unpack}) AND last_click_at < $2"
            )],
            Expiring::Invitations => vec![format!(
                "UPDATE invitations SET recipient = 'expired:' || id, comment = NULL,
                        last_error = CASE WHEN status = 'queued' THEN 'expired before it was sent' ELSE NULL END,
                        reminder_error = NULL, erased_at = $3,
                        status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END
                 WHERE id IN ({unpack}) AND created_at < $2 AND erased_at IS NULL"
            )],
            Expiring::Comments => vec![format!(
                "UPDATE invitations SET comment = NULL
                 WHERE id IN ({unpack}) AND answered_at < $2"
            )],
            Expiring::Complaints => vec![format!(
                "DELETE FROM survey_complaints WHERE event_id IN ({unpack}) AND occurred_at < $2"
            )],
            Expiring::Pushes => vec![format!(
                "DELETE FROM source_push_deliveries WHERE id IN ({unpack}) AND received_at < $2"
            )],
            // The checks themselves are updated one by one below, with their stripped results.
            Expiring::Evidence => vec![
                format!(
                    "UPDATE findings SET evidence = 'null'
                     WHERE check_id IN ({unpack}) AND created_at < $2"
                ),
                format!(
                    "DELETE FROM idempotency_keys
                     WHERE check_id IN ({unpack}) AND created_at < $2"
                ),
            ],
        };
        let begin = self.db().begin_write();
        let changed = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let mut changed = 0;
            for sql in &statements {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(&list)
                    .bind(millis(before));
                if sql.contains("$3") {
                    query = query.bind(millis(now));
                }
                let n = query.execute(&mut *tx).await?.rows_affected();
                if kind != Expiring::Evidence {
                    changed += n;
                }
            }
            for (id, result) in results {
                changed += sqlx::query(
                    "UPDATE checks SET result = $2, evidence_expired_at = $3
                     WHERE id = $1 AND evidence_expired_at IS NULL",
                )
                .bind(id)
                .bind(result)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok::<_, StoreError>(changed)
        })?;
        Ok(changed)
    }
}
