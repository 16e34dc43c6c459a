//! The send-time lookup (`GET /v1/lookup`): which promised locations and items are still good,
//! answered from memory. It reads the same layer of observations as the checks
//! (`observations::Observer`) but accepts older answers: a pre-send check sees the sources as
//! they are (or as its `max_age_s` allows), while the lookup trades up to `ttl_s` of staleness
//! (and `stale_s` more while a source fails) for answering every recipient of a send without
//! sending each of them upstream.
//!
//! In a send, thousands of recipients ask the same question (the same query string) within the
//! TTL. So besides the per-key caches, the serialized answer to each query string is remembered
//! for as long as every key in it stays fresh (and never past the next local midnight of any
//! location in it, since a special-hours closure that starts tomorrow changes the answer; with
//! an offer window named, never past the end of the open hours that made a location keepable):
//! a repeated query costs one map lookup and no JSON work.
//!
//! A location is broken at lookup time when its status is not open, or today (its own local
//! date) is a special closed day. Weekly hours alone never make it broken — a send rendered at
//! night for a week-long offer must not abort — unless the request names the offer window
//! (`from`/`until`): then it is broken when the rest of that window holds no open hour. An answer with a stale or unknown key is never remembered — the next request
//! tries the source again.
use crate::domain::hours::next_local_midnight;
use crate::domain::{ItemKey, LocationStatus, OfferWindow};
use crate::metrics::Metrics;
use crate::observations::Observer;
use crate::observations::shelf::{Served, Want};
use crate::sources::quota::Urgency;
use bytes::Bytes;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::Instant;

/// Upstream calls in flight at once for one lookup's misses.
const CONCURRENCY: usize = 64;
/// Remembered answers (distinct query strings); past this, expired ones are dropped, and if
/// none has expired a new answer is simply not remembered.
pub const ANSWER_CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub keepable: Vec<String>,
    pub broken: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LookupAnswer {
    /// True when nothing is broken or unknown.
    pub ok: bool,
    pub locations: Group,
    pub items: Group,
    /// Present (true) when any answer came from an expired entry served because the source failed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// The per-key result counters, resolved once (a labelled lookup per key would cost a hash and
/// a lock on every request of a send).
struct ResultCounters {
    hit: prometheus::IntCounter,
    miss: prometheus::IntCounter,
    stale: prometheus::IntCounter,
    unknown: prometheus::IntCounter,
}

impl ResultCounters {
    fn new(metrics: &Metrics, kind: &str) -> Self {
        let c = |result: &str| metrics.lookup_results.with_label_values(&[kind, result]);
        Self {
            hit: c("hit"),
            miss: c("miss"),
            stale: c("stale"),
            unknown: c("unknown"),
        }
    }
}

/// A serialized answer to one query string, good until `valid_until`.
struct Remembered {
    body: Bytes,
    valid_until: Instant,
    locations: u64,
    items: u64,
}

pub struct Lookup {
    observer: Arc<Observer>,
    answers: RwLock<HashMap<Box<str>, Arc<Remembered>>>,
    /// Counts `forget_answers`: an answer worked out before one is not remembered after it.
    forgotten: std::sync::atomic::AtomicU64,
    /// `max-age=` the TTL, for the `Cache-Control` header of every answer.
    cache_control: Box<str>,
    location_counters: ResultCounters,
    item_counters: ResultCounters,
    ttl: Duration,
    stale_for: Duration,
    deadline: Duration,
    /// How long a fetch may go on in the background after the lookup deadline.
    fetch_deadline: Duration,
    metrics: Metrics,
}

impl Lookup {
    pub fn new(
        observer: Arc<Observer>,
        ttl: Duration,
        stale_for: Duration,
        deadline: Duration,
        fetch_deadline: Duration,
        metrics: Metrics,
    ) -> Self {
        Self {
            location_counters: ResultCounters::new(&metrics, "location"),
            item_counters: ResultCounters::new(&metrics, "item"),
            observer,
            answers: RwLock::new(HashMap::new()),
            forgotten: std::sync::atomic::AtomicU64::new(0),
            cache_control: format!("max-age={}", ttl.as_secs()).into(),
            ttl,
            stale_for,
            deadline,
            fetch_deadline,
            metrics,
        }
    }

    /// The `Cache-Control` value of an answer: `max-age` is the TTL.
    pub fn cache_control(&self) -> &str {
        &self.cache_control
    }

    /// The remembered JSON answer to this exact query string, if it is still good. Counts as a
    /// cache hit for each of its keys.
    pub fn remembered(&self, query: &str) -> Option<Bytes> {
        // Only the body is cloned out of the map, under the read lock: every worker of a send
        // reads the same entry, and each shared reference count touched is a cache line the
        // workers pass between them.
        let (body, locations, items) = {
            let answers = self.answers.read().unwrap_or_else(|e| e.into_inner());
            let found = answers.get(query)?;
            if found.valid_until <= Instant::now() {
                return None;
            }
            (found.body.clone(), found.locations, found.items)
        };
        self.location_counters.hit.inc_by(locations);
        self.item_counters.hit.inc_by(items);
        Some(body)
    }

    /// Forgets every remembered answer (a source pushed a change): the next request of each
    /// query string is answered from the observations again.
    pub fn forget_answers(&self) {
        let mut answers = self.answers.write().unwrap_or_else(|e| e.into_inner());
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        answers.clear();
    }

    /// Looks up a parsed query and answers it as JSON, remembering the answer under `query`
    /// when every key in it was served fresh.
    pub async fn answer(
        &self,
        query: &str,
        locations: &[String],
        items: &[ItemKey],
        window: Option<OfferWindow>,
    ) -> serde_json::Result<Bytes> {
        let forgotten = self.forgotten.load(Ordering::SeqCst);
        let (answer, fresh_until) = self.lookup_fresh(locations, items, window).await;
        let body = Bytes::from(serde_json::to_vec(&answer)?);
        if let Some(valid_until) = fresh_until {
            let remembered = Arc::new(Remembered {
                body: body.clone(),
                valid_until,
                locations: locations.len() as u64,
                items: items.len() as u64,
            });
            let mut answers = self.answers.write().unwrap_or_else(|e| e.into_inner());
            if self.forgotten.load(Ordering::SeqCst) != forgotten {
                // A pushed change came in while this answer was worked out.
                return Ok(body);
            }
            if answers.len() >= ANSWER_CAPACITY && !answers.contains_key(query) {
                let now = Instant::now();
                answers.retain(|_, a| a.valid_until > now);
            }
            if answers.len() < ANSWER_CAPACITY || answers.contains_key(query) {
                answers.insert(query.into(), remembered);
            }
        }
        Ok(body)
    }

    pub async fn lookup(
        &self,
        locations: &[String],
        items: &[ItemKey],
        window: Option<OfferWindow>,
    ) -> LookupAnswer {
        self.lookup_fresh(locations, items, window).await.0
    }

    /// The answer, and until when it stays the same: `None` when any key was stale or unknown.
    async fn lookup_fresh(
        &self,
        locations: &[String],
        items: &[ItemKey],
        window: Option<OfferWindow>,
    ) -> (LookupAnswer, Option<Instant>) {
        let now = Instant::now();
        let want = Want {
            max_age: self.ttl,
            stale_for: self.stale_for,
            deadline: now + self.deadline,
            fetch_until: now + self.fetch_deadline,
            urgency: Urgency::Send,
            permits: Arc::new(tokio::sync::Semaphore::new(CONCURRENCY)),
        };
        let ((locs, lt), (its, it)) = futures::join!(
            self.observer.locations(locations, &want),
            self.observer.items(items, &want)
        );
        self.metrics
            .lookup_coalesced
            .inc_by(lt.coalesced + it.coalesced);
        self.metrics
            .lookup_deadline_misses
            .inc_by(lt.deadline_misses + it.deadline_misses);
        let (utc_now, instant_now) = (chrono::Utc::now(), Instant::now());
        // The answer holds until the first moment any location's judgement could change: a
        // local midnight (a special closed day is a local date), or the end of the open hours
        // that made a location keepable for the named window.
        let mut changes_at = utc_now + chrono::Duration::days(1);
        let mut stale = false;
        let location_group = group(
            &self.location_counters,
            locations,
            &locs,
            &mut stale,
            |id| id.clone(),
            |a| {
                let tz = a.zone.tz;
                changes_at = changes_at.min(next_local_midnight(tz, utc_now));
                if a.status != LocationStatus::Open {
                    return false;
                }
                match window {
                    None => !a.hours.closed_on(utc_now.with_timezone(&tz).date_naive()),
                    Some(window) => {
                        let (from, until) = window.at(tz);
                        match a.hours.first_open(tz, from.max(utc_now), until) {
                            Some((_, open_until)) => {
                                changes_at = changes_at.min(open_until);
                                true
                            }
                            None => false,
                        }
                    }
                }
            },
        );
        let item_group = group(
            &self.item_counters,
            items,
            &its,
            &mut stale,
            |k| k.to_string(),
            |q| *q > 0.0,
        );
        let all_fresh =
            !stale && location_group.unknown.is_empty() && item_group.unknown.is_empty();
        let fresh_until = all_fresh.then(|| {
            let until_change = (changes_at - utc_now).to_std().unwrap_or_default();
            [lt.fresh_until, it.fresh_until]
                .into_iter()
                .flatten()
                .fold(instant_now + until_change, Instant::min)
        });
        let answer = LookupAnswer {
            ok: location_group.broken.is_empty()
                && location_group.unknown.is_empty()
                && item_group.broken.is_empty()
                && item_group.unknown.is_empty(),
            locations: location_group,
            items: item_group,
            stale,
        };
        (answer, fresh_until)
    }
}

fn group<K, V>(
    counters: &ResultCounters,
    keys: &[K],
    served: &HashMap<K, Served<V>>,
    stale: &mut bool,
    name: impl Fn(&K) -> String,
    mut keepable: impl FnMut(&V) -> bool,
) -> Group
where
    K: std::hash::Hash + Eq,
{
    let mut group = Group::default();
    for key in keys {
        let (value, result) = match served.get(key) {
            Some(Served::Hit(v)) => (Some(&v.value), "hit"),
            Some(Served::Fetched(v)) => (Some(&v.value), "miss"),
            Some(Served::Stale(v)) => {
                *stale = true;
                (Some(&v.value), "stale")
            }
            Some(Served::Unknown(_)) | None => (None, "unknown"),
        };
        match result {
            "hit" => counters.hit.inc(),
            "miss" => counters.miss.inc(),
            "stale" => counters.stale.inc(),
            _ => counters.unknown.inc(),
        }
        match value {
            Some(v) if keepable(v) => group.keepable.push(name(key)),
            Some(_) => group.broken.push(name(key)),
            None => group.unknown.push(name(key)),
        }
    }
    group
}
