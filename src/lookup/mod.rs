//! The send-time lookup (`GET /v1/lookup`): which promised locations and items are still good,
//! answered from memory. Its caches are its own: a pre-send check must see the sources as they
//! are, while the lookup trades up to `ttl_s` of staleness for answering every recipient of a
//! send without sending each of them upstream.
pub mod cache;

use crate::check::plan::batches;
use crate::domain::{ItemKey, LocationStatus};
use crate::metrics::Metrics;
use crate::sources::{LocationAnswer, Sources};
use cache::{KeyedCache, Served};
use futures::FutureExt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Cached keys of each kind (bounded memory).
const CAPACITY: u64 = 100_000;

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

pub struct Lookup {
    sources: Sources,
    location_counters: ResultCounters,
    item_counters: ResultCounters,
    locations: Arc<KeyedCache<String, LocationAnswer>>,
    items: Arc<KeyedCache<ItemKey, f64>>,
    deadline: Duration,
    /// How long a fetch may go on in the background after the lookup deadline.
    fetch_deadline: Duration,
    metrics: Metrics,
}

impl Lookup {
    pub fn new(
        sources: Sources,
        ttl: Duration,
        stale_for: Duration,
        deadline: Duration,
        fetch_deadline: Duration,
        metrics: Metrics,
    ) -> Self {
        Self {
            location_counters: ResultCounters::new(&metrics, "location"),
            item_counters: ResultCounters::new(&metrics, "item"),
            sources,
            locations: Arc::new(KeyedCache::new(ttl, stale_for, CAPACITY)),
            items: Arc::new(KeyedCache::new(ttl, stale_for, CAPACITY)),
            deadline,
            fetch_deadline,
            metrics,
        }
    }

    pub async fn lookup(&self, locations: &[String], items: &[ItemKey]) -> LookupAnswer {
        let deadline = Instant::now() + self.deadline;
        let fetch_deadline = self.fetch_deadline;
        let sources = self.sources.clone();
        let location_fetch = move |keys: Vec<String>| {
            async move {
                let until = Instant::now() + fetch_deadline;
                let answers = futures::future::join_all(
                    keys.iter().map(|k| sources.locations.location(k, until)),
                )
                .await;
                merge(
                    keys.into_iter()
                        .zip(answers)
                        .map(|(k, a)| a.map(|a| HashMap::from([(k, a)]))),
                )
            }
            .boxed()
        };
        let inventory = self.sources.inventory.clone();
        let item_fetch = move |keys: Vec<ItemKey>| {
            async move {
                let until = Instant::now() + fetch_deadline;
                let groups = batches(&keys, inventory.batch_limits());
                let answers =
                    futures::future::join_all(groups.iter().map(|b| inventory.stock(b, until)))
                        .await;
                merge(answers)
            }
            .boxed()
        };
        let ((locs, lt), (its, it)) = futures::join!(
            self.locations.get(locations, deadline, location_fetch),
            self.items.get(items, deadline, item_fetch)
        );
        self.metrics
            .lookup_coalesced
            .inc_by(lt.coalesced + it.coalesced);
        self.metrics
            .lookup_deadline_misses
            .inc_by(lt.deadline_misses + it.deadline_misses);
        let today = chrono::Utc::now().date_naive();
        let mut stale = false;
        let location_group = group(
            &self.location_counters,
            locations,
            &locs,
            &mut stale,
            |id| id.clone(),
            |a| {
                a.status == LocationStatus::Open
                    && !a
                        .closed_periods
                        .iter()
                        .any(|p| p.start <= today && today <= p.end)
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
        LookupAnswer {
            ok: location_group.broken.is_empty()
                && location_group.unknown.is_empty()
                && item_group.broken.is_empty()
                && item_group.unknown.is_empty(),
            locations: location_group,
            items: item_group,
            stale,
        }
    }
}

/// Puts the answers of several upstream calls together. Keys whose call failed are left out
/// (the cache serves them stale or unknown); only when every call failed is it an error.
fn merge<K: std::hash::Hash + Eq, V>(
    answers: impl IntoIterator<Item = Result<HashMap<K, V>, crate::sources::SourceError>>,
) -> Result<HashMap<K, V>, String> {
    let mut found = HashMap::new();
    let mut first_error = None;
    for answer in answers {
        match answer {
            Ok(values) => found.extend(values),
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    match first_error {
        Some(e) if found.is_empty() => Err(e),
        _ => Ok(found),
    }
}

fn group<K, V>(
    counters: &ResultCounters,
    keys: &[K],
    served: &HashMap<K, Served<V>>,
    stale: &mut bool,
    name: impl Fn(&K) -> String,
    keepable: impl Fn(&V) -> bool,
) -> Group
where
    K: std::hash::Hash + Eq,
{
    let mut group = Group::default();
    for key in keys {
        let (value, result) = match served.get(key) {
            Some(Served::Hit(v)) => (Some(v), "hit"),
            Some(Served::Fetched(v)) => (Some(v), "miss"),
            Some(Served::Stale(v)) => {
                *stale = true;
                (Some(v), "stale")
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
