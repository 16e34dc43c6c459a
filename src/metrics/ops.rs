//! The series an operator's alert rules and dashboard read (`deploy/prometheus/alerts.yml`,
//! `deploy/grafana/promiseguard.json`): circuit breakers, each job's last success and period,
//! the configured check deadline, readiness, the survey funnel and alerts delivered — and
//! [`Known`], every label value known at start, each series of which is exported at zero from
//! the first scrape, so a rule or panel never meets a missing series.
use super::{Metrics, STATIC, counter, counters, registered};
use prometheus::{
    Gauge, GaugeVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

#[derive(Clone)]
pub struct OpsMetrics {
    /// 1 while a source's circuit breaker is open, by source.
    pub breaker_open: IntGaugeVec,
    /// When each job last succeeded on this instance (Unix seconds; the start until then).
    pub job_last_success: GaugeVec,
    /// Each job's period: the time between its schedule's next two ticks at start.
    pub job_interval: GaugeVec,
    /// `[check] deadline_ms`, in seconds.
    pub check_deadline: Gauge,
    /// 1 while `/readyz` would answer 200 (set at each scrape and on stopping).
    pub ready: IntGauge,
    pub surveys_queued: IntCounter,
    pub surveys_sent: IntCounter,
    pub surveys_answered: IntCounter,
    pub surveys_unsubscribed: IntCounter,
    /// Alerts delivered and given up on, by what they are about.
    pub alerts_delivered: IntCounterVec,
    pub alerts_failed: IntCounterVec,
    /// Requests refused by `[limits]`, by door (pages, lookup, events).
    pub rate_limited: IntCounterVec,
}

impl OpsMetrics {
    pub(super) fn registered(r: &Registry) -> Self {
        let gauges = |name: &str, help: &str, label: &str| {
            registered(
                r,
                GaugeVec::new(Opts::new(name, help), &[label]).expect(STATIC),
            )
        };
        Self {
            breaker_open: registered(
                r,
                IntGaugeVec::new(
                    Opts::new("breaker_open", "1 while a source's circuit breaker is open"),
                    &["source"],
                )
                .expect(STATIC),
            ),
            job_last_success: gauges(
                "job_last_success_timestamp_seconds",
                "When each scheduled job last succeeded on this instance (Unix seconds; the instance's start until then): aggregate with max",
                "job",
            ),
            job_interval: gauges(
                "job_interval_seconds",
                "Each scheduled job's period (between the next two ticks of its schedule at start)",
                "job",
            ),
            check_deadline: registered(
                r,
                Gauge::new(
                    "check_deadline_seconds",
                    "The configured pre-send check deadline ([check] deadline_ms)",
                )
                .expect(STATIC),
            ),
            ready: registered(
                r,
                IntGauge::new(
                    "ready",
                    "1 while the instance is ready for traffic (/readyz answers 200)",
                )
                .expect(STATIC),
            ),
            surveys_queued: counter(
                r,
                "surveys_queued_total",
                "Survey invitations queued (one per clicker who did not convert)",
            ),
            surveys_sent: counter(
                r,
                "surveys_sent_total",
                "Survey emails sent (reminders apart)",
            ),
            surveys_answered: counter(
                r,
                "surveys_answered_total",
                "Surveys answered for the first time",
            ),
            surveys_unsubscribed: counter(
                r,
                "surveys_unsubscribed_total",
                "Unsubscribes from the survey email taken (page or one-click; a repeat counts again)",
            ),
            alerts_delivered: counters(
                r,
                "alerts_delivered_total",
                "Alerts delivered, by what they are about",
                &["kind"],
            ),
            alerts_failed: counters(
                r,
                "alerts_failed_total",
                "Alerts given up on after their retries, by what they are about",
                &["kind"],
            ),
            rate_limited: counters(
                r,
                "rate_limited_total",
                "Requests refused (429) by [limits], by door: pages, lookup, events",
                &["door"],
            ),
        }
    }
}

/// Every label value known at start (the sources' come from their breakers), whose series are
/// exported at zero before anything happens.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// The scheduled jobs, each with its period in seconds.
    pub jobs: Vec<(String, f64)>,
    /// Every route: its method and pattern.
    pub routes: Vec<(String, String)>,
    /// Every inbound door's path.
    pub doors: Vec<String>,
    /// The platforms campaigns are watched on.
    pub platforms: Vec<String>,
    /// What alerts may be about.
    pub alert_kinds: Vec<String>,
    /// The topics of pushed changes.
    pub push_topics: Vec<String>,
    /// The check deadline, in seconds.
    pub check_deadline: f64,
}

/// Upstream call outcomes (`sources::upstream`).
const CALL_OUTCOMES: &[&str] = &[
    "answered",
    "throttled",
    "retryable_status",
    "server_error",
    "deadline",
    "timeout",
    "garbage",
    "transport",
];
/// Upstream error kinds (`SourceError::kind`).
const ERROR_KINDS: &[&str] = &[
    "timeout",
    "deadline",
    "status",
    "transport",
    "garbage",
    "circuit_open",
    "local",
    "quota",
];
const PHASES: &[&str] = &["pre_send", "scheduled", "live", "manual"];
const VERDICTS: &[&str] = &["pass", "flag", "block"];
const PUSH_OUTCOMES: &[&str] = &["applied", "duplicate", "stale", "unknown_item", "refused"];

impl Metrics {
    /// The sources whose breaker reports (every source that calls an upstream, platforms too).
    fn upstream_sources(&self) -> Vec<String> {
        use prometheus::core::Collector;
        self.ops
            .breaker_open
            .collect()
            .iter()
            .flat_map(|family| family.get_metric())
            .flat_map(|m| m.get_label().iter().map(|l| l.value().to_owned()))
            .collect()
    }

    /// Exports every series of `known` at zero (the instance is ready from here on), and
    /// each job's last success as now.
    pub fn preset(&self, known: &Known) {
        let ops = &self.ops;
        ops.check_deadline.set(known.check_deadline);
        ops.ready.set(1);
        let now = chrono::Utc::now().timestamp() as f64;
        for (job, interval) in &known.jobs {
            ops.job_last_success.with_label_values(&[job]).set(now);
            ops.job_interval.with_label_values(&[job]).set(*interval);
        }
        // The sources that call an upstream: each reported its breaker when it was built.
        for source in &self.upstream_sources() {
            ops.breaker_open.with_label_values(&[source]).set(0);
            self.quota_wait.with_label_values(&[source]).inc_by(0.0);
            self.upstream_duration.with_label_values(&[source]);
            for outcome in CALL_OUTCOMES {
                self.upstream_calls
                    .with_label_values(&[source.as_str(), outcome]);
            }
            for kind in ERROR_KINDS {
                self.upstream_errors
                    .with_label_values(&[source.as_str(), kind]);
            }
        }
        for (method, route) in &known.routes {
            self.http_duration.with_label_values(&[route]);
            // No request yet: none answered 200 either.
            self.http_requests
                .with_label_values(&[route.as_str(), method, "200"]);
        }
        for door in &known.doors {
            self.quarantined.with_label_values(&[door]);
        }
        for platform in &known.platforms {
            self.watch.campaigns.with_label_values(&[platform]).set(0);
            self.watch.unreadable.with_label_values(&[platform]);
            for kind in ["key_refused", "refused", "unavailable", "garbage"] {
                self.watch
                    .errors
                    .with_label_values(&[platform.as_str(), kind]);
            }
        }
        for kind in &known.alert_kinds {
            ops.alerts_delivered.with_label_values(&[kind]);
            ops.alerts_failed.with_label_values(&[kind]);
        }
        for topic in &known.push_topics {
            for outcome in PUSH_OUTCOMES {
                self.pushes
                    .received
                    .with_label_values(&[topic.as_str(), outcome]);
            }
        }
        for phase in PHASES {
            for verdict in VERDICTS {
                self.verdicts.with_label_values(&[phase, verdict]);
            }
        }
        for kind in ["location", "item"] {
            for result in ["hit", "miss", "stale", "unknown"] {
                self.lookup_results.with_label_values(&[kind, result]);
            }
        }
        for door in ["pages", "lookup", "events"] {
            ops.rate_limited.with_label_values(&[door]);
        }
        for severity in ["block", "flag"] {
            self.open_findings.with_label_values(&[severity]).set(0);
        }
    }
}
