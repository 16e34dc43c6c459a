//! The instance's own secrets (the survey-link and analyst-session keys): made on first start,
//! kept in `app_secrets`, so every instance and every restart uses the same ones.
use super::db::on_pool;
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::Utc;

#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The named secret, stored with `fresh` as its value if it did not exist yet; every
    /// instance gets the same value.
    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;
}

#[async_trait]
impl SecretStore for SqlStore {
    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        on_writer!(self, conn => sqlx::query(
            "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(millis(Utc::now()))
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        let (value,): (String,) = on_pool!(self.db(), pool =>
            sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1").bind(name).fetch_one(pool).await)?;
        Ok(value)
    }
}
