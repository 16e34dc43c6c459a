//! Prometheus metrics: request counts and latency by route, upstream calls by source, verdicts,
//! quota waits, the last re-check tick, open findings.
use prometheus::core::Collector;
use prometheus::{
    CounterVec, Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
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
}

#[derive(Clone)]
pub struct RecheckGauges {
    pub campaigns: Gauge,
    pub questions: Gauge,
    pub upstream_calls: Gauge,
    pub seconds: Gauge,
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
        let quota_wait = CounterVec::new(
            Opts::new(
                "quota_wait_seconds_total",
                "Time requests waited for a slot in a source's request quota (or its 429 pause)",
            ),
            &["source"],
        )
        .expect("static metric definition");
        let gauge = |name: &str, help: &str| {
            Gauge::new(format!("recheck_{name}"), help).expect("static metric definition")
        };
        let recheck = RecheckGauges {
            campaigns: gauge("campaigns", "Live campaigns the last re-check tick checked"),
            questions: gauge(
                "questions",
                "Distinct questions (locations and sku@location pairs) the last tick asked",
            ),
            upstream_calls: gauge("upstream_calls", "Upstream HTTP requests of the last tick"),
            seconds: gauge("seconds", "How long the last re-check tick took"),
        };
        let open_findings = IntGaugeVec::new(
            Opts::new(
                "open_findings",
                "Unreviewed findings of the campaigns' latest checks, by severity (set by the instance that ran the last re-check tick: aggregate with max)",
            ),
            &["severity"],
        )
        .expect("static metric definition");
        let quarantined = IntCounterVec::new(
            Opts::new(
                "events_quarantined_total",
                "Events (or whole bodies) an endpoint could not take and quarantined, by endpoint",
            ),
            &["endpoint"],
        )
        .expect("static metric definition");
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(quarantined.clone()),
            Box::new(quota_wait.clone()),
            Box::new(recheck.campaigns.clone()),
            Box::new(recheck.questions.clone()),
            Box::new(recheck.upstream_calls.clone()),
            Box::new(recheck.seconds.clone()),
            Box::new(open_findings.clone()),
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
        static REGISTRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Self {
            id: REGISTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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
            quota_wait,
            recheck,
            open_findings,
            quarantined,
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
