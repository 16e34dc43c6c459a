//! Campaigns watched on the platforms they are scheduled in: what each was when its content was
//! last read (`watched_campaigns`), and what was done about one that would break a promise
//! (`campaign_actions`, with the alerts about it queued in the same transaction). An action is
//! one row per campaign, content version and kind, ever: claimed before the platform is
//! called, so a second instance or a retried tick never acts twice.
use super::db::on_pool;
use super::rows::{from_millis, millis, parse};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::AlertTarget;
use crate::domain::watch::{Scheduled, Seen};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::HashMap;

/// What was done about a scheduled campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// `campaign.blocked_scheduled`: it would break a promise; it stays scheduled.
    Alert,
    /// Taken off the schedule (`campaign.unscheduled`).
    Unschedule,
}

impl ActionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Unschedule => "unschedule",
        }
    }
}

/// How an action ended (`pending` until the platform answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    Pending,
    Unscheduled,
    Alerted,
    Failed,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Unscheduled => "unscheduled",
            Self::Alerted => "alerted",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for ActionOutcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(Self::Pending),
            "unscheduled" => Ok(Self::Unscheduled),
            "alerted" => Ok(Self::Alerted),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown action `{other}`")),
        }
    }
}

/// A campaign's content as read at one tick, and the check of it.
#[derive(Debug, Clone, Copy)]
pub struct Fetched<'a> {
    pub platform: &'a str,
    pub listed: &'a Scheduled,
    /// A hash over every variation (`None`: not readable, e.g. a Braze Canvas).
    pub content_hash: Option<&'a str>,
    pub check_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// How a claimed action ended, and where its alerts go.
#[derive(Debug, Clone, Copy)]
pub struct Settled<'a> {
    pub id: &'a str,
    pub outcome: ActionOutcome,
    /// The platform's answer when taking the campaign off failed.
    pub detail: Option<&'a str>,
    pub alert_to: &'a [AlertTarget],
}

/// An action about to be taken.
#[derive(Debug, Clone, Copy)]
pub struct NewAction<'a> {
    pub campaign_id: &'a str,
    /// The platform's kind (`klaviyo`, …).
    pub platform: &'a str,
    pub version: &'a str,
    pub kind: ActionKind,
    pub check_id: &'a str,
    pub send_time: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub id: String,
    pub campaign_id: String,
    pub platform: String,
    /// How it ended (`pending` while the platform is asked).
    pub action: ActionOutcome,
    pub check_id: String,
    pub send_time: DateTime<Utc>,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait WatchStore: Send + Sync {
    /// What was remembered of each of the platform's campaigns at its last read.
    async fn watched(&self, platform: &str) -> Result<HashMap<String, Seen>, StoreError>;

    /// Remembers a campaign as read now.
    async fn record_fetch(&self, fetched: Fetched<'_>) -> Result<(), StoreError>;

    /// Claims an action: its id, or `None` when this campaign, version and kind were acted on
    /// already (here or by another instance).
    async fn claim_action(&self, action: NewAction<'_>) -> Result<Option<String>, StoreError>;

    /// Settles a claimed action and queues one alert about it per destination, in one
    /// transaction.
    async fn settle_action(&self, settled: Settled<'_>) -> Result<(), StoreError>;

    async fn action(&self, id: &str) -> Result<Option<ActionRow>, StoreError>;

    /// A campaign's actions, oldest first.
    async fn actions(&self, campaign_id: &str) -> Result<Vec<ActionRow>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct SeenRaw {
    campaign_id: String,
    send_time: i64,
    marker: Option<String>,
    fetched_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ActionRaw {
    id: String,
    campaign_id: String,
    platform: String,
    action: String,
    check_id: String,
    send_time: i64,
    detail: Option<String>,
    at: i64,
}

impl ActionRaw {
    fn read(self) -> Result<ActionRow, StoreError> {
        Ok(ActionRow {
            action: parse("campaign_actions.action", &self.action)?,
            id: self.id,
            campaign_id: self.campaign_id,
            platform: self.platform,
            check_id: self.check_id,
            send_time: from_millis(self.send_time),
            detail: self.detail,
            at: from_millis(self.at),
        })
    }
}

macro_rules! select_action {
    () => {
        "SELECT id, campaign_id, platform, action, check_id, send_time, detail, at
         FROM campaign_actions "
    };
}

const UPSERT_WATCHED: &str = "
INSERT INTO watched_campaigns (platform, campaign_id, send_time, earliest_at, marker, content_hash,
                               fetched_at, check_id, seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (platform, campaign_id) DO UPDATE SET
    send_time = excluded.send_time, earliest_at = excluded.earliest_at, marker = excluded.marker,
    content_hash = excluded.content_hash, fetched_at = excluded.fetched_at,
    check_id = excluded.check_id, seen_at = excluded.seen_at";

const QUEUE_ACTION_ALERT: &str = "
INSERT INTO alerts (id, action_id, campaign_id, channel, target, status, attempts, next_attempt_at,
                    created_at)
SELECT $1, a.id, a.campaign_id, $3, $4, 'queued', 0, $5, $5 FROM campaign_actions a WHERE a.id = $2
ON CONFLICT (action_id, channel, target) DO NOTHING";

#[async_trait]
impl WatchStore for SqlStore {
    async fn watched(&self, platform: &str) -> Result<HashMap<String, Seen>, StoreError> {
        let rows: Vec<SeenRaw> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT campaign_id, send_time, marker, fetched_at FROM watched_campaigns
             WHERE platform = $1",
        )
        .bind(platform)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let seen = Seen {
                    send_time: from_millis(r.send_time),
                    marker: r.marker,
                    fetched_at: r.fetched_at.map(from_millis),
                };
                (r.campaign_id, seen)
            })
            .collect())
    }

    async fn record_fetch(&self, f: Fetched<'_>) -> Result<(), StoreError> {
        // Listed but never read (a Canvas): remembered as seen, its content never fetched.
        let fetched_at = f.content_hash.map(|_| millis(f.at));
        on_writer!(self, conn => sqlx::query(UPSERT_WATCHED)
            .bind(f.platform)
            .bind(&f.listed.id)
            .bind(millis(f.listed.send_time))
            .bind(millis(f.listed.earliest_delivery()))
            .bind(f.listed.marker.as_deref())
            .bind(f.content_hash)
            .bind(fetched_at)
            .bind(f.check_id)
            .bind(millis(f.at))
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn claim_action(&self, a: NewAction<'_>) -> Result<Option<String>, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let inserted = on_writer!(self, conn => sqlx::query(
            "INSERT INTO campaign_actions (id, campaign_id, platform, version, kind, action, check_id,
                                           send_time, at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)
             ON CONFLICT (campaign_id, version, kind) DO NOTHING",
        )
        .bind(&id)
        .bind(a.campaign_id)
        .bind(a.platform)
        .bind(a.version)
        .bind(a.kind.as_str())
        .bind(a.check_id)
        .bind(millis(a.send_time))
        .bind(millis(a.at))
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))?;
        Ok(inserted.then_some(id))
    }

    async fn settle_action(&self, settled: Settled<'_>) -> Result<(), StoreError> {
        let Settled {
            id,
            outcome,
            detail,
            alert_to,
        } = settled;
        let begin = self.db().begin_write();
        let now = millis(Utc::now());
        on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            sqlx::query("UPDATE campaign_actions SET action = $2, detail = $3, at = $4 WHERE id = $1")
                .bind(id)
                .bind(outcome.as_str())
                .bind(detail)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            for target in alert_to {
                sqlx::query(QUEUE_ACTION_ALERT)
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(id)
                    .bind(target.channel.as_str())
                    .bind(&target.target)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    async fn action(&self, id: &str) -> Result<Option<ActionRow>, StoreError> {
        let sql = concat!(select_action!(), "WHERE id = $1");
        let raw: Option<ActionRaw> = on_pool!(self.db(), pool => sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        raw.map(ActionRaw::read).transpose()
    }

    async fn actions(&self, campaign_id: &str) -> Result<Vec<ActionRow>, StoreError> {
        let sql = concat!(select_action!(), "WHERE campaign_id = $1 ORDER BY at, id");
        let rows: Vec<ActionRaw> = on_pool!(self.db(), pool => sqlx::query_as(sql)
            .bind(campaign_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(ActionRaw::read).collect()
    }
}
