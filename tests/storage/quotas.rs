//! The sources' request quotas in the database, shared by every instance.
use promiseguard::domain::spacing::Spacing;
use promiseguard::store::{QuotaStore, SqlStore};
use std::time::Duration;

pub async fn a_shared_quota_paces_requests_and_pauses_for_everyone(store: SqlStore) {
    // One request every 100 ms, two at once after a quiet spell.
    let spacing = Spacing {
        interval_ms: 100,
        tolerance_ms: 100,
    };
    let take = |now: i64| {
        let store = store.clone();
        async move {
            store
                .take_quota_slot("google-business-profile", now, spacing)
                .await
                .unwrap()
        }
    };
    // The first request anywhere makes the source's row.
    assert_eq!(take(10_000).await, Some(Duration::ZERO));
    assert_eq!(take(10_000).await, None);
    assert_eq!(take(10_000).await, None, "the burst");
    assert_eq!(take(10_000).await, Some(Duration::from_millis(100)));
    assert_eq!(take(10_100).await, None);
    // Another source has a bucket of its own.
    assert_eq!(
        store
            .take_quota_slot(
                "square",
                10_100,
                Spacing {
                    interval_ms: 60_000,
                    tolerance_ms: 0
                }
            )
            .await
            .unwrap(),
        Some(Duration::ZERO)
    );
    // A 429: nobody goes until the pause ends, and a shorter pause does not cut it.
    store
        .pause_quota("google-business-profile", 20_000)
        .await
        .unwrap();
    store
        .pause_quota("google-business-profile", 15_000)
        .await
        .unwrap();
    assert_eq!(take(12_000).await, Some(Duration::from_millis(8_000)));
    assert_eq!(take(20_000).await, None);
}
