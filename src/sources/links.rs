//! Fetching the links of an email, built so that a submitted email cannot make promiseguard
//! reach anything it was not told to: only hosts of `[promises] check_links_hosts` are asked,
//! redirects are followed by hand (at most `MAX_REDIRECTS`, each to a listed host), and a name
//! is resolved inside the connector — the addresses a connection is made to are the ones
//! checked, so a name that resolves to an internal address (now, or on the second lookup of a
//! rebinding attack) is refused. An internal address is reached only when a URL names that
//! literal IP and the IP (with its port) is listed. No proxy is used. Every request takes its
//! slot in the links' quota; the body is dropped once the headers are in.
use super::quota::{Pace, Quota};
use crate::domain::link::{Hop, LinkAnswer, LinkHosts, MAX_REDIRECTS, Refusal, is_internal};
use crate::metrics::Metrics;
use futures::future::BoxFuture;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// The name of the links' quota (and of their metrics' source label).
pub const NAME: &str = "links";

/// Resolves a host name to its addresses (the system's resolver; tests give their own).
pub trait NameResolver: Send + Sync {
    fn lookup(&self, host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>>;
}

/// The system's resolver (`getaddrinfo`, on a blocking thread).
pub struct SystemResolver;

impl NameResolver for SystemResolver {
    fn lookup(&self, host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A name that resolved to an internal address: the connection is not made.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, an internal address")]
struct InternalAddress {
    host: String,
    ip: IpAddr,
}

/// The connector's resolver: every address of a name is checked before it is connected to.
struct Guarded(Arc<dyn NameResolver>);

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let lookup = self.0.lookup(&host);
        Box::pin(async move {
            let ips = lookup.await?;
            if let Some(&ip) = ips.iter().find(|ip| is_internal(**ip)) {
                return Err(Box::new(InternalAddress { host, ip }) as _);
            }
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

pub struct LinkFetcher {
    client: reqwest::Client,
    hosts: LinkHosts,
    quota: Quota,
    /// One request's timeout (the location source's `timeout_ms`), within the deadline.
    timeout: Duration,
    metrics: Metrics,
}

impl LinkFetcher {
    pub fn new(
        hosts: LinkHosts,
        pace: Option<Pace>,
        timeout: Duration,
        resolver: Arc<dyn NameResolver>,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "promiseguard/",
                env!("CARGO_PKG_VERSION"),
                " (link check)"
            ))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(Guarded(resolver)))
            .connect_timeout(timeout)
            .build()?;
        let waits = metrics.quota_wait.with_label_values(&[NAME]);
        let quota = Quota::new(
            NAME,
            pace,
            None,
            Box::new(move |waited| waits.inc_by(waited.as_secs_f64())),
        );
        Ok(Self {
            client,
            hosts,
            quota,
            timeout,
            metrics,
        })
    }

    /// Whether `href` is a link this fetcher asks (an http(s) URL of a listed host).
    pub fn takes(&self, href: &str) -> bool {
        Url::parse(href.trim()).is_ok_and(|url| self.hosts.allows(&url))
    }

    /// Fetches `href` and follows its redirects by `deadline`: what it came to, or why there
    /// is no answer (a timeout, a connection that failed).
    pub async fn fetch(&self, href: &str, deadline: Instant) -> Result<LinkAnswer, String> {
        let mut url = Url::parse(href.trim()).map_err(|e| format!("not a URL: {e}"))?;
        let mut hops: Vec<Hop> = Vec::new();
        loop {
            if !self.hosts.allows(&url) {
                return Ok(self.refused(
                    Refusal::UnlistedHost,
                    format!("{url} is not on a listed host (promises.check_links_hosts)"),
                    hops,
                ));
            }
            self.quota.take(deadline).await.map_err(|e| e.to_string())?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("no answer within the check's deadline".into());
            }
            self.metrics.links.fetches.inc();
            let response = self
                .client
                .get(url.clone())
                .timeout(self.timeout.min(left))
                .send()
                .await;
            let response = match response {
                Ok(response) => response,
                Err(e) => match internal_address(&e) {
                    Some(detail) => {
                        return Ok(self.refused(Refusal::InternalAddress, detail, hops));
                    }
                    None => return Err(describe(&e)),
                },
            };
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            // The body is not read: dropping the answer closes it.
            drop(response);
            hops.push(Hop {
                url: url.to_string(),
                status: status.as_u16(),
            });
            match location.filter(|_| status.is_redirection()) {
                Some(_) if hops.len() > MAX_REDIRECTS => {
                    self.result("too_many_redirects");
                    return Ok(LinkAnswer::TooManyRedirects { hops });
                }
                Some(next) => url = next,
                None => {
                    self.result(class(status.as_u16()));
                    return Ok(LinkAnswer::Answered { hops });
                }
            }
        }
    }

    fn refused(&self, reason: Refusal, detail: String, hops: Vec<Hop>) -> LinkAnswer {
        tracing::warn!(reason = reason.as_str(), %detail, "a link was not fetched");
        self.metrics
            .links
            .refusals
            .with_label_values(&[reason.as_str()])
            .inc();
        LinkAnswer::Refused {
            reason,
            detail,
            hops,
        }
    }

    fn result(&self, class: &str) {
        self.metrics.links.results.with_label_values(&[class]).inc();
    }
}

fn class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The refusal inside a failed request, if the guarded resolver refused its address.
fn internal_address(e: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<InternalAddress>() {
            return Some(refused.to_string());
        }
        source = s.source();
    }
    None
}

/// A failed request in a line: what failed, with the innermost cause.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "the connection failed"
    } else {
        "the request failed"
    };
    let mut cause = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = cause {
        last = Some(s.to_string());
        cause = s.source();
    }
    match last {
        Some(cause) => format!("{what}: {cause}"),
        None => what.to_owned(),
    }
}
