//! The `recheck` job over a retailer's whole fleet. One tick plans every live campaign's open
//! offers together, asks each distinct location and each distinct sku@location once — in the
//! batches the sources take, paced to their quotas, behind any send that is waiting — then
//! evaluates and stores each campaign exactly as a check of it alone would (new-finding marks,
//! carried-over reviews, alerts, record times in order), writing the checks in batches. Its
//! cost follows the distinct questions, not campaigns × questions.
use super::checks::Checks;
use crate::check::{
    Asking, CheckResult, CheckSpec, Checker, LinkAnswers, LookupPlan, Observations,
};
use crate::domain::content::{EmailLink, LinkTemplates, Promised};
use crate::domain::exemption::Exemption;
use crate::domain::{Campaign, Mode, Phase, Policy, Severity};
use crate::sources::batches;
use crate::sources::quota::{Pace, Urgency};
use crate::store::{CampaignRow, ClaimedChanges, NewCheck};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Checks concluded and stored per batch (each batch is one short transaction).
const STORE_BATCH: usize = 250;

/// Live campaigns read from the store at a time.
const READ_PAGE: usize = 500;

/// The campaigns of one page that are still live at `now`, the plan of their questions, and
/// how many were unreadable.
fn live_of(
    page: Vec<CampaignRow>,
    now: DateTime<Utc>,
    templates: &LinkTemplates,
) -> (Vec<Live>, LookupPlan, usize) {
    let mut live = Vec::with_capacity(page.len());
    let mut unreadable = 0;
    for row in page {
        let promised = row.campaign().map_err(|e| e.to_string()).and_then(|c| {
            c.into_promised(templates, "")
                .map_err(|e| format!("its content: {}", e[0].detail))
        });
        match promised {
            Ok(promised) => {
                let unfinished = promised.campaign.unfinished_at(now);
                if !unfinished.offers.is_empty() {
                    let running = unfinished.offers.iter().any(|o| o.valid_from <= now);
                    live.push(Live {
                        promised,
                        definition: row.definition,
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
    let plan = LookupPlan::for_campaigns(live.iter().map(|l| &l.unfinished));
    (live, plan, unreadable)
}

/// The campaigns of `fleet` that `changed` touches, their plan, and the oldest answer they
/// accept: given since the oldest change (the shelf's clock is the wall's; a second to spare).
fn touched(fleet: Vec<Live>, changed: &ClaimedChanges) -> (Vec<Live>, LookupPlan, Duration) {
    let fleet: Vec<Live> = fleet
        .into_iter()
        .filter(|l| changed.keys.iter().any(|k| k.touches(&l.unfinished)))
        .collect();
    let plan = LookupPlan::for_campaigns(fleet.iter().map(|l| &l.unfinished));
    let age = (Utc::now() - changed.since).to_std().unwrap_or_default();
    (fleet, plan, age + Duration::from_secs(1))
}

/// One live campaign of the tick.
struct Live {
    /// What the stored campaign promises (its content read again): a check is kept under the
    /// campaign's full definition.
    promised: Promised,
    /// The same, as the store's JSON text (written back as it is).
    definition: String,
    /// Its offers that have not ended: what is checked.
    unfinished: Campaign,
    /// An offer has started: new block findings alert.
    running: bool,
}

/// Concludes the fleet's checks from `observations` (with the active `exemptions`) on a thread of its own, a batch of
/// `STORE_BATCH` at a time handed to `ready`; stops where it is when `stop` fires (a batch left
/// half-concluded is not handed on: the next tick checks it) or when storing has ended.
fn conclude_in_batches(
    fleet: Arc<Vec<Live>>,
    checker: Checker,
    (policy, exemptions): (Policy, Vec<Exemption>),
    stop: CancellationToken,
    now: DateTime<Utc>,
    (observations, links): (Observations, LinkAnswers),
    ready: tokio::sync::mpsc::Sender<Vec<(CheckResult, String)>>,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::task::spawn_blocking(move || {
        let spec = CheckSpec {
            phase: Phase::Live,
            mode: Mode::Enforce,
            send_at: now,
            policy: &policy,
        };
        for batch in fleet.chunks(STORE_BATCH) {
            if stop.is_cancelled() {
                break;
            }
            let results = batch
                .iter()
                .map_while(|live| (!stop.is_cancelled()).then_some(live))
                .map(|live| {
                    let promised = &live.promised;
                    let mut result = checker
                        .conclude(&live.unfinished, spec, &observations)
                        .with_promised(promised)
                        .with_links(&promised.links, &links, &policy);
                    result.exempt(&exemptions);
                    let body = serde_json::to_string(&result)?;
                    Ok((result, body))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            if results.len() < batch.len() {
                break;
            }
            // Closed: storing has ended (stopped or failed); so does this.
            if ready.blocking_send(results).is_err() {
                break;
            }
        }
        Ok(())
    })
}

impl Checks {
    /// The `recheck` job: every campaign whose offer window is open at `now`, checked again
    /// (phase `live`); a summary line for the log. When `stop` fires it stops where it is —
    /// the next tick checks every campaign again, so stopping early loses nothing.
    pub async fn recheck_live(
        &self,
        now: DateTime<Utc>,
        stop: &CancellationToken,
    ) -> anyhow::Result<String> {
        self.recheck_fleet(now, None, stop).await
    }

    /// The live campaigns that promise what `changed` names, checked again at `now` as a tick
    /// checks them (phase `live`, new block findings alerted) — accepting the answers given
    /// since the oldest change (the pushed ones among them), asking the sources the rest.
    pub async fn recheck_changed(
        &self,
        now: DateTime<Utc>,
        changed: &ClaimedChanges,
        stop: &CancellationToken,
    ) -> anyhow::Result<String> {
        self.recheck_fleet(now, Some(changed), stop).await
    }

    #[tracing::instrument(skip_all, fields(campaigns, questions, changes = changed.map(|c| c.keys.len())))]
    async fn recheck_fleet(
        &self,
        now: DateTime<Utc>,
        changed: Option<&ClaimedChanges>,
        stop: &CancellationToken,
    ) -> anyhow::Result<String> {
        let started = std::time::Instant::now();
        let calls_before = self.metrics.upstream_calls_so_far();
        let (fleet, plan, unreadable) = self.read_fleet(now).await?;
        let (fleet, plan, max_age) = match changed {
            Some(changed) => touched(fleet, changed),
            None => {
                // One listing of store codes a tick (a code moved since the last is followed).
                self.checker.observer().sources().locations.begin_tick();
                (fleet, plan, Duration::ZERO)
            }
        };
        let span = tracing::Span::current();
        span.record("campaigns", fleet.len());
        span.record("questions", plan.questions());
        let asking = Asking {
            urgency: Urgency::Background,
            deadline: Instant::now() + self.tick_budget(&plan),
            max_age: Some(max_age),
        };
        let links: Vec<&EmailLink> = fleet.iter().flat_map(|l| &l.promised.links).collect();
        let observing = async {
            futures::join!(
                self.checker.observe(&plan, asking),
                self.checker.links(links, asking)
            )
        };
        let answers = tokio::select! {
            answers = observing => answers,
            _ = stop.cancelled() => {
                return Ok(format!(
                    "stopped before any of {} live campaigns was checked: the service is stopping",
                    fleet.len()
                ));
            }
        };
        // Pipelined: the next batch is evaluated on a thread of its own while the previous one
        // is written, so storing does not wait for evaluating.
        let fleet = Arc::new(fleet);
        let (ready, mut to_store) = tokio::sync::mpsc::channel::<Vec<(CheckResult, String)>>(2);
        let exemptions = self.exemptions.active_exemptions(now).await?;
        let concluding = conclude_in_batches(
            fleet.clone(),
            self.checker.clone(),
            (self.policy.clone(), exemptions),
            stop.clone(),
            now,
            answers,
            ready,
        );
        let stored = self.store_batches(&fleet, &mut to_store, stop).await;
        // However storing ended, concluding ends too (nothing waits on a full channel).
        to_store.close();
        let concluded = concluding.await?;
        let stored = match stored? {
            Ok(stored) => stored,
            Err(stored) => {
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
        };
        concluded?;
        let calls = self.metrics.upstream_calls_so_far() - calls_before;
        let seconds = started.elapsed().as_secs_f64();
        if let Some(changed) = changed {
            self.metrics.pushes.rechecks.inc_by(stored as u64);
            self.publish_open_findings().await;
            return Ok(format!(
                "{stored} live campaigns re-checked for {} changed keys: {} questions, {calls} upstream calls, {seconds:.1} s",
                changed.keys.len(),
                plan.questions()
            ));
        }
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

    /// Every live campaign with an offer that has not ended, the plan of their questions, and
    /// how many stored campaigns could not be read. Read a page at a time; each page is parsed
    /// and planned on a thread of its own while the next one is read.
    async fn read_fleet(
        &self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(Vec<Live>, LookupPlan, usize)> {
        let mut parsing = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .live_campaigns(now, after.as_deref(), READ_PAGE)
                .await?;
            let last = page.len() < READ_PAGE;
            after = page.last().map(|row| row.id.clone());
            let templates = self.templates.clone();
            parsing.push(tokio::task::spawn_blocking(move || {
                live_of(page, now, &templates)
            }));
            if last {
                break;
            }
        }
        let (mut fleet, mut plans, mut unreadable) = (Vec::new(), Vec::new(), 0);
        for page in parsing {
            let (live, plan, bad) = page.await?;
            fleet.extend(live);
            plans.push(plan);
            unreadable += bad;
        }
        Ok((fleet, LookupPlan::union(plans), unreadable))
    }

    /// Writes the concluded batches as they come: `Ok(n)` when all `n` are stored, `Err(n)`
    /// when `stop` fired after `n`.
    async fn store_batches(
        &self,
        fleet: &[Live],
        concluded: &mut tokio::sync::mpsc::Receiver<Vec<(CheckResult, String)>>,
        stop: &CancellationToken,
    ) -> anyhow::Result<Result<usize, usize>> {
        let mut stored = 0;
        for batch in fleet.chunks(STORE_BATCH) {
            if stop.is_cancelled() {
                return Ok(Err(stored));
            }
            let Some(results) = concluded.recv().await else {
                // Concluding ended early: stopped (the rest waits for the next tick), or failed
                // (its error is reported by the caller).
                return Ok(if stop.is_cancelled() {
                    Err(stored)
                } else {
                    Ok(stored)
                });
            };
            let checks: Vec<NewCheck> = batch
                .iter()
                .zip(&results)
                .map(|(live, (result, body))| {
                    let alert_to = if live.running {
                        &self.alert_to[..]
                    } else {
                        &[]
                    };
                    self.new_check(
                        &live.promised.campaign,
                        result,
                        body,
                        alert_to,
                        Some(&live.definition),
                    )
                })
                .collect();
            self.store.record_checks(&checks).await?;
            for (result, _) in &results {
                self.count(result);
            }
            stored += batch.len();
        }
        Ok(Ok(stored))
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
        let item_batches = batches(&plan.items, sources.inventory.batch_limits());
        let quota_time = paced(location_calls, sources.locations.pace())
            .max(sources.inventory.quota_time(&item_batches));
        self.checker.limits().deadline + quota_time.mul_f64(1.25)
    }

    /// Sets the open-findings gauge from the campaigns' latest checks (the instance that ran
    /// the last tick publishes it; aggregate over instances with `max`).
    async fn publish_open_findings(&self) {
        match self.reviews.open_findings().await {
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
