use super::*;
use std::sync::atomic::AtomicUsize;

type Fetch = Box<dyn FnOnce(Vec<u32>) -> BoxFuture<'static, Result<Fetched<u32, u32>, String>>>;

fn fetcher(calls: Arc<AtomicUsize>, delay: Duration, fail: bool) -> Fetch {
    Box::new(move |keys| {
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            if fail {
                Err("down".into())
            } else {
                Ok(keys.into_iter().map(|k| (k, Ok(k * 10))).collect())
            }
        }
        .boxed()
    })
}

fn want(max_age_ms: u64, stale_ms: u64, deadline_ms: u64) -> Want {
    let deadline = Instant::now() + Duration::from_millis(deadline_ms);
    Want {
        max_age: Duration::from_millis(max_age_ms),
        stale_for: Duration::from_millis(stale_ms),
        deadline,
        fetch_until: deadline + Duration::from_secs(5),
        urgency: Urgency::Send,
        permits: Arc::new(tokio::sync::Semaphore::new(8)),
    }
}

fn value<V: Clone>(s: &Served<V>) -> Option<V> {
    match s {
        Served::Hit(v) | Served::Fetched(v) | Served::Stale(v) => Some(v.value.clone()),
        Served::Unknown(_) => None,
    }
}

fn shelf() -> Arc<Shelf<u32, u32>> {
    Arc::new(Shelf::new(Duration::from_secs(120), 100))
}

#[tokio::test]
async fn concurrent_misses_for_one_key_make_one_call() {
    let shelf = shelf();
    let calls = Arc::new(AtomicUsize::new(0));
    let answers = futures::future::join_all((0..100).map(|_| {
        let (shelf, calls) = (shelf.clone(), calls.clone());
        async move {
            shelf
                .get(
                    &[7],
                    &want(60_000, 60_000, 1000),
                    fetcher(calls, Duration::from_millis(50), false),
                )
                .await
        }
    }))
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        answers
            .iter()
            .all(|(a, _)| matches!(&a[&7], Served::Fetched(s) if s.value == 70))
    );
    assert_eq!(answers.iter().map(|(_, t)| t.coalesced).sum::<u64>(), 99);
    let asked = Instant::now();
    let (again, tally) = shelf
        .get(
            &[7],
            &want(60_000, 60_000, 10),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    assert!(matches!(&again[&7], Served::Hit(s) if s.value == 70));
    // Fresh until 60 s after it was fetched, which was before it was asked for again.
    let until = tally.fresh_until.expect("served fresh");
    assert!(until <= asked + Duration::from_secs(60));
    assert!(until > asked + Duration::from_secs(59));
}

#[tokio::test]
async fn each_caller_says_how_old_an_answer_it_accepts() {
    let shelf = shelf();
    let calls = Arc::new(AtomicUsize::new(0));
    let (first, _) = shelf
        .get(
            &[1],
            &want(0, 0, 1000),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    let fetched_at = match &first[&1] {
        Served::Fetched(s) => s.at,
        other => panic!("{other:?}"),
    };
    // A caller that accepts a minute-old answer is served from the shelf, with the time
    // the answer was fetched; one that accepts none asks again.
    let (a, _) = shelf
        .get(
            &[1],
            &want(60_000, 0, 1000),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    assert!(matches!(&a[&1], Served::Hit(s) if s.at == fetched_at));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let (b, _) = shelf
        .get(
            &[1],
            &want(0, 0, 1000),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    assert!(matches!(&b[&1], Served::Fetched(_)));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn older_answers_are_served_stale_when_the_source_fails() {
    let shelf = shelf();
    let calls = Arc::new(AtomicUsize::new(0));
    shelf
        .get(
            &[1],
            &want(20, 60_000, 1000),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let (a, tally) = shelf
        .get(
            &[1, 2],
            &want(20, 60_000, 1000),
            fetcher(calls.clone(), Duration::ZERO, true),
        )
        .await;
    assert!(matches!(&a[&1], Served::Stale(s) if s.value == 10));
    assert_eq!(a[&2], Served::Unknown("down".into()));
    assert_eq!(tally.fresh_until, None, "nothing was served fresh");
    // A caller that accepts no stale answer gets none.
    let (b, _) = shelf
        .get(
            &[1],
            &want(0, 0, 1000),
            fetcher(calls.clone(), Duration::ZERO, true),
        )
        .await;
    assert_eq!(value(&b[&1]), None);
}

#[tokio::test]
async fn a_late_answer_fills_the_shelf_after_the_deadline() {
    let shelf = shelf();
    let calls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let (a, tally) = shelf
        .get(
            &[3],
            &want(60_000, 0, 50),
            fetcher(calls.clone(), Duration::from_millis(200), false),
        )
        .await;
    assert!(started.elapsed() < Duration::from_millis(150));
    assert!(matches!(a[&3], Served::Unknown(_)));
    assert_eq!(tally.deadline_misses, 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (b, _) = shelf
        .get(
            &[3],
            &want(60_000, 0, 10),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    assert!(matches!(&b[&3], Served::Hit(s) if s.value == 30));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_flight_runs_at_the_urgency_of_its_most_urgent_caller() {
    let shelf = shelf();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let watch = {
        let seen = seen.clone();
        move |keys: Vec<u32>| -> BoxFuture<'static, Result<Fetched<u32, u32>, String>> {
            async move {
                for _ in 0..2 {
                    let u = URGENCY.with(|u| u.load(Ordering::SeqCst));
                    seen.lock().unwrap().push(u);
                    tokio::time::sleep(Duration::from_millis(60)).await;
                }
                Ok(keys.into_iter().map(|k| (k, Ok(k))).collect())
            }
            .boxed()
        }
    };
    let background = Want {
        urgency: Urgency::Background,
        ..want(0, 0, 1000)
    };
    let tick = shelf.get(&[9], &background, watch);
    let send = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let calls = Arc::new(AtomicUsize::new(0));
        shelf
            .get(
                &[9],
                &want(0, 0, 1000),
                fetcher(calls.clone(), Duration::ZERO, false),
            )
            .await;
        calls.load(Ordering::SeqCst)
    };
    let (_, joined_calls) = futures::join!(tick, send);
    assert_eq!(joined_calls, 0, "the send joined the tick's flight");
    assert_eq!(
        *seen.lock().unwrap(),
        [Urgency::Background as u8, Urgency::Send as u8]
    );
}

#[tokio::test]
async fn a_put_answer_is_served_at_once_and_kept_over_a_fetch_that_began_before_it() {
    let shelf = shelf();
    let calls = Arc::new(AtomicUsize::new(0));
    // A fetch of 7 (it will bring 70) is under way when 0 is put.
    let wanted = want(60_000, 0, 1000);
    let fetching = shelf.get(
        &[7],
        &wanted,
        fetcher(calls.clone(), Duration::from_millis(100), false),
    );
    let putting = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        shelf.put(7, 0, Utc::now()).await;
    };
    let ((early, _), ()) = futures::join!(fetching, putting);
    assert_eq!(
        value(&early[&7]),
        Some(70),
        "its caller asked before the put"
    );
    let (now, _) = shelf
        .get(
            &[7],
            &want(60_000, 0, 1000),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    assert!(
        matches!(&now[&7], Served::Hit(s) if s.value == 0),
        "{now:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(shelf.keys_where(|k| *k == 7), vec![7]);
    // Forgotten, the next caller asks again.
    shelf.forget(&[7]).await;
    let (asked, _) = shelf
        .get(
            &[7],
            &want(60_000, 0, 1000),
            fetcher(calls.clone(), Duration::ZERO, false),
        )
        .await;
    assert!(matches!(&asked[&7], Served::Fetched(s) if s.value == 70));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
