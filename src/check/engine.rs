//! Runs checks: asks the layer of observations (`observations::Observer`) for every location and
//! (sku, location) a plan needs — each once, items batched, at most `concurrency` calls in
//! flight, everything under one deadline — then evaluates the rules on what came back. A lookup
//! that has not answered by the deadline becomes an `upstream_unavailable` finding instead of a
//! late answer.
use super::evaluate::{Observations, evaluate};
use super::plan::LookupPlan;
use super::result::CheckResult;
use crate::domain::{Campaign, LocationReport, LookupFailure, Mode, Phase, Policy, StockReport};
use crate::observations::Observer;
use crate::observations::shelf::{Served, Want};
use crate::sources::quota::Urgency;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct CheckLimits {
    pub deadline: Duration,
    pub concurrency: usize,
    /// The oldest answer a pre-send check accepts from each source (`max_age_s`; 0: ask).
    pub location_max_age: Duration,
    pub inventory_max_age: Duration,
}

/// What kind of check to run: its phase and mode, the send time it judges, and the policy.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec<'a> {
    pub phase: Phase,
    pub mode: Mode,
    pub send_at: DateTime<Utc>,
    pub policy: &'a Policy,
}

/// How a set of observations is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Asking {
    pub urgency: Urgency,
    pub deadline: Instant,
    /// The oldest answer accepted; `None`: each source's `max_age_s` (a pre-send check).
    pub max_age: Option<Duration>,
}

#[derive(Clone)]
pub struct Checker {
    observer: Arc<Observer>,
    limits: CheckLimits,
}

/// How much a check's caller waits on it: a send (pre-send) or an analyst (manual) waits; a
/// campaign still on its platform's schedule (the watch) can wait behind them in a source's
/// quota, as a re-check tick does.
pub fn urgency(phase: Phase) -> Urgency {
    match phase {
        Phase::Scheduled | Phase::Live => Urgency::Background,
        Phase::PreSend | Phase::Manual => Urgency::Send,
    }
}

impl Checker {
    pub fn new(observer: Arc<Observer>, limits: CheckLimits) -> Self {
        Self { observer, limits }
    }

    pub fn limits(&self) -> &CheckLimits {
        &self.limits
    }

    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// Checks one campaign: asks what its plan needs (answers as old as each source's
    /// `max_age_s` allow, at the urgency of the check's phase), then concludes.
    #[tracing::instrument(skip_all, fields(campaign = %campaign.id, offers = campaign.offers.len()))]
    pub async fn run(&self, campaign: &Campaign, check: CheckSpec<'_>) -> CheckResult {
        let plan = LookupPlan::for_campaign(campaign);
        let asking = Asking {
            urgency: urgency(check.phase),
            deadline: Instant::now() + self.limits.deadline,
            max_age: None,
        };
        let observations = self.observe(&plan, asking).await;
        self.conclude(campaign, check, &observations)
    }

    /// Evaluates a campaign on observations already in hand and names the result — the one
    /// place a check id is made. Its `checked_at` is a record time (`clock::record_time`), so
    /// lists of checks show the order they ran in.
    pub fn conclude(
        &self,
        campaign: &Campaign,
        check: CheckSpec<'_>,
        observations: &Observations,
    ) -> CheckResult {
        let evaluation = evaluate(
            campaign,
            check.send_at,
            Utc::now(),
            check.policy,
            observations,
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

    /// Asks for everything `plan` names — each location and each (sku, location) once.
    pub async fn observe(&self, plan: &LookupPlan, asking: Asking) -> Observations {
        // One bound on calls in flight for the whole check, locations and items together.
        let permits = Arc::new(tokio::sync::Semaphore::new(self.limits.concurrency.max(1)));
        let want = |source_max_age: Duration| Want {
            max_age: asking.max_age.unwrap_or(source_max_age),
            stale_for: Duration::ZERO,
            deadline: asking.deadline,
            fetch_until: asking.deadline,
            urgency: asking.urgency,
            permits: permits.clone(),
        };
        let location_want = want(self.limits.location_max_age);
        let item_want = want(self.limits.inventory_max_age);
        let ((locations, _), (items, _)) = futures::join!(
            self.observer.locations(&plan.locations, &location_want),
            self.observer.items(&plan.items, &item_want)
        );
        let sources = self.observer.sources();
        let (location_source, inventory_source) =
            (sources.locations.name(), sources.inventory.name());
        let mut observations = Observations::default();
        for (id, served) in locations {
            let entry = seen(served, location_source).map(|(a, fetched_at)| LocationReport {
                status: a.status,
                raw_status: a.raw_status,
                name: a.name,
                zone: a.zone,
                hours: a.hours,
                notes: a.notes,
                source_id: a.source_id,
                source: location_source.to_owned(),
                fetched_at,
            });
            observations.locations.insert(id, entry);
        }
        for (key, served) in items {
            let entry = seen(served, inventory_source).map(|(available, fetched_at)| StockReport {
                available,
                source: inventory_source.to_owned(),
                fetched_at,
            });
            observations.items.insert(key, entry);
        }
        observations
    }
}

/// An answer and when it was fetched, or why there is none.
fn seen<V>(served: Served<V>, source: &str) -> Result<(V, DateTime<Utc>), LookupFailure> {
    match served {
        Served::Hit(s) | Served::Fetched(s) | Served::Stale(s) => Ok((s.value, s.at)),
        Served::Unknown(reason) => Err(LookupFailure {
            source: source.to_owned(),
            reason,
            at: Utc::now(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduled_campaign_waits_behind_sends_and_analysts() {
        assert_eq!(urgency(Phase::Scheduled), Urgency::Background);
        assert_eq!(urgency(Phase::Live), Urgency::Background);
        assert_eq!(urgency(Phase::PreSend), Urgency::Send);
        assert_eq!(urgency(Phase::Manual), Urgency::Send);
    }
}
