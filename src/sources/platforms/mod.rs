//! The platforms campaigns are scheduled in (`[[platforms]]`): what is scheduled, each
//! campaign's email (every A/B variation), and taking a campaign off the schedule. One module
//! per platform, each over an `Upstream` of its own (quota, 429 pauses, timeouts, metrics) —
//! answers read in the platform's documented shapes, errors in its own envelope.
pub mod braze;
pub mod klaviyo;
pub mod mailchimp;

use super::breaker::CircuitBreaker;
use super::error::SourceError;
use super::quota::{Pace, Quota, Quotas, SharedQuota};
use super::upstream::{Reply, Upstream};
use crate::config::PlatformConfig;
use crate::domain::watch::{PlatformKind, Scheduled};
use crate::metrics::Metrics;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// How long one platform call may take, retries and 429 pauses included.
pub const CALL_DEADLINE: Duration = Duration::from_secs(60);
/// One attempt's timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// One version of the email: the only one, or an A/B variation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variation {
    /// The platform's name of the variation (`None` for a campaign without variations).
    pub label: Option<String>,
    pub subject: Option<String>,
    pub html: String,
    pub text: Option<String>,
}

/// Why a platform call gave no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlatformError {
    /// 401/403: the platform refuses the key.
    #[error("the platform refuses the API key (HTTP {status}): {detail}")]
    KeyRefused { status: u16, detail: String },
    /// Another 4xx, in the platform's words (a campaign gone, a state that no longer allows
    /// the call, an unsupported revision).
    #[error("the platform answered HTTP {status}: {detail}")]
    Refused { status: u16, detail: String },
    #[error(transparent)]
    Unavailable(#[from] SourceError),
}

impl PlatformError {
    /// Label for `promiseguard_watch_errors_total{kind}`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::KeyRefused { .. } => "key_refused",
            Self::Refused { .. } => "refused",
            Self::Unavailable(SourceError::Garbage(_)) => "garbage",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// What every platform client holds: its configured name, base URL and key, and the upstream
/// its calls go through.
pub struct Account {
    pub name: String,
    pub base_url: String,
    key: String,
    upstream: Upstream,
    /// Reads the platform's error envelope into its own words.
    detail: fn(&[u8]) -> Option<String>,
}

impl Account {
    pub fn new(
        config: &PlatformConfig,
        upstream: Upstream,
        detail: fn(&[u8]) -> Option<String>,
    ) -> Self {
        Self {
            name: config.name.clone(),
            base_url: config.base_url(),
            key: config.api_key.expose().to_owned(),
            upstream,
            detail,
        }
    }

    /// The API key (for the platform's own authorization header; never logged).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// One call: the reply with a 2xx status, or the platform's refusal in its own words.
    pub async fn call(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        retry: super::upstream::Retry,
    ) -> Result<Reply, PlatformError> {
        let reply = self.upstream.call(build, retry, deadline()).await?;
        accepted(reply, self.detail)
    }

    /// Reads a JSON answer; what does not read is garbage (counted against the breaker).
    pub fn json<T: serde::de::DeserializeOwned>(&self, reply: &Reply) -> Result<T, PlatformError> {
        reply.json().map_err(|e| {
            self.upstream.note_garbage();
            PlatformError::Unavailable(e)
        })
    }

    /// `base_url` + `path` with the query `params`.
    pub fn url(&self, path: &str, params: &[(&str, &str)]) -> Result<url::Url, PlatformError> {
        url::Url::parse_with_params(&format!("{}{path}", self.base_url), params).map_err(|e| {
            PlatformError::Refused {
                status: 0,
                detail: format!("the configured base_url: {e}"),
            }
        })
    }
}

#[async_trait]
pub trait Platform: Send + Sync {
    fn account(&self) -> &Account;
    fn kind(&self) -> PlatformKind;
    /// The configured name.
    fn name(&self) -> &str {
        &self.account().name
    }
    /// Every scheduled email campaign whose send time is at or before `until` (every page).
    async fn scheduled(&self, until: DateTime<Utc>) -> Result<Vec<Scheduled>, PlatformError>;
    /// The campaign's email: every variation.
    async fn content(&self, campaign: &Scheduled) -> Result<Vec<Variation>, PlatformError>;
    /// Takes the campaign off the schedule (back to a draft the marketer can fix).
    async fn unschedule(&self, campaign: &Scheduled) -> Result<(), PlatformError>;
}

/// Builds every configured platform; one HTTP client serves them all. Each is paced by its
/// quota kept in `quotas` (made there on the first build).
pub fn build(
    configs: &[PlatformConfig],
    metrics: &Metrics,
    shared: Option<Arc<dyn SharedQuota>>,
    quotas: &Quotas,
) -> anyhow::Result<Vec<Arc<dyn Platform>>> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("promiseguard/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        // A platform's answers are followed by hand (pagination stays on the configured host).
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let platforms = configs
        .iter()
        .map(|config| {
            let upstream = upstream(config, client.clone(), metrics, shared.clone(), quotas);
            let platform: Arc<dyn Platform> = match config.kind {
                PlatformKind::Klaviyo => Arc::new(klaviyo::Klaviyo::new(config, upstream)),
                PlatformKind::Mailchimp => Arc::new(mailchimp::Mailchimp::new(config, upstream)),
                PlatformKind::Braze => Arc::new(braze::Braze::new(config, upstream)),
            };
            platform
        })
        .collect();
    Ok(platforms)
}

fn upstream(
    config: &PlatformConfig,
    client: reqwest::Client,
    metrics: &Metrics,
    shared: Option<Arc<dyn SharedQuota>>,
    quotas: &Quotas,
) -> Upstream {
    let quota = quotas.get_or(&format!("platform:{}", config.name), || {
        // Named once for the life of the process: metrics and quota buckets take a static name.
        let name: &'static str = Box::leak(format!("platform:{}", config.name).into_boxed_str());
        let waits = metrics.quota_wait.with_label_values(&[name]);
        let pace = config
            .requests_per_minute()
            .map(|requests_per_minute| Pace {
                requests_per_minute,
                // Klaviyo allows 10 a second in a burst; Braze's hourly budget is smooth.
                burst: requests_per_minute.min(10),
            });
        Quota::new(
            name,
            pace,
            pace.and(shared),
            Box::new(move |waited| waits.inc_by(waited.as_secs_f64())),
        )
    });
    let name = quota.name();
    Upstream::new(
        name,
        client,
        ATTEMPT_TIMEOUT,
        CircuitBreaker::new(5, Duration::from_secs(30))
            .reporting(metrics.ops.breaker_open.with_label_values(&[name])),
        quota,
        metrics.clone(),
    )
}

/// A reply with a 2xx status, or the platform's refusal: 401/403 name the key, any other
/// status carries `detail` (read from the platform's error envelope).
fn accepted(reply: Reply, detail: fn(&[u8]) -> Option<String>) -> Result<Reply, PlatformError> {
    let status = reply.status.as_u16();
    if reply.status.is_success() {
        return Ok(reply);
    }
    let detail = detail(&reply.body).unwrap_or_else(|| {
        String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)]).into_owned()
    });
    match status {
        401 | 403 => Err(PlatformError::KeyRefused { status, detail }),
        _ => Err(PlatformError::Refused { status, detail }),
    }
}

/// The deadline of one call from now.
fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + CALL_DEADLINE
}

/// A time as platforms write it: RFC 3339, or with a space and no `T`
/// (`2026-12-10 09:00:00+00:00`), or without an offset (UTC).
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%:z") {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_times_read_in_every_documented_spelling() {
        let want: DateTime<Utc> = "2026-12-10T09:00:00Z".parse().unwrap();
        for raw in [
            "2026-12-10T09:00:00+00:00",
            "2026-12-10T10:00:00+01:00",
            "2026-12-10 09:00:00+00:00",
            "2026-12-10T09:00:00",
            "2026-12-10T09:00:00.000Z",
        ] {
            assert_eq!(parse_time(raw), Some(want), "{raw}");
        }
        assert_eq!(parse_time("next tuesday"), None);
    }
}
