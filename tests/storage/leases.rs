//! Job leases: a tick is run once, and a dead holder's lease expires.
use crate::fixtures::at;
use promiseguard::store::{LeaseStore, SqlStore};

pub async fn a_tick_is_leased_once_and_a_dead_holder_expires(store: SqlStore) {
    use std::time::Duration;
    let ttl = Duration::from_secs(60);
    let t0 = at("2026-11-23T10:00:00Z");
    let tick1 = at("2026-11-23T10:00:00Z");
    let tick2 = at("2026-11-23T10:15:00Z");
    // Two instances race for one tick: one wins.
    let (a, b) = futures::join!(
        store.try_lease("recheck", tick1, "a", t0, ttl),
        store.try_lease("recheck", tick1, "b", t0, ttl)
    );
    assert!(
        a.unwrap() ^ b.unwrap(),
        "exactly one instance takes the tick"
    );
    // The same tick is never taken twice, even after release.
    store.release_lease("recheck", "a").await.unwrap();
    store.release_lease("recheck", "b").await.unwrap();
    assert!(
        !store
            .try_lease("recheck", tick1, "c", t0, ttl)
            .await
            .unwrap()
    );
    // "a" takes tick 2 and dies holding it; while its lease lives, tick 3 is not run (no overlap).
    assert!(
        store
            .try_lease("recheck", tick2, "a", tick2, ttl)
            .await
            .unwrap()
    );
    let tick3 = at("2026-11-23T10:00:30Z") + chrono::Duration::minutes(15);
    assert!(
        !store
            .try_lease(
                "recheck",
                tick3,
                "b",
                tick2 + chrono::Duration::seconds(30),
                ttl
            )
            .await
            .unwrap()
    );
    // Renewal is the holder's alone.
    assert!(!store.renew_lease("recheck", "b", tick3).await.unwrap());
    // Once a's lease has expired, a later tick runs elsewhere.
    let tick4 = tick2 + chrono::Duration::minutes(30);
    assert!(
        store
            .try_lease("recheck", tick4, "b", tick4, ttl)
            .await
            .unwrap()
    );
    // Other jobs have leases of their own.
    assert!(
        store
            .try_lease("surveys", tick4, "a", tick4, ttl)
            .await
            .unwrap()
    );
}
