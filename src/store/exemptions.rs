//! Exemptions (`domain::exemption`): kept with who made them and when, revoked (never deleted)
//! with who and when, and read whole — there are few, and each check reads the active ones.
use super::db::on_pool;
use super::rows::{corrupt, from_millis, millis, parse};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::exemption::{Exemption, ExemptionScope, NewExemption};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait ExemptionStore: Send + Sync {
    /// Keeps a new exemption made by `by` at `now`.
    async fn create_exemption(
        &self,
        new: &NewExemption,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Exemption, StoreError>;

    /// Every exemption, those ending soonest first.
    async fn exemptions(&self) -> Result<Vec<Exemption>, StoreError>;

    /// Those neither revoked nor expired at `now`.
    async fn active_exemptions(&self, now: DateTime<Utc>) -> Result<Vec<Exemption>, StoreError>;

    /// Revokes exemption `id` (by `by`, at `now`); one revoked already stays as it was. `None`:
    /// no such exemption.
    async fn revoke_exemption(
        &self,
        id: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Exemption>, StoreError>;
}

const COLUMNS: &str = "id, campaign_id, offer_id, rule, location, sku, category, reason, ticket,
                       expires_at, created_by, created_at, revoked_by, revoked_at";

#[derive(sqlx::FromRow)]
struct ExemptionRow {
    id: String,
    campaign_id: Option<String>,
    offer_id: Option<String>,
    rule: Option<String>,
    location: Option<String>,
    sku: Option<String>,
    category: String,
    reason: String,
    ticket: Option<String>,
    expires_at: i64,
    created_by: String,
    created_at: i64,
    revoked_by: Option<String>,
    revoked_at: Option<i64>,
}

impl ExemptionRow {
    fn read(self) -> Result<Exemption, StoreError> {
        let rule = self
            .rule
            .map(|r| r.parse())
            .transpose()
            .map_err(|e: String| corrupt("exemptions.rule", e))?;
        Ok(Exemption {
            id: self.id,
            scope: ExemptionScope {
                campaign_id: self.campaign_id,
                offer_id: self.offer_id,
                rule,
                location: self.location,
                sku: self.sku,
            },
            category: parse("exemptions.category", &self.category)?,
            reason: self.reason,
            ticket: self.ticket,
            expires_at: from_millis(self.expires_at),
            created_by: self.created_by,
            created_at: from_millis(self.created_at),
            revoked_by: self.revoked_by,
            revoked_at: self.revoked_at.map(from_millis),
        })
    }
}

impl SqlStore {
    async fn exemption(&self, id: &str) -> Result<Option<Exemption>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM exemptions WHERE id = $1");
        let row: Option<ExemptionRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?;
        row.map(ExemptionRow::read).transpose()
    }
}

#[async_trait]
impl ExemptionStore for SqlStore {
    async fn create_exemption(
        &self,
        new: &NewExemption,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Exemption, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let s = &new.scope;
        on_writer!(self, conn => sqlx::query(
            "INSERT INTO exemptions (id, campaign_id, offer_id, rule, location, sku, category,
                                     reason, ticket, expires_at, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(&s.campaign_id)
        .bind(&s.offer_id)
        .bind(s.rule.map(|r| r.as_str()))
        .bind(&s.location)
        .bind(&s.sku)
        .bind(new.category.as_str())
        .bind(&new.reason)
        .bind(&new.ticket)
        .bind(millis(new.expires_at))
        .bind(by)
        .bind(millis(now))
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        self.exemption(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("exemption {id} not kept")))
    }

    async fn exemptions(&self) -> Result<Vec<Exemption>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM exemptions ORDER BY expires_at, id");
        let rows: Vec<ExemptionRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await)?;
        rows.into_iter().map(ExemptionRow::read).collect()
    }

    async fn active_exemptions(&self, now: DateTime<Utc>) -> Result<Vec<Exemption>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM exemptions WHERE revoked_at IS NULL AND expires_at > $1
             ORDER BY created_at, id"
        );
        let rows: Vec<ExemptionRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(millis(now)).fetch_all(pool).await)?;
        rows.into_iter().map(ExemptionRow::read).collect()
    }

    async fn revoke_exemption(
        &self,
        id: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Exemption>, StoreError> {
        on_writer!(self, conn => sqlx::query(
            "UPDATE exemptions SET revoked_by = $2, revoked_at = $3
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(by)
        .bind(millis(now))
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        self.exemption(id).await
    }
}
