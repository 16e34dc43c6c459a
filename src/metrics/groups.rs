//! The groups of metrics one part of the service keeps: the watch's, the link checks', the
//! last re-check tick's, the pushed changes'.
use super::{STATIC, counter, counters, registered};
use prometheus::{Gauge, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};

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
    pub(super) fn registered(r: &Registry) -> Self {
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
    pub(super) fn registered(r: &Registry) -> Self {
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

impl RecheckGauges {
    /// The last re-check tick's gauges, registered with `registry`.
    pub(super) fn registered(registry: &Registry) -> Self {
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
    pub(super) fn registered(r: &Registry) -> Self {
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
