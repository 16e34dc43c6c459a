//! Storage, by concern. Each concern — checks and campaigns, findings, job leases, engagement,
//! survey invitations, reminders, survey answers, reviews and the campaign list, alerts, the
//! instance's secrets, the sources' shared request quotas, one person's data (recipients),
//! erasure, retention, clickers and the figures of promises kept per click, stored addresses folded once (identities), quarantine, Shopify's
//! compliance records, the complaint guard's complaints and pauses, the survey responses pushed
//! to webhooks, the changes sources push in, backups —
//! is one file holding its trait, its records, its SQL and `impl …Store for SqlStore` (checks
//! keep their one large write, the transaction every check is stored in, in `check_writes.rs`).
//! `Store` is all of them at once, for the parts of the service that need several.
//!
//! `SqlStore` implements every concern for SQLite and PostgreSQL from one text of SQL: every
//! query is written once and compiled against both native drivers (`db::on_pool!`,
//! `writer::on_writer!`), so the backends cannot drift apart. Shared machinery — the pools
//! (`db.rs`), this process's turn to write on SQLite (`writer.rs`), row helpers (`rows.rs`),
//! the outbox statements (`outbox.rs`), the survey claims' own SQLite connection
//! (`sqlite_claims.rs`) — imports nothing above it.
mod alerts;
mod answers;
mod backup;
mod changes;
mod check_writes;
mod checks;
mod clicker_figures;
mod clickers;
mod clicks;
mod complaints;
mod compliance;
mod dashboard;
mod db;
mod engagement;
mod erasure;
mod event_writes;
mod exemptions;
mod finding_export;
mod findings;
mod identities;
mod invitation_queue;
mod invitations;
mod leases;
mod outbox;
mod quarantine;
mod quotas;
mod recipients;
mod reminders;
mod responses;
mod retention;
mod reviews;
mod rows;
mod secrets;
mod sqlite_claims;
mod watch;
mod writer;

pub use alerts::{AlertAbout, AlertRow, AlertStatus, AlertStore, ClaimedAlert};
pub use answers::{AnswerStore, CampaignAnswers, NpsComment, NpsReport};
pub use backup::BackupError;
pub use changes::{ChangeStore, ClaimedChanges, NewPush, PushRecorded};
pub use checks::{CampaignRow, CheckRow, CheckStore, NewAnswer, NewCheck, Recorded, StoredAnswer};
pub use clickers::{ClickerFilter, ClickerStore, NewClicker, PromiseCounts, PromiseKind};
pub use clicks::{ClickPromise, ClickSpan, ClickStore, StoredClick};
pub use complaints::{ComplaintStore, NewComplaint, NewPause, PauseState, Resume, SurveyPause};
pub use compliance::{ComplianceRecord, ComplianceStore, DataRequestRow, ShopErased, shop_source};
pub use dashboard::{DashboardStore, DayCount, LocationCount};
pub use db::{Backend, Db};
pub use engagement::{Delivery, DeliveryToken, EngagementStore, EventsRecorded};
pub use erasure::{Erased, ErasureReceipt, ErasureStore};
pub use exemptions::ExemptionStore;
pub use finding_export::{
    ExportedFinding, FindingCursor, FindingExportStore, FindingQuery, LastReview,
};
pub use findings::{FindingRecord, FindingStore, StoredFinding};
pub use identities::Folded;
pub use invitations::{
    ClaimedInvitation, InvitationRow, InvitationStatus, InvitationStore, NewInvitation,
};
pub use leases::{Lease, LeaseStore};
pub use quarantine::{NewQuarantined, QuarantineStore, Quarantined};
pub use quotas::QuotaStore;
pub use recipients::{RecipientData, RecipientEvent, RecipientInvitation, RecipientStore};
pub use reminders::{ClaimedReminder, ReminderStore};
pub use responses::{ResponseStore, StoredResponse};
pub use retention::{Cutoff, Expiring, ExpiringPage, RetentionStore};
pub use reviews::{CampaignFilter, CampaignSummary, ReviewFilter, ReviewRow, ReviewStore};
pub use secrets::SecretStore;
pub use watch::{ActionKind, ActionOutcome, ActionRow, Fetched, NewAction, Settled, WatchStore};
pub use writer::SqlStore;

use async_trait::async_trait;

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
    /// A one-time delivery token presented again with another event.
    #[error("{0}")]
    TokenReplayed(String),
}

/// Whether the database answers (for `/healthz`).
#[async_trait]
pub trait Ping: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Every storage concern at once.
pub trait Store:
    Ping
    + CheckStore
    + FindingStore
    + FindingExportStore
    + DashboardStore
    + LeaseStore
    + EngagementStore
    + InvitationStore
    + AnswerStore
    + ReviewStore
    + AlertStore
    + SecretStore
    + QuotaStore
    + ReminderStore
    + RecipientStore
    + ErasureStore
    + RetentionStore
    + ComplianceStore
    + QuarantineStore
    + WatchStore
    + ClickStore
    + ClickerStore
    + ExemptionStore
    + ComplaintStore
    + ResponseStore
    + ChangeStore
{
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
