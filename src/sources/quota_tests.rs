use super::*;

fn quota(rpm: u32, burst: u32) -> Quota {
    Quota::new(
        "test",
        Some(Pace {
            requests_per_minute: rpm,
            burst,
        }),
        None,
        Box::new(|_| {}),
    )
}

async fn background<T>(f: impl std::future::Future<Output = T>) -> T {
    URGENCY.scope(urgency_handle(Urgency::Background), f).await
}

#[tokio::test(start_paused = true)]
async fn requests_are_paced_evenly_after_the_burst() {
    let q = quota(602, 3); // three at once, then one every 100 ms
    let start = Instant::now();
    let far = start + Duration::from_secs(60);
    let mut at = Vec::new();
    for _ in 0..6 {
        q.take(far).await.unwrap();
        at.push((Instant::now() - start).as_millis() as u64);
    }
    assert_eq!(at, [0, 0, 0, 100, 200, 300]);
}

#[tokio::test(start_paused = true)]
async fn no_rolling_minute_holds_more_than_the_quota_burst_included() {
    for (rpm, burst) in [(300, 5), (300, 1), (60, 10), (7, 3), (1, 1)] {
        let q = quota(rpm, burst);
        let start = Instant::now();
        let far = start + Duration::from_secs(36_000);
        let n = rpm as usize * 2 + 1;
        let mut at = Vec::with_capacity(n);
        for _ in 0..n {
            q.take(far).await.unwrap();
            at.push(Instant::now() - start);
        }
        assert!(
            at[..burst as usize].iter().all(|t| t.is_zero()),
            "{rpm}/{burst}: the burst goes at once"
        );
        for (first, next) in at.iter().zip(&at[rpm as usize..]) {
            assert!(
                *next - *first >= Duration::from_secs(60),
                "{rpm}/{burst}: {} requests within {:?}",
                rpm + 1,
                *next - *first
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_slot_past_the_deadline_is_refused_and_not_kept() {
    let q = quota(60, 1); // one a second
    let now = Instant::now();
    q.take(now + Duration::from_secs(5)).await.unwrap();
    let err = q.take(now + Duration::from_millis(500)).await.unwrap_err();
    assert!(
        matches!(err, SourceError::Quota(ref m) if m.contains("60 a minute")),
        "{err}"
    );
    // The refused request did not book the slot: the next one gets it at 1 s.
    q.take(now + Duration::from_secs(5)).await.unwrap();
    assert_eq!((Instant::now() - now).as_millis(), 1000);
}

#[tokio::test(start_paused = true)]
async fn urgent_work_goes_ahead_of_background_work() {
    let q = Arc::new(quota(60, 1));
    let far = Instant::now() + Duration::from_secs(600);
    q.take(far).await.unwrap(); // the bucket is now empty for a second
    let order = Arc::new(Mutex::new(Vec::new()));
    let bg = {
        let (q, order) = (q.clone(), order.clone());
        tokio::spawn(background(async move {
            for i in 0..3 {
                q.take(far).await.unwrap();
                order.lock().unwrap().push(format!("tick-{i}"));
            }
        }))
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A send arrives while the tick waits: it gets the next slot.
    q.take(far).await.unwrap();
    order.lock().unwrap().push("send".into());
    bg.await.unwrap();
    assert_eq!(
        *order.lock().unwrap(),
        ["send", "tick-0", "tick-1", "tick-2"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_the_source_and_backs_off_without_retry_after() {
    let q = Quota::new("g", None, None, Box::new(|_| {}));
    let far = Instant::now() + Duration::from_secs(600);
    assert_eq!(
        q.pause(Some(Duration::from_secs(2))),
        Duration::from_secs(2)
    );
    let t = Instant::now();
    q.take(far).await.unwrap();
    assert_eq!(
        (Instant::now() - t).as_secs(),
        2,
        "everyone waits out the pause"
    );
    let waits: Vec<u64> = (0..8).map(|_| q.pause(None).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    q.on_success();
    assert_eq!(q.pause(None).as_secs(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rebuilt_source_paces_on_from_the_quota_kept_under_its_name() {
    let quotas = Quotas::default();
    let start = Instant::now();
    let far = start + Duration::from_secs(60);
    let first = quotas.get_or("test", || quota(602, 3));
    for _ in 0..3 {
        first.take(far).await.unwrap();
    }
    // Built again (new credentials): the burst already spent stays spent.
    let rebuilt = quotas.get_or("test", || quota(602, 3));
    rebuilt.take(far).await.unwrap();
    assert_eq!((Instant::now() - start).as_millis(), 100);
    // Another name is a quota of its own.
    let other = quotas.get_or("other", || {
        Quota::new("other", None, None, Box::new(|_| {}))
    });
    assert_eq!(other.name(), "other");
    assert!(other.pace().is_none());
}
