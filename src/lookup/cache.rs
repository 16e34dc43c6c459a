//! A TTL cache with single flight, deadlines and serve-stale-if-error, for the send-time lookup.
//!
//! A key is fresh for `ttl`. A missing or expired key is fetched by one spawned task however
//! many requests want it at once (single flight); each request waits for that task only until
//! its own deadline, and the task goes on in the background to fill the cache. When the fetch
//! fails or misses the deadline, an expired entry younger than `ttl + stale_for` is served
//! instead, marked stale. Failures are not cached: the next request after one tries again (the
//! source's circuit breaker keeps a dead upstream from being hammered).
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

pub type Batch<K, V> = Arc<Result<HashMap<K, V>, String>>;
type Flight<K, V> = Shared<BoxFuture<'static, Batch<K, V>>>;

#[derive(Debug, Clone, PartialEq)]
pub enum Served<V> {
    /// From the cache within its TTL.
    Hit(V),
    /// Fetched for this request (or by a request it joined).
    Fetched(V),
    /// An expired entry, served because the source failed or was late.
    Stale(V),
    /// No answer in time and nothing cached; why.
    Unknown(String),
}

/// What happened: for the metrics, and for how long the answer stays good.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub coalesced: u64,
    pub deadline_misses: u64,
    /// The earliest moment a value served fresh (hit or fetched) stops being fresh; `None` when
    /// no value was served fresh. A fetched value counts from the start of the request, which is
    /// never later than the moment it was fetched.
    pub fresh_until: Option<Instant>,
}

impl Tally {
    fn fresh(&mut self, until: Instant) {
        self.fresh_until = Some(self.fresh_until.map_or(until, |u| u.min(until)));
    }
}

struct Entry<V> {
    value: V,
    fetched_at: Instant,
}

pub struct KeyedCache<K, V> {
    entries: moka::future::Cache<K, Arc<Entry<V>>>,
    inflight: Mutex<HashMap<K, Flight<K, V>>>,
    ttl: Duration,
}

impl<K, V> KeyedCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(ttl: Duration, stale_for: Duration, capacity: u64) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl + stale_for)
                .build(),
            inflight: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// Answers every key by `deadline`; `fetch` is called (in a spawned task) with the keys that
    /// need fetching and nobody is fetching yet.
    pub async fn get(
        self: &Arc<Self>,
        keys: &[K],
        deadline: Instant,
        fetch: impl FnOnce(Vec<K>) -> BoxFuture<'static, Result<HashMap<K, V>, String>>,
    ) -> (HashMap<K, Served<V>>, Tally) {
        let mut served = HashMap::new();
        let mut stale = HashMap::new();
        let mut tally = Tally::default();
        let now = Instant::now();
        for key in keys {
            match self.entries.get(key).await {
                Some(e) if now.duration_since(e.fetched_at) < self.ttl => {
                    tally.fresh(e.fetched_at + self.ttl);
                    served.insert(key.clone(), Served::Hit(e.value.clone()));
                }
                Some(e) => {
                    stale.insert(key.clone(), e.value.clone());
                }
                None => {}
            }
        }
        let wanted: Vec<K> = keys
            .iter()
            .filter(|k| !served.contains_key(*k))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return (served, tally);
        }
        let mut flights: Vec<(Vec<K>, Flight<K, V>)> = Vec::new();
        {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            let mut joined: HashMap<usize, Vec<K>> = HashMap::new();
            let mut joined_flights: Vec<Flight<K, V>> = Vec::new();
            let mut to_fetch = Vec::new();
            for key in &wanted {
                match inflight.get(key) {
                    Some(flight) => {
                        tally.coalesced += 1;
                        let i = match joined_flights.iter().position(|f| f.ptr_eq(flight)) {
                            Some(i) => i,
                            None => {
                                joined_flights.push(flight.clone());
                                joined_flights.len() - 1
                            }
                        };
                        joined.entry(i).or_default().push(key.clone());
                    }
                    None => to_fetch.push(key.clone()),
                }
            }
            for (i, flight) in joined_flights.into_iter().enumerate() {
                flights.push((joined.remove(&i).unwrap_or_default(), flight));
            }
            if !to_fetch.is_empty() {
                // Spawned while the in-flight map is locked, so the task cannot finish and
                // clean up before its keys are registered.
                let this = self.clone();
                let keys = to_fetch.clone();
                let fetching = fetch(keys.clone());
                let task = tokio::spawn(async move {
                    let result = fetching.await;
                    if let Ok(values) = &result {
                        for (k, v) in values {
                            let entry = Arc::new(Entry {
                                value: v.clone(),
                                fetched_at: Instant::now(),
                            });
                            this.entries.insert(k.clone(), entry).await;
                        }
                    }
                    let mut inflight = this.inflight.lock().unwrap_or_else(|e| e.into_inner());
                    for k in &keys {
                        inflight.remove(k);
                    }
                    result
                });
                let flight: Flight<K, V> = async move {
                    Arc::new(
                        task.await
                            .unwrap_or_else(|e| Err(format!("lookup task failed: {e}"))),
                    )
                }
                .boxed()
                .shared();
                for k in &to_fetch {
                    inflight.insert(k.clone(), flight.clone());
                }
                flights.push((to_fetch, flight));
            }
        }
        for (keys, flight) in flights {
            let outcome = tokio::time::timeout_at(deadline, flight).await;
            for key in keys {
                let answer = match &outcome {
                    Ok(batch) => match batch.as_ref() {
                        Ok(values) => match values.get(&key) {
                            Some(v) => Ok(v.clone()),
                            None => Err("the source left this key out".to_owned()),
                        },
                        Err(e) => Err(e.clone()),
                    },
                    Err(_) => {
                        tally.deadline_misses += 1;
                        Err("no answer within the lookup deadline".to_owned())
                    }
                };
                let s = match (answer, stale.remove(&key)) {
                    (Ok(v), _) => {
                        tally.fresh(now + self.ttl);
                        Served::Fetched(v)
                    }
                    (Err(_), Some(old)) => Served::Stale(old),
                    (Err(e), None) => Served::Unknown(e),
                };
                served.insert(key, s);
            }
        }
        (served, tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn fetcher(
        calls: Arc<AtomicUsize>,
        delay: Duration,
        fail: bool,
    ) -> impl FnOnce(Vec<u32>) -> BoxFuture<'static, Result<HashMap<u32, u32>, String>> {
        move |keys| {
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                if fail {
                    Err("down".into())
                } else {
                    Ok(keys.into_iter().map(|k| (k, k * 10)).collect())
                }
            }
            .boxed()
        }
    }

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn concurrent_misses_for_one_key_make_one_call() {
        let cache = Arc::new(KeyedCache::new(
            Duration::from_secs(60),
            Duration::from_secs(60),
            100,
        ));
        let calls = Arc::new(AtomicUsize::new(0));
        let answers = futures::future::join_all((0..100).map(|_| {
            let cache = cache.clone();
            let calls = calls.clone();
            async move {
                cache
                    .get(
                        &[7],
                        soon(1000),
                        fetcher(calls, Duration::from_millis(50), false),
                    )
                    .await
            }
        }))
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|(a, _)| a[&7] == Served::Fetched(70)));
        assert_eq!(answers.iter().map(|(_, t)| t.coalesced).sum::<u64>(), 99);
        let asked = Instant::now();
        let (again, tally) = cache
            .get(
                &[7],
                soon(10),
                fetcher(calls.clone(), Duration::ZERO, false),
            )
            .await;
        assert_eq!(again[&7], Served::Hit(70));
        // Fresh until 60 s after it was fetched, which was before it was asked for again.
        let until = tally.fresh_until.expect("served fresh");
        assert!(until <= asked + Duration::from_secs(60));
        assert!(until > asked + Duration::from_secs(59));
    }

    #[tokio::test]
    async fn expired_entries_are_served_stale_when_the_source_fails() {
        let cache = Arc::new(KeyedCache::new(
            Duration::from_millis(20),
            Duration::from_secs(60),
            100,
        ));
        let calls = Arc::new(AtomicUsize::new(0));
        cache
            .get(
                &[1],
                soon(1000),
                fetcher(calls.clone(), Duration::ZERO, false),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let (a, tally) = cache
            .get(
                &[1, 2],
                soon(1000),
                fetcher(calls.clone(), Duration::ZERO, true),
            )
            .await;
        assert_eq!(a[&1], Served::Stale(10));
        assert_eq!(a[&2], Served::Unknown("down".into()));
        assert_eq!(tally.fresh_until, None, "nothing was served fresh");
    }

    #[tokio::test]
    async fn a_late_answer_fills_the_cache_after_the_deadline() {
        let cache = Arc::new(KeyedCache::new(
            Duration::from_secs(60),
            Duration::from_secs(60),
            100,
        ));
        let calls = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let (a, tally) = cache
            .get(
                &[3],
                soon(50),
                fetcher(calls.clone(), Duration::from_millis(200), false),
            )
            .await;
        assert!(started.elapsed() < Duration::from_millis(150));
        assert!(matches!(a[&3], Served::Unknown(_)));
        assert_eq!(tally.deadline_misses, 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (b, _) = cache
            .get(
                &[3],
                soon(10),
                fetcher(calls.clone(), Duration::ZERO, false),
            )
            .await;
        assert_eq!(b[&3], Served::Hit(30));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
