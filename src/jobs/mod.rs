//! Scheduled work: the scheduler (cron ticks, one instance per tick) and the jobs it runs.
pub mod alerts;
pub mod recheck;
pub mod scheduler;
pub mod surveys;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    /// Runs the job for the tick at `tick`; the answer is a one-line summary for the log.
    async fn run(&self, tick: DateTime<Utc>) -> anyhow::Result<String>;
}

pub use scheduler::Scheduler;
