//! Alerts about new block findings on running campaigns, and about detractors of campaigns that
//! broke a promise, as an outbox: a finding's queued with the check that found it (in its
//! transaction, once per finding and destination — a unique key), an answer's when it is
//! recorded (once per invitation and destination), a survey response's with the answer
//! (`responses.rs`), claimed one at a time before delivery, settled like invitations.
use super::checks::NewCheck;
use super::db::{Db, on_pool};
use super::outbox::{ALERTS, finish_query};
use super::responses::FORGET_SETTLED_BODY;
use super::rows::{millis, parse};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::review::Inherited;
use crate::domain::{AlertChannel, AlertTarget, DeliveryStatus, SendOutcome, Severity};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Takes the next due alert for delivery (committed before anything is sent).
    async fn claim_alert(
        &self,
        run: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedAlert>, StoreError>;

    async fn finish_alert(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Alerts left `sending` by a run other than `run`: webhooks are queued again (same
    /// `webhook-id`), emails become `unknown`.
    async fn abandon_unfinished_alerts(&self, run: &str) -> Result<u64, StoreError>;

    async fn alerts(&self, campaign_id: &str) -> Result<Vec<AlertRow>, StoreError>;

    /// Queues one alert per destination about the invitation's answer when it is a detractor's
    /// (0–6) and its campaign broke a promise (a block or flag finding in any check); at most
    /// once per invitation and destination however often the answer is re-submitted. Returns
    /// how many were queued now.
    async fn queue_detractor_alerts(
        &self,
        invitation_id: &str,
        to: &[AlertTarget],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// What an alert is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAbout {
    /// A new block finding (`finding.blocked`).
    Finding(String),
    /// A detractor's answer, by invitation (`survey.detractor`).
    Answer(String),
    /// What the watch did about a scheduled campaign (`campaign.blocked_scheduled`,
    /// `campaign.unscheduled`), by action.
    Action(String),
    /// The complaint guard paused survey mail (`surveys.paused`), by pause.
    Pause(String),
    /// A survey response pushed to a `[[surveys.webhooks]]` destination, by response.
    Response(String),
}

impl AlertAbout {
    /// What alerts may be about, as [`kind`](Self::kind) names it.
    pub const KINDS: [&'static str; 5] = [
        "finding",
        "detractor",
        "campaign_action",
        "surveys_paused",
        "survey_response",
    ];

    /// What the alert is about, for the metrics.
    pub fn kind(&self) -> &'static str {
        let n = match self {
            AlertAbout::Finding(_) => 0,
            AlertAbout::Answer(_) => 1,
            AlertAbout::Action(_) => 2,
            AlertAbout::Pause(_) => 3,
            AlertAbout::Response(_) => 4,
        };
        Self::KINDS[n]
    }

    fn of(raw: &mut HeadRaw) -> Result<Self, StoreError> {
        let about = (
            raw.finding_id.take(),
            raw.invitation_id.take(),
            raw.action_id.take(),
            raw.pause_id.take(),
            raw.response_id.take(),
        );
        match about {
            (Some(f), None, None, None, None) => Ok(AlertAbout::Finding(f)),
            (None, Some(i), None, None, None) => Ok(AlertAbout::Answer(i)),
            (None, None, Some(a), None, None) => Ok(AlertAbout::Action(a)),
            (None, None, None, Some(p), None) => Ok(AlertAbout::Pause(p)),
            (None, None, None, None, Some(r)) => Ok(AlertAbout::Response(r)),
            _ => Err(StoreError::Corrupt(
                "an alert is about one finding, answer, action, pause or response".into(),
            )),
        }
    }
}

/// An alert taken for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedAlert {
    pub id: String,
    pub about: AlertAbout,
    /// None for a pause, which is about no campaign.
    pub campaign_id: Option<String>,
    pub channel: AlertChannel,
    pub target: String,
    /// Attempts including this one.
    pub attempts: u32,
}

/// An alert's life cycle is the outbox's (`domain::outbox`).
pub type AlertStatus = DeliveryStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub about: AlertAbout,
    pub campaign_id: String,
    pub channel: AlertChannel,
    pub target: String,
    pub status: AlertStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// The columns every read of an alert starts with, as stored.
#[derive(sqlx::FromRow)]
struct HeadRaw {
    id: String,
    finding_id: Option<String>,
    invitation_id: Option<String>,
    action_id: Option<String>,
    pause_id: Option<String>,
    response_id: Option<String>,
    campaign_id: Option<String>,
    channel: String,
    target: String,
}

/// The same, read: what the alert is about and where it goes.
struct Head {
    id: String,
    about: AlertAbout,
    campaign_id: Option<String>,
    channel: AlertChannel,
    target: String,
}

impl HeadRaw {
    fn read(mut self) -> Result<Head, StoreError> {
        Ok(Head {
            about: AlertAbout::of(&mut self)?,
            channel: parse("alerts.channel", &self.channel)?,
            id: self.id,
            campaign_id: self.campaign_id,
            target: self.target,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedRaw {
    #[sqlx(flatten)]
    head: HeadRaw,
    attempts: i64,
}

#[derive(sqlx::FromRow)]
struct RowRaw {
    #[sqlx(flatten)]
    head: HeadRaw,
    status: String,
    attempts: i64,
    last_error: Option<String>,
}

const INSERT_ALERTS: &str = "
INSERT INTO alerts (id, finding_id, campaign_id, channel, target, status, attempts, next_attempt_at,
                    created_at) ";
/// 9 parameters a row.
const ALERTS_PER_INSERT: usize = 500;

/// The statements that queue the alerts of a check being stored (run in its transaction): one
/// per destination for each of its block findings that is new.
pub(super) fn insert_alerts<DB: sqlx::Database>(
    check: &NewCheck<'_>,
    inherited: &[Inherited],
) -> Vec<sqlx::QueryBuilder<DB>>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let checked_at = millis(check.checked_at);
    let alerts: Vec<_> = check
        .findings
        .iter()
        .zip(inherited)
        .filter(|(f, i)| i.is_new && f.severity == Severity::Block && f.exemption.is_none())
        .flat_map(|(f, _)| check.alert_to.iter().map(move |t| (f, t)))
        .collect();
    alerts
        .chunks(ALERTS_PER_INSERT)
        .map(|chunk| {
            let mut insert = sqlx::QueryBuilder::new(INSERT_ALERTS);
            insert.push_values(chunk, |mut row, (f, t)| {
                row.push_bind(uuid::Uuid::new_v4().to_string())
                    .push_bind(f.id.clone())
                    .push_bind(check.campaign.id.clone())
                    .push_bind(t.channel.as_str())
                    .push_bind(t.target.clone())
                    .push_bind("queued")
                    .push_bind(0i64)
                    .push_bind(checked_at)
                    .push_bind(checked_at);
            });
            insert.push(" ON CONFLICT (finding_id, channel, target) DO NOTHING");
            insert
        })
        .collect()
}

/// One detractor alert to one destination, if the invitation's answer is a detractor's and its
/// campaign broke a promise; nothing if that alert exists already.
const QUEUE_DETRACTOR_ALERT: &str = concat!(
    "
INSERT INTO alerts (id, invitation_id, campaign_id, channel, target, status, attempts,
                    next_attempt_at, created_at)
SELECT $1, i.id, i.campaign_id, $3, $4, 'queued', 0, $5, $5 FROM invitations i
WHERE i.id = $2 AND i.score IS NOT NULL AND i.score <= 6
  AND ",
    super::answers::broke_a_promise!(),
    "
ON CONFLICT (invitation_id, channel, target) DO NOTHING"
);

const CLAIM_ALERT_POSTGRES: &str = "
UPDATE alerts SET status = 'sending', claimed_by = $2, attempts = attempts + 1
WHERE id = (SELECT id FROM alerts WHERE status = 'queued' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, finding_id, invitation_id, action_id, pause_id, response_id, campaign_id, channel, target,
          attempts";
const CLAIM_ALERT_SQLITE: &str = "
UPDATE alerts SET status = 'sending', claimed_by = $2, attempts = attempts + 1
WHERE id = (SELECT id FROM alerts WHERE status = 'queued' AND next_attempt_at <= $1
            ORDER BY next_attempt_at, created_at LIMIT 1)
RETURNING id, finding_id, invitation_id, action_id, pause_id, response_id, campaign_id, channel, target,
          attempts";

#[async_trait]
impl AlertStore for SqlStore {
    async fn claim_alert(
        &self,
        run: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedAlert>, StoreError> {
        let sql = match self.db() {
            Db::Postgres(_) => CLAIM_ALERT_POSTGRES,
            Db::Sqlite(_) => CLAIM_ALERT_SQLITE,
        };
        let raw: Option<ClaimedRaw> = on_writer!(self, conn => {
            sqlx::query_as(sql)
                .bind(millis(now))
                .bind(run)
                .fetch_optional(&mut *conn)
                .await
        })?;
        raw.map(|raw| {
            let head = raw.head.read()?;
            Ok(ClaimedAlert {
                id: head.id,
                about: head.about,
                campaign_id: head.campaign_id,
                channel: head.channel,
                target: head.target,
                attempts: raw.attempts as u32,
            })
        })
        .transpose()
    }

    async fn finish_alert(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let begin = self.db().begin_write();
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            finish_query(&ALERTS, id, outcome, now).execute(&mut *tx).await?;
            sqlx::query(FORGET_SETTLED_BODY).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(())
    }

    async fn abandon_unfinished_alerts(&self, run: &str) -> Result<u64, StoreError> {
        let n = on_writer!(self, conn => sqlx::query(ALERTS.abandon.as_str())
            .bind(run)
            .bind("claimed by a run that did not finish")
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    async fn alerts(&self, campaign_id: &str) -> Result<Vec<AlertRow>, StoreError> {
        let rows: Vec<RowRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, finding_id, invitation_id, action_id, pause_id, response_id, campaign_id, channel, target,
                    status, attempts, last_error
             FROM alerts WHERE campaign_id = $1 ORDER BY created_at, channel, target",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|raw| {
                let head = raw.head.read()?;
                Ok(AlertRow {
                    id: head.id,
                    about: head.about,
                    campaign_id: head.campaign_id.unwrap_or_default(),
                    channel: head.channel,
                    target: head.target,
                    status: raw.status.parse().map_err(StoreError::Corrupt)?,
                    attempts: raw.attempts as u32,
                    last_error: raw.last_error,
                })
            })
            .collect()
    }
    async fn queue_detractor_alerts(
        &self,
        invitation_id: &str,
        to: &[AlertTarget],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut queued = 0;
        for target in to {
            let n = on_writer!(self, conn => sqlx::query(QUEUE_DETRACTOR_ALERT)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(invitation_id)
                .bind(target.channel.as_str())
                .bind(&target.target)
                .bind(millis(now))
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected()))?;
            queued += n;
        }
        Ok(queued)
    }
}
