//! Prometheus metrics: request counts and latency by route, upstream calls by source, verdicts,
//! quota waits, the last re-check tick, open findings, survey mail paused; the groups one part
//! keeps (`groups.rs`) and the series the operator's rules read (`ops.rs`).
mod groups;
mod ops;

pub use groups::{LinkMetrics, PushMetrics, RecheckGauges, WatchMetrics};
pub use ops::{Known, OpsMetrics};

use prometheus::core::Collector;
use prometheus::{
    CounterVec, Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    /// Tells this registry from another in the same process (each test app has its own), for
    /// handles cached outside it.
    id: u64,
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub upstream_calls: IntCounterVec,
    pub upstream_duration: HistogramVec,
    pub upstream_errors: IntCounterVec,
    pub verdicts: IntCounterVec,
    pub lookup_results: IntCounterVec,
    pub lookup_coalesced: IntCounter,
    pub lookup_deadline_misses: IntCounter,
    /// Seconds spent waiting for a request slot in a source's quota (or its 429 pause).
    pub quota_wait: CounterVec,
    /// The last re-check tick this instance ran.
    pub recheck: RecheckGauges,
    /// Unreviewed findings of every campaign's latest check, by severity — set by whichever
    /// instance ran the last re-check tick, so aggregate it over instances with `max`, never
    /// `sum`.
    pub open_findings: IntGaugeVec,
    /// Events an endpoint quarantined instead of storing, by endpoint.
    pub quarantined: IntCounterVec,
    /// The emails' links checked.
    pub links: LinkMetrics,
    /// Campaigns watched where they are scheduled.
    pub watch: WatchMetrics,
    /// 1 while the complaint guard holds survey mail paused (as this instance last saw it).
    pub surveys_paused: IntGauge,
    /// Changes sources pushed in, and the re-checks they called for.
    pub pushes: PushMetrics,
    /// What the operator's alert rules and dashboard read.
    pub ops: OpsMetrics,
}

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metrics are defined in code: a definition that does not hold is a bug, found by any test.
const STATIC: &str = "static metric definition";

/// `metric`, registered with `registry` (each name once).
fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once");
    metric
}

/// A registered counter by `labels`.
fn counters(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    registered(
        registry,
        IntCounterVec::new(Opts::new(name, help), labels).expect(STATIC),
    )
}

/// A registered counter without labels.
fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    registered(registry, IntCounter::new(name, help).expect(STATIC))
}

/// A registered latency histogram by `labels`.
fn histograms(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
    registered(registry, HistogramVec::new(opts, labels).expect(STATIC))
}

/// `surveys_paused`, registered.
fn surveys_paused(registry: &Registry) -> IntGauge {
    let gauge = IntGauge::new(
        "surveys_paused",
        "1 while survey and reminder mail is paused for its spam complaints (as this instance last saw it)",
    );
    registered(registry, gauge.expect(STATIC))
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("promiseguard".into()), None)
            .expect("a static prefix is a valid registry");
        let r = &registry;
        static REGISTRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Self {
            id: REGISTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            http_requests: counters(
                r,
                "http_requests_total",
                "HTTP requests by route, method and status",
                &["route", "method", "status"],
            ),
            http_duration: histograms(
                r,
                "http_request_duration_seconds",
                "HTTP request latency by route",
                &["route"],
            ),
            upstream_calls: counters(
                r,
                "upstream_calls_total",
                "Upstream HTTP attempts by source and outcome",
                &["source", "outcome"],
            ),
            upstream_duration: histograms(
                r,
                "upstream_call_duration_seconds",
                "Upstream attempt latency",
                &["source"],
            ),
            upstream_errors: counters(
                r,
                "upstream_errors_total",
                "Upstream lookups that failed, by kind",
                &["source", "kind"],
            ),
            verdicts: counters(
                r,
                "checks_total",
                "Checks by phase and verdict",
                &["phase", "verdict"],
            ),
            lookup_results: counters(
                r,
                "lookup_results_total",
                "Send-time lookup answers by kind and result (hit, miss, stale, unknown)",
                &["kind", "result"],
            ),
            lookup_coalesced: counter(
                r,
                "lookup_coalesced_total",
                "Lookups that joined an upstream call already in flight for the same key",
            ),
            lookup_deadline_misses: counter(
                r,
                "lookup_deadline_misses_total",
                "Keys the upstream did not answer within the lookup deadline",
            ),
            quota_wait: registered(
                r,
                CounterVec::new(
                    Opts::new(
                        "quota_wait_seconds_total",
                        "Time requests waited for a slot in a source's request quota (or its 429 pause)",
                    ),
                    &["source"],
                )
                .expect(STATIC),
            ),
            recheck: RecheckGauges::registered(r),
            watch: WatchMetrics::registered(r),
            open_findings: registered(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "open_findings",
                        "Unreviewed findings of the campaigns' latest checks, by severity (set by the instance that ran the last re-check tick: aggregate with max)",
                    ),
                    &["severity"],
                )
                .expect(STATIC),
            ),
            quarantined: counters(
                r,
                "events_quarantined_total",
                "Events (or whole bodies) an endpoint could not take and quarantined, by endpoint",
                &["endpoint"],
            ),
            links: LinkMetrics::registered(r),
            surveys_paused: surveys_paused(r),
            pushes: PushMetrics::registered(r),
            ops: OpsMetrics::registered(r),
            registry,
        }
    }

    /// This registry's number in the process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Upstream HTTP attempts so far, every source and outcome (a tick's calls are the
    /// difference before and after).
    pub fn upstream_calls_so_far(&self) -> u64 {
        self.upstream_calls
            .collect()
            .iter()
            .flat_map(|family| family.get_metric())
            .map(|m| m.get_counter().get_value() as u64)
            .sum()
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
