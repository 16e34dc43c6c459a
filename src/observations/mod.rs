//! One layer of observations under every consumer: what the sources answered — a location's
//! status with its hours, a stock count — kept in memory with the time each was fetched, for
//! the pre-send check, the send-time lookup and the re-check alike. Each consumer says how old
//! an answer it accepts (`shelf::Want`): the pre-send check each source's `max_age_s` (0:
//! always ask), the lookup its `ttl_s` and `stale_s`, a re-check tick nothing older than the
//! tick. Whoever asks, concurrent requests for one question share one upstream call, so two
//! webhooks arriving together for overlapping campaigns ask each branch once. A change a source
//! pushes in (`services::changes`) is put on the shelf as a fresh answer.
pub mod links;
pub mod shelf;

use crate::domain::ItemKey;
use crate::sources::{LocationAnswer, SourceError, Sources, Stock, batches};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use shelf::{Fetched, Served, Shelf, Tally, Want};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// One inventory batch and what the source answered for it.
type BatchAnswer = (Vec<ItemKey>, Result<Stock, SourceError>);

/// Answers kept of each kind (bounded memory).
const CAPACITY: u64 = 100_000;

pub struct Observer {
    /// Replaced whole when `SIGHUP` brings new credentials; a fetch under way keeps the sources
    /// it started with.
    sources: std::sync::RwLock<Sources>,
    locations: Arc<Shelf<String, LocationAnswer>>,
    items: Arc<Shelf<ItemKey, f64>>,
    /// The emails' links, when `[promises] check_links_hosts` lists any host.
    links: Option<links::Links>,
}

impl Observer {
    /// `keep_for`: the oldest answer any consumer may accept.
    pub fn new(sources: Sources, keep_for: Duration) -> Self {
        Self {
            sources: std::sync::RwLock::new(sources),
            locations: Arc::new(Shelf::new(keep_for, CAPACITY)),
            items: Arc::new(Shelf::new(keep_for, CAPACITY)),
            links: None,
        }
    }

    /// The same observer, fetching the links of emails through `links`.
    pub fn with_links(mut self, links: links::Links) -> Self {
        self.links = Some(links);
        self
    }

    /// The sources in force now.
    pub fn sources(&self) -> Sources {
        self.sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts `sources` in force for every question asked from now on.
    pub fn replace_sources(&self, sources: Sources) {
        *self.sources.write().unwrap_or_else(|e| e.into_inner()) = sources;
    }

    /// The emails' links, if any host is listed for fetching.
    pub fn links(&self) -> Option<&links::Links> {
        self.links.as_ref()
    }

    /// Each location's answer, as `want` accepts it.
    pub async fn locations(
        &self,
        ids: &[String],
        want: &Want,
    ) -> (HashMap<String, Served<LocationAnswer>>, Tally) {
        let source = self.sources().locations;
        let (until, permits) = (want.fetch_until, want.permits.clone());
        let fetch = move |keys: Vec<String>| {
            async move {
                let answers = source.locations(&keys, until, &permits).await;
                Ok(per_key(answers))
            }
            .boxed()
        };
        self.locations.get(ids, want, fetch).await
    }

    /// Each (sku, location)'s stock, as `want` accepts it; asked in the batches the inventory
    /// source's API takes, within the caller's permits.
    pub async fn items(
        &self,
        keys: &[ItemKey],
        want: &Want,
    ) -> (HashMap<ItemKey, Served<f64>>, Tally) {
        let inventory = self.sources().inventory;
        let (until, permits) = (want.fetch_until, want.permits.clone());
        let fetch = move |keys: Vec<ItemKey>| {
            async move {
                let groups = batches(&keys, inventory.batch_limits());
                let answers: Vec<BatchAnswer> =
                    futures::future::join_all(groups.into_iter().map(|batch| {
                        let (inventory, permits) = (inventory.clone(), permits.clone());
                        async move {
                            // The semaphore is never closed: acquiring only waits.
                            let _permit = permits.acquire().await;
                            let answer = inventory.stock(&batch, until).await;
                            (batch, answer)
                        }
                    }))
                    .await;
                let mut out: Fetched<ItemKey, f64> = HashMap::new();
                for (batch, answer) in answers {
                    match answer {
                        Ok(levels) => {
                            for key in batch {
                                let v = levels
                                    .get(&key)
                                    .copied()
                                    .ok_or_else(|| "the answer left this item out".to_owned());
                                out.insert(key, v);
                            }
                        }
                        Err(e) => {
                            for key in batch {
                                out.insert(key, Err(e.to_string()));
                            }
                        }
                    }
                }
                Ok(out)
            }
            .boxed()
        };
        self.items.get(keys, want, fetch).await
    }
}

impl Observer {
    /// An item's level a source pushed (true as of `at`): every consumer is served it at once,
    /// over what a fetch under way brings.
    pub async fn pushed_level(&self, key: ItemKey, available: f64, at: DateTime<Utc>) {
        self.items.put(key, available, at).await;
    }

    /// A location a source says holds nothing now (deactivated): every item held at it, and
    /// each of `also`, put at 0. The location's own answers (status, hours) are untouched.
    /// How many were put.
    pub async fn pushed_empty(&self, location: &str, also: &[ItemKey], at: DateTime<Utc>) -> usize {
        let mut keys = self.items.keys_where(|k| k.location == location);
        keys.extend(also.iter().cloned());
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            self.items.put(key.clone(), 0.0, at).await;
        }
        keys.len()
    }

    /// Forgets every item held at `location` (a source says it changed): the next consumer
    /// asks. How many were held.
    pub async fn forget_items_at(&self, location: &str) -> usize {
        let keys = self.items.keys_where(|k| k.location == location);
        self.items.forget(&keys).await;
        keys.len()
    }
}

fn per_key<K: std::hash::Hash + Eq, V>(
    answers: HashMap<K, Result<V, SourceError>>,
) -> Fetched<K, V> {
    answers
        .into_iter()
        .map(|(k, a)| (k, a.map_err(|e| e.to_string())))
        .collect()
}
