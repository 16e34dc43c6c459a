//! What survey invitations and alerts share as outboxes (`domain::outbox`): the statements that
//! record how a send ended, and the one that settles sends a dead run left `sending`. Written
//! once, for each table.
use super::rows::millis;
use crate::domain::SendOutcome;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

/// One outbox table's statements (portable SQL, `$n` parameters).
pub(super) struct Outbox {
    /// `$1` id, `$2` when it was sent.
    pub sent: String,
    /// `$1` id, `$2` the new status, `$3` the next attempt (NULL keeps it), `$4` the error.
    pub unsent: String,
    /// `$1` the current run, `$2` the error to record: every row left `sending` by another run.
    pub abandon: String,
}

impl Outbox {
    /// `settled` is the status a row left mid-send becomes (a SQL expression).
    fn new(table: &str, settled: &str) -> Self {
        Self {
            sent: format!(
                "UPDATE {table} SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1"
            ),
            unsent: format!(
                "UPDATE {table} SET status = $2, next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4 WHERE id = $1"
            ),
            abandon: format!(
                "UPDATE {table} SET status = {settled}, last_error = $2
                 WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> $1)"
            ),
        }
    }
}

/// An invitation claimed by a run that died may have been emailed: it is never sent again.
pub(super) static INVITATIONS: LazyLock<Outbox> =
    LazyLock::new(|| Outbox::new("invitations", "'unknown'"));

/// A webhook alert goes out again with the same `webhook-id` (receivers drop duplicates by
/// it); an email alert may have been delivered, so it becomes `unknown`.
pub(super) static ALERTS: LazyLock<Outbox> = LazyLock::new(|| {
    Outbox::new(
        "alerts",
        "CASE channel WHEN 'webhook' THEN 'queued' ELSE 'unknown' END",
    )
});

/// A send that did not end in `sent`: its new status, next attempt (ms) if it is retried, and
/// error.
pub(super) fn unsent(outcome: &SendOutcome) -> Option<(&'static str, Option<i64>, &str)> {
    match outcome {
        SendOutcome::Sent => None,
        SendOutcome::Retry { at, error } => Some(("queued", Some(millis(*at)), error)),
        SendOutcome::Failed { error } => Some(("failed", None, error)),
    }
}

/// The update that records how a send ended, for either backend.
pub(super) fn finish_query<DB: sqlx::Database>(
    outbox: &'static Outbox,
    id: &str,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let id = id.to_owned();
    match unsent(outcome) {
        None => sqlx::query(outbox.sent.as_str()).bind(id).bind(millis(now)),
        Some((status, next_attempt_at, error)) => sqlx::query(outbox.unsent.as_str())
            .bind(id)
            .bind(status.to_owned())
            .bind(next_attempt_at)
            .bind(error.to_owned()),
    }
}
