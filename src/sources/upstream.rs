//! One HTTP upstream: every request waits for its slot in the source's quota, gets a
//! per-attempt timeout bounded by the caller's deadline, the circuit breaker and metrics. Only
//! reads are retried. A 429 pauses the whole source (its `Retry-After`, or a backoff from 1 s
//! up to 60 s) and the read is asked again after the pause while the deadline allows; a 503 or
//! a refused connection is retried once, after `Retry-After` (200 ms without one, 10 s at
//! most), if the retry fits before the deadline.
use super::breaker::CircuitBreaker;
use super::error::SourceError;
use super::quota::Quota;
use crate::metrics::Metrics;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::time::Duration;
use tokio::time::Instant;

/// Upstream answers larger than this are treated as garbage rather than read into memory.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Wait before a retry when the upstream did not say how long.
const DEFAULT_RETRY_WAIT: Duration = Duration::from_millis(200);
/// Never wait longer than this for a retry, whatever `Retry-After` asks.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// Reads asked again after 429s, at most (each after the source's pause).
const MAX_THROTTLED_RETRIES: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A read: safe to send twice.
    Idempotent,
    Never,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, SourceError> {
        serde_json::from_slice(&self.body).map_err(|e| SourceError::Garbage(e.to_string()))
    }
}

pub struct Upstream {
    pub name: &'static str,
    pub client: reqwest::Client,
    timeout: Duration,
    breaker: CircuitBreaker,
    quota: std::sync::Arc<Quota>,
    metrics: Metrics,
}

enum Attempt {
    Done(Reply),
    /// 429: the source wants us to slow down (its `Retry-After`, if it said).
    Throttled(Option<Duration>),
    Retryable(SourceError, Option<Duration>),
    Failed(SourceError),
}

impl Upstream {
    pub fn new(
        name: &'static str,
        client: reqwest::Client,
        timeout: Duration,
        breaker: CircuitBreaker,
        quota: std::sync::Arc<Quota>,
        metrics: Metrics,
    ) -> Self {
        Self {
            name,
            client,
            timeout,
            breaker,
            quota,
            metrics,
        }
    }

    /// The source's quota (for what an operator sees of it).
    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// Sends the request `build` makes (called again for a retry). Answers every status the
    /// upstream gives except 5xx and 429, which are errors; the caller decides what a 404 means.
    pub async fn call(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        retry: Retry,
        deadline: Instant,
    ) -> Result<Reply, SourceError> {
        let result = self.call_inner(&build, retry, deadline).await;
        if let Err(e) = &result {
            self.metrics
                .upstream_errors
                .with_label_values(&[self.name, e.kind()])
                .inc();
        }
        result
    }

    async fn call_inner(
        &self,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        retry: Retry,
        deadline: Instant,
    ) -> Result<Reply, SourceError> {
        let mut retried = false;
        let mut throttled = 0;
        loop {
            if !self.breaker.allow(std::time::Instant::now()) {
                return Err(SourceError::CircuitOpen);
            }
            self.quota.take(deadline).await?;
            match self.attempt(build, deadline).await {
                Attempt::Done(reply) => {
                    self.breaker.on_success();
                    self.quota.on_success();
                    return Ok(reply);
                }
                Attempt::Throttled(retry_after) => {
                    // Not the source failing: it is busy. The pause holds every caller back.
                    let paused = self.quota.pause(retry_after);
                    throttled += 1;
                    tracing::warn!(
                        source = self.name,
                        pause_ms = paused.as_millis() as u64,
                        "429 from the source: pausing it"
                    );
                    let fits = Instant::now() + paused + Duration::from_millis(50) < deadline;
                    if retry == Retry::Never || throttled > MAX_THROTTLED_RETRIES || !fits {
                        return Err(SourceError::Status(429));
                    }
                }
                Attempt::Failed(e) => {
                    if !matches!(e, SourceError::Deadline) {
                        self.breaker.on_failure(std::time::Instant::now());
                    }
                    return Err(e);
                }
                Attempt::Retryable(e, wait) => {
                    self.breaker.on_failure(std::time::Instant::now());
                    let wait = wait.unwrap_or(DEFAULT_RETRY_WAIT).min(MAX_RETRY_WAIT);
                    // A retry needs time to wait and then time to answer.
                    let fits = Instant::now() + wait + Duration::from_millis(50) < deadline;
                    if retried || retry == Retry::Never || !fits {
                        return Err(e);
                    }
                    retried = true;
                    tracing::debug!(source = self.name, error = %e, wait_ms = wait.as_millis() as u64, "retrying upstream call");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(
        &self,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        deadline: Instant,
    ) -> Attempt {
        let now = Instant::now();
        if now >= deadline {
            return Attempt::Failed(SourceError::Deadline);
        }
        let remaining = deadline - now;
        let limit = self.timeout.min(remaining);
        let started = Instant::now();
        let outcome = tokio::time::timeout(limit, async {
            let response = build(&self.client).send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = read_capped(response).await?;
            Ok::<_, ReadError>((status, headers, body))
        })
        .await;
        self.metrics
            .upstream_duration
            .with_label_values(&[self.name])
            .observe(started.elapsed().as_secs_f64());
        let (attempt, outcome_label) = match outcome {
            Err(_) if limit < self.timeout => (Attempt::Failed(SourceError::Deadline), "deadline"),
            Err(_) => (
                Attempt::Failed(SourceError::Timeout(self.timeout)),
                "timeout",
            ),
            Ok(Err(ReadError::TooLarge)) => (
                Attempt::Failed(SourceError::Garbage(format!(
                    "answer larger than {MAX_RESPONSE_BYTES} bytes"
                ))),
                "garbage",
            ),
            Ok(Err(ReadError::Http(e))) if e.is_connect() => (
                Attempt::Retryable(SourceError::Transport(describe(&e)), None),
                "transport",
            ),
            Ok(Err(ReadError::Http(e))) => (
                Attempt::Failed(SourceError::Transport(describe(&e))),
                "transport",
            ),
            Ok(Ok((status, headers, body))) => {
                let code = status.as_u16();
                if status == StatusCode::TOO_MANY_REQUESTS {
                    (Attempt::Throttled(retry_after(&headers)), "throttled")
                } else if status == StatusCode::SERVICE_UNAVAILABLE {
                    let wait = retry_after(&headers);
                    (
                        Attempt::Retryable(SourceError::Status(code), wait),
                        "retryable_status",
                    )
                } else if status.is_server_error() {
                    (Attempt::Failed(SourceError::Status(code)), "server_error")
                } else {
                    (
                        Attempt::Done(Reply {
                            status,
                            headers,
                            body,
                        }),
                        "answered",
                    )
                }
            }
        };
        self.metrics
            .upstream_calls
            .with_label_values(&[self.name, outcome_label])
            .inc();
        attempt
    }

    /// An answer that arrived but could not be understood counts against the breaker too.
    pub fn note_garbage(&self) {
        self.breaker.on_failure(std::time::Instant::now());
    }

    /// One location, asked by an idempotent call: a 404 is a location the source does not
    /// know, another failure is what `failed` makes of the reply, and an answer that does not
    /// read as `T` (or that `interpret` refuses) is garbage, and counts against the breaker.
    pub async fn location<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        deadline: Instant,
        failed: impl FnOnce(&Reply) -> SourceError,
        interpret: impl FnOnce(T) -> Result<super::LocationAnswer, SourceError>,
    ) -> Result<super::LocationAnswer, SourceError> {
        let reply = self.call(build, Retry::Idempotent, deadline).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(super::LocationAnswer::unknown());
        }
        if !reply.status.is_success() {
            return Err(failed(&reply));
        }
        let parsed = reply.json::<T>().and_then(interpret);
        if parsed.is_err() {
            self.note_garbage();
        }
        parsed
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        ReadError::Http(e)
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The error and its causes on one line: the cause (refused, reset, DNS) is what an operator
/// needs. Tokens travel in headers, never in URLs, so nothing secret is in here.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
