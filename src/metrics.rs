//! Prometheus metrics: request counts and latency by route, upstream calls by source, verdicts,
//! quota waits, the last re-check tick, open findings, survey mail paused.
use prometheus::core::Collector;
use prometheus::{
    CounterVec, Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
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
}

#[derive(Clone)]
pub struct WatchMetrics {
    /// Scheduled email campaigns within the horizon at the last tick, by platform.
    pub campaigns: IntGaugeVec,
    pub checks: IntCounterVec,
    pub actions: IntCounterVec,
    pub errors: IntCounterVec,
    /// Campaigns listed whose email cannot be read (Braze Canvases), counted once each.
    pub unreadable: IntCounterVec,
}

impl WatchMetrics {
    fn registered(r: &Registry) -> Self {
        Self {
            campaigns: registered(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "watch_campaigns",
                        "Scheduled email campaigns within the horizon at the last watch tick",
                    ),
                    &["platform"],
                )
                .expect(STATIC),
            ),
            checks: counters(
                r,
                "watch_checks_total",
                "Checks of scheduled campaigns, by platform and verdict (none: promises nothing)",
                &["platform", "verdict"],
            ),
            actions: counters(
                r,
                "watch_actions_total",
                "What the watch did about scheduled campaigns (unscheduled, alerted, failed)",
                &["platform", "action"],
            ),
            errors: counters(
                r,
                "watch_errors_total",
                "Platform calls that failed during a watch tick, by kind",
                &["platform", "kind"],
            ),
            unreadable: counters(
                r,
                "watch_unreadable_total",
                "Scheduled campaigns whose email cannot be read through the platform's API (Braze Canvases)",
                &["platform"],
            ),
        }
    }
}

#[derive(Clone)]
pub struct LinkMetrics {
    /// Requests made to check the links of emails (each redirect one more).
    pub fetches: IntCounter,
    /// Links checked, by the class of their last answer (or `too_many_redirects`).
    pub results: IntCounterVec,
    /// Links (or redirects) not fetched, by reason.
    pub refusals: IntCounterVec,
}

impl LinkMetrics {
    fn registered(r: &Registry) -> Self {
        Self {
            fetches: counter(
                r,
                "link_fetches_total",
                "HTTP requests made to check the links of emails (each redirect counts)",
            ),
            results: counters(
                r,
                "link_results_total",
                "Links checked, by the class of their last answer (2xx … 5xx, too_many_redirects)",
                &["class"],
            ),
            refusals: counters(
                r,
                "link_refusals_total",
                "Links or redirects not fetched, by reason (unlisted_host, internal_address)",
                &["reason"],
            ),
        }
    }
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

impl RecheckGauges {
    /// The last re-check tick's gauges, registered with `registry`.
    fn registered(registry: &Registry) -> Self {
        let gauge = |name: &str, help: &str| {
            let gauge = Gauge::new(format!("recheck_{name}"), help).expect(STATIC);
            registered(registry, gauge)
        };
        Self {
            campaigns: gauge("campaigns", "Live campaigns the last re-check tick checked"),
            questions: gauge(
                "questions",
                "Distinct questions (locations and sku@location pairs) the last tick asked",
            ),
            upstream_calls: gauge("upstream_calls", "Upstream HTTP requests of the last tick"),
            seconds: gauge("seconds", "How long the last re-check tick took"),
        }
    }
}

/// Changes sources push in (Shopify's inventory webhooks).
#[derive(Clone)]
pub struct PushMetrics {
    /// Deliveries by topic and outcome.
    pub received: IntCounterVec,
    /// Live campaigns checked again because a pushed change touched them.
    pub rechecks: IntCounter,
}

impl PushMetrics {
    fn registered(r: &Registry) -> Self {
        Self {
            received: counters(
                r,
                "source_pushes_total",
                "Changes sources pushed in (Shopify's inventory and location webhooks), by topic and outcome (applied, duplicate, stale, unknown_item, refused)",
                &["topic", "outcome"],
            ),
            rechecks: counter(
                r,
                "change_rechecks_total",
                "Live campaigns checked again because a pushed change touched them",
            ),
        }
    }
}

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
