//! Writing a batch of events: in one transaction, the addresses erased meanwhile refused, a
//! one-time delivery token marked, a stub campaign for each id the events name, the events
//! (idempotent by id) and the suppressions they imply, in the order they happened.
use super::db::{Db, on_pool};
use super::engagement::{DeliveryToken, EventsRecorded, SURVEY_UNSUBSCRIBE};
use super::erasure::{ERASURE_LOCK, erased_hashes_sql};
use super::rows::millis;
use super::writer::on_writer;
use super::{SqlStore, StoreError};
use crate::domain::Campaign;
use crate::domain::content::templates::LinkPromise;
use crate::domain::erasure::address_hash;
use crate::domain::event::EngagementEvent;
use crate::domain::judgement::Judgement;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::{BTreeSet, HashSet};

/// 15 parameters a row.
const EVENTS_PER_INSERT: usize = 1000;

/// The statements that make a stub campaign for each id an event names (one known from a
/// check is untouched).
fn stub_campaigns<DB: sqlx::Database>(
    ids: &BTreeSet<&str>,
    now_ms: i64,
) -> Result<Vec<sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>>, StoreError>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    ids.iter()
        .map(|id| {
            let definition = serde_json::to_string(&Campaign::named(id))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(sqlx::query(
                "INSERT INTO campaigns (id, definition, window_start, window_end, created_at, updated_at)
                 VALUES ($1, $2, 0, 0, $3, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind((*id).to_owned())
            .bind(definition)
            .bind(now_ms))
        })
        .collect()
}

/// The inserts of `events`, `EVENTS_PER_INSERT` a statement; one seen before is skipped.
fn insert_events<DB: sqlx::Database>(
    events: &[&EngagementEvent],
    delivered_by: &str,
    now_ms: i64,
) -> Vec<sqlx::QueryBuilder<DB>>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    events
        .chunks(EVENTS_PER_INSERT)
        .map(|chunk| {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO events (id, source, type, campaign_id, recipient, occurred_at, url, order_id, received_at, credential, locale, location, sku, judgement, zone) ",
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
                    .push_bind(e.locale.clone())
                    .push_bind(promised_location(e))
                    .push_bind(promised_sku(e))
                    .push_bind(e.judgement.map(Judgement::code))
                    .push_bind(e.zone.clone());
            });
            insert.push(" ON CONFLICT (id) DO NOTHING");
            insert
        })
        .collect()
}

/// The location a click reached for (its URL matched a `[promises]` template).
fn promised_location(e: &EngagementEvent) -> Option<String> {
    match &e.promise {
        Some(LinkPromise::Location(location)) | Some(LinkPromise::Item { location, .. }) => {
            Some(location.clone())
        }
        None => None,
    }
}

/// The sku an item link's click reached for.
fn promised_sku(e: &EngagementEvent) -> Option<String> {
    match &e.promise {
        Some(LinkPromise::Item { sku, .. }) => Some(sku.clone()),
        _ => None,
    }
}

/// What `events` change in the suppressions, in their order: each statement, and whether the
/// rows it touches are new suppressions (a reactivation's delete lifts one instead; a new
/// suppression also withdraws the address's invitations still waiting to be sent).
fn suppression_changes<DB: sqlx::Database>(
    events: &[&EngagementEvent],
    now_ms: i64,
) -> Vec<(
    sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>,
    bool,
)>
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    events
        .iter()
        .filter_map(|e| {
            if let Some(reason) = &e.suppresses {
                let insert = sqlx::query(
                    "INSERT INTO suppressions (address, reason, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (address) DO NOTHING",
                )
                .bind(e.recipient.clone())
                .bind(reason.clone())
                .bind(now_ms);
                let withdraw = sqlx::query(super::engagement::WITHDRAW_WAITING)
                    .bind(e.recipient.clone())
                    .bind(reason.clone());
                Some(vec![(insert, true), (withdraw, false)])
            } else if e.reactivates {
                let delete =
                    sqlx::query("DELETE FROM suppressions WHERE address = $1 AND reason <> $2")
                        .bind(e.recipient.clone())
                        .bind(SURVEY_UNSUBSCRIBE);
                Some(vec![(delete, false)])
            } else {
                None
            }
        })
        .flatten()
        .collect()
}

/// Marks a one-time delivery token used by the event `first` (dropping expired ones first):
/// `TokenReplayed` when another event used it already; the same event again is a duplicate.
async fn use_token<DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'_, DB>,
    token: &DeliveryToken,
    first: &str,
    now_ms: i64,
) -> Result<(), StoreError>
where
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    sqlx::query::<DB>("DELETE FROM webhook_tokens WHERE keep_until < $1")
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    let marked: Option<String> = sqlx::query_scalar::<DB, String>(
        "INSERT INTO webhook_tokens (token, event_id, keep_until) VALUES ($1, $2, $3)
         ON CONFLICT (token) DO NOTHING RETURNING token",
    )
    .bind(token.token.clone())
    .bind(first.to_owned())
    .bind(millis(token.keep_until))
    .fetch_optional(&mut **tx)
    .await?;
    if marked.is_none() {
        let used_by: String = sqlx::query_scalar::<DB, String>(
            "SELECT event_id FROM webhook_tokens WHERE token = $1",
        )
        .bind(token.token.clone())
        .fetch_one(&mut **tx)
        .await?;
        if used_by != first {
            return Err(StoreError::TokenReplayed(format!(
                "this delivery's token was already used by another event ({used_by})"
            )));
        }
    }
    Ok(())
}

impl SqlStore {
    pub(super) async fn record(
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
                let first = events.first().map(|e| e.id.as_str()).unwrap_or_default();
                use_token(&mut tx, token, first, now_ms).await?;
            }
            // A campaign exists once an event names it; one known from a check is untouched.
            for stub in stub_campaigns(&campaigns, now_ms)? {
                stub.execute(&mut *tx).await?;
            }
            let mut stored = 0;
            for mut insert in insert_events(&kept, delivered_by, now_ms) {
                stored += insert.build().execute(&mut *tx).await?.rows_affected();
            }
            // In the order they happened: a reactivation lifts an earlier bounce, a later
            // bounce suppresses again.
            let mut suppressed = 0;
            for (change, counts) in suppression_changes(&kept, now_ms) {
                let n = change.execute(&mut *tx).await?.rows_affected();
                if counts {
                    suppressed += n;
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
