//! Engagement: events as they arrive (idempotent by id), the suppressions some of them imply,
//! and what the survey sweep reads of them.
use super::db::{Db, on_pool};
use super::erasure::{ERASURE_LOCK, erased_hashes_sql};
use super::rows::{from_millis, millis};
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::Campaign;
use crate::domain::attribution::Touch;
use crate::domain::erasure::address_hash;
use crate::domain::event::{EngagementEvent, EventKind};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::{BTreeSet, HashMap, HashSet};

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

    /// As `record_events`, and in the same transaction marks `token` used (Mailgun's one-time
    /// webhook tokens): a token already used for another event refuses the request
    /// (`TokenReplayed`, nothing stored); used for these same events it is the provider
    /// redelivering, stored as duplicates. Tokens past their `keep_until` are dropped.
    async fn record_events_once(
        &self,
        events: &[EngagementEvent],
        delivered_by: &str,
        token: &DeliveryToken,
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

/// A provider's one-time delivery token, kept until its signature would be stale anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryToken {
    pub token: String,
    pub keep_until: DateTime<Utc>,
}

/// What one events request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, utoipa::ToSchema)]
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

/// 11 parameters a row.
const EVENTS_PER_INSERT: usize = 1000;

impl SqlStore {
    async fn record(
        &self,
        events: &[EngagementEvent],
        delivered_by: &str,
        token: Option<&DeliveryToken>,
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError> {
        let campaigns: BTreeSet<&str> = events
            .iter()
            .filter_map(|e| e.campaign_id.as_deref())
            .collect();
        let now_ms = millis(now);
        // Erased addresses: hashed before the turn to write when the do-not-contact list has
        // any (checked again inside the transaction, which an erasure cannot interleave).
        let key = self.erasure_key().await?;
        let hash_all = |events: &[EngagementEvent]| -> Vec<(String, String)> {
            let recipients: BTreeSet<&str> = events.iter().map(|e| e.recipient.as_str()).collect();
            recipients
                .into_iter()
                .map(|r| (address_hash(&key, r), r.to_owned()))
                .collect()
        };
        let any_erased = "SELECT EXISTS (SELECT 1 FROM erased_addresses)";
        let listed: bool = on_pool!(self.db(), pool =>
            sqlx::query_scalar(any_erased).fetch_one(pool).await)?;
        let mut hashed = listed.then(|| hash_all(events));
        let erased_sql = erased_hashes_sql(self.db());
        let postgres = matches!(self.db(), Db::Postgres(_));
        let begin = self.db().begin_write();
        let (stored, suppressed, forgotten) = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
                    .bind(ERASURE_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut erased: HashSet<String> = HashSet::new();
            let listed: bool = sqlx::query_scalar(any_erased).fetch_one(&mut *tx).await?;
            if listed {
                let hashed = hashed.get_or_insert_with(|| hash_all(events));
                let list = serde_json::to_string(&hashed.iter().map(|(h, _)| h).collect::<Vec<_>>())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let found: HashSet<String> = sqlx::query_scalar(erased_sql)
                    .bind(list)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect();
                erased = hashed
                    .iter()
                    .filter(|(h, _)| found.contains(h))
                    .map(|(_, r)| r.clone())
                    .collect();
            }
            // An erased person's events are refused quietly: stored nowhere, counted apart.
            let kept: Vec<&EngagementEvent> = events
                .iter()
                .filter(|e| !erased.contains(&e.recipient))
                .collect();
            let forgotten = (events.len() - kept.len()) as u64;
            if let Some(token) = token {
                sqlx::query("DELETE FROM webhook_tokens WHERE keep_until < $1")
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                let first = events.first().map(|e| e.id.as_str()).unwrap_or_default();
                let marked = sqlx::query(
                    "INSERT INTO webhook_tokens (token, event_id, keep_until) VALUES ($1, $2, $3)
                     ON CONFLICT (token) DO NOTHING",
                )
                .bind(&token.token)
                .bind(first)
                .bind(millis(token.keep_until))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if marked == 0 {
                    let used_by: String =
                        sqlx::query_scalar("SELECT event_id FROM webhook_tokens WHERE token = $1")
                            .bind(&token.token)
                            .fetch_one(&mut *tx)
                            .await?;
                    if used_by != first {
                        return Err(StoreError::TokenReplayed(format!(
                            "this delivery's token was already used by another event ({used_by})"
                        )));
                    }
                }
            }
            // A campaign exists once an event names it; one known from a check is untouched.
            for id in &campaigns {
                let definition = serde_json::to_string(&Campaign {
                    id: (*id).to_owned(),
                    name: None,
                    platform: None,
                    send_at: None,
                    audience_size: None,
                    brand: None,
                    locale: None,
                    offers: Vec::new(),
                })
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO campaigns (id, definition, window_start, window_end, created_at, updated_at)
                     VALUES ($1, $2, 0, 0, $3, $3) ON CONFLICT (id) DO NOTHING",
                )
                .bind(*id)
                .bind(definition)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            let mut stored = 0;
            for chunk in kept.chunks(EVENTS_PER_INSERT) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO events (id, source, type, campaign_id, recipient, occurred_at, url, order_id, received_at, credential, locale) ",
                );
                insert.push_values(chunk, |mut row, e| {
                    row.push_bind(e.id.clone())
                        .push_bind(e.source.clone())
                        .push_bind(e.kind.as_str().to_owned())
                        .push_bind(e.campaign_id.clone())
                        .push_bind(e.recipient.clone())
                        .push_bind(millis(e.occurred_at))
                        .push_bind(e.url.clone())
                        .push_bind(e.order_id.clone())
                        .push_bind(now_ms)
                        .push_bind(delivered_by.to_owned())
                        .push_bind(e.locale.clone());
                });
                insert.push(" ON CONFLICT (id) DO NOTHING");
                stored += insert.build().execute(&mut *tx).await?.rows_affected();
            }
            // In the order they happened: a reactivation lifts an earlier bounce, a later
            // bounce suppresses again.
            let mut suppressed = 0;
            for e in &kept {
                if let Some(reason) = &e.suppresses {
                    suppressed += sqlx::query(
                        "INSERT INTO suppressions (address, reason, created_at) VALUES ($1, $2, $3)
                         ON CONFLICT (address) DO NOTHING",
                    )
                    .bind(&e.recipient)
                    .bind(reason)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                } else if e.reactivates {
                    sqlx::query("DELETE FROM suppressions WHERE address = $1 AND reason <> $2")
                        .bind(&e.recipient)
                        .bind(SURVEY_UNSUBSCRIBE)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok::<_, StoreError>((stored, suppressed, forgotten))
        })?;
        let received = events.len() as u64;
        Ok(EventsRecorded {
            received,
            stored,
            duplicates: received - stored - forgotten,
            suppressed,
            forgotten,
            quarantined: 0,
            ignored: 0,
        })
    }
}

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
        delivered_by: &str,
        token: &DeliveryToken,
        now: DateTime<Utc>,
    ) -> Result<EventsRecorded, StoreError> {
        self.record(events, delivered_by, Some(token), now).await
    }

    async fn sweep_candidates(
        &self,
        clicked_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "
            SELECT e.campaign_id, e.recipient
            FROM events e
            WHERE e.type = 'click' AND e.campaign_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM invitations i
                              WHERE i.campaign_id = e.campaign_id AND i.recipient = e.recipient)
              AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.address = e.recipient)
            GROUP BY e.campaign_id, e.recipient
            HAVING MAX(e.occurred_at) < $1
            ORDER BY MAX(e.occurred_at), e.campaign_id, e.recipient";
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(sql).bind(millis(clicked_before)).fetch_all(pool).await)?;
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
        let unpack = match self.db() {
            Db::Sqlite(_) => "SELECT value FROM json_each($1)",
            Db::Postgres(_) => "SELECT jsonb_array_elements_text($1::jsonb)",
        };
        let sql = format!(
            "SELECT recipient, type, campaign_id, occurred_at, locale FROM events
             WHERE type IN ('click', 'conversion') AND recipient IN ({unpack})"
        );
        let rows: Vec<(String, String, Option<String>, i64, Option<String>)> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(list).fetch_all(pool).await)?;
        let mut touches: HashMap<String, Vec<Touch>> = HashMap::new();
        for (recipient, kind, campaign, at, locale) in rows {
            let at = from_millis(at);
            let touch = if kind == EventKind::Click.as_str() {
                match campaign {
                    Some(campaign) => Touch::Click {
                        campaign,
                        at,
                        locale,
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
