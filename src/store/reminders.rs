//! One reminder per invitation, as a second outbox on the invitation row: an invitee whose
//! invitation was `sent` and who has neither answered nor unsubscribed (nor been suppressed,
//! nor been surveyed for another campaign since) is claimed — committed — before the reminder
//! is sent; a run that dies mid-send leaves it `unknown`, never resent.
use super::db::Db;
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Claims for `run` up to `limit` invitations due a reminder at `now`: sent at or before
    /// `sent_before`, silent, not unsubscribed or suppressed, the recipient's newest
    /// invitation, and not waiting for a send window.
    async fn claim_reminders(
        &self,
        run: &str,
        sent_before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedReminder>, StoreError>;

    /// Gives back a claimed reminder that falls outside its recipient's send window: not
    /// claimed again before `until`.
    async fn defer_reminder(&self, id: &str, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records how a claimed reminder went: `Ok` sent; `Err((error, retry))` — a transient
    /// failure (`retry`) makes it due again at the next run, a permanent one fails it.
    async fn finish_reminder(
        &self,
        id: &str,
        outcome: Result<(), (String, bool)>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Reminders left `sending` by a run other than `run` become `unknown` (never resent).
    async fn abandon_unfinished_reminders(&self, run: &str) -> Result<u64, StoreError>;

    /// An invitation's reminder status (`None`: not reminded), for tests and pages.
    async fn reminder_status(&self, id: &str) -> Result<Option<String>, StoreError>;
}

/// A reminder claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedReminder {
    pub id: String,
    pub campaign_id: String,
    pub recipient: String,
    /// The invitation's catalog; `None`: the default.
    pub locale: Option<String>,
    /// When the first email went out (the reminder says how long ago).
    pub sent_at: DateTime<Utc>,
    /// The recipient's time zone as the invitation was queued.
    pub zone: Option<String>,
}

const CLAIM: &str = "
UPDATE invitations SET reminder_status = 'sending', reminder_claimed_by = $1
WHERE id IN (
    SELECT i.id FROM invitations i
    WHERE i.status = 'sent' AND i.reminder_status IS NULL AND i.score IS NULL AND i.erased_at IS NULL
      AND i.unsubscribed_at IS NULL AND i.sent_at <= $2
      AND (i.reminder_not_before IS NULL OR i.reminder_not_before <= $4)
      AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.address = i.recipient)
      AND NOT EXISTS (SELECT 1 FROM invitations j
                      WHERE j.recipient = i.recipient AND j.created_at > i.created_at)
    ORDER BY i.sent_at, i.id LIMIT $3";
static CLAIM_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{CLAIM} FOR UPDATE SKIP LOCKED) RETURNING id, campaign_id, recipient, locale, sent_at, zone"
    )
});
static CLAIM_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!("{CLAIM}) RETURNING id, campaign_id, recipient, locale, sent_at, zone")
});

#[async_trait]
impl ReminderStore for SqlStore {
    async fn claim_reminders(
        &self,
        run: &str,
        sent_before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedReminder>, StoreError> {
        // PostgreSQL: concurrent claimers on other instances skip each other's rows.
        let sql: &'static str = match self.db() {
            Db::Postgres(_) => CLAIM_POSTGRES.as_str(),
            Db::Sqlite(_) => CLAIM_SQLITE.as_str(),
        };
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = on_writer!(self, conn => sqlx::query_as(sql)
            .bind(run)
            .bind(millis(sent_before))
            .bind(i64::from(limit))
            .bind(millis(now))
            .fetch_all(&mut *conn)
            .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, campaign_id, recipient, locale, sent_at, zone)| ClaimedReminder {
                    id,
                    campaign_id,
                    recipient,
                    locale,
                    // Only `sent` invitations are claimed, and `sent` sets `sent_at`.
                    sent_at: sent_at.map(from_millis).unwrap_or(sent_before),
                    zone,
                },
            )
            .collect())
    }

    async fn finish_reminder(
        &self,
        id: &str,
        outcome: Result<(), (String, bool)>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, error): (Option<&str>, Option<String>) = match outcome {
            Ok(()) => (Some("sent"), None),
            Err((error, true)) => (None, Some(error)),
            Err((error, false)) => (Some("failed"), Some(error)),
        };
        on_writer!(self, conn => sqlx::query(
            "UPDATE invitations SET reminder_status = $2, reminder_error = $3,
                    reminder_sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE reminder_sent_at END
             WHERE id = $1 AND reminder_status = 'sending'",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(millis(now))
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn defer_reminder(&self, id: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        on_writer!(self, conn => sqlx::query(
            "UPDATE invitations SET reminder_status = NULL, reminder_claimed_by = NULL,
                    reminder_not_before = $2
             WHERE id = $1 AND reminder_status = 'sending'",
        )
        .bind(id)
        .bind(millis(until))
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn abandon_unfinished_reminders(&self, run: &str) -> Result<u64, StoreError> {
        let n = on_writer!(self, conn => sqlx::query(
            "UPDATE invitations SET reminder_status = 'unknown',
                    reminder_error = 'claimed by a run that did not finish'
             WHERE reminder_status = 'sending' AND reminder_claimed_by <> $1",
        )
        .bind(run)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    async fn reminder_status(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = super::db::on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT reminder_status FROM invitations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.and_then(|(s,)| s))
    }
}
