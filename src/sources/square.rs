//! Square Inventory API: `POST {base_url}/v2/inventory/counts/batch-retrieve` with
//! `catalog_object_ids`, `location_ids` and `states: ["IN_STOCK"]`, following `cursor` pages.
//! Quantities are decimal strings; a pair with no count has none in stock.
use super::upstream::{Retry, Upstream};
use super::{InventorySource, SourceError, Stock, UpstreamBatch};
use crate::config::SourceConfig;
use crate::domain::ItemKey;
use crate::sources::BatchLimits;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

pub const NAME: &str = "square";
pub const SQUARE_VERSION: &str = "2025-10-16";
/// Square's page size for counts (its maximum).
const PAGE_LIMIT: u32 = 1000;
/// Pages followed for one batch before the answer is called garbage (a cursor loop guard).
const MAX_PAGES: usize = 100;
const DEFAULT_BATCH: usize = 100;

pub struct Square {
    config: SourceConfig,
    upstream: Upstream,
}

#[derive(Serialize)]
struct BatchRetrieve<'a> {
    catalog_object_ids: &'a [String],
    location_ids: &'a [String],
    states: [&'static str; 1],
    limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<&'a str>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    counts: Vec<Count>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct Count {
    catalog_object_id: String,
    location_id: String,
    #[serde(default)]
    state: Option<String>,
    quantity: serde_json::Value,
}

impl Square {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self { config, upstream }
    }
}

#[async_trait]
impl InventorySource for Square {
    super::upstream_source!();

    fn batch_limits(&self) -> BatchLimits {
        let n = self
            .config
            .batch_size
            .unwrap_or(DEFAULT_BATCH)
            .min(PAGE_LIMIT as usize);
        BatchLimits {
            max_pairs: n,
            max_skus: n,
            max_locations: n,
        }
    }

    #[tracing::instrument(skip_all, fields(source = NAME, keys = keys.len()))]
    async fn stock(&self, keys: &[ItemKey], deadline: Instant) -> Result<Stock, SourceError> {
        let batch = UpstreamBatch::new(&self.config, keys);
        let mut answer = batch.zeroes();
        let base = self.config.base();
        let url = format!("{base}/v2/inventory/counts/batch-retrieve");
        let token = self.config.token_value();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let body = BatchRetrieve {
                catalog_object_ids: &batch.skus,
                location_ids: &batch.locations,
                states: ["IN_STOCK"],
                limit: PAGE_LIMIT,
                cursor: cursor.as_deref(),
            };
            // batch-retrieve is a POST but only reads: sending it twice changes nothing.
            let reply = self
                .upstream
                .call(
                    |c| {
                        c.post(&url)
                            .bearer_auth(token)
                            .header("Square-Version", SQUARE_VERSION)
                            .json(&body)
                    },
                    Retry::Idempotent,
                    deadline,
                )
                .await?;
            if !reply.status.is_success() {
                return Err(SourceError::Status(reply.status.as_u16()));
            }
            let page: Page = reply.json().inspect_err(|_| self.upstream.note_garbage())?;
            for count in page.counts {
                if count.state.as_deref().is_some_and(|s| s != "IN_STOCK") {
                    continue;
                }
                let q = super::parse_quantity(&count.quantity)
                    .inspect_err(|_| self.upstream.note_garbage())?;
                batch.add(&mut answer, &count.catalog_object_id, &count.location_id, q);
            }
            match page.cursor.filter(|c| !c.is_empty()) {
                Some(next) => cursor = Some(next),
                None => return Ok(answer),
            }
        }
        self.upstream.note_garbage();
        Err(SourceError::Garbage(format!(
            "more than {MAX_PAGES} cursor pages"
        )))
    }
}
