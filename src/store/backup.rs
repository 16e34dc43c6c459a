//! A consistent online copy of the database while the service runs.
use super::db::Db;
use super::{SqlStore, StoreError};
use std::path::Path;

/// Why a backup could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "{0} exists already: a backup never overwrites a file (move it away or pick another name)"
    )]
    Exists(String),
    #[error(
        "this is a PostgreSQL database: back it up with pg_dump (docs/operations.md, Running: \
         `pg_dump --format=custom --file=promiseguard.dump \"$DATABASE_URL\"`)"
    )]
    Postgres,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SqlStore {
    /// Copies a SQLite database into a new file `to` with `VACUUM INTO`: one read transaction,
    /// so the copy is consistent as of its start while writers go on (WAL), and the copy is a
    /// plain database file with everything — survey-link and session keys included — that a
    /// service started on it needs.
    pub async fn backup_into(&self, to: &Path) -> Result<(), BackupError> {
        if to.exists() {
            return Err(BackupError::Exists(to.display().to_string()));
        }
        match self.db() {
            Db::Postgres(_) => Err(BackupError::Postgres),
            Db::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(to.to_string_lossy().into_owned())
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
                Ok(())
            }
        }
    }
}
