//! Stored clicks read again in short pages, and the promise each names set anew — what
//! `promiseguard clicks rematch` does after the `[promises]` templates change.
use super::db::on_pool;
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;

/// A stored click: its URL and the promise it was matched to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredClick {
    pub id: String,
    pub url: Option<String>,
    pub location: Option<String>,
    pub sku: Option<String>,
}

/// A click's promise as matched now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickPromise {
    pub id: String,
    pub location: Option<String>,
    pub sku: Option<String>,
}

#[async_trait]
pub trait ClickStore: Send + Sync {
    /// Up to `limit` clicks with an id after `after` (none: from the first), in id order, that
    /// happened at or after `since` (none: all).
    async fn clicks_page(
        &self,
        after: Option<&str>,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<StoredClick>, StoreError>;

    /// Sets each click's promise, in one short transaction.
    async fn set_click_promises(&self, changes: &[ClickPromise]) -> Result<(), StoreError>;
}

#[async_trait]
impl ClickStore for SqlStore {
    async fn clicks_page(
        &self,
        after: Option<&str>,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<StoredClick>, StoreError> {
        let rows: Vec<StoredClick> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, url, location, sku FROM events
             WHERE type = 'click' AND id > $1 AND occurred_at >= $2
             ORDER BY id LIMIT $3",
        )
        .bind(after.unwrap_or(""))
        .bind(since.map_or(i64::MIN, millis))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    async fn set_click_promises(&self, changes: &[ClickPromise]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            for c in changes {
                sqlx::query("UPDATE events SET location = $2, sku = $3 WHERE id = $1")
                    .bind(&c.id)
                    .bind(&c.location)
                    .bind(&c.sku)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}
