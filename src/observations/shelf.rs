//! The shelf of answers under every consumer: a TTL cache with single flight, deadlines and
//! serve-stale-if-error, where each caller says how old an answer it accepts.
//!
//! An answer is fresh for a caller while it is younger than the caller's `max_age` (0: never —
//! always ask). A key that is not fresh is fetched by one spawned task however many callers
//! want it at once, from whichever consumer (single flight); each caller waits for that task
//! only until its own deadline, and the task goes on in the background to fill the shelf. When
//! the fetch fails or misses the deadline, an answer younger than `max_age + stale_for` is
//! served instead, marked stale. Failures are not kept: the next caller tries again (the
//! source's circuit breaker keeps a dead upstream from being hammered). A flight runs at the
//! urgency of the most urgent caller waiting on it (`sources::quota`).
use crate::sources::quota::{URGENCY, Urgency, urgency_handle};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What a fetch answers for the keys it was given (a key it leaves out failed).
pub type Fetched<K, V> = HashMap<K, Result<V, String>>;
/// A flight's answer, and when it arrived.
type Batch<K, V> = Arc<Result<(Fetched<K, V>, DateTime<Utc>), String>>;

#[derive(Clone)]
struct Flight<K, V> {
    answer: Shared<BoxFuture<'static, Batch<K, V>>>,
    urgency: Arc<AtomicU8>,
}

/// An answer and when the source gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen<V> {
    pub value: V,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Served<V> {
    /// From the shelf, young enough for this caller.
    Hit(Seen<V>),
    /// Fetched for this caller (or by a caller it joined).
    Fetched(Seen<V>),
    /// An older answer, served because the source failed or was late.
    Stale(Seen<V>),
    /// No answer in time and nothing to fall back on; why.
    Unknown(String),
}

/// How old an answer a caller accepts, and how long it waits.
#[derive(Debug, Clone)]
pub struct Want {
    /// Answers younger than this are served from the shelf (0: always ask).
    pub max_age: Duration,
    /// How much older an answer may be, served stale, when the source fails.
    pub stale_for: Duration,
    /// How long this caller waits for an answer.
    pub deadline: Instant,
    /// How long the fetch itself may go on (past the caller's deadline, it fills the shelf).
    pub fetch_until: Instant,
    pub urgency: Urgency,
    /// Upstream calls in flight at once for this caller's fetches (shared by its locations
    /// and items).
    pub permits: Arc<tokio::sync::Semaphore>,
}

/// What happened: for the metrics, and for how long the answer stays good.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub coalesced: u64,
    pub deadline_misses: u64,
    /// The earliest moment a value served fresh (hit or fetched) stops being fresh for this
    /// caller; `None` when no value was served fresh. A fetched value counts from the start of
    /// the request, which is never later than the moment it was fetched.
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
    seen_at: DateTime<Utc>,
}

impl<V: Clone> Entry<V> {
    fn seen(&self) -> Seen<V> {
        Seen {
            value: self.value.clone(),
            at: self.seen_at,
        }
    }
}

pub struct Shelf<K, V> {
    entries: moka::future::Cache<K, Arc<Entry<V>>>,
    inflight: Mutex<HashMap<K, Flight<K, V>>>,
}

impl<K, V> Shelf<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// `keep_for`: the oldest answer any caller may ask for (fresh or stale).
    pub fn new(keep_for: Duration, capacity: u64) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(keep_for.max(Duration::from_millis(1)))
                .build(),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// Answers every key by `want.deadline`; `fetch` is called (in a spawned task, at the
    /// caller's urgency) with the keys that need fetching and nobody is fetching yet.
    pub async fn get(
        self: &Arc<Self>,
        keys: &[K],
        want: &Want,
        fetch: impl FnOnce(Vec<K>) -> BoxFuture<'static, Result<Fetched<K, V>, String>>,
    ) -> (HashMap<K, Served<V>>, Tally) {
        let mut served = HashMap::new();
        let mut stale = HashMap::new();
        let mut tally = Tally::default();
        let now = Instant::now();
        for key in keys {
            match self.entries.get(key).await {
                Some(e) if now.duration_since(e.fetched_at) < want.max_age => {
                    tally.fresh(e.fetched_at + want.max_age);
                    served.insert(key.clone(), Served::Hit(e.seen()));
                }
                Some(e) if now.duration_since(e.fetched_at) < want.max_age + want.stale_for => {
                    stale.insert(key.clone(), e.seen());
                }
                _ => {}
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
        let flights = self.flights(wanted, want, &mut tally, fetch);
        for (keys, flight) in flights {
            let outcome = tokio::time::timeout_at(want.deadline, flight.answer).await;
            for key in keys {
                let answer = match &outcome {
                    Ok(batch) => match batch.as_ref() {
                        Ok((values, at)) => match values.get(&key) {
                            Some(Ok(v)) => Ok(Seen {
                                value: v.clone(),
                                at: *at,
                            }),
                            Some(Err(e)) => Err(e.clone()),
                            None => Err("the source left this key out".to_owned()),
                        },
                        Err(e) => Err(e.clone()),
                    },
                    Err(_) => {
                        tally.deadline_misses += 1;
                        Err("no answer within the deadline".to_owned())
                    }
                };
                let s = match (answer, stale.remove(&key)) {
                    (Ok(seen), _) => {
                        tally.fresh(now + want.max_age);
                        Served::Fetched(seen)
                    }
                    (Err(_), Some(old)) => Served::Stale(old),
                    (Err(e), None) => Served::Unknown(e),
                };
                served.insert(key, s);
            }
        }
        (served, tally)
    }

    /// The flights that will answer `wanted`: ones in the air already (joined, and raised to
    /// this caller's urgency), and one new flight for the rest.
    fn flights(
        self: &Arc<Self>,
        wanted: Vec<K>,
        want: &Want,
        tally: &mut Tally,
        fetch: impl FnOnce(Vec<K>) -> BoxFuture<'static, Result<Fetched<K, V>, String>>,
    ) -> Vec<(Vec<K>, Flight<K, V>)> {
        let mut flights: Vec<(Vec<K>, Flight<K, V>)> = Vec::new();
        let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
        let mut to_fetch = Vec::new();
        for key in wanted {
            match inflight.get(&key) {
                Some(flight) => {
                    tally.coalesced += 1;
                    flight
                        .urgency
                        .fetch_max(want.urgency as u8, Ordering::SeqCst);
                    match flights
                        .iter_mut()
                        .find(|(_, f)| f.answer.ptr_eq(&flight.answer))
                    {
                        Some((keys, _)) => keys.push(key),
                        None => flights.push((vec![key], flight.clone())),
                    }
                }
                None => to_fetch.push(key),
            }
        }
        if !to_fetch.is_empty() {
            // Spawned while the in-flight map is locked, so the task cannot finish and clean
            // up before its keys are registered.
            let this = self.clone();
            let keys = to_fetch.clone();
            let urgency = urgency_handle(want.urgency);
            let fetching = URGENCY.scope(urgency.clone(), fetch(keys.clone()));
            let task = tokio::spawn(async move {
                let started = Instant::now();
                let result = fetching.await;
                let (fetched_at, seen_at) = (Instant::now(), Utc::now());
                if let Ok(values) = &result {
                    for (k, v) in values {
                        if let Ok(v) = v {
                            let entry = Arc::new(Entry {
                                value: v.clone(),
                                fetched_at,
                                seen_at,
                            });
                            this.fill(k.clone(), entry, started).await;
                        }
                    }
                }
                let mut inflight = this.inflight.lock().unwrap_or_else(|e| e.into_inner());
                for k in &keys {
                    inflight.remove(k);
                }
                result.map(|values| (values, seen_at))
            });
            let answer = async move {
                Arc::new(
                    task.await
                        .unwrap_or_else(|e| Err(format!("the fetch failed: {e}"))),
                )
            }
            .boxed()
            .shared();
            let flight = Flight { answer, urgency };
            for k in &to_fetch {
                inflight.insert(k.clone(), flight.clone());
            }
            flights.push((to_fetch, flight));
        }
        flights
    }
}

impl<K, V> Shelf<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Keeps a fetched answer — unless an answer was put on the shelf since the fetch began
    /// (`put`): a push is newer than what a fetch already under way will bring.
    async fn fill(&self, key: K, entry: Arc<Entry<V>>, started: Instant) {
        self.entries
            .entry(key)
            .and_upsert_with(|held| {
                let keep = match held {
                    Some(held) if held.value().fetched_at > started => held.into_value(),
                    _ => entry,
                };
                std::future::ready(keep)
            })
            .await;
    }

    /// Puts an answer a source pushed (true as of `at`): served from now on as one fetched
    /// now, and kept over what a fetch already under way brings.
    pub async fn put(&self, key: K, value: V, at: DateTime<Utc>) {
        let entry = Arc::new(Entry {
            value,
            fetched_at: Instant::now(),
            seen_at: at,
        });
        self.entries.insert(key, entry).await;
    }

    /// The keys on the shelf that `pick` selects.
    pub fn keys_where(&self, pick: impl Fn(&K) -> bool) -> Vec<K> {
        self.entries
            .iter()
            .filter(|(k, _)| pick(k))
            .map(|(k, _)| K::clone(&k))
            .collect()
    }

    /// Forgets `keys`: the next caller asks the source.
    pub async fn forget(&self, keys: &[K]) {
        for key in keys {
            self.entries.invalidate(key).await;
        }
    }
}

#[cfg(test)]
#[path = "shelf_tests.rs"]
mod tests;
