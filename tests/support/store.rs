//! Storage helpers that only tests need (kept out of the storage contract): one claim or one
//! outcome at a time through the senders' group commit, and row counts.
use chrono::{DateTime, Utc};
use promiseguard::domain::SendOutcome;
use promiseguard::store::{ClaimedInvitation, Db, InvitationStore, SqlStore};

/// Claims the next due invitation for `run`, alone.
pub async fn claim_one(
    store: &dyn InvitationStore,
    run: &str,
    now: DateTime<Utc>,
) -> Option<ClaimedInvitation> {
    store
        .finish_and_claim(run, now, &[], 1)
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
        .finish_and_claim("test", now, &[(id.to_owned(), outcome)], 0)
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
