//! Storage helpers that only tests need (kept out of the storage contract): one claim or one
//! outcome at a time through the senders' group commit, and row counts.
use chrono::{DateTime, Utc};
use promiseguard::domain::SendOutcome;
use promiseguard::domain::outbox::GroupCommit;
use promiseguard::store::{ClaimedInvitation, Db, InvitationStore, SqlStore};

/// Claims the next due invitation for `run`, alone.
pub async fn claim_one(
    store: &dyn InvitationStore,
    run: &str,
    now: DateTime<Utc>,
) -> Option<ClaimedInvitation> {
    store
        .finish_and_claim(
            run,
            now,
            GroupCommit {
                finished: &[],
                claims: 1,
            },
        )
        .await
        .unwrap()
        .into_iter()
        .next()
}

/// Records how one send ended, claiming nothing.
pub async fn finish_one(
    store: &dyn InvitationStore,
    id: &str,
    outcome: SendOutcome,
    now: DateTime<Utc>,
) {
    let claimed = store
        .finish_and_claim(
            "test",
            now,
            GroupCommit {
                finished: &[(id.to_owned(), outcome)],
                claims: 0,
            },
        )
        .await
        .unwrap();
    assert!(claimed.is_empty(), "a finish claims nothing: {claimed:?}");
}

/// Checks stored, on either backend.
pub async fn count_checks(store: &SqlStore) -> i64 {
    let sql = "SELECT COUNT(*) FROM checks";
    let (n,): (i64,) = match store.db() {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
    };
    n
}

/// The credential an event was delivered with (`None`: no such event).
pub async fn event_credential(store: &SqlStore, id: &str) -> Option<String> {
    let sql = "SELECT credential FROM events WHERE id = $1";
    let row: Option<(String,)> = match store.db() {
        Db::Sqlite(pool) => sqlx::query_as(sql).bind(id).fetch_optional(pool).await,
        Db::Postgres(pool) => sqlx::query_as(sql).bind(id).fetch_optional(pool).await,
    }
    .unwrap();
    row.map(|(c,)| c)
}

/// When a job's lease last moved forward (Unix milliseconds; 0 if never).
pub async fn last_tick(store: &SqlStore, job: &str) -> i64 {
    let sql = "SELECT last_tick FROM job_leases WHERE job = $1";
    let row: Option<(i64,)> = match store.db() {
        Db::Sqlite(pool) => sqlx::query_as(sql).bind(job).fetch_optional(pool).await,
        Db::Postgres(pool) => sqlx::query_as(sql).bind(job).fetch_optional(pool).await,
    }
    .unwrap();
    row.map_or(0, |(t,)| t)
}
