//! Request quotas shared by every instance (`sources::quota`): one row per source, a slot
//! taken by a single atomic `UPDATE`, so ten instances still keep one quota.
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::spacing::Spacing;
use async_trait::async_trait;
use std::time::Duration;

#[async_trait]
pub trait QuotaStore: Send + Sync {
    /// Takes the source's next request slot if it is due at `now_ms`: `None`; otherwise how
    /// long until it is (at the bucket's `spacing`).
    async fn take_quota_slot(
        &self,
        source: &str,
        now_ms: i64,
        spacing: Spacing,
    ) -> Result<Option<Duration>, StoreError>;

    /// Pauses the source until `until_ms` for every instance (never shortens a pause).
    async fn pause_quota(&self, source: &str, until_ms: i64) -> Result<(), StoreError>;
}

const TAKE: &str = "
UPDATE quota_buckets SET tat = CASE WHEN tat > $2 THEN tat ELSE $2 END + $3
WHERE source = $1 AND tat - $4 <= $2 AND paused_until <= $2";
const PAUSE: &str = "
UPDATE quota_buckets SET paused_until = CASE WHEN paused_until > $2 THEN paused_until ELSE $2 END
WHERE source = $1";
const CREATE: &str =
    "INSERT INTO quota_buckets (source) VALUES ($1) ON CONFLICT (source) DO NOTHING";

#[async_trait]
impl QuotaStore for SqlStore {
    async fn take_quota_slot(
        &self,
        source: &str,
        now_ms: i64,
        spacing: Spacing,
    ) -> Result<Option<Duration>, StoreError> {
        let Spacing {
            interval_ms,
            tolerance_ms,
        } = spacing;
        on_writer!(self, conn => {
            let taken = sqlx::query(TAKE)
                .bind(source)
                .bind(now_ms)
                .bind(interval_ms)
                .bind(tolerance_ms)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if taken == 1 {
                return Ok(None);
            }
            let row: Option<(i64, i64)> =
                sqlx::query_as("SELECT tat, paused_until FROM quota_buckets WHERE source = $1")
                    .bind(source)
                    .fetch_optional(&mut *conn)
                    .await?;
            let Some((tat, paused_until)) = row else {
                // The source's first request anywhere: make its row, and it may go.
                sqlx::query(CREATE).bind(source).execute(&mut *conn).await?;
                return Ok(Some(Duration::ZERO));
            };
            let due = (tat - tolerance_ms).max(paused_until);
            Ok::<_, StoreError>(Some(Duration::from_millis((due - now_ms).max(1) as u64)))
        })
    }

    async fn pause_quota(&self, source: &str, until_ms: i64) -> Result<(), StoreError> {
        on_writer!(self, conn => {
            sqlx::query(CREATE).bind(source).execute(&mut *conn).await?;
            sqlx::query(PAUSE)
                .bind(source)
                .bind(until_ms)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
