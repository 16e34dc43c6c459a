//! Erasure (GDPR article 17): one person's address removed from everything stored — events
//! deleted, invitations anonymised (their scores and reasons stay in the campaign's counts, so
//! past NPS does not change; their comments and errors go), suppressions, detractor alerts and
//! survey responses held for webhooks deleted — and a keyed hash of it kept on a do-not-contact
//! list, so a later event for the same address is refused quietly
//! (`EngagementStore::record_events`).
//!
//! On SQLite every connection runs with `secure_delete` (freed cells and pages are zeroed), and
//! an erasure ends with the WAL checkpointed and truncated, so the address's bytes leave the
//! database files, not only the rows. PostgreSQL: docs/privacy.md.
use super::db::{Db, on_pool};
use super::rows::millis;
use super::writer::on_writer;
use super::{SecretStore, SqlStore, StoreError};
use crate::domain::erasure::address_hash;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::collections::HashSet;

/// A person's clickers keep their figures (`store::clickers`), not the address.
const FORGET_CLICKER: &str = "UPDATE clickers SET recipient = NULL WHERE lower(recipient) = $1";

#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Erases `address` (trimmed, compared case-insensitively as `RecipientStore` does) and
    /// puts it on the do-not-contact list. Erasing twice is harmless: the second receipt counts
    /// nothing and says `already_erased`.
    async fn erase(&self, address: &str, now: DateTime<Utc>) -> Result<ErasureReceipt, StoreError>;

    /// Whether `address` was erased (its hash is on the do-not-contact list).
    async fn is_erased(&self, address: &str) -> Result<bool, StoreError>;

    /// Which of these addresses (normalised) were erased.
    async fn erased_among(&self, addresses: &[&str]) -> Result<HashSet<String>, StoreError>;
}

/// What one erasure removed, counted by kind. Serialized as it is kept in a compliance record
/// (`services::compliance`); the API's shape is `http::schema::ErasureReceipt`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErasureReceipt {
    pub erased: Erased,
    /// Answers whose score and reason stay, without the address, in their campaign's NPS.
    pub anonymised_answers: u64,
    /// Always true after an erasure: the address's keyed hash is on the do-not-contact list.
    pub do_not_contact: bool,
    /// The address had been erased before (this erasure found nothing more, or only what
    /// arrived since).
    pub already_erased: bool,
    pub erased_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    /// Engagement events (clicks, conversions, sends, provider events) deleted.
    pub events: u64,
    /// Survey invitations whose address was removed.
    pub invitations: u64,
    /// Free-text survey comments deleted.
    pub comments: u64,
    /// Suppressions (unsubscribes, bounces, spam reports) deleted — the do-not-contact list
    /// takes their place.
    pub suppressions: u64,
    /// Alerts about the person's answers deleted, sent or queued (they named the address):
    /// detractor alerts, and deliveries of their responses to `[[surveys.webhooks]]`.
    pub alerts: u64,
    /// The person's survey responses held for `[[surveys.webhooks]]` deleted (a queued one is
    /// then never sent).
    pub responses: u64,
    /// Recorded data requests (Shopify's `customers/data_request`) naming the address.
    pub requests: u64,
    /// Quarantined events whose payload holds the address.
    pub quarantined: u64,
}

/// The deletes of an erasure, each with the address as `$1`; the first two also take the
/// invitations' ids as `$2`, the third the events' (`mine`: the person's invitations). A raw
/// quarantined payload holds the address wherever the provider put it: found by its text.
fn deletes(mine: &str, unpack: &str, contains: &str) -> [String; 6] {
    let theirs = format!("SELECT id FROM invitations WHERE {mine}");
    [
        format!(
            "DELETE FROM alerts WHERE invitation_id IN ({theirs})
             OR response_id IN (SELECT id FROM survey_responses WHERE invitation_id IN ({theirs}))"
        ),
        format!("DELETE FROM survey_responses WHERE invitation_id IN ({theirs})"),
        format!("DELETE FROM events WHERE id IN ({unpack}) OR recipient = $1"),
        "DELETE FROM suppressions WHERE lower(address) = $1".to_owned(),
        "DELETE FROM compliance_requests WHERE lower(customer_email) = $1".to_owned(),
        format!("DELETE FROM quarantine WHERE {contains}"),
    ]
}

/// Event writes take this PostgreSQL advisory lock shared, an erasure exclusive: an event for
/// an address being erased either lands before the erasure (and is erased with the rest) or
/// sees the address on the list (and is refused). SQLite has one writer, so it needs none.
pub(super) const ERASURE_LOCK: i64 = 0x7072_6f6d_6973_6501;

const KEY_NAME: &str = "erasure_key";

impl SqlStore {
    /// The do-not-contact list's HMAC key: made on first use, kept in `app_secrets` (so a
    /// backup restores it with the list), read once per process.
    pub(super) async fn erasure_key(&self) -> Result<Vec<u8>, StoreError> {
        self.erasure_key
            .get_or_try_init(|| async {
                use base64::Engine;
                let engine = base64::engine::general_purpose::STANDARD;
                let fresh = engine.encode(rand::random::<[u8; 32]>());
                let stored = self.secret(KEY_NAME, &fresh).await?;
                engine
                    .decode(stored)
                    .map_err(|e| StoreError::Corrupt(format!("app_secrets.{KEY_NAME}: {e}")))
            })
            .await
            .cloned()
    }
}

/// `SELECT hash FROM erased_addresses WHERE hash IN (…the JSON array $1…)` on each backend.
pub(super) fn erased_hashes_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => {
            "SELECT hash FROM erased_addresses WHERE hash IN (SELECT value FROM json_each($1))"
        }
        Db::Postgres(_) => {
            "SELECT hash FROM erased_addresses WHERE hash IN (SELECT jsonb_array_elements_text($1::jsonb))"
        }
    }
}

fn json_list(items: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(items).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SqlStore {
    /// The ids of the address's events and unerased invitations, as JSON lists, found
    /// case-insensitively on the readers (a scan, which must not hold the writer); rows that
    /// arrive meanwhile are stored normalised and caught by `recipient = $1`.
    async fn erasure_ids(&self, address: &str) -> Result<(String, String), StoreError> {
        let event_ids: Vec<String> = on_pool!(self.db(), pool => sqlx::query_scalar(
            "SELECT id FROM events WHERE lower(recipient) = $1",
        )
        .bind(address)
        .fetch_all(pool)
        .await)?;
        let invitation_ids: Vec<String> = on_pool!(self.db(), pool => sqlx::query_scalar(
            "SELECT id FROM invitations WHERE lower(recipient) = $1 AND erased_at IS NULL",
        )
        .bind(address)
        .fetch_all(pool)
        .await)?;
        Ok((json_list(&event_ids)?, json_list(&invitation_ids)?))
    }
}

#[async_trait]
impl ErasureStore for SqlStore {
    async fn erase(&self, address: &str, now: DateTime<Utc>) -> Result<ErasureReceipt, StoreError> {
        let address = crate::domain::event::fold_address(address);
        let key = self.erasure_key().await?;
        let hash = address_hash(&key, &address);
        let (events, invitations) = self.erasure_ids(&address).await?;
        let (unpack, contains) = match self.db() {
            Db::Sqlite(_) => (
                "SELECT value FROM json_each($2)",
                "instr(lower(payload), $1) > 0",
            ),
            Db::Postgres(_) => (
                "SELECT jsonb_array_elements_text($2::jsonb)",
                "strpos(lower(payload), $1) > 0",
            ),
        };
        let mine = format!("(id IN ({unpack}) OR recipient = $1) AND erased_at IS NULL");
        let begin = self.db().begin_write();
        let postgres = matches!(self.db(), Db::Postgres(_));
        let receipt = on_writer!(self, conn => {
            let mut tx = conn.begin_with(begin).await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ERASURE_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let listed = sqlx::query(
                "INSERT INTO erased_addresses (hash, erased_at) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
            )
            .bind(&hash)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let (count, comments, answers): (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*), COUNT(comment), COUNT(score) FROM invitations WHERE {mine}"
            )))
            .bind(&address)
            .bind(&invitations)
            .fetch_one(&mut *tx)
            .await?;
            // Everything else that names the address (before its invitations are anonymised,
            // which `mine` then no longer finds).
            let mut removed = [0u64; 6];
            let lists = [Some(&invitations), Some(&invitations), Some(&events), None, None, None];
            for ((n, sql), ids) in removed.iter_mut().zip(deletes(&mine, unpack, contains)).zip(lists) {
                let mut delete = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&address);
                if let Some(ids) = ids {
                    delete = delete.bind(ids);
                }
                *n = delete.execute(&mut *tx).await?.rows_affected();
            }
            let [alerts, responses, events, suppressions, requests, quarantined] = removed;
            sqlx::query(FORGET_CLICKER).bind(&address).execute(&mut *tx).await?;
            // Not yet sent: never will be. Sent: no reminder (it is claimed only for rows
            // with `erased_at` unset). The score and reason stay.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE invitations SET recipient = 'erased:' || id, comment = NULL,
                        last_error = CASE WHEN status = 'queued' THEN 'recipient erased' ELSE NULL END,
                        reminder_error = NULL, erased_at = $3,
                        status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END
                 WHERE {mine}"
            )))
            .bind(&address)
            .bind(&invitations)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(ErasureReceipt {
                erased: Erased {
                    events,
                    invitations: count as u64,
                    comments: comments as u64,
                    suppressions,
                    alerts,
                    responses,
                    requests,
                    quarantined,
                },
                anonymised_answers: answers as u64,
                do_not_contact: true,
                already_erased: listed == 0,
                erased_at: now,
            })
        })?;
        if let Db::Sqlite(_) = self.writer() {
            self.checkpoint_wal().await?;
        }
        Ok(receipt)
    }

    async fn is_erased(&self, address: &str) -> Result<bool, StoreError> {
        let address = crate::domain::event::fold_address(address);
        Ok(!self.erased_among(&[address.as_str()]).await?.is_empty())
    }

    async fn erased_among(&self, addresses: &[&str]) -> Result<HashSet<String>, StoreError> {
        let key = self.erasure_key().await?;
        let by_hash: Vec<(String, &str)> = addresses
            .iter()
            .map(|a| (address_hash(&key, a), *a))
            .collect();
        let hashes: Vec<String> = by_hash.iter().map(|(h, _)| h.clone()).collect();
        let list = json_list(&hashes)?;
        let sql = erased_hashes_sql(self.db());
        let found: Vec<String> = on_pool!(self.db(), pool =>
            sqlx::query_scalar(sql).bind(&list).fetch_all(pool).await)?;
        let found: HashSet<String> = found.into_iter().collect();
        Ok(by_hash
            .into_iter()
            .filter(|(h, _)| found.contains(h))
            .map(|(_, a)| a.to_owned())
            .collect())
    }
}

impl SqlStore {
    /// Copies every page of the WAL into the database file and truncates the WAL to nothing,
    /// so no page image written before an erasure is left in it. A reader in the middle of a
    /// query keeps the checkpoint from finishing: try again, a few times, then say so.
    async fn checkpoint_wal(&self) -> Result<(), StoreError> {
        for attempt in 0..20u32 {
            let (busy,): (i64,) = on_writer!(self, conn => sqlx::query_as::<_, (i64, i64, i64)>(
                "PRAGMA wal_checkpoint(TRUNCATE)",
            )
            .fetch_one(&mut *conn)
            .await
            .map(|(busy, _, _)| (busy,)))?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(
                25 * u64::from(attempt + 1),
            ))
            .await;
        }
        tracing::warn!(
            "erasure: the WAL could not be checkpointed (readers kept it busy); the erased \
             address's old page images stay in it until the next checkpoint"
        );
        Ok(())
    }
}
