//! Changes pushed in by a source: each delivery taken once, one older than what is held for its
//! subject (or its location's later change) stale, and the changed keys claimed together once
//! the oldest has waited its delay — by one claimant at a time, given back when its check did not
//! finish, taken again when its claim expired, deleted once checked.
use crate::fixtures::at;
use chrono::Duration;
use promiseguard::domain::pushed::ChangedKey;
use promiseguard::store::{ChangeStore, NewPush, PushRecorded, SqlStore};

fn key(sku: Option<&str>, location: &str) -> ChangedKey {
    ChangedKey {
        sku: sku.map(str::to_owned),
        location: location.into(),
    }
}

async fn record(
    store: &SqlStore,
    delivery: &str,
    subject: &str,
    updated_at: &str,
    keys: &[ChangedKey],
    now: &str,
) -> PushRecorded {
    let also = if subject.starts_with("level:") {
        vec!["location:7".to_owned()]
    } else {
        Vec::new()
    };
    let push = NewPush {
        delivery,
        topic: "inventory_levels/update",
        subject,
        also_after: &also,
        updated_at: Some(at(updated_at)),
        keys,
    };
    store.record_push(&push, at(now)).await.unwrap()
}

pub async fn a_pushed_change_is_taken_once_and_a_stale_one_never(store: SqlStore) {
    let suv = [key(Some("SUV"), "loc-1")];
    let t = "2026-12-06T10:00:00Z";
    assert_eq!(
        record(&store, "ev-1", "level:1@7", "2026-12-06T09:00:00Z", &suv, t).await,
        PushRecorded::Applied
    );
    assert_eq!(
        record(&store, "ev-1", "level:1@7", "2026-12-06T09:00:00Z", &suv, t).await,
        PushRecorded::Duplicate
    );
    assert_eq!(
        record(&store, "ev-0", "level:1@7", "2026-12-06T08:59:00Z", &suv, t).await,
        PushRecorded::Stale,
        "older than the held 09:00"
    );
    assert_eq!(
        record(&store, "ev-2", "level:1@7", "2026-12-06T09:00:00Z", &suv, t).await,
        PushRecorded::Applied,
        "as old as what is held: current"
    );
    let branch = [key(None, "loc-1")];
    assert_eq!(
        record(
            &store,
            "ev-off",
            "location:7",
            "2026-12-06T09:30:00Z",
            &branch,
            t
        )
        .await,
        PushRecorded::Applied
    );
    assert_eq!(
        record(&store, "ev-3", "level:2@7", "2026-12-06T09:10:00Z", &suv, t).await,
        PushRecorded::Stale,
        "a level older than its location's deactivation"
    );
    assert_eq!(
        store.changes_waiting().await.unwrap(),
        3,
        "ev-1, ev-2, ev-off"
    );
}

pub async fn changes_are_claimed_together_once_the_oldest_has_waited(store: SqlStore) {
    let (delay, lease) = (Duration::seconds(30), Duration::minutes(10));
    let first = [key(Some("SUV"), "loc-1")];
    let second = [key(Some("SUV"), "loc-1"), key(None, "loc-2")];
    record(
        &store,
        "a",
        "level:1@7",
        "2026-12-06T09:00:00Z",
        &first,
        "2026-12-06T10:00:00Z",
    )
    .await;
    record(
        &store,
        "b",
        "level:1@7",
        "2026-12-06T09:01:00Z",
        &second,
        "2026-12-06T10:00:20Z",
    )
    .await;
    let claim = |name: &'static str, now: &'static str| {
        let store = store.clone();
        async move {
            store
                .claim_changes(name, at(now), delay, lease)
                .await
                .unwrap()
        }
    };
    assert_eq!(claim("early", "2026-12-06T10:00:29Z").await, None);
    let taken = claim("one", "2026-12-06T10:00:30Z").await.unwrap();
    assert_eq!(taken.since, at("2026-12-06T10:00:00Z"));
    assert_eq!(
        taken.keys,
        vec![key(None, "loc-2"), key(Some("SUV"), "loc-1")],
        "both changes, each key once"
    );
    assert_eq!(
        claim("two", "2026-12-06T10:01:00Z").await,
        None,
        "claimed already"
    );
    // Given back: claimed again, as it was.
    assert_eq!(store.release_changes("one").await.unwrap(), 3);
    let again = claim("two", "2026-12-06T10:01:00Z").await.unwrap();
    assert_eq!(again.keys, taken.keys);
    // A claim whose instance died expires.
    let late = claim("three", "2026-12-06T10:12:00Z").await.unwrap();
    assert_eq!(late.keys, taken.keys);
    assert_eq!(
        store.finish_changes("two").await.unwrap(),
        0,
        "no longer two's"
    );
    assert_eq!(store.finish_changes("three").await.unwrap(), 3);
    assert_eq!(store.changes_waiting().await.unwrap(), 0);
    assert_eq!(claim("four", "2026-12-06T11:00:00Z").await, None);
}
