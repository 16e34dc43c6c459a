//! Job leases: a tick is run once, and a dead holder's lease expires.
use crate::fixtures::at;
use promiseguard::store::{Lease, LeaseStore, SqlStore};

pub async fn a_tick_is_leased_once_and_a_dead_holder_expires(store: SqlStore) {
    use std::time::Duration;
    let ttl = Duration::from_secs(60);
    let t0 = at("2026-11-23T10:00:00Z");
    let lease = |job, holder| Lease { job, holder, ttl };
    let tick1 = at("2026-11-23T10:00:00Z");
    let tick2 = at("2026-11-23T10:15:00Z");
    // Two instances race for one tick: one wins.
    let (a, b) = futures::join!(
        store.try_lease(lease("recheck", "a"), tick1, t0),
        store.try_lease(lease("recheck", "b"), tick1, t0)
    );
    assert!(
        a.unwrap() ^ b.unwrap(),
        "exactly one instance takes the tick"
    );
    // The same tick is never taken twice, even after release.
    store.release_lease(lease("recheck", "a")).await.unwrap();
    store.release_lease(lease("recheck", "b")).await.unwrap();
    assert!(
        !store
            .try_lease(lease("recheck", "c"), tick1, t0)
            .await
            .unwrap()
    );
    // "a" takes tick 2 and dies holding it; while its lease lives, tick 3 is not run (no overlap).
    assert!(
        store
            .try_lease(lease("recheck", "a"), tick2, tick2)
            .await
            .unwrap()
    );
    let tick3 = at("2026-11-23T10:00:30Z") + chrono::Duration::minutes(15);
    assert!(
        !store
            .try_lease(
                lease("recheck", "b"),
                tick3,
                tick2 + chrono::Duration::seconds(30)
            )
            .await
            .unwrap()
    );
    // Renewal is the holder's alone.
    assert!(
        !store
            .renew_lease(lease("recheck", "b"), tick3)
            .await
            .unwrap()
    );
    // Once a's lease has expired, a later tick runs elsewhere.
    let tick4 = tick2 + chrono::Duration::minutes(30);
    assert!(
        store
            .try_lease(lease("recheck", "b"), tick4, tick4)
            .await
            .unwrap()
    );
    // Other jobs have leases of their own.
    assert!(
        store
            .try_lease(lease("surveys", "a"), tick4, tick4)
            .await
            .unwrap()
    );
}
