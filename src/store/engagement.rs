//! Engagement: events as they arrive (idempotent by id), the suppressions some of them imply,
//! and what the survey sweep reads of them.
use super::db::{Db, on_pool};
use super::rows::{from_millis, millis};
use super::{SqlStore, StoreError};
use crate::domain::attribution::{ClickedPromise, Touch};
use crate::domain::event::{EngagementEvent, EventKind};
use crate::domain::judgement::Judgement;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[async_trait]
pub trait EngagementStore: Send + Sync {
    /// Stores a request's events in one transaction (all or nothing): new ones are kept, ones
    /// seen before are counted as duplicates, campaigns they name come to exist, and suppressing
    /// events suppress their address. `delivered_by` names the credential that admitted the
    /// request (a token's name, `signed`, or `unauthenticated`).
    async fn record_events(
        &self,
        events: &[EngagementEvent],
        delivered_by: &str,
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError>;

    /// As `record_events`, and in the same transaction marks the delivery's token used
    /// (Mailgun's one-time webhook tokens): a token already used for another event refuses the
    /// request (`TokenReplayed`, nothing stored); used for these same events it is the provider
    /// redelivering, stored as duplicates. Tokens past their `keep_until` are dropped.
    async fn record_events_once(
        &self,
        events: &[EngagementEvent],
        delivery: Delivery<'_>,
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError>;

    /// (campaign, recipient) pairs with a click, whose last click was before `clicked_before`,
    /// not invited yet and not suppressed — oldest last click first.
    async fn sweep_candidates(
        &self,
        clicked_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError>;

    /// Every click and conversion of these recipients.
    async fn touches(
        &self,
        recipients: &[String],
    ) -> Result<HashMap<String, Vec<Touch>>, StoreError>;
}

/// A touch as read: recipient, type, campaign, time, locale, zone, location, sku, judgement.
#[derive(serde::Deserialize)]
struct TouchRaw(
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// A provider's one-time delivery token, kept until its signature would be stale anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryToken {
    pub token: String,
    pub keep_until: DateTime<Utc>,
}

/// Who delivered a request (the credential's name) and the one-time token it came with.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub by: &'a str,
    pub token: &'a DeliveryToken,
}

/// What one events request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventsRecorded {
    /// Events in the request.
    pub received: u64,
    /// Events stored now (the rest had been seen before).
    pub stored: u64,
    pub duplicates: u64,
    /// Addresses newly suppressed from surveys.
    pub suppressed: u64,
    /// Events for erased addresses, refused quietly (stored nowhere).
    pub forgotten: u64,
    /// Events (or a whole body) that could not be taken, kept in the quarantine instead.
    pub quarantined: u64,
    /// Events understood and deliberately not kept: types promiseguard does not use that name
    /// no address (Braze), orders without a customer address, other Segment events.
    pub ignored: u64,
}

/// The reason a survey's own unsubscribe link records: the person's word to us, which no
/// provider's reactivation lifts.
pub(super) const SURVEY_UNSUBSCRIBE: &str = "unsubscribe link";

/// Withdraws the invitations still waiting to be sent to an address just suppressed ($1, for
/// reason $2): a survey never goes to someone who unsubscribed (or bounced, or complained)
/// after it was queued. One in flight (`sending`) is past stopping.
pub(super) const WITHDRAW_WAITING: &str = "
UPDATE invitations SET status = 'failed',
       last_error = 'withdrawn before it was sent: the address was suppressed (' || $2 || ')'
WHERE recipient = $1 AND status = 'queued'";

#[async_trait]
impl EngagementStore for SqlStore {
    async fn record_events(
        &self,
        events: &[EngagementEvent],
        delivered_by: &str,
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError> {
        self.record(events, delivered_by, None, now).await
    }

    async fn record_events_once(
        &self,
        events: &[EngagementEvent],
        delivery: Delivery<'_>,
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError> {
        self.record(events, delivery.by, Some(delivery.token), now)
            .await
    }

    async fn sweep_candidates(
        &self,
        clicked_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        // One JSON array, as `touches` reads its rows (the reason is there).
        let pack = match self.db() {
            Db::Sqlite(_) => {
                "json_group_array(json_array(campaign_id, recipient) ORDER BY last, campaign_id, recipient)"
            }
            Db::Postgres(_) => {
                "COALESCE(json_agg(json_build_array(campaign_id, recipient) ORDER BY last, campaign_id, recipient), '[]')::text"
            }
        };
        let sql = format!(
            "SELECT {pack} FROM (
                SELECT e.campaign_id, e.recipient, MAX(e.occurred_at) AS last
                FROM events e
                WHERE e.type = 'click' AND e.campaign_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM invitations i
                                  WHERE i.campaign_id = e.campaign_id AND i.recipient = e.recipient)
                  AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.address = e.recipient)
                GROUP BY e.campaign_id, e.recipient
                HAVING MAX(e.occurred_at) < $1) candidates"
        );
        let (packed,): (String,) = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(millis(clicked_before)).fetch_one(pool).await)?;
        let rows: Vec<(String, String)> = serde_json::from_str(&packed)
            .map_err(|e| StoreError::Corrupt(format!("sweep candidates: {e}")))?;
        Ok(rows)
    }

    async fn touches(
        &self,
        recipients: &[String],
    ) -> Result<HashMap<String, Vec<Touch>>, StoreError> {
        // One query however many recipients (a sweep may ask for 100,000): the list goes in as
        // a JSON array each backend unpacks, rather than as hundreds of queries of bound values.
        let list = serde_json::to_string(recipients)
            .map_err(|e| StoreError::Corrupt(format!("recipients: {e}")))?;
        // The rows come back as one JSON array (built by the database), not as a row each:
        // handing 100,000 rows one by one from the driver's thread costs more than reading them.
        let (pack, unpack) = match self.db() {
            Db::Sqlite(_) => (
                "json_group_array(json_array(recipient, type, campaign_id, occurred_at, locale, zone, location, sku, judgement))",
                "SELECT value FROM json_each($1)",
            ),
            Db::Postgres(_) => (
                "COALESCE(json_agg(json_build_array(recipient, type, campaign_id, occurred_at, locale, zone, location, sku, judgement)), '[]')::text",
                "SELECT jsonb_array_elements_text($1::jsonb)",
            ),
        };
        let sql = format!(
            "SELECT {pack} FROM events
             WHERE type IN ('click', 'conversion') AND recipient IN ({unpack})"
        );
        let (packed,): (String,) = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(list).fetch_one(pool).await)?;
        let rows: Vec<TouchRaw> = serde_json::from_str(&packed)
            .map_err(|e| StoreError::Corrupt(format!("touches: {e}")))?;
        let mut touches: HashMap<String, Vec<Touch>> = HashMap::new();
        for row in rows {
            let TouchRaw(recipient, kind, campaign, at, locale, zone, location, sku, judgement) =
                row;
            let at = from_millis(at);
            let touch = if kind == EventKind::Click.as_str() {
                let judgement = judgement
                    .map(Judgement::from_code)
                    .transpose()
                    .map_err(StoreError::Corrupt)?;
                match campaign {
                    Some(campaign) => Touch::Click {
                        campaign,
                        at,
                        locale,
                        zone,
                        promise: ClickedPromise {
                            location,
                            sku,
                            judgement,
                        },
                    },
                    None => continue,
                }
            } else {
                Touch::Conversion { campaign, at }
            };
            touches.entry(recipient).or_default().push(touch);
        }
        Ok(touches)
    }
}
