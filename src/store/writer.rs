//! `SqlStore`, the one implementation of every storage concern, for both backends — and the
//! turn this process's writers take on SQLite. Each concern's SQL lives in the concern's own
//! file (`checks.rs`, `surveys.rs`, …) as `impl …Store for SqlStore`.
use super::db::{Db, on_pool};
use super::sqlite_claims::SqliteClaims;
use super::{Ping, Store, StoreError};
use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct SqlStore {
    /// Reads (and, on PostgreSQL, writes).
    db: Db,
    /// Writes: on SQLite a pool of one connection, on PostgreSQL the same pool as `db`.
    writer: Db,
    /// SQLite has one writer at a time. This process's writers take turns here — and each turn
    /// uses the one writer connection, held across turns — instead of contending for the
    /// database lock, where SQLite's busy handler would put them to sleep in growing steps (1, 2,
    /// 5, 10… ms); `busy_timeout` still covers other processes. Holding the connection also
    /// spares every write the pool's check-out and check-in, each a round trip to SQLite's
    /// worker thread (bench/README.md, sweep).
    sqlite_writer: Arc<tokio::sync::Mutex<Option<PoolConnection<Sqlite>>>>,
    /// On SQLite, the connection the survey senders' group commit runs on (see its module).
    sqlite_claims: Option<Arc<SqliteClaims>>,
    /// The do-not-contact list's HMAC key, read from `app_secrets` once (`erasure`).
    pub(super) erasure_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

/// This process's turn to write to SQLite, with the writer connection. A turn that does not end
/// with an `Ok` from its body — an error, an early `return`, a cancelled future — gives the
/// connection back to the pool, which tests it and rolls back anything left open, and the next
/// turn checks one out again.
pub(super) struct SqliteTurn<'a> {
    held: tokio::sync::MutexGuard<'a, Option<PoolConnection<Sqlite>>>,
    clean: bool,
}

impl SqliteTurn<'_> {
    pub(super) fn connection(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        // Present from `sqlite_turn` on; only this turn's own end takes it away.
        self.held
            .as_deref_mut()
            .ok_or(StoreError::Database(sqlx::Error::PoolClosed))
    }

    pub(super) fn finish<T, E>(mut self, result: Result<T, E>) -> Result<T, E> {
        self.clean = result.is_ok();
        result
    }
}

impl Drop for SqliteTurn<'_> {
    fn drop(&mut self) {
        if !self.clean {
            self.held.take();
        }
    }
}

/// Runs `$body` with `$conn` bound to a `&mut` connection that may write: on SQLite the store's
/// writer connection, for this process's turn to write (see [`SqlStore`]); on PostgreSQL one
/// checked out of the pool. Like `on_pool!`, the body is compiled once per backend.
macro_rules! on_writer {
    ($store:expr, $conn:ident => $body:expr) => {
        match $store.writer() {
            $crate::store::Db::Sqlite(pool) => {
                let mut turn = $store.sqlite_turn(pool).await?;
                let result = {
                    let $conn = turn.connection()?;
                    $body
                };
                turn.finish(result)
            }
            $crate::store::Db::Postgres(pool) => {
                let mut held = pool.acquire().await?;
                let $conn = &mut *held;
                $body
            }
        }
    };
}
pub(super) use on_writer;

impl SqlStore {
    pub fn new(db: Db, writer: Db) -> Self {
        let sqlite_claims = match &writer {
            Db::Sqlite(pool) => Some(Arc::new(SqliteClaims::new(
                pool.connect_options().get_filename().to_owned(),
            ))),
            Db::Postgres(_) => None,
        };
        Self {
            db,
            writer,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(None)),
            sqlite_claims,
            erasure_key: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The SQLite store's claims connection (every SQLite store has one, made in `new`).
    pub(super) fn sqlite_claims(&self) -> Result<&SqliteClaims, StoreError> {
        self.sqlite_claims.as_deref().ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                "a SQLite store without its survey claims connection".into(),
            ))
        })
    }

    /// Waits for this process's turn to write to SQLite (FIFO), and checks the writer
    /// connection out of its pool if no earlier turn holds it.
    pub(super) async fn sqlite_turn(
        &self,
        pool: &SqlitePool,
    ) -> Result<SqliteTurn<'_>, StoreError> {
        let mut held = self.sqlite_writer.lock().await;
        if held.is_none() {
            *held = Some(pool.acquire().await?);
        }
        Ok(SqliteTurn { held, clean: false })
    }

    /// The pool for reads.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pool for writes (see [`Db::connect`]).
    pub(super) fn writer(&self) -> &Db {
        &self.writer
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        // The migrator checks the writer connection out of its pool itself: the one held across
        // writes goes back for as long as it runs, and this process's writers wait.
        let mut held = self.sqlite_writer.lock().await;
        held.take();
        self.writer.migrate().await?;
        drop(held);
        if let Some(folded) = self.fold_addresses().await? {
            tracing::info!(
                events = folded.events,
                suppressions = folded.suppressions,
                invitations = folded.invitations,
                merged = folded.merged,
                "stored addresses folded (trimmed, Unicode case-folded)"
            );
        }
        Ok(())
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        let mut held = self.sqlite_writer.lock().await;
        if let Some(claims) = &self.sqlite_claims {
            claims.close();
        }
        held.take();
        drop(held);
        self.writer.close().await;
        self.db.close().await;
    }
}

#[async_trait]
impl Ping for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}

impl Store for SqlStore {}
