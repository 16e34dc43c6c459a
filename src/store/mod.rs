//! Storage: one `Store` interface. `SqlStore` implements it for SQLite and PostgreSQL from one
//! text of SQL: every query is written once and compiled against both native drivers (see
//! `db::on_pool!`), so the backends cannot drift apart.
mod db;
mod postgres;
mod records;
mod sql;
mod sql_analyst;
mod sql_engagement;
mod sql_surveys;
mod sqlite;
mod sqlite_claims;

pub use db::{Backend, Db};
pub use records::*;
pub use sql::SqlStore;

use crate::domain::attribution::Touch;
use crate::domain::event::EngagementEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Answers when the database answers (for `/healthz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// The answer stored for an idempotency key, if any.
    async fn idempotent_answer(&self, key: &str) -> Result<Option<StoredAnswer>, StoreError>;

    /// Stores a check, its findings and its campaign in one transaction. With an idempotency
    /// record, a key stored first by a concurrent request wins: nothing of this check is kept
    /// and that first answer comes back as `Recorded::Replayed`.
    async fn record_check(
        &self,
        check: &NewCheck<'_>,
        idempotency: Option<&NewAnswer<'_>>,
    ) -> Result<Recorded, StoreError>;

    async fn campaign(&self, id: &str) -> Result<Option<CampaignRow>, StoreError>;

    /// Checks of a campaign, newest first.
    async fn checks(&self, campaign_id: &str) -> Result<Vec<CheckRow>, StoreError>;

    /// A check's findings in the order the check found them.
    async fn findings(&self, check_id: &str) -> Result<Vec<StoredFinding>, StoreError>;

    /// Campaigns whose offer window is open at `now`.
    async fn live_campaigns(&self, now: DateTime<Utc>) -> Result<Vec<CampaignRow>, StoreError>;

    /// Takes the lease on `job` for the tick at `tick`, if no earlier claim of this tick exists
    /// and no other holder's lease is still live. True: this caller runs the tick.
    async fn try_lease(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError>;

    /// Extends a held lease; false if it is no longer this holder's.
    async fn renew_lease(
        &self,
        job: &str,
        holder: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    async fn release_lease(&self, job: &str, holder: &str) -> Result<(), StoreError>;

    /// Stores a request's events in one transaction (all or nothing): new ones are kept, ones
    /// seen before are counted as duplicates, campaigns they name come to exist, and suppressing
    /// events suppress their address.
    async fn record_events(
        &self,
        events: &[EngagementEvent],
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

    /// Addresses with an invitation (not failed) created at or after `since`.
    async fn surveyed_since(&self, since: DateTime<Utc>) -> Result<HashSet<String>, StoreError>;

    /// Queues invitations; a (campaign, recipient) already invited is left alone. Returns how
    /// many were queued now.
    async fn queue_invitations(
        &self,
        pairs: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Invitations left `sending` by a run other than `run` (one that crashed mid-send) become
    /// `unknown`: the email may or may not have gone out, so it is never sent again.
    async fn abandon_unfinished_sends(&self, run: &str) -> Result<u64, StoreError>;

    /// Takes the next due invitation for sending and commits that before anything is sent
    /// (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances never take the same one).
    async fn claim_invitation(
        &self,
        run: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedInvitation>, StoreError>;

    /// Records how several sends ended and claims up to `claims` due invitations, in one
    /// transaction: the group commit of the sending workers that are waiting for their next
    /// invitation (one claim each), so a commit is shared by several emails.
    async fn finish_and_claim(
        &self,
        run: &str,
        now: DateTime<Utc>,
        finished: &[(String, SendOutcome)],
        claims: u32,
    ) -> Result<Vec<ClaimedInvitation>, StoreError>;

    async fn finish_invitation(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    async fn invitation(&self, id: &str) -> Result<Option<InvitationRow>, StoreError>;

    async fn invitations(&self, campaign_id: &str) -> Result<Vec<InvitationRow>, StoreError>;

    /// Records a survey answer (the last one wins). False if there is no such invitation.
    async fn record_answer(
        &self,
        id: &str,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Unsubscribes the invitation's address from all surveys. False if no such invitation.
    async fn unsubscribe(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;

    async fn nps(&self, campaign_id: &str) -> Result<NpsReport, StoreError>;

    /// The named secret, stored with `fresh` as its value if it did not exist yet; every
    /// instance gets the same value.
    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;

    async fn count_checks(&self) -> Result<i64, StoreError>;

    /// Campaigns for the analyst list, newest first.
    async fn list_campaigns(
        &self,
        filter: &CampaignFilter,
    ) -> Result<Vec<CampaignSummary>, StoreError>;

    async fn finding(&self, id: &str) -> Result<Option<FindingRecord>, StoreError>;

    /// Keeps a review and sets the finding's review state (and that of the same finding in the
    /// campaign's latest check). `None`: no such finding.
    async fn review_finding(
        &self,
        finding_id: &str,
        action: ReviewAction,
        note: Option<&str>,
        reviewer: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ReviewRow>, StoreError>;

    /// Every review of a campaign's findings, newest first, each with the fingerprint of the
    /// finding it is about.
    async fn reviews(&self, campaign_id: &str) -> Result<Vec<(String, ReviewRow)>, StoreError>;

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

    /// Survey answers per campaign (only campaigns with answers), and whether each broke a
    /// promise; one campaign with `Some`.
    async fn promise_answers(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<CampaignAnswers>, StoreError>;
}

/// Connects (creating a SQLite file if needed), and applies migrations if asked.
pub async fn connect(url: &str, migrate: bool) -> Result<SqlStore, StoreError> {
    let (readers, writer) = Db::connect(url).await?;
    let store = SqlStore::new(readers, writer);
    if migrate {
        store.migrate().await?;
    }
    Ok(store)
}
