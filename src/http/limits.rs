//! Rate limits at the public doors (`[limits]`): a token bucket per client address (`client.rs`)
//! for the survey and unsubscribe pages, the send-time lookup and the inbound doors, each
//! allowing its `…_per_minute` in a burst and refilling at that rate. A refusal is a 429
//! problem+json with `Retry-After`, counted in `promiseguard_rate_limited_total{door}`. Buckets
//! that have refilled are forgotten every minute (`sweep`), so a flood of distinct addresses
//! leaves no memory behind once it has passed.
use super::client::Proxies;
use super::error::ApiError;
use crate::config::LimitsConfig;
use crate::metrics::Metrics;
use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often refilled buckets are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The doors limited, each with a bucket per client of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The survey and unsubscribe pages.
    Pages,
    Lookup,
    /// The inbound doors.
    Events,
}

impl Door {
    pub const ALL: [Door; 3] = [Door::Pages, Door::Lookup, Door::Events];

    pub fn as_str(self) -> &'static str {
        match self {
            Door::Pages => "pages",
            Door::Lookup => "lookup",
            Door::Events => "events",
        }
    }
}

struct Bucket {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    refused: prometheus::IntCounter,
}

pub struct Limits {
    buckets: [Option<Bucket>; 3],
    proxies: Proxies,
    clock: DefaultClock,
}

impl Limits {
    pub fn new(config: &LimitsConfig, metrics: &Metrics) -> Self {
        let bucket = |door: Door, per_minute: u32| {
            NonZeroU32::new(per_minute).map(|n| Bucket {
                limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)),
                refused: metrics.ops.rate_limited.with_label_values(&[door.as_str()]),
            })
        };
        Self {
            buckets: [
                bucket(Door::Pages, config.per_ip_per_minute),
                bucket(Door::Lookup, config.lookup_per_ip_per_minute),
                bucket(Door::Events, config.events_per_ip_per_minute),
            ],
            proxies: Proxies::new(config.proxies()),
            clock: DefaultClock::default(),
        }
    }

    /// The client a request comes from (see `client.rs`).
    pub fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.proxies.client(req)
    }

    /// Takes one request of `req`'s client at `door`: a 429 with `Retry-After` when its bucket
    /// is empty. A door without a limit, or a request with no address, passes.
    pub fn check(&self, door: Door, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(bucket) = &self.buckets[door as usize] else {
            return Ok(());
        };
        let Some(client) = self.client(req) else {
            return Ok(());
        };
        bucket.limiter.check_key(&client).map_err(|not_until| {
            bucket.refused.inc();
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets every bucket that has refilled (nothing is lost: a full bucket is a new one);
    /// the addresses still held.
    pub fn sweep(&self) -> usize {
        self.buckets
            .iter()
            .flatten()
            .map(|b| {
                b.limiter.retain_recent();
                b.limiter.shrink_to_fit();
                b.limiter.len()
            })
            .sum()
    }

    /// The addresses held now (a bucket each, per door).
    pub fn held(&self) -> usize {
        self.buckets.iter().flatten().map(|b| b.limiter.len()).sum()
    }

    /// Sweeps every minute for as long as the limits are in use.
    pub fn sweep_every_minute(self: &Arc<Self>) {
        if self.buckets.iter().all(Option::is_none) {
            return;
        }
        let limits: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                let Some(limits) = limits.upgrade() else {
                    return;
                };
                let held = limits.sweep();
                tracing::debug!(held, "rate limits: refilled buckets forgotten");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn limits(pages: u32) -> Limits {
        let config = LimitsConfig {
            per_ip_per_minute: pages,
            ..LimitsConfig::default()
        };
        Limits::new(&config, &Metrics::new())
    }

    fn from(ip: &str) -> HttpRequest {
        TestRequest::default()
            .peer_addr(format!("{ip}:4000").parse().unwrap())
            .to_http_request()
    }

    #[test]
    fn a_hundred_thousand_addresses_are_forgotten_once_their_buckets_refill() {
        let limits = limits(600);
        for n in 0..100_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + n).to_string();
            limits.check(Door::Pages, &from(&ip)).unwrap();
        }
        // Measured: a bucket an address until a sweep…
        assert_eq!(limits.held(), 100_000);
        // …and none once each has refilled (one request of 600 a minute: a tenth of a second,
        // and the limiter forgets a bucket a tenth of a second after that).
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(limits.sweep(), 0);
        assert_eq!(limits.held(), 0);
    }

    #[test]
    fn the_burst_then_a_refusal_saying_when_to_come_back_and_other_doors_open() {
        let limits = limits(3);
        let req = from("203.0.113.9");
        for _ in 0..3 {
            limits.check(Door::Pages, &req).unwrap();
        }
        match limits.check(Door::Pages, &req) {
            Err(ApiError::RateLimited { retry_after_s }) => {
                assert!((1..=20).contains(&retry_after_s))
            }
            other => panic!("{other:?}"),
        }
        limits.check(Door::Pages, &from("203.0.113.10")).unwrap();
        limits.check(Door::Lookup, &req).unwrap();
    }
}
