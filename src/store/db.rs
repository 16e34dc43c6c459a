//! The two native pools, and how each backend is connected.
use super::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of either backend.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the native pool of whichever backend this is. The body is
/// compiled once per backend, so each query is type-checked against both drivers.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// SQLite connections that read at once.
const SQLITE_READERS: u32 = 8;

impl Db {
    /// Connects: the pool for reads, and the one for writes. On PostgreSQL they are the same
    /// pool. On SQLite, where there is one writer at a time anyway, every write goes through one
    /// connection of its own: in WAL mode a connection drops its page cache whenever another
    /// connection has written since its last transaction, so writes that took turns on a pool of
    /// eight reread their index pages from the file each time (bench/README.md, sweep).
    pub async fn connect(url: &str) -> Result<(Db, Db), StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = Db::Postgres(connect_postgres(url).await?);
            Ok((pool.clone(), pool))
        } else {
            // The writer first: it creates the file and sets WAL before the readers open it.
            let writer = Db::Sqlite(connect_sqlite(url, 1).await?);
            let readers = Db::Sqlite(connect_sqlite(url, SQLITE_READERS).await?);
            Ok((readers, writer))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// How a transaction that will write begins. SQLite must take the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
    /// "database is locked" when another writer got there in between.
    pub fn begin_write(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// WAL so readers never wait for the writer, a busy timeout so writers queue instead of
/// failing, foreign keys on (SQLite leaves them off by default), `secure_delete`, and a page cache that holds
/// the indexes. `connections` is the pool's size: the store opens one pool of readers and a
/// pool of one connection for its writes.
async fn connect_sqlite(url: &str, connections: u32) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        // Deleted content is overwritten with zeros, so an erased address leaves the file
        // (store/erasure.rs), not only the table.
        .pragma("secure_delete", "ON")
        // 64 MiB of page cache per connection (SQLite's default is 2 MiB): findings are keyed
        // by random ids, and index pages that fall out of the cache make inserts slow down as
        // the tables grow.
        .pragma("cache_size", "-65536");
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(15))
        .connect_with(options)
        .await?;
    Ok(pool)
}

async fn connect_postgres(url: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)?.application_name("promiseguard");
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(15))
        .connect_with(options)
        .await?;
    Ok(pool)
}
