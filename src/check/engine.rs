//! Runs a lookup plan against the sources: every lookup once, item lookups batched, at most
//! `concurrency` calls in flight, and everything under one deadline — a lookup that has not
//! answered by then becomes an `upstream_unavailable` finding instead of a late answer.
use super::evaluate::{Observations, evaluate};
use super::plan::LookupPlan;
use super::result::CheckResult;
use crate::domain::{Campaign, LocationReport, LookupFailure, Mode, Phase, Policy, StockReport};
use crate::sources::batches;
use crate::sources::{SourceError, Sources};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct CheckLimits {
    pub deadline: Duration,
    pub concurrency: usize,
}

/// What kind of check to run: its phase and mode, the send time it judges, and the policy.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec<'a> {
    pub phase: Phase,
    pub mode: Mode,
    pub send_at: DateTime<Utc>,
    pub policy: &'a Policy,
}

#[derive(Clone)]
pub struct Checker {
    sources: Sources,
    limits: CheckLimits,
}

impl Checker {
    pub fn new(sources: Sources, limits: CheckLimits) -> Self {
        Self { sources, limits }
    }

    /// Checks one campaign: plans its lookups, asks the sources, evaluates the rules, and
    /// names the result — the one place a check id is made. Its `checked_at` is a record time
    /// (`clock::record_time`), so lists of checks show the order they ran in.
    #[tracing::instrument(skip_all, fields(campaign = %campaign.id, offers = campaign.offers.len()))]
    pub async fn run(&self, campaign: &Campaign, check: CheckSpec<'_>) -> CheckResult {
        let plan = LookupPlan::for_campaign(campaign);
        let observations = self.observe(&plan).await;
        let evaluation = evaluate(
            campaign,
            check.send_at,
            Utc::now(),
            check.policy,
            &observations,
            || uuid::Uuid::new_v4().to_string(),
        );
        CheckResult::new(
            uuid::Uuid::new_v4().to_string(),
            campaign.id.clone(),
            check.phase,
            check.mode,
            check.send_at,
            evaluation,
            crate::clock::record_time(),
        )
    }

    pub async fn observe(&self, plan: &LookupPlan) -> Observations {
        let deadline = Instant::now() + self.limits.deadline;
        let permits = Arc::new(Semaphore::new(self.limits.concurrency.max(1)));
        let locations = join_all(plan.locations.iter().map(|id| {
            let permits = permits.clone();
            async move {
                let answer = bounded(
                    &permits,
                    deadline,
                    self.sources.locations.location(id, deadline),
                )
                .await;
                (id.clone(), answer)
            }
        }));
        let inventory = self.sources.inventory.clone();
        let item_batches = batches(&plan.items, inventory.batch_limits());
        let items = join_all(item_batches.into_iter().map(|batch| {
            let permits = permits.clone();
            let inventory = inventory.clone();
            async move {
                let answer = bounded(&permits, deadline, inventory.stock(&batch, deadline)).await;
                (batch, answer)
            }
        }));
        let (locations, items) = futures::join!(locations, items);

        let mut observations = Observations::default();
        let location_source = self.sources.locations.name();
        for (id, answer) in locations {
            let now = Utc::now();
            let entry = answer
                .map(|a| LocationReport {
                    status: a.status,
                    raw_status: a.raw_status,
                    closed_periods: a.closed_periods,
                    source: location_source.to_owned(),
                    fetched_at: now,
                })
                .map_err(|e| failure(location_source, e));
            observations.locations.insert(id, entry);
        }
        let inventory_source = inventory.name();
        for (batch, answer) in items {
            let now = Utc::now();
            match answer {
                Ok(levels) => {
                    for key in batch {
                        let entry = match levels.get(&key) {
                            Some(q) => Ok(StockReport {
                                available: *q,
                                source: inventory_source.to_owned(),
                                fetched_at: now,
                            }),
                            None => Err(failure(
                                inventory_source,
                                SourceError::Garbage("the answer left this item out".into()),
                            )),
                        };
                        observations.items.insert(key, entry);
                    }
                }
                Err(e) => {
                    let f = failure(inventory_source, e);
                    for key in batch {
                        observations.items.insert(key, Err(f.clone()));
                    }
                }
            }
        }
        observations
    }
}

/// Waits for a permit and for the call, neither past the deadline.
async fn bounded<T>(
    permits: &Semaphore,
    deadline: Instant,
    call: impl std::future::Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    tokio::time::timeout_at(deadline, async {
        // The semaphore is never closed, so acquiring can only wait, not fail.
        let _permit = permits.acquire().await.map_err(|_| SourceError::Deadline)?;
        call.await
    })
    .await
    .unwrap_or(Err(SourceError::Deadline))
}

fn failure(source: &str, error: SourceError) -> LookupFailure {
    LookupFailure {
        source: source.to_owned(),
        reason: error.to_string(),
        at: Utc::now(),
    }
}
