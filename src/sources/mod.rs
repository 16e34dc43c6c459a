//! One module per upstream system. Each adapter speaks that system's real public API and
//! reduces its answer to what the rules need; everything HTTP-generic lives in `upstream`.
pub mod batch;
pub mod breaker;
pub mod error;
pub mod google_business_profile;
pub mod http_json;
pub mod links;
pub mod oidc;
pub mod platforms;
pub mod quota;
pub mod shopify;
pub mod shopify_graphql;
pub mod square;
pub mod square_locations;
pub mod static_file;
pub mod upstream;
pub mod zones;

pub use batch::{BatchLimits, batches};
pub use error::SourceError;

use crate::config::{SourceConfig, SourceKind, SourcesConfig};
use crate::domain::{Hours, LocalZone};
use crate::domain::{ItemKey, LocationStatus};
use crate::metrics::Metrics;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// What a location source says about one location.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationAnswer {
    pub status: LocationStatus,
    pub raw_status: String,
    pub name: Option<String>,
    /// As the source said (`Source`) or assumed (UTC); `zones::Zoned` applies the
    /// configuration's overrides and default.
    pub zone: LocalZone,
    pub hours: Hours,
    /// What the source says of it that a check should pass on as a warning (Google's
    /// `metadata.duplicateLocation`).
    pub notes: Vec<String>,
    /// Where it is, when the source says (Google's `latlng`, Square's `coordinates`): its zone
    /// when nothing closer says one (`zones.rs`).
    pub coordinates: Option<Coordinates>,
    /// The source's own id, when locations are named otherwise (`ids = "store_code"`):
    /// `locations/123`.
    pub source_id: Option<String>,
}

/// A point on Earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

impl LocationAnswer {
    /// A location in a status, with nothing else known.
    pub fn with_status(status: LocationStatus, raw_status: impl Into<String>) -> Self {
        Self {
            status,
            raw_status: raw_status.into(),
            name: None,
            zone: LocalZone::default(),
            hours: Hours::default(),
            notes: Vec::new(),
            coordinates: None,
            source_id: None,
        }
    }

    pub fn unknown() -> Self {
        Self::with_status(LocationStatus::Unknown, "NOT_FOUND")
    }
}

/// The `name` (the module's `NAME`) and `pace` (its upstream's quota) of a source that calls
/// its upstream through `self.upstream`: written once for every such source.
macro_rules! upstream_source {
    () => {
        fn name(&self) -> &'static str {
            NAME
        }

        fn pace(&self) -> Option<$crate::sources::quota::Pace> {
            self.upstream.quota().pace()
        }
    };
}
pub(crate) use upstream_source;

/// How many of each (sku, location) are available, by key.
pub type Stock = HashMap<ItemKey, f64>;

/// Each asked location's answer, by our id.
pub type Located = HashMap<String, Result<LocationAnswer, SourceError>>;

#[async_trait]
pub trait LocationSource: Send + Sync {
    fn name(&self) -> &'static str;
    /// The request quota this source is paced to, if any.
    fn pace(&self) -> Option<quota::Pace> {
        None
    }
    /// A re-check tick begins: a source that keeps a map of store codes reads it again at its
    /// next call (one listing a tick).
    fn begin_tick(&self) {}
    /// Answers for one of *our* location ids (the adapter applies its id map).
    async fn location(&self, id: &str, deadline: Instant) -> Result<LocationAnswer, SourceError>;

    /// Answers for many ids. By default each is asked on its own, as many at once as
    /// `permits` allow; a source that can list them (Google, with an account) answers in
    /// fewer calls.
    async fn locations(&self, ids: &[String], deadline: Instant, permits: &Semaphore) -> Located {
        one_by_one(self, ids, deadline, permits).await
    }
}

/// Asks a location source for each id on its own, as many at once as `permits` allow.
pub async fn one_by_one<S: LocationSource + ?Sized>(
    source: &S,
    ids: &[String],
    deadline: Instant,
    permits: &Semaphore,
) -> Located {
    futures::future::join_all(ids.iter().cloned().map(|id: String| async move {
        // The semaphore is never closed: acquiring only waits.
        let _permit = permits.acquire().await;
        let answer = source.location(&id, deadline).await;
        (id, answer)
    }))
    .await
    .into_iter()
    .collect()
}

#[async_trait]
pub trait InventorySource: Send + Sync {
    fn name(&self) -> &'static str;
    /// The request quota this source is paced to, if any.
    fn pace(&self) -> Option<quota::Pace> {
        None
    }
    fn batch_limits(&self) -> BatchLimits;
    /// How long asking these batches takes within the source's rate limits (a fleet tick's
    /// budget): one request a batch at its `pace`, unless the source knows better.
    fn quota_time(&self, batches: &[Vec<ItemKey>]) -> Duration {
        self.pace().map_or(Duration::ZERO, |p| {
            Duration::from_secs_f64(batches.len() as f64 * 60.0 / f64::from(p.requests_per_minute))
        })
    }
    /// Answers every key of one batch: a pair the source has no count for is 0 available.
    async fn stock(&self, keys: &[ItemKey], deadline: Instant) -> Result<Stock, SourceError>;
    /// The upstream's SKU of one of its inventory items (a pushed change names the item):
    /// `None` when it has no such item or the item no SKU. A source whose upstream pushes
    /// nothing names no items.
    async fn item_sku(
        &self,
        item: &str,
        _deadline: Instant,
    ) -> Result<Option<String>, SourceError> {
        Err(SourceError::Local(format!(
            "{} does not name inventory items (item {item})",
            self.name()
        )))
    }
}

#[derive(Clone)]
pub struct Sources {
    pub locations: Arc<dyn LocationSource>,
    pub inventory: Arc<dyn InventorySource>,
}

/// `current` with the credentials of `next` — each source's token, `http-json` headers and
/// webhook secret —, everything else as it is: what a `SIGHUP` changes of the sources.
pub fn with_credentials(current: &SourcesConfig, next: &SourcesConfig) -> SourcesConfig {
    let rekeyed = |c: &SourceConfig, n: &SourceConfig| {
        let mut c = c.clone();
        c.token = n.token.clone();
        c.headers = n.headers.clone();
        c.webhook_secret = n.webhook_secret.clone();
        c
    };
    SourcesConfig {
        locations: rekeyed(&current.locations, &next.locations),
        inventory: rekeyed(&current.inventory, &next.inventory),
    }
}

/// Builds both configured sources; one HTTP client (and its connection pool) serves both.
/// `shared`: the database's bucket for every source's quota (PostgreSQL), so instances share
/// one quota; `None` paces in this process only.
pub fn build(
    config: &SourcesConfig,
    metrics: &Metrics,
    shared: Option<Arc<dyn quota::SharedQuota>>,
) -> anyhow::Result<Sources> {
    build_keeping(config, metrics, shared, &quota::Quotas::default())
}

/// As `build`, each source paced by its quota kept in `quotas` (made and kept there on the
/// first build): a rebuild with new credentials goes on at the pace the last one kept.
pub fn build_keeping(
    config: &SourcesConfig,
    metrics: &Metrics,
    shared: Option<Arc<dyn quota::SharedQuota>>,
    quotas: &quota::Quotas,
) -> anyhow::Result<Sources> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("promiseguard/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    let upstream = |name: &'static str, c: &SourceConfig| {
        let waits = metrics.quota_wait.with_label_values(&[name]);
        let pace = c.pace().map(|(requests_per_minute, burst)| quota::Pace {
            requests_per_minute,
            burst,
        });
        let quota = quotas.get_or(name, || {
            quota::Quota::new(
                name,
                pace,
                pace.and(shared.clone()),
                Box::new(move |waited| waits.inc_by(waited.as_secs_f64())),
            )
        });
        upstream::Upstream::new(
            name,
            client.clone(),
            Duration::from_millis(c.timeout_ms),
            breaker::CircuitBreaker::new(
                c.breaker_threshold,
                Duration::from_millis(c.breaker_cooldown_ms),
            )
            .reporting(metrics.ops.breaker_open.with_label_values(&[name])),
            quota,
            metrics.clone(),
        )
    };
    let l = &config.locations;
    let locations: Arc<dyn LocationSource> = match l.kind {
        SourceKind::GoogleBusinessProfile => {
            Arc::new(google_business_profile::GoogleBusinessProfile::new(
                l.clone(),
                upstream(google_business_profile::NAME, l),
            ))
        }
        SourceKind::HttpJson => Arc::new(http_json::HttpJsonLocations::new(
            l.clone(),
            upstream(http_json::NAME, l),
        )),
        SourceKind::SquareLocations => Arc::new(square_locations::SquareLocations::new(
            l.clone(),
            upstream(square_locations::NAME, l),
        )),
        SourceKind::Static => Arc::new(static_file::StaticLocations::load(l)?),
        SourceKind::Square | SourceKind::Shopify | SourceKind::ShopifyGraphql => {
            anyhow::bail!("sources.locations.kind: not a location source")
        }
    };
    let locations: Arc<dyn LocationSource> = Arc::new(zones::Zoned::new(
        locations,
        l.timezone,
        l.timezones.clone(),
    ));
    let i = &config.inventory;
    let inventory: Arc<dyn InventorySource> = match i.kind {
        SourceKind::Square => Arc::new(square::Square::new(i.clone(), upstream(square::NAME, i))),
        SourceKind::Shopify => {
            tracing::warn!(
                "sources.inventory: kind \"shopify\" speaks Shopify's REST Admin API, which Shopify calls legacy (since October 2024; new public apps use GraphQL since April 2025): move to kind \"shopify-graphql\" (docs/integrations.md)"
            );
            Arc::new(shopify::Shopify::new(i.clone(), upstream(shopify::NAME, i)))
        }
        SourceKind::ShopifyGraphql => Arc::new(shopify_graphql::ShopifyGraphql::new(
            i.clone(),
            upstream(shopify_graphql::NAME, i),
        )),
        SourceKind::HttpJson => Arc::new(http_json::HttpJsonInventory::new(
            i.clone(),
            upstream(http_json::NAME, i),
        )),
        SourceKind::Static => Arc::new(static_file::StaticInventory::load(i)?),
        SourceKind::GoogleBusinessProfile | SourceKind::SquareLocations => {
            anyhow::bail!("sources.inventory.kind: not an inventory source")
        }
    };
    Ok(Sources {
        locations,
        inventory,
    })
}

/// Google's `openInfo.status` spelling, shared by every source that reports status as text.
pub fn parse_open_status(raw: &str) -> Option<LocationStatus> {
    match raw {
        "OPEN" | "OPEN_FOR_BUSINESS_UNSPECIFIED" => Some(LocationStatus::Open),
        "CLOSED_TEMPORARILY" => Some(LocationStatus::ClosedTemporarily),
        "CLOSED_PERMANENTLY" => Some(LocationStatus::ClosedPermanently),
        _ => None,
    }
}

/// A quantity as a number, a decimal string (`"3.50"`) or null (= 0).
pub fn parse_quantity(value: &serde_json::Value) -> Result<f64, SourceError> {
    let q = match value {
        serde_json::Value::Null => Some(0.0),
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match q {
        Some(q) if q.is_finite() => Ok(q),
        _ => Err(SourceError::Garbage(format!(
            "quantity {value} is not a number"
        ))),
    }
}

/// Percent-encodes one path segment.
pub fn path_segment(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// One inventory batch in the upstream's ids, and the way back to ours.
pub struct UpstreamBatch {
    pub skus: Vec<String>,
    pub locations: Vec<String>,
    back: HashMap<(String, String), Vec<ItemKey>>,
}

impl UpstreamBatch {
    pub fn new(config: &SourceConfig, keys: &[ItemKey]) -> Self {
        let mut skus = Vec::new();
        let mut locations = Vec::new();
        let mut back: HashMap<(String, String), Vec<ItemKey>> = HashMap::new();
        for key in keys {
            let sku = config.upstream_id(&key.sku).to_owned();
            let location = config.upstream_id(&key.location).to_owned();
            if !skus.contains(&sku) {
                skus.push(sku.clone());
            }
            if !locations.contains(&location) {
                locations.push(location.clone());
            }
            back.entry((sku, location)).or_default().push(key.clone());
        }
        Self {
            skus,
            locations,
            back,
        }
    }

    /// Adds one upstream count to the answer (counts for pairs not asked about are dropped).
    pub fn add(
        &self,
        answer: &mut HashMap<ItemKey, f64>,
        sku: &str,
        location: &str,
        quantity: f64,
    ) {
        if let Some(keys) = self.back.get(&(sku.to_owned(), location.to_owned())) {
            for key in keys {
                *answer.entry(key.clone()).or_insert(0.0) += quantity;
            }
        }
    }

    /// Every (sku, location) asked, as the upstream names them, in order.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self
            .back
            .keys()
            .map(|(s, l)| (s.as_str(), l.as_str()))
            .collect();
        pairs.sort_unstable();
        pairs
    }

    /// An answer with every asked pair at 0, to which counts are added.
    pub fn zeroes(&self) -> HashMap<ItemKey, f64> {
        self.back
            .values()
            .flatten()
            .map(|k| (k.clone(), 0.0))
            .collect()
    }
}
