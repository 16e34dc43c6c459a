//! Changes pushed in by a source (`domain::pushed`): each delivery recorded once, the latest
//! change time held per subject so an older delivery is known stale, and the keys changed that
//! wait for their live campaigns to be checked again — one instance claims all that wait once
//! the oldest has waited its delay, and deletes them once the check is stored (a claim whose
//! instance died expires, and the next claim takes its keys again).
use super::db::on_pool;
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::pushed::ChangedKey;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::Connection;

/// One delivery of a pushed change.
pub struct NewPush<'a> {
    /// The provider's delivery id (deduplicated).
    pub delivery: &'a str,
    pub topic: &'a str,
    /// What the change is about (`Pushed::subject`); its time is held under it.
    pub subject: &'a str,
    /// Other subjects whose held time also makes this delivery stale (an item's level is
    /// stale before its location's later deactivation).
    pub also_after: &'a [String],
    /// When the source says the change happened; none: it is never stale.
    pub updated_at: Option<DateTime<Utc>>,
    /// The keys of ours it changed, queued for their campaigns' re-check.
    pub keys: &'a [ChangedKey],
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushRecorded {
    /// New and current: its keys wait for their re-check.
    Applied,
    /// This delivery was recorded already: nothing done.
    Duplicate,
    /// Older than a change already held for its subject: recorded, nothing else done.
    Stale,
}

impl PushRecorded {
    pub fn as_str(self) -> &'static str {
        match self {
            PushRecorded::Applied => "applied",
            PushRecorded::Duplicate => "duplicate",
            PushRecorded::Stale => "stale",
        }
    }
}

/// The changed keys one claim took, and when the oldest of them changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedChanges {
    pub keys: Vec<ChangedKey>,
    pub since: DateTime<Utc>,
}

#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// Records one delivery and, when it is new and current, holds its time and queues its
    /// keys — in one transaction.
    async fn record_push(
        &self,
        push: &NewPush<'_>,
        now: DateTime<Utc>,
    ) -> Result<PushRecorded, StoreError>;

    /// When the oldest unclaimed change has waited `delay` by `now`: every unclaimed change
    /// (an expired claim's too), claimed as `claim` until `now + lease`.
    async fn claim_changes(
        &self,
        claim: &str,
        now: DateTime<Utc>,
        delay: Duration,
        lease: Duration,
    ) -> Result<Option<ClaimedChanges>, StoreError>;

    /// The claimed changes are checked: deleted.
    async fn finish_changes(&self, claim: &str) -> Result<u64, StoreError>;

    /// The claimed changes could not be checked: given back, to be claimed again.
    async fn release_changes(&self, claim: &str) -> Result<u64, StoreError>;

    /// Changes waiting (claimed or not).
    async fn changes_waiting(&self) -> Result<u64, StoreError>;
}

#[async_trait]
impl ChangeStore for SqlStore {
    async fn record_push(
        &self,
        push: &NewPush<'_>,
        now: DateTime<Utc>,
    ) -> Result<PushRecorded, StoreError> {
        let begin = self.db().begin_write();
        // In a block of its own, so an early answer still ends the writer's turn cleanly.
        on_writer!(self, conn => async {
            let mut tx = conn.begin_with(begin).await?;
            let new = sqlx::query(
                "INSERT INTO source_push_deliveries (id, topic, outcome, received_at)
                 VALUES ($1, $2, 'applied', $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(push.delivery)
            .bind(push.topic)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if new == 0 {
                return Ok(PushRecorded::Duplicate);
            }
            if let Some(at) = push.updated_at {
                let mut held_after = false;
                for subject in std::iter::once(push.subject).chain(push.also_after.iter().map(String::as_str)) {
                    let held: Option<i64> = sqlx::query_scalar(
                        "SELECT updated_at FROM source_push_held WHERE subject = $1",
                    )
                    .bind(subject)
                    .fetch_optional(&mut *tx)
                    .await?;
                    held_after |= held.is_some_and(|h| h > millis(at));
                }
                if held_after {
                    sqlx::query("UPDATE source_push_deliveries SET outcome = 'stale' WHERE id = $1")
                        .bind(push.delivery)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok(PushRecorded::Stale);
                }
                sqlx::query(
                    "INSERT INTO source_push_held (subject, updated_at) VALUES ($1, $2)
                     ON CONFLICT (subject) DO UPDATE SET updated_at = excluded.updated_at",
                )
                .bind(push.subject)
                .bind(millis(at))
                .execute(&mut *tx)
                .await?;
            }
            for key in push.keys {
                sqlx::query(
                    "INSERT INTO source_changes (id, sku, location, changed_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(key.sku.as_deref())
                .bind(&key.location)
                .bind(millis(now))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(PushRecorded::Applied)
        }.await)
    }

    async fn claim_changes(
        &self,
        claim: &str,
        now: DateTime<Utc>,
        delay: Duration,
        lease: Duration,
    ) -> Result<Option<ClaimedChanges>, StoreError> {
        let begin = self.db().begin_write();
        on_writer!(self, conn => async {
            let mut tx = conn.begin_with(begin).await?;
            let oldest: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(changed_at) FROM source_changes
                 WHERE claim IS NULL OR claimed_until < $1",
            )
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await?;
            match oldest {
                Some(oldest) if oldest + delay.num_milliseconds() <= millis(now) => {}
                _ => return Ok(None),
            }
            sqlx::query(
                "UPDATE source_changes SET claim = $1, claimed_until = $2
                 WHERE claim IS NULL OR claimed_until < $3",
            )
            .bind(claim)
            .bind(millis(now + lease))
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            let rows: Vec<(Option<String>, String, i64)> = sqlx::query_as(
                "SELECT sku, location, changed_at FROM source_changes WHERE claim = $1",
            )
            .bind(claim)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let Some(since) = rows.iter().map(|r| r.2).min() else {
                return Ok(None);
            };
            let mut keys: Vec<ChangedKey> = rows
                .into_iter()
                .map(|(sku, location, _)| ChangedKey { sku, location })
                .collect();
            keys.sort_unstable();
            keys.dedup();
            Ok::<_, StoreError>(Some(ClaimedChanges {
                keys,
                since: from_millis(since),
            }))
        }.await)
    }

    async fn finish_changes(&self, claim: &str) -> Result<u64, StoreError> {
        on_writer!(self, conn => sqlx::query("DELETE FROM source_changes WHERE claim = $1")
            .bind(claim)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(Into::into)
    }

    async fn release_changes(&self, claim: &str) -> Result<u64, StoreError> {
        on_writer!(self, conn => sqlx::query(
            "UPDATE source_changes SET claim = NULL, claimed_until = NULL WHERE claim = $1",
        )
        .bind(claim)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))
        .map_err(Into::into)
    }

    async fn changes_waiting(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self.db(), pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM source_changes",
        )
        .fetch_one(pool)
        .await)?;
        Ok(n as u64)
    }
}
