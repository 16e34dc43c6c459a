use super::{Secret, Secrets};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    pub locations: SourceConfig,
    pub inventory: SourceConfig,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        Self {
            locations: SourceConfig::static_file("fixtures/locations.json"),
            inventory: SourceConfig::static_file("fixtures/inventory.json"),
        }
    }
}

/// How offers, content templates, lookups and events name locations (`[sources.locations]
/// ids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationIds {
    /// The source's own id (`locations/123` or `123` for Google, a file's key).
    #[default]
    Name,
    /// The retailer's own store code (Google's `storeCode`, a file's `store_code`).
    StoreCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    GoogleBusinessProfile,
    SquareLocations,
    Square,
    /// Shopify's REST Admin API (legacy since October 2024; `shopify-graphql` replaces it).
    Shopify,
    /// Shopify's GraphQL Admin API.
    ShopifyGraphql,
    HttpJson,
    Static,
}

/// One upstream. Which keys matter depends on `kind`; `validate` says which are missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub kind: SourceKind,
    /// `google-business-profile`, `square`, `shopify`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Bearer token (GBP, Square) or `X-Shopify-Access-Token` (Shopify).
    #[serde(default)]
    pub token: Option<Secret>,
    /// One attempt, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Our id → the upstream's id (e.g. `"online" = "L8ZWXSD1TSW"`).
    #[serde(default)]
    pub id_map: BTreeMap<String, String>,
    /// Consecutive failures that open the circuit breaker.
    #[serde(default = "default_breaker_threshold")]
    pub breaker_threshold: u32,
    /// How long an open breaker fails fast before letting one trial call through.
    #[serde(default = "default_breaker_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
    /// Pairs per batched inventory call (Square; Shopify is capped at 50 ids by its API).
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Shopify Admin API version, e.g. `2026-10`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// `shopify-graphql`: the shop (`acme` or `acme.myshopify.com`); its Admin API is at
    /// `https://acme.myshopify.com` unless `base_url` says otherwise.
    #[serde(default)]
    pub shop: Option<String>,
    /// `static`: the JSON file.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// `http-json`: URL template with `{id}` (locations) or `{sku}` and `{location}` (inventory).
    #[serde(default)]
    pub url: Option<String>,
    /// `http-json`: extra request headers (e.g. `Authorization`).
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// `http-json` locations: JSON pointer to the status (a string, or a boolean `true` = open).
    #[serde(default)]
    pub status_pointer: Option<String>,
    /// `http-json` locations: status values that mean open.
    #[serde(default)]
    pub open_values: Option<Vec<String>>,
    /// `http-json` locations: JSON pointer to an array of closed dates (`YYYY-MM-DD`).
    #[serde(default)]
    pub closed_dates_pointer: Option<String>,
    /// `http-json` locations: JSON pointer to the location's display name.
    #[serde(default)]
    pub name_pointer: Option<String>,
    /// Locations: the zone of every location its source gives none for (IANA name).
    #[serde(default)]
    pub timezone: Option<chrono_tz::Tz>,
    /// Locations: a zone per location id, over anything the source says.
    #[serde(default)]
    pub timezones: BTreeMap<String, chrono_tz::Tz>,
    /// `http-json` inventory: JSON pointer to the available quantity (number or decimal string).
    #[serde(default)]
    pub available_pointer: Option<String>,
    /// The source's request quota, paced evenly (every HTTP request, pages and retries
    /// included). Default: 300 for `google-business-profile` (Google's default per Cloud
    /// project), none for the others.
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Requests that may go at once after a quiet spell, at most `requests_per_minute`.
    /// Default: one second's worth. The even pace after a burst is slower by the burst, so no
    /// rolling minute ever sees more than `requests_per_minute`.
    #[serde(default)]
    pub burst: Option<u32>,
    /// The oldest answer of this source a pre-send check accepts, in seconds. 0 (the default):
    /// a pre-send check always asks.
    #[serde(default)]
    pub max_age_s: u64,
    /// `google-business-profile`: `accounts/{id}`, so many locations are read with the
    /// account's location list (100 a page) instead of one call each.
    #[serde(default)]
    pub account: Option<String>,
    /// Locations: what names them — the source's id (`name`) or the store code.
    #[serde(default)]
    pub ids: LocationIds,
    /// `shopify-graphql` inventory: the secret Shopify signs its inventory and location
    /// webhooks with (`POST /v1/sources/shopify`).
    #[serde(default)]
    pub webhook_secret: Option<Secrets>,
}

fn default_timeout_ms() -> u64 {
    2000
}
fn default_breaker_threshold() -> u32 {
    5
}
fn default_breaker_cooldown_ms() -> u64 {
    30_000
}

impl SourceConfig {
    pub fn static_file(path: &str) -> Self {
        Self {
            kind: SourceKind::Static,
            base_url: None,
            token: None,
            timeout_ms: default_timeout_ms(),
            id_map: BTreeMap::new(),
            breaker_threshold: default_breaker_threshold(),
            breaker_cooldown_ms: default_breaker_cooldown_ms(),
            batch_size: None,
            api_version: None,
            shop: None,
            path: Some(PathBuf::from(path)),
            url: None,
            headers: BTreeMap::new(),
            status_pointer: None,
            open_values: None,
            closed_dates_pointer: None,
            name_pointer: None,
            timezone: None,
            timezones: BTreeMap::new(),
            available_pointer: None,
            requests_per_minute: None,
            burst: None,
            max_age_s: 0,
            account: None,
            ids: LocationIds::Name,
            webhook_secret: None,
        }
    }

    /// The quota this source is paced to, if any (`requests_per_minute`, with Google's default).
    pub fn pace(&self) -> Option<(u32, u32)> {
        let rpm = self.requests_per_minute.or(match self.kind {
            SourceKind::GoogleBusinessProfile => Some(300),
            _ => None,
        })?;
        Some((rpm, self.burst.unwrap_or((rpm / 60).max(1))))
    }

    /// `base_url` without a trailing slash (validated present for the kinds that need it);
    /// for `shopify-graphql` without one, the shop's own `https://{shop}.myshopify.com`.
    pub fn base(&self) -> String {
        match (&self.base_url, &self.shop) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some(shop)) => {
                let name = shop.strip_suffix(".myshopify.com").unwrap_or(shop);
                format!("https://{name}.myshopify.com")
            }
            (None, None) => String::new(),
        }
    }

    /// The token's value (validated present for the kinds that need it).
    pub fn token_value(&self) -> &str {
        self.token.as_ref().map(|t| t.expose()).unwrap_or_default()
    }

    /// The upstream's id for one of ours.
    pub fn upstream_id<'a>(&'a self, ours: &'a str) -> &'a str {
        self.id_map.get(ours).map(String::as_str).unwrap_or(ours)
    }
}
