//! The complaint guard's records (`domain::complaint`): the spam complaints counted against
//! survey mail, once each by the event that reported it, and the pauses they caused — opened
//! by one instance at most (a unique index holds one open pause), each with its alerts queued
//! in the same transaction, and each resumed by a named reviewer with a note.
use super::db::on_pool;
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::AlertTarget;
use crate::domain::complaint::ComplaintFigures;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::Connection;

#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// Counts each complaint against survey mail at most once (by its event id): one carrying
    /// the marker of an invitation to that same address, or one without it from an address
    /// mailed a survey (or its reminder) within `surveyed_within` before the complaint. Returns
    /// how many were counted now.
    async fn record_complaints(
        &self,
        complaints: &[NewComplaint],
        surveyed_within: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Complaints counted that happened at or after `since`.
    async fn complaints_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The pause in force, if any, and the last resume.
    async fn survey_pause(&self) -> Result<PauseState, StoreError>;

    /// Opens a pause — unless one is open already (another instance's) — and, in the same
    /// transaction, queues its `surveys.paused` alert to each destination. Returns the new
    /// pause's id, or `None` when one was open.
    async fn pause_surveys(
        &self,
        pause: &NewPause,
        alert_to: &[AlertTarget],
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;

    /// Resumes the pause in force, recording who and why; `None` when nothing was paused.
    async fn resume_surveys(
        &self,
        by: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SurveyPause>, StoreError>;

    /// One pause by id (for its alert).
    async fn survey_pause_by_id(&self, id: &str) -> Result<Option<SurveyPause>, StoreError>;
}

/// A complaint that may be about a survey email (`EngagementEvent::may_be_about_a_survey`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewComplaint {
    pub event_id: String,
    pub source: String,
    pub recipient: String,
    /// The survey email's marker, when the relay echoed it.
    pub invitation_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Why the guard pauses: the figures it judged.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPause {
    pub reason: String,
    pub figures: ComplaintFigures,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct PauseRaw {
    id: String,
    reason: String,
    sent: i64,
    complaints: i64,
    paused_at: i64,
    resumed_at: Option<i64>,
    resumed_by: Option<String>,
    note: Option<String>,
}

/// A pause, and its resume once a reviewer resumed it.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyPause {
    pub id: String,
    pub reason: String,
    pub figures: ComplaintFigures,
    pub paused_at: DateTime<Utc>,
    pub resumed: Option<Resume>,
}

/// Who resumed a pause, when and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    pub at: DateTime<Utc>,
    pub by: String,
    pub note: String,
}

impl From<PauseRaw> for SurveyPause {
    fn from(r: PauseRaw) -> Self {
        Self {
            id: r.id,
            reason: r.reason,
            figures: ComplaintFigures {
                sent: r.sent.max(0) as u64,
                complaints: r.complaints.max(0) as u64,
            },
            paused_at: from_millis(r.paused_at),
            resumed: r.resumed_at.map(|at| Resume {
                at: from_millis(at),
                by: r.resumed_by.unwrap_or_default(),
                note: r.note.unwrap_or_default(),
            }),
        }
    }
}

/// The guard's standing: the pause in force, and the last one resumed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PauseState {
    pub open: Option<SurveyPause>,
    pub last_resumed: Option<SurveyPause>,
}

/// A pause's columns, as `PauseRaw` reads them.
macro_rules! pause_columns {
    () => {
        "id, reason, sent, complaints, paused_at, resumed_at, resumed_by, note"
    };
}
const OPEN_PAUSE: &str = concat!(
    "SELECT ",
    pause_columns!(),
    " FROM survey_pauses WHERE resumed_at IS NULL"
);
const LAST_RESUMED: &str = concat!(
    "SELECT ",
    pause_columns!(),
    " FROM survey_pauses WHERE resumed_at IS NOT NULL ORDER BY resumed_at DESC LIMIT 1"
);
const PAUSE_BY_ID: &str = concat!(
    "SELECT ",
    pause_columns!(),
    " FROM survey_pauses WHERE id = $1"
);
const RESUME: &str = concat!(
    "UPDATE survey_pauses SET resumed_at = $1, resumed_by = $2, note = $3
     WHERE resumed_at IS NULL RETURNING ",
    pause_columns!()
);

/// A marked complaint counts when its invitation went to the address that complained.
const COUNT_MARKED: &str = "
INSERT INTO survey_complaints (event_id, invitation_id, source, occurred_at, received_at)
SELECT $1, id, $3, $4, $5 FROM invitations WHERE id = $2 AND recipient = $6
ON CONFLICT (event_id) DO NOTHING";

/// An unmarked one counts against the address's latest survey email mailed since $6.
const COUNT_UNMARKED: &str = "
INSERT INTO survey_complaints (event_id, invitation_id, source, occurred_at, received_at)
SELECT $1, id, $2, $3, $4 FROM invitations
WHERE recipient = $5
  AND ((status IN ('sending', 'sent', 'unknown') AND COALESCE(sent_at, claimed_at) >= $6)
       OR reminder_sent_at >= $6)
ORDER BY COALESCE(reminder_sent_at, sent_at, claimed_at) DESC
LIMIT 1
ON CONFLICT (event_id) DO NOTHING";

#[async_trait]
impl ComplaintStore for SqlStore {
    async fn record_complaints(
        &self,
        complaints: &[NewComplaint],
        surveyed_within: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if complaints.is_empty() {
            return Ok(0);
        }
        let now_ms = millis(now);
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            let mut counted = 0;
            for c in complaints {
                let at = millis(c.occurred_at);
                let query = match &c.invitation_id {
                    Some(invitation) => sqlx::query(COUNT_MARKED)
                        .bind(c.event_id.clone())
                        .bind(invitation.clone())
                        .bind(c.source.clone())
                        .bind(at)
                        .bind(now_ms)
                        .bind(c.recipient.clone()),
                    None => sqlx::query(COUNT_UNMARKED)
                        .bind(c.event_id.clone())
                        .bind(c.source.clone())
                        .bind(at)
                        .bind(now_ms)
                        .bind(c.recipient.clone())
                        .bind(millis(c.occurred_at - surveyed_within)),
                };
                counted += query.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok::<_, StoreError>(counted)
        })
    }

    async fn complaints_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self.db(), pool =>
            sqlx::query_scalar("SELECT COUNT(*) FROM survey_complaints WHERE occurred_at >= $1")
                .bind(millis(since))
                .fetch_one(pool)
                .await)?;
        Ok(n as u64)
    }

    async fn survey_pause(&self) -> Result<PauseState, StoreError> {
        let (open, last): (Option<PauseRaw>, Option<PauseRaw>) = on_pool!(self.db(), pool => {
            let open = sqlx::query_as(OPEN_PAUSE).fetch_optional(pool).await?;
            let last = sqlx::query_as(LAST_RESUMED).fetch_optional(pool).await?;
            Ok::<_, sqlx::Error>((open, last))
        })?;
        Ok(PauseState {
            open: open.map(SurveyPause::from),
            last_resumed: last.map(SurveyPause::from),
        })
    }

    async fn pause_surveys(
        &self,
        pause: &NewPause,
        alert_to: &[AlertTarget],
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let now_ms = millis(now);
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            // The unique index on the open pause makes a second one a conflict.
            let opened = sqlx::query(
                "INSERT INTO survey_pauses (id, reason, sent, complaints, paused_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(id.clone())
            .bind(pause.reason.clone())
            .bind(pause.figures.sent as i64)
            .bind(pause.figures.complaints as i64)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if opened == 0 {
                return Ok(None);
            }
            for target in alert_to {
                sqlx::query(
                    "INSERT INTO alerts (id, pause_id, channel, target, status, attempts,
                                         next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(id.clone())
                .bind(target.channel.as_str())
                .bind(target.target.clone())
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(Some(id))
        })
    }

    async fn resume_surveys(
        &self,
        by: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SurveyPause>, StoreError> {
        let raw: Option<PauseRaw> = on_writer!(self, conn => sqlx::query_as(RESUME)
            .bind(millis(now))
            .bind(by)
            .bind(note)
            .fetch_optional(&mut *conn)
            .await)?;
        Ok(raw.map(SurveyPause::from))
    }

    async fn survey_pause_by_id(&self, id: &str) -> Result<Option<SurveyPause>, StoreError> {
        let raw: Option<PauseRaw> = on_pool!(self.db(), pool =>
            sqlx::query_as(PAUSE_BY_ID).bind(id).fetch_optional(pool).await)?;
        Ok(raw.map(SurveyPause::from))
    }
}
