//! Scheduled work: the scheduler (cron ticks, one instance per tick through lease rows) and the
//! jobs it runs. A job is a door like an HTTP route: it says when, a service says what.
pub mod scheduler;

pub use scheduler::Scheduler;

use crate::services::alerts::Alerts;
use crate::services::changes::Changes;
use crate::services::checks::Checks;
use crate::services::retention::Retention;
use crate::services::surveys::Surveys;
use crate::services::watch::Watch;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[async_trait]
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    /// Runs the job for the tick at `tick`; the answer is a one-line summary for the log. When
    /// `stop` fires (the instance is shutting down) the job starts nothing new, finishes what
    /// it has in hand, and returns.
    async fn run(&self, tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String>;
}

/// `recheck`: every campaign whose offer window is open, checked again (phase `live`).
pub struct RecheckJob(pub Arc<Checks>);

/// `surveys`: queue invitations for everyone eligible, then deliver everything due.
pub struct SurveysJob(pub Arc<Surveys>);

/// `survey_delivery`: deliver the survey emails and reminders now due — often (every minute by
/// default), so an invitation waiting for its recipient's window goes near its time.
pub struct SurveyDeliveryJob(pub Arc<Surveys>);

/// `alerts`: deliver the alerts re-checks queued, and their retries.
pub struct AlertsJob(pub Arc<Alerts>);

/// `watch`: the campaigns scheduled on `[[platforms]]`, read and checked (phase `scheduled`).
pub struct WatchJob(pub Arc<Watch>);

#[async_trait]
impl Job for WatchJob {
    fn name(&self) -> &'static str {
        "watch"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        Ok(self.0.run(Utc::now(), stop).await.to_string())
    }
}

/// `changes`: the live campaigns of pushed changes whose delay is over, checked again — what an
/// instance that stopped before its own timer left.
pub struct ChangesJob(pub Arc<Changes>);

#[async_trait]
impl Job for ChangesJob {
    fn name(&self) -> &'static str {
        "changes"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        self.0.run_due(Utc::now(), stop).await
    }
}

/// `retention`: remove what `[retention]` no longer keeps (daily by default).
pub struct RetentionJob(pub Arc<Retention>);

#[async_trait]
impl Job for RetentionJob {
    fn name(&self) -> &'static str {
        "retention"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        Ok(self.0.run(Utc::now(), stop).await?.to_string())
    }
}

#[async_trait]
impl Job for RecheckJob {
    fn name(&self) -> &'static str {
        "recheck"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        self.0.recheck_live(Utc::now(), stop).await
    }
}

#[async_trait]
impl Job for SurveysJob {
    fn name(&self) -> &'static str {
        "surveys"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        self.0.run(stop).await
    }
}

#[async_trait]
impl Job for SurveyDeliveryJob {
    fn name(&self) -> &'static str {
        "survey_delivery"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        self.0.deliver_due(stop).await
    }
}

#[async_trait]
impl Job for AlertsJob {
    fn name(&self) -> &'static str {
        "alerts"
    }

    async fn run(&self, _tick: DateTime<Utc>, stop: &CancellationToken) -> anyhow::Result<String> {
        self.0.run(stop).await
    }
}
