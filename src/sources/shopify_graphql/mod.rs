//! Shopify GraphQL Admin API (`kind = "shopify-graphql"`): `POST
//! {base}/admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`. An offer's SKUs are
//! found as inventory items through a `productVariants` search (exact matches kept: the search
//! is by token), and the item ↔ SKU map is kept (`items.rs`, which also asks the shop for an
//! item a pushed change names); then each item's `available` quantity at each
//! promised location (`gid://shopify/Location/<n>`, from the gid or its number) is read with
//! `inventoryLevel(locationId:)`. An item Shopify does not track is not limited (never out of
//! stock); an item not stocked at a location has 0 there; a SKU no variant has is 0 everywhere,
//! as a 404 is for the other sources. Every query waits for its cost in the shop's bucket
//! (`bucket.rs`); a `THROTTLED` answer (whatever its HTTP status) is asked again when the bucket
//! has restored enough; `MAX_COST_EXCEEDED` splits the query.
mod bucket;
mod items;
mod query;

use super::upstream::{Retry, Upstream};
use super::{InventorySource, SourceError, Stock, UpstreamBatch};
use crate::config::SourceConfig;
use crate::domain::ItemKey;
use crate::sources::BatchLimits;
use async_trait::async_trait;
use bucket::CostBucket;
use items::ItemMap;
use query::{Answer, ItemAsk};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Mutex;
use tokio::time::{Duration, Instant};

pub const NAME: &str = "shopify-graphql";
pub const DEFAULT_VERSION: &str = "2026-10";
/// The most one query may cost; Shopify refuses a dearer one (`MAX_COST_EXCEEDED`).
const MAX_QUERY_COST: f64 = 1000.0;
/// Pairs a batch: its items and levels cost at most 100 + 2 × 400 points.
const DEFAULT_PAIRS: usize = 400;
const MAX_SKUS: usize = 100;
/// SKUs a variant search.
const SKUS_PER_SEARCH: usize = 50;
const MAX_PAGES: usize = 40;
const MAX_THROTTLED: u32 = 20;

pub struct ShopifyGraphql {
    config: SourceConfig,
    upstream: Upstream,
    endpoint: String,
    bucket: CostBucket,
    items: Mutex<ItemMap>,
    /// One search at a time, so batches asked together search each SKU once.
    searching: tokio::sync::Mutex<()>,
}

/// Why a query got no data.
enum Failure {
    /// `MAX_COST_EXCEEDED`: the same question, asked in smaller parts, may be answered.
    TooCostly,
    Source(SourceError),
}

/// One (sku, location) asked, as the upstream names them, and the item and gid it is asked by.
struct Pair<'a> {
    sku: &'a str,
    location: &'a str,
    item_id: String,
    gid: String,
}

impl ShopifyGraphql {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        let version = config.api_version.as_deref().unwrap_or(DEFAULT_VERSION);
        let endpoint = format!("{}/admin/api/{version}/graphql.json", config.base());
        Self {
            config,
            upstream,
            endpoint,
            bucket: CostBucket::standard(),
            items: Mutex::new(ItemMap::default()),
            searching: tokio::sync::Mutex::new(()),
        }
    }

    /// Asks one query when the bucket holds its `cost`, holding the turn until it is answered.
    async fn ask<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
        estimate: f64,
        deadline: Instant,
    ) -> Result<T, Failure> {
        // Our estimate until Shopify says what it makes of the query.
        let mut cost = estimate;
        let deadline_passed = || Failure::Source(SourceError::Deadline);
        let mut level = self
            .bucket
            .turn(deadline)
            .await
            .ok_or_else(deadline_passed)?;
        let body = json!({"query": query, "variables": variables});
        let token = self.config.token_value();
        for _ in 0..=MAX_THROTTLED {
            let now = Instant::now();
            let wait = level.wait_for(cost, now);
            if now + wait >= deadline {
                return Err(Failure::Source(SourceError::Quota(format!(
                    "Shopify's cost bucket holds {:.0} points; a query of {cost:.0} waits {:.1} s, past the deadline",
                    level.available(now),
                    wait.as_secs_f64()
                ))));
            }
            tokio::time::sleep(wait).await;
            let reply = self
                .upstream
                .call(
                    |c| {
                        c.post(&self.endpoint)
                            .header("X-Shopify-Access-Token", token)
                            .json(&body)
                    },
                    Retry::Idempotent,
                    deadline,
                )
                .await
                .map_err(Failure::Source)?;
            let answer: Answer = match reply.json() {
                Ok(answer) => answer,
                Err(_) if !reply.status.is_success() => {
                    return Err(Failure::Source(SourceError::Status(reply.status.as_u16())));
                }
                Err(e) => {
                    self.upstream.note_garbage();
                    return Err(Failure::Source(e));
                }
            };
            let status = answer.extensions.as_ref().and_then(|e| e.cost.as_ref());
            if let Some(said) = status {
                level.observe(&said.throttle_status, Instant::now());
                cost = said.requested_query_cost;
            }
            let (codes, message) = answer.error_codes();
            if codes.iter().any(|c| c == "THROTTLED") {
                if status.is_none() {
                    level.drain(Instant::now());
                }
                tracing::debug!(source = NAME, cost, "THROTTLED: waiting for the bucket");
                continue;
            }
            if codes.iter().any(|c| c == "MAX_COST_EXCEEDED") {
                return Err(Failure::TooCostly);
            }
            if let Some(message) = message {
                return Err(Failure::Source(SourceError::Refused(
                    reply.status.as_u16(),
                    message.chars().take(300).collect(),
                )));
            }
            let data = answer.data.ok_or_else(|| {
                Failure::Source(SourceError::Garbage("an answer without data".into()))
            })?;
            return serde_json::from_value(data).map_err(|e| {
                self.upstream.note_garbage();
                Failure::Source(SourceError::Garbage(e.to_string()))
            });
        }
        Err(Failure::Source(SourceError::Quota(format!(
            "Shopify answered THROTTLED {MAX_THROTTLED} times in a row"
        ))))
    }

    /// Reads the levels of `pairs` into `answer`, as few queries as their cost allows.
    async fn levels(
        &self,
        batch: &UpstreamBatch,
        pairs: Vec<Pair<'_>>,
        answer: &mut Stock,
        deadline: Instant,
    ) -> Result<(), SourceError> {
        let mut queue = vec![pairs];
        while let Some(chunk) = queue.pop() {
            let asks = group(&chunk);
            let cost = query::levels_cost(&asks);
            if cost > MAX_QUERY_COST && chunk.len() > 1 {
                halve(chunk, &mut queue);
                continue;
            }
            let (text, variables) = query::levels(&asks);
            let data: Value = match self.ask(&text, variables, cost, deadline).await {
                Ok(data) => data,
                Err(Failure::TooCostly) if chunk.len() > 1 => {
                    halve(chunk, &mut queue);
                    continue;
                }
                Err(Failure::TooCostly) => {
                    return Err(SourceError::Garbage(
                        "one inventory level costs more than the shop allows".into(),
                    ));
                }
                Err(Failure::Source(e)) => return Err(e),
            };
            for pair in &chunk {
                let n = asks.iter().position(|a| a.item_id == pair.item_id);
                let m = n.and_then(|n| asks[n].locations.iter().position(|l| *l == pair.gid));
                let (Some(n), Some(m)) = (n, m) else { continue };
                // An item gone since it was found is stocked nowhere.
                let level = data[format!("i{n}")]
                    .get(format!("l{m}"))
                    .unwrap_or(&Value::Null);
                let q = query::available(level).map_err(|e| {
                    self.upstream.note_garbage();
                    SourceError::Garbage(e)
                })?;
                batch.add(answer, pair.sku, pair.location, q);
            }
        }
        Ok(())
    }
}

/// The pairs as one ask per item, in the order first met.
fn group(pairs: &[Pair<'_>]) -> Vec<ItemAsk> {
    let mut asks: Vec<ItemAsk> = Vec::new();
    for pair in pairs {
        match asks.iter_mut().find(|a| a.item_id == pair.item_id) {
            Some(ask) if !ask.locations.contains(&pair.gid) => ask.locations.push(pair.gid.clone()),
            Some(_) => {}
            None => asks.push(ItemAsk {
                item_id: pair.item_id.clone(),
                locations: vec![pair.gid.clone()],
            }),
        }
    }
    asks
}

fn halve<'a>(mut chunk: Vec<Pair<'a>>, queue: &mut Vec<Vec<Pair<'a>>>) {
    let back = chunk.split_off(chunk.len() / 2);
    queue.push(chunk);
    queue.push(back);
}

#[async_trait]
impl InventorySource for ShopifyGraphql {
    super::upstream_source!();

    fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            max_pairs: self
                .config
                .batch_size
                .unwrap_or(DEFAULT_PAIRS)
                .min(DEFAULT_PAIRS),
            max_skus: MAX_SKUS,
            max_locations: DEFAULT_PAIRS,
        }
    }

    /// The points these batches cost (their items, their levels, a variant search for each
    /// batch's SKUs), at the shop's restore rate.
    fn quota_time(&self, batches: &[Vec<ItemKey>]) -> Duration {
        let points: f64 = batches
            .iter()
            .map(|b| {
                let batch = UpstreamBatch::new(&self.config, b);
                let searches = batch.skus.len().div_ceil(SKUS_PER_SEARCH);
                let first = (batch.skus.len().min(SKUS_PER_SEARCH) * 4).clamp(10, query::MAX_PAGE);
                batch.skus.len() as f64
                    + 2.0 * b.len() as f64
                    + searches as f64 * query::variants_cost(first)
            })
            .sum();
        Duration::from_secs_f64(points / self.bucket.restore_rate())
    }

    /// From the map a search filled, else asked of the shop (by the item's gid or number).
    async fn item_sku(&self, item: &str, deadline: Instant) -> Result<Option<String>, SourceError> {
        const PREFIX: &str = "gid://shopify/InventoryItem/";
        let id = if item.starts_with(PREFIX) {
            item.to_owned()
        } else {
            format!("{PREFIX}{item}")
        };
        match self.sku_of(&id) {
            Some(sku) => Ok(Some(sku)),
            None => self.ask_sku(&id, deadline).await,
        }
    }

    #[tracing::instrument(skip_all, fields(source = NAME, keys = keys.len()))]
    async fn stock(&self, keys: &[ItemKey], deadline: Instant) -> Result<Stock, SourceError> {
        let batch = UpstreamBatch::new(&self.config, keys);
        let mut answer = batch.zeroes();
        let skus: Vec<&str> = batch.skus.iter().map(String::as_str).collect();
        let items = self.resolve(&skus, deadline).await?;
        let mut pairs = Vec::new();
        for (sku, location) in batch.pairs() {
            // A SKU no variant has stays at 0, as does a location Shopify cannot name.
            let Some(item) = items.get(sku) else { continue };
            if !item.tracked {
                batch.add(&mut answer, sku, location, f64::INFINITY);
                continue;
            }
            let Some(gid) = query::location_gid(location) else {
                tracing::warn!(
                    source = NAME,
                    location,
                    "not a Shopify location (a gid or its number): counted as 0"
                );
                continue;
            };
            pairs.push(Pair {
                sku,
                location,
                item_id: item.id.clone(),
                gid,
            });
        }
        self.levels(&batch, pairs, &mut answer, deadline).await?;
        Ok(answer)
    }
}
