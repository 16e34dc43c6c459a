//! Runs each job on its cron schedule. Before running a tick, an instance takes the job's lease
//! row (see `LeaseStore::try_lease`): across any number of instances on one database, each tick runs
//! once, a job never overlaps itself, and a lease left behind by a crashed instance expires so a
//! later tick runs elsewhere. Within one instance a job's ticks run one after the other; ticks
//! that pass while a run is still going are skipped and logged, not queued.
use super::Job;
use crate::config::JobSchedule;
use crate::store::{Lease, LeaseStore};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a lease lives without renewal; a running job renews it every third of this.
pub const LEASE_TTL: Duration = Duration::from_secs(60);

struct Entry {
    schedule: cron::Schedule,
    job: Arc<dyn Job>,
}

pub struct Scheduler {
    store: Arc<dyn LeaseStore>,
    instance: String,
    lease_ttl: Duration,
    entries: Vec<Entry>,
    /// Each job's last success (`promiseguard_job_last_success_timestamp_seconds`).
    metrics: Option<crate::metrics::Metrics>,
}

/// What became of a tick on this instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    /// Ran; the job's summary.
    Ran(String),
    /// Another instance has this tick, or this job is still running elsewhere.
    NotOurs,
    /// The instance is stopping: the tick did not start.
    Stopped,
    /// The lease could not be taken, or the job failed; why.
    Failed(String),
}

impl Scheduler {
    pub fn new(store: Arc<dyn LeaseStore>, instance: impl Into<String>) -> Self {
        Self {
            store,
            instance: instance.into(),
            lease_ttl: LEASE_TTL,
            entries: Vec::new(),
            metrics: None,
        }
    }

    /// The same scheduler, noting each job's successes in `metrics`.
    pub fn reporting(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Each job's name and period: the time between its schedule's next two ticks.
    pub fn jobs(&self) -> Vec<(String, f64)> {
        let now = Utc::now();
        self.entries
            .iter()
            .map(|e| {
                let mut ticks = e.schedule.after(&now);
                let period = match (ticks.next(), ticks.next()) {
                    (Some(a), Some(b)) => (b - a).num_milliseconds() as f64 / 1000.0,
                    _ => 0.0,
                };
                (e.job.name().to_owned(), period)
            })
            .collect()
    }

    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// Runs `job` on `schedule`; a job that is `off` is left out.
    pub fn add(&mut self, schedule: &JobSchedule, job: Arc<dyn Job>) {
        if let Some(schedule) = schedule.cron() {
            self.entries.push(Entry {
                schedule: schedule.clone(),
                job,
            });
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Runs every job on its schedule until `stop` fires. From then on no tick starts, and a
    /// job that is running is told to stop (`Job::run` gets `stop`): it finishes what it must
    /// and returns. Dropping this future drops every job loop, and a job still running with it.
    pub async fn run(self, stop: CancellationToken) {
        let this = Arc::new(self);
        let mut loops = tokio::task::JoinSet::new();
        for i in 0..this.entries.len() {
            let this = this.clone();
            let stop = stop.clone();
            loops.spawn(async move { this.job_loop(i, stop).await });
        }
        while loops.join_next().await.is_some() {}
    }

    #[tracing::instrument(skip_all, fields(job = self.entries[index].job.name(), instance = %self.instance))]
    async fn job_loop(&self, index: usize, stop: CancellationToken) {
        let entry = &self.entries[index];
        tracing::info!("scheduled");
        loop {
            let Some(tick) = entry.schedule.after(&Utc::now()).next() else {
                tracing::warn!("the schedule has no further ticks");
                return;
            };
            let wait = (tick - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            if self.run_tick(entry.job.as_ref(), tick, &stop).await == TickOutcome::Stopped {
                return;
            }
            let skipped = entry
                .schedule
                .after(&tick)
                .take_while(|t| *t <= Utc::now())
                .count();
            if skipped > 0 {
                tracing::warn!(
                    skipped,
                    "ticks passed while the job was running and were skipped"
                );
            }
        }
    }

    /// Runs `job` for `tick` if this instance wins the tick, and the instance is not stopping.
    pub async fn run_tick(
        &self,
        job: &dyn Job,
        tick: DateTime<Utc>,
        stop: &CancellationToken,
    ) -> TickOutcome {
        let name = job.name();
        if stop.is_cancelled() {
            return TickOutcome::Stopped;
        }
        match self
            .store
            .try_lease(self.lease(name), tick, Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(job = name, %tick, "tick taken by another instance, or the job is still running");
                return TickOutcome::NotOurs;
            }
            Err(e) => {
                tracing::error!(job = name, %tick, error = %e, "cannot take the job lease; tick skipped");
                return TickOutcome::Failed(format!("cannot take the job lease: {e}"));
            }
        }
        // The lease was taken while the stop came in: hand the tick back unrun.
        if stop.is_cancelled() {
            self.release(name).await;
            return TickOutcome::Stopped;
        }
        let started = std::time::Instant::now();
        let renew = async {
            loop {
                tokio::time::sleep(self.lease_ttl / 3).await;
                match self.store.renew_lease(self.lease(name), Utc::now()).await {
                    Ok(true) => {}
                    Ok(false) => tracing::error!(job = name, "lost the job lease while running"),
                    Err(e) => tracing::warn!(job = name, error = %e, "cannot renew the job lease"),
                }
            }
        };
        let result = tokio::select! {
            r = job.run(tick, stop) => r,
            _ = renew => unreachable!("the renewal loop never ends"),
        };
        self.release(name).await;
        let ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(summary) => {
                tracing::info!(job = name, %tick, ms, "{summary}");
                if let Some(metrics) = &self.metrics {
                    let now = Utc::now().timestamp_millis() as f64 / 1000.0;
                    metrics
                        .ops
                        .job_last_success
                        .with_label_values(&[name])
                        .set(now);
                }
                TickOutcome::Ran(summary)
            }
            Err(e) => {
                tracing::error!(job = name, %tick, ms, error = format!("{e:#}"), "job failed");
                TickOutcome::Failed(format!("{e:#}"))
            }
        }
    }

    /// This instance's lease on `job`.
    fn lease<'a>(&'a self, job: &'a str) -> Lease<'a> {
        Lease {
            job,
            holder: &self.instance,
            ttl: self.lease_ttl,
        }
    }

    async fn release(&self, job: &str) {
        if let Err(e) = self.store.release_lease(self.lease(job)).await {
            tracing::warn!(job, error = %e, "cannot release the job lease; it will expire");
        }
    }
}

/// A name for this process that other instances can tell apart in the lease table.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
