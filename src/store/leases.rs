//! Job leases: one row per scheduled job in `job_leases`. A tick runs on the instance whose
//! single `UPDATE` moves the row's `last_tick` forward while nobody else holds a live lease, so
//! every tick runs once across instances and a job never overlaps itself.
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A job's lease as one holder asks for it: which job, who, and how long it lives unrenewed.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub job: &'a str,
    pub holder: &'a str,
    pub ttl: std::time::Duration,
}

impl Lease<'_> {
    /// When a lease taken or renewed at `now` ends.
    fn until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::seconds(60))
    }
}

#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease on its job for the tick at `tick`, if no earlier claim of this tick
    /// exists and no other holder's lease is still live. True: this caller runs the tick.
    async fn try_lease(
        &self,
        lease: Lease<'_>,
        tick: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Extends a held lease from `now`; false if it is no longer this holder's.
    async fn renew_lease(&self, lease: Lease<'_>, now: DateTime<Utc>) -> Result<bool, StoreError>;

    async fn release_lease(&self, lease: Lease<'_>) -> Result<(), StoreError>;
}

#[async_trait]
impl LeaseStore for SqlStore {
    async fn try_lease(
        &self,
        lease: Lease<'_>,
        tick: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (job, holder, until) = (lease.job, lease.holder, lease.until(now));
        let taken = on_writer!(self, conn => {
            sqlx::query("INSERT INTO job_leases (job) VALUES ($1) ON CONFLICT (job) DO NOTHING")
                .bind(job)
                .execute(&mut *conn)
                .await?;
            // One statement, so the check and the claim are atomic on both backends.
            sqlx::query(
                "UPDATE job_leases SET holder = $2, expires_at = $3, last_tick = $4
                 WHERE job = $1 AND last_tick < $4 AND (holder IS NULL OR expires_at <= $5)",
            )
            .bind(job)
            .bind(holder)
            .bind(millis(until))
            .bind(millis(tick))
            .bind(millis(now))
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected() == 1)
        })?;
        Ok(taken)
    }

    async fn renew_lease(&self, lease: Lease<'_>, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let renewed = on_writer!(self, conn => {
            sqlx::query("UPDATE job_leases SET expires_at = $3 WHERE job = $1 AND holder = $2")
                .bind(lease.job)
                .bind(lease.holder)
                .bind(millis(lease.until(now)))
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected() == 1)
        })?;
        Ok(renewed)
    }

    async fn release_lease(&self, lease: Lease<'_>) -> Result<(), StoreError> {
        on_writer!(self, conn => {
            sqlx::query("UPDATE job_leases SET holder = NULL, expires_at = 0 WHERE job = $1 AND holder = $2")
                .bind(lease.job)
                .bind(lease.holder)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
