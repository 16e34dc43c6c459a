use super::StoreError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// WAL so readers never wait for the writer, a busy timeout so writers queue instead of
/// failing, foreign keys on (SQLite leaves them off by default), and a page cache that holds
/// the indexes. `connections` is the pool's size: the store opens one pool of readers and a
/// pool of one connection for its writes.
pub async fn connect_sqlite(url: &str, connections: u32) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
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
