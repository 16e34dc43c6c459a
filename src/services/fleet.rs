//! The `recheck` job over a retailer's whole fleet. One tick plans every live campaign's open
//! offers together, asks each distinct location and each distinct sku@location once — in the
//! batches the sources take, paced to their quotas, behind any send that is waiting — then
//! evaluates and stores each campaign exactly as a check of it alone would (new-finding marks,
//! carried-over reviews, alerts, record times in order), writing the checks in batches. Its
//! cost follows the distinct questions, not campaigns × questions.
use super::checks::Checks;
use crate::check::{Asking, CheckResult, CheckSpec, LookupPlan};
use crate::domain::{Campaign, Mode, Phase, Severity};
use crate::sources::batches;
use crate::sources::quota::{Pace, Urgency};
use crate::store::NewCheck;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Checks stored per batch (each batch is one short transaction).
const STORE_BATCH: usize = 100;

/// One live campaign of the tick.
struct Live {
    /// As stored: a check is kept under the campaign's full definition.
    campaign: Campaign,
    /// Its offers that have not ended: what is checked.
    unfinished: Campaign,
    /// An offer has started: new block findings alert.
    running: bool,
}

impl Checks {
    /// The `recheck` job: every campaign whose offer window is open at `now`, checked again
    /// (phase `live`); a summary line for the log. When `stop` fires it stops where it is —
    /// the next tick checks every campaign again, so stopping early loses nothing.
    #[tracing::instrument(skip_all, fields(campaigns, questions))]
    pub async fn recheck_live(
        &self,
        now: DateTime<Utc>,
        stop: &CancellationToken,
    ) -> anyhow::Result<String> {
        let started = std::time::Instant::now();
        let calls_before = self.metrics.upstream_calls_so_far();
        let rows = self.store.live_campaigns(now).await?;
        let mut fleet = Vec::with_capacity(rows.len());
        let mut unreadable = 0;
        for row in &rows {
            match serde_json::from_str::<Campaign>(&row.definition) {
                Ok(campaign) => {
                    let unfinished = campaign.unfinished_at(now);
                    if !unfinished.offers.is_empty() {
                        let running = unfinished.offers.iter().any(|o| o.valid_from <= now);
                        fleet.push(Live {
                            campaign,
                            unfinished,
                            running,
                        });
                    }
                }
                Err(e) => {
                    unreadable += 1;
                    tracing::error!(campaign = %row.id, error = %e, "a stored campaign is unreadable; not re-checked");
                }
            }
        }
        let plan = LookupPlan::for_campaigns(fleet.iter().map(|l| &l.unfinished));
        let span = tracing::Span::current();
        span.record("campaigns", fleet.len());
        span.record("questions", plan.questions());
        let asking = Asking {
            urgency: Urgency::Background,
            deadline: Instant::now() + self.tick_budget(&plan),
            max_age: Some(Duration::ZERO),
        };
        let observations = tokio::select! {
            observations = self.checker.observe(&plan, asking) => observations,
            _ = stop.cancelled() => {
                return Ok(format!(
                    "stopped before any of {} live campaigns was checked: the service is stopping",
                    fleet.len()
                ));
            }
        };
        let spec = CheckSpec {
            phase: Phase::Live,
            mode: Mode::Enforce,
            send_at: now,
            policy: &self.policy,
        };
        let mut stored = 0;
        for batch in fleet.chunks(STORE_BATCH) {
            if stop.is_cancelled() {
                tracing::info!(
                    stored,
                    total = fleet.len(),
                    "stopping: the rest of this re-check is left to the next tick"
                );
                return Ok(format!(
                    "stopped after {stored} of {} live campaigns: the service is stopping",
                    fleet.len()
                ));
            }
            let results: Vec<(CheckResult, String)> = batch
                .iter()
                .map(|live| {
                    let result = self.checker.conclude(&live.unfinished, spec, &observations);
                    let body = serde_json::to_string(&result)?;
                    Ok((result, body))
                })
                .collect::<anyhow::Result<_>>()?;
            let checks: Vec<NewCheck> = batch
                .iter()
                .zip(&results)
                .map(|(live, (result, body))| {
                    let alert_to = if live.running {
                        &self.alert_to[..]
                    } else {
                        &[]
                    };
                    self.new_check(&live.campaign, result, body, alert_to)
                })
                .collect();
            self.store.record_checks(&checks).await?;
            for (result, _) in &results {
                self.count(result);
            }
            stored += batch.len();
        }
        let calls = self.metrics.upstream_calls_so_far() - calls_before;
        let seconds = started.elapsed().as_secs_f64();
        let gauges = &self.metrics.recheck;
        gauges.campaigns.set(stored as f64);
        gauges.questions.set(plan.questions() as f64);
        gauges.upstream_calls.set(calls as f64);
        gauges.seconds.set(seconds);
        self.publish_open_findings().await;
        if unreadable > 0 {
            anyhow::bail!("{stored} campaigns re-checked, {unreadable} unreadable");
        }
        Ok(format!(
            "{stored} live campaigns re-checked: {} questions, {calls} upstream calls, {seconds:.1} s",
            plan.questions()
        ))
    }

    /// How long a tick waits for its answers: as long as the sources' quotas need to give
    /// them, with a quarter to spare, and never less than a pre-send check's deadline.
    fn tick_budget(&self, plan: &LookupPlan) -> Duration {
        let sources = self.checker.observer().sources();
        let paced = |calls: usize, pace: Option<Pace>| {
            pace.map_or(Duration::ZERO, |p| {
                Duration::from_secs_f64(calls as f64 * 60.0 / f64::from(p.requests_per_minute))
            })
        };
        let location_calls = plan.locations.len();
        let item_calls = batches(&plan.items, sources.inventory.batch_limits()).len();
        let quota_time = paced(location_calls, sources.locations.pace())
            .max(paced(item_calls, sources.inventory.pace()));
        self.checker.limits().deadline + quota_time.mul_f64(1.25)
    }

    /// Sets the open-findings gauge from the campaigns' latest checks (the instance that ran
    /// the last tick publishes it; aggregate over instances with `max`).
    async fn publish_open_findings(&self) {
        match self.store.open_findings().await {
            Ok(counts) => {
                for severity in [Severity::Block, Severity::Flag] {
                    let n = counts.get(&severity).copied().unwrap_or(0);
                    self.metrics
                        .open_findings
                        .with_label_values(&[severity.as_str()])
                        .set(n as i64);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot count open findings for the metrics"),
        }
    }
}
