//! Quarantined events: what a provider endpoint could not take, kept as it came for reviewers
//! to replay (after a fix) or drop. Payloads are personal data: kept `[events] quarantine_days`
//! (the retention job) and deleted by an erasure.
use super::db::on_pool;
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait QuarantineStore: Send + Sync {
    /// Keeps these entries; how many.
    async fn quarantine(
        &self,
        entries: &[NewQuarantined],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Newest first.
    async fn quarantined(&self, limit: u32, offset: u32) -> Result<Vec<Quarantined>, StoreError>;

    async fn quarantined_one(&self, id: &str) -> Result<Option<Quarantined>, StoreError>;

    /// Drops one entry; whether it was there.
    async fn drop_quarantined(&self, id: &str) -> Result<bool, StoreError>;

    /// Drops what was quarantined before `before`; how many.
    async fn expire_quarantine(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// One event (or one whole body) an endpoint could not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarantined {
    pub endpoint: String,
    /// The raw JSON, as it came.
    pub payload: String,
    pub reason: String,
    /// The JSON pointer of what is wrong, within the request body (`/17/email`); "" for a
    /// body that does not parse at all.
    pub pointer: String,
    pub credential: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    pub id: String,
    pub endpoint: String,
    /// The raw JSON, as it came (an event, or a whole body that did not parse).
    pub payload: String,
    pub reason: String,
    pub pointer: String,
    pub credential: String,
    pub received_at: DateTime<Utc>,
}

type Row = (String, String, String, String, String, String, i64);

fn row((id, endpoint, payload, reason, pointer, credential, at): Row) -> Quarantined {
    Quarantined {
        id,
        endpoint,
        payload,
        reason,
        pointer,
        credential,
        received_at: from_millis(at),
    }
}

const SELECT: &str =
    "SELECT id, endpoint, payload, reason, pointer, credential, received_at FROM quarantine";

#[async_trait]
impl QuarantineStore for SqlStore {
    async fn quarantine(
        &self,
        entries: &[NewQuarantined],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if entries.is_empty() {
            return Ok(0);
        }
        let now_ms = millis(now);
        on_writer!(self, conn => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO quarantine (id, endpoint, payload, reason, pointer, credential, received_at) ",
            );
            insert.push_values(entries, |mut row, e| {
                row.push_bind(uuid::Uuid::now_v7().to_string())
                    .push_bind(e.endpoint.clone())
                    .push_bind(e.payload.clone())
                    .push_bind(e.reason.clone())
                    .push_bind(e.pointer.clone())
                    .push_bind(e.credential.clone())
                    .push_bind(now_ms);
            });
            insert.build().execute(&mut *conn).await.map(|r| r.rows_affected())
        })
        .map_err(Into::into)
    }

    async fn quarantined(&self, limit: u32, offset: u32) -> Result<Vec<Quarantined>, StoreError> {
        let sql = format!("{SELECT} ORDER BY received_at DESC, id DESC LIMIT $1 OFFSET $2");
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(pool)
            .await)?;
        Ok(rows.into_iter().map(row).collect())
    }

    async fn quarantined_one(&self, id: &str) -> Result<Option<Quarantined>, StoreError> {
        let sql = format!("{SELECT} WHERE id = $1");
        let found: Option<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?;
        Ok(found.map(row))
    }

    async fn drop_quarantined(&self, id: &str) -> Result<bool, StoreError> {
        let n = on_writer!(self, conn => sqlx::query("DELETE FROM quarantine WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn expire_quarantine(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = on_writer!(self, conn => sqlx::query("DELETE FROM quarantine WHERE received_at < $1")
            .bind(millis(before))
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n)
    }
}
