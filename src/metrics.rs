//! Prometheus metrics: request counts and latency by route, upstream calls by source, verdicts.
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
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
}

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("promiseguard".into()), None)
            .expect("a static prefix is a valid registry");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("static metric definition");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("static metric definition");
        let upstream_calls = IntCounterVec::new(
            Opts::new(
                "upstream_calls_total",
                "Upstream HTTP attempts by source and outcome",
            ),
            &["source", "outcome"],
        )
        .expect("static metric definition");
        let upstream_duration = HistogramVec::new(
            HistogramOpts::new("upstream_call_duration_seconds", "Upstream attempt latency")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["source"],
        )
        .expect("static metric definition");
        let upstream_errors = IntCounterVec::new(
            Opts::new(
                "upstream_errors_total",
                "Upstream lookups that failed, by kind",
            ),
            &["source", "kind"],
        )
        .expect("static metric definition");
        let verdicts = IntCounterVec::new(
            Opts::new("checks_total", "Checks by phase and verdict"),
            &["phase", "verdict"],
        )
        .expect("static metric definition");
        let lookup_results = IntCounterVec::new(
            Opts::new(
                "lookup_results_total",
                "Send-time lookup answers by kind and result (hit, miss, stale, unknown)",
            ),
            &["kind", "result"],
        )
        .expect("static metric definition");
        let lookup_coalesced = IntCounter::new(
            "lookup_coalesced_total",
            "Lookups that joined an upstream call already in flight for the same key",
        )
        .expect("static metric definition");
        let lookup_deadline_misses = IntCounter::new(
            "lookup_deadline_misses_total",
            "Keys the upstream did not answer within the lookup deadline",
        )
        .expect("static metric definition");
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_duration.clone()),
            Box::new(upstream_calls.clone()),
            Box::new(upstream_duration.clone()),
            Box::new(upstream_errors.clone()),
            Box::new(verdicts.clone()),
            Box::new(lookup_results.clone()),
            Box::new(lookup_coalesced.clone()),
            Box::new(lookup_deadline_misses.clone()),
        ] {
            registry
                .register(c)
                .expect("each metric is registered once");
        }
        Self {
            registry,
            http_requests,
            http_duration,
            upstream_calls,
            upstream_duration,
            upstream_errors,
            verdicts,
            lookup_results,
            lookup_coalesced,
            lookup_deadline_misses,
        }
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
