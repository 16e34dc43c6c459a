//! One storage suite, run against both backends: every test below is instantiated once for
//! SQLite (always) and once for PostgreSQL (when `PROMISEGUARD_TEST_POSTGRES_URL` names a
//! server; otherwise each PostgreSQL test says on stderr that it was skipped).
mod analyst;
mod checks;
#[path = "../support/mod.rs"]
mod support;

/// Instantiates each listed test (an `async fn(SqlStore)`) for both backends.
macro_rules! storage_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = crate::support::databases::sqlite().await;
                    crate::cases::$name(db.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match crate::support::databases::postgres().await {
                        Some(db) => {
                            crate::cases::$name(db.store.clone()).await;
                            db.drop_database().await;
                        }
                        None => crate::support::databases::skipped(stringify!($name)),
                    }
                }
            )*
        }
    };
}

storage_suite!(
    story_of_a_campaign_checked_twice,
    idempotency_records_replay_the_first_answer,
    concurrent_deliveries_of_one_key_store_one_check,
    concurrent_distinct_writes_all_land,
    migrations_apply_twice_without_harm,
    unique_keys_hold_in_the_schema,
    findings_are_new_only_when_the_previous_check_lacked_them,
    live_campaigns_are_those_whose_window_is_open,
    a_tick_is_leased_once_and_a_dead_holder_expires,
    events_are_idempotent_and_feed_the_sweep,
    invitations_are_unique_claimed_once_and_answered,
    claims_are_group_committed_with_the_outcomes_of_finished_sends,
    failed_or_cancelled_writes_leave_nothing_behind_and_writing_goes_on,
    reviews_are_kept_and_carry_over_until_resolved,
    an_override_without_a_note_is_refused_by_the_schema,
    the_campaign_list_filters_and_pages_newest_first,
    alerts_are_queued_once_per_new_block_finding_and_claimed_once,
    survey_answers_split_by_broken_and_kept_promises,
);

/// Every case, whichever file it is written in.
mod cases {
    pub use crate::analyst::*;
    pub use crate::checks::*;
}

/// SQLite only: the survey claims' connection runs on the calling thread with SQLite's busy
/// handler off, so a write lock held by another process must make a claim wait — without
/// blocking its thread — and then go through, not fail.
mod sqlite_claims {
    use chrono::{DateTime, Utc};
    use promiseguard::domain::event::{EngagementEvent, EventKind};
    use promiseguard::store::Store;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    use std::time::{Duration, Instant};

    #[tokio::test(flavor = "current_thread")]
    async fn a_claim_waits_for_another_processs_write_lock_then_goes_through() {
        let db = crate::support::databases::sqlite().await;
        let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
        let click = EngagementEvent {
            id: "k1".into(),
            source: "api",
            kind: EventKind::Click,
            campaign_id: Some("c1".into()),
            recipient: "r0@example.com".into(),
            occurred_at: now,
            url: None,
            order_id: None,
            suppresses: None,
        };
        db.store.record_events(&[click], now).await.unwrap();
        let pairs: Vec<(String, String)> = (0..3)
            .map(|i| ("c1".to_owned(), format!("r{i}@example.com")))
            .collect();
        db.store.queue_invitations(&pairs, now).await.unwrap();

        // Another process takes the write lock and holds it for 300 ms.
        let mut other = SqliteConnectOptions::from_str(&db.url)
            .unwrap()
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        let held = Instant::now();
        let release = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
        };
        // On a single-threaded runtime, the lock is only ever released if the waiting claim
        // leaves the thread free.
        let (claimed, ()) = tokio::join!(db.store.finish_and_claim("run-1", now, &[], 2), release);
        let claimed = claimed.unwrap();
        assert!(held.elapsed() >= Duration::from_millis(300));
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|c| c.attempts == 1));
        other.close().await.unwrap();
    }
}
