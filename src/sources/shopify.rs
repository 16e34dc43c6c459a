//! Shopify Admin REST API:
//! `GET {base_url}/admin/api/{version}/inventory_levels.json?inventory_item_ids=…&location_ids=…&limit=250`
//! with `X-Shopify-Access-Token`, at most 50 ids of each kind per call, following the `Link`
//! header's `rel="next"` page. `available: null` counts as 0.
use super::upstream::{Retry, Upstream};
use super::{InventorySource, SourceError, Stock, UpstreamBatch};
use crate::config::SourceConfig;
use crate::domain::ItemKey;
use crate::sources::BatchLimits;
use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;

pub const NAME: &str = "shopify";
const DEFAULT_VERSION: &str = "2025-10";
/// Shopify accepts at most 50 ids per filter.
const MAX_IDS: usize = 50;
const PAGE_LIMIT: usize = 250;
const MAX_PAGES: usize = 100;

pub struct Shopify {
    config: SourceConfig,
    upstream: Upstream,
}

#[derive(Deserialize)]
struct Levels {
    inventory_levels: Vec<Level>,
}

#[derive(Deserialize)]
struct Level {
    inventory_item_id: serde_json::Value,
    location_id: serde_json::Value,
    #[serde(default)]
    available: serde_json::Value,
}

/// Shopify ids are numbers in JSON; ours are strings.
fn id_text(v: &serde_json::Value) -> Result<String, SourceError> {
    match v {
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::String(s) => Ok(s.clone()),
        other => Err(SourceError::Garbage(format!("id {other} is not a number"))),
    }
}

impl Shopify {
    pub fn new(config: SourceConfig, upstream: Upstream) -> Self {
        Self { config, upstream }
    }
}

#[async_trait]
impl InventorySource for Shopify {
    super::upstream_source!();

    fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            max_pairs: self.config.batch_size.unwrap_or(PAGE_LIMIT).min(PAGE_LIMIT),
            max_skus: MAX_IDS,
            max_locations: MAX_IDS,
        }
    }

    #[tracing::instrument(skip_all, fields(source = NAME, keys = keys.len()))]
    async fn stock(&self, keys: &[ItemKey], deadline: Instant) -> Result<Stock, SourceError> {
        let batch = UpstreamBatch::new(&self.config, keys);
        let mut answer = batch.zeroes();
        let base = self.config.base();
        let version = self
            .config
            .api_version
            .as_deref()
            .unwrap_or(DEFAULT_VERSION);
        let token = self.config.token_value();
        let mut next = Some(
            url::Url::parse_with_params(
                &format!("{base}/admin/api/{version}/inventory_levels.json"),
                &[
                    ("inventory_item_ids", batch.skus.join(",")),
                    ("location_ids", batch.locations.join(",")),
                    ("limit", PAGE_LIMIT.to_string()),
                ],
            )
            .map_err(|e| SourceError::Local(e.to_string()))?,
        );
        let origin = next.as_ref().map(|u| u.origin());
        for _ in 0..MAX_PAGES {
            let Some(url) = next.take() else {
                return Ok(answer);
            };
            let reply = self
                .upstream
                .call(
                    |c| c.get(url.clone()).header("X-Shopify-Access-Token", token),
                    Retry::Idempotent,
                    deadline,
                )
                .await?;
            if !reply.status.is_success() {
                return Err(SourceError::Status(reply.status.as_u16()));
            }
            let levels: Levels = reply.json().inspect_err(|_| self.upstream.note_garbage())?;
            for level in levels.inventory_levels {
                let sku = id_text(&level.inventory_item_id)?;
                let location = id_text(&level.location_id)?;
                let q = super::parse_quantity(&level.available)?;
                batch.add(&mut answer, &sku, &location, q);
            }
            next = next_link(&reply.headers);
            // Only follow pages on the shop we asked: a Link elsewhere is not Shopify's.
            if next.as_ref().is_some_and(|n| Some(n.origin()) != origin) {
                self.upstream.note_garbage();
                return Err(SourceError::Garbage(
                    "Link header points to another host".into(),
                ));
            }
        }
        self.upstream.note_garbage();
        Err(SourceError::Garbage(format!("more than {MAX_PAGES} pages")))
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<url::Url> {
    let link = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"")
        {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        url::Url::parse(target).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    #[test]
    fn finds_the_next_link_among_others() {
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_static(
            "<https://shop.example/admin/api/2025-10/inventory_levels.json?limit=250&page_info=p1>; rel=\"previous\", <https://shop.example/admin/api/2025-10/inventory_levels.json?limit=250&page_info=n2>; rel=\"next\"",
        ));
        let next = next_link(&h).unwrap();
        assert!(next.as_str().ends_with("page_info=n2"));
        h.insert(
            LINK,
            HeaderValue::from_static("<https://x/>; rel=\"previous\""),
        );
        assert!(next_link(&h).is_none());
    }
}
