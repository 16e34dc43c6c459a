//! The survey senders' group commit on SQLite, run in the committing task itself.
//!
//! Every survey email waits for the commit of its claim before SMTP is spoken (SPEC "Surveys"),
//! so that commit's latency is paid once per email. Through sqlx it is a round trip to the
//! connection's worker thread — the statement there, every row back over a channel — about
//! 145 µs when nothing else runs and ~300 µs on two busy cores, where that thread waits its turn
//! for one (bench/README.md, sweep). This connection runs the same statement on the calling
//! thread instead: no hand-off, no wake-up; ~60 µs a commit in the same benchmark.
//!
//! It is a connection of its own (rusqlite, on the SQLite library sqlx links too), opened on
//! first use and kept, and it writes only inside the store's turn to write, so this process's
//! writers still take turns. SQLite's busy handler is off on it, because it would block the
//! runtime's thread: when another process holds the write lock, the claim is retried after an
//! asynchronous pause, up to the same 10 s the other connections wait.
use super::StoreError;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the claim statement returns: id, campaign, recipient, attempts, status.
/// id, campaign, recipient, attempts, locale, status, zone.
pub(super) type ClaimRow = (
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
);

/// How long a claim waits for another process's write lock.
const BUSY_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(super) struct SqliteClaims {
    path: PathBuf,
    connection: Mutex<Option<Connection>>,
}

/// One group commit: the claim statement (`?1` now, `?2` the run, `?3` how many to claim, `?4`
/// the JSON array of invitations just sent), and the sends that ended otherwise with the
/// statement that records each (`?1` id, `?2` status, `?3` next attempt, `?4` error).
pub(super) struct Claim<'a> {
    pub sql: &'a str,
    pub record_unsent: &'a str,
    pub now_ms: i64,
    pub run: &'a str,
    pub claims: u32,
    pub sent_ids: &'a str,
    pub others: &'a [OtherOutcome<'a>],
}

/// Invitations whose send ended otherwise than `sent`: id, new status, next attempt (ms), error.
pub(super) struct OtherOutcome<'a> {
    pub id: &'a str,
    pub status: &'static str,
    pub next_attempt_at: Option<i64>,
    pub error: &'a str,
}

impl SqliteClaims {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            connection: Mutex::new(None),
        }
    }

    /// Closes the connection (the next claim opens it again).
    pub(super) fn close(&self) {
        self.connection
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn open(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::ZERO)?;
        // A bound `LIMIT` (and, with STAT4, a bound value compared to an indexed column) makes
        // SQLite compile the statement again every time it is bound anew, to plan for the value
        // — parsing and planning the claim on every commit. With the query planner stability
        // guarantee it is planned once; its plan does not depend on the values.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // The file is in WAL mode already (the store's writer set it when it created it).
        // A commit that finds the log past `wal_autocheckpoint` pages checkpoints it there and
        // then, fsync included, while every sending worker waits for its claim: this connection
        // does so every 10,000 pages (~40 MB of log) rather than SQLite's 1,000, so a large
        // delivery stalls a tenth as often and copies each hot page back less often
        // (bench/README.md, sweep). The store's other connections keep the default.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; \
             PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 10000;",
        )?;
        Ok(conn)
    }

    /// Runs the group commit: the claim's `others` recorded first, then its statement, in one
    /// transaction. Call inside the store's turn to write.
    pub(super) async fn finish_and_claim(
        &self,
        claim: &Claim<'_>,
    ) -> Result<Vec<ClaimRow>, StoreError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match self.try_once(claim) {
                Err(e) if is_busy(&e) && started.elapsed() < BUSY_WAIT => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                result => return Ok(result?),
            }
        }
    }

    fn try_once(&self, claim: &Claim<'_>) -> Result<Vec<ClaimRow>, rusqlite::Error> {
        let mut held = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let conn = match held.as_mut() {
            Some(conn) => conn,
            None => held.insert(self.open()?),
        };
        let result = (|| {
            let rows = |conn: &Connection| {
                let mut statement = conn.prepare_cached(claim.sql)?;
                let rows = statement.query_map(
                    params![
                        claim.now_ms,
                        claim.run,
                        i64::from(claim.claims),
                        claim.sent_ids
                    ],
                    |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                            row.get(6)?,
                        ))
                    },
                )?;
                rows.collect::<Result<Vec<ClaimRow>, _>>()
            };
            if claim.others.is_empty() {
                // One statement is a transaction of its own.
                return rows(conn);
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for other in claim.others {
                tx.prepare_cached(claim.record_unsent)?.execute(params![
                    other.id,
                    other.status,
                    other.next_attempt_at,
                    other.error
                ])?;
            }
            let rows = rows(&tx)?;
            tx.commit()?;
            Ok(rows)
        })();
        if let Err(e) = &result
            && !is_busy(e)
        {
            // Opened again next time: nothing of a failed connection is kept.
            held.take();
        }
        result
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}
