//! The `watch` job: the campaigns scheduled on each `[[platforms]]` entry, read and checked
//! where marketers schedule them. Each tick lists every platform's scheduled email campaigns
//! whose first delivery is within the horizon, reads a campaign's email only when the rule of
//! `domain::watch::Timing::fetch` says (first seen, moved, changed, due, or once more inside
//! the act window), checks it (phase `scheduled`, under the platform's campaign id) and acts:
//! an alert once per content version, or — inside the act window, when the platform's
//! `on_block` asks and an unreviewed promise is broken — takes it off the schedule, once.
use super::checks::Checks;
use crate::domain::AlertTarget;
use crate::domain::watch::{Act, OnBlock, Scheduled, Timing, act};
use crate::metrics::Metrics;
use crate::sources::platforms::{Platform, PlatformError};
use crate::store::{ActionKind, Fetched, StoreError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Campaigns of one platform read and checked at once (each platform's own quota and, for
/// Mailchimp, its 10 requests in flight still bound its calls).
const CAMPAIGNS_AT_ONCE: usize = 10;

mod act;
mod check;

super::store_concerns! {
    /// The store's concerns the watch uses: what it saw and did, and the findings it acts on.
    WatchStores {
        watch: WatchStore,
        findings: FindingStore,
    }
}

/// One platform and what it does about a campaign that would break a promise.
pub struct Watched {
    pub platform: Arc<dyn Platform>,
    pub on_block: OnBlock,
}

pub struct Watch {
    /// Replaced whole when `SIGHUP` brings new API keys; a tick under way keeps its own.
    pub platforms: std::sync::RwLock<Arc<Vec<Watched>>>,
    pub checks: Arc<Checks>,
    pub store: WatchStores,
    pub timing: Timing,
    /// Where `campaign.*` alerts go (`[alerts]`).
    pub alert_to: Vec<AlertTarget>,
    pub metrics: Metrics,
}

/// What one tick did, for the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WatchReport {
    pub listed: u64,
    pub fetched: u64,
    pub checked: u64,
    pub nothing_promised: u64,
    pub alerted: u64,
    pub unscheduled: u64,
    pub failed: u64,
    /// Platforms whose list could not be read this tick.
    pub platform_errors: u64,
    /// Campaigns whose content could not be read or checked this tick.
    pub campaign_errors: u64,
}

impl std::ops::AddAssign for WatchReport {
    fn add_assign(&mut self, o: Self) {
        self.listed += o.listed;
        self.fetched += o.fetched;
        self.checked += o.checked;
        self.nothing_promised += o.nothing_promised;
        self.alerted += o.alerted;
        self.unscheduled += o.unscheduled;
        self.failed += o.failed;
        self.platform_errors += o.platform_errors;
        self.campaign_errors += o.campaign_errors;
    }
}

impl std::fmt::Display for WatchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "watch: {} scheduled, {} read, {} checked ({} promise nothing), {} alerted, {} unscheduled, {} failed actions, {} platform errors, {} campaign errors",
            self.listed,
            self.fetched,
            self.checked,
            self.nothing_promised,
            self.alerted,
            self.unscheduled,
            self.failed,
            self.platform_errors,
            self.campaign_errors
        )
    }
}

/// Why one campaign was not checked this tick.
#[derive(Debug, thiserror::Error)]
enum CampaignError {
    #[error(transparent)]
    Platform(#[from] PlatformError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Check(String),
}

impl Watch {
    /// The platforms watched now.
    pub fn platforms(&self) -> Arc<Vec<Watched>> {
        self.platforms
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts `platforms` in force from the next tick on.
    pub fn replace_platforms(&self, platforms: Vec<Watched>) {
        *self.platforms.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(platforms);
    }

    /// One tick over every platform, the platforms side by side (one's pace does not hold
    /// up another): a platform that fails is logged, counted and asked again next tick;
    /// nothing is acted on from what it did not answer.
    pub async fn run(&self, now: DateTime<Utc>, stop: &CancellationToken) -> WatchReport {
        let platforms = self.platforms();
        let ticks = platforms.iter().map(|watched| async move {
            let mut report = WatchReport::default();
            if let Err(e) = self.tick(watched, now, stop, &mut report).await {
                report.platform_errors += 1;
                self.error(watched.platform.as_ref(), &e);
            }
            report
        });
        let mut report = WatchReport::default();
        for one in futures::future::join_all(ticks).await {
            report += one;
        }
        report
    }

    fn error(&self, platform: &dyn Platform, e: &PlatformError) {
        self.metrics
            .watch
            .errors
            .with_label_values(&[platform.name(), e.kind()])
            .inc();
        tracing::warn!(platform = platform.name(), error = %e, "watch: the platform did not answer");
    }

    async fn tick(
        &self,
        watched: &Watched,
        now: DateTime<Utc>,
        stop: &CancellationToken,
        report: &mut WatchReport,
    ) -> Result<(), PlatformError> {
        let platform = watched.platform.as_ref();
        // A campaign sent in recipients' local time may list a send time up to 14 h past its
        // first delivery.
        let until = now + self.timing.horizon + chrono::Duration::hours(14);
        let listed: Vec<Scheduled> = platform
            .scheduled(until)
            .await?
            .into_iter()
            .filter(|s| self.timing.watches(s, now))
            .collect();
        self.metrics
            .watch
            .campaigns
            .with_label_values(&[platform.name()])
            .set(listed.len() as i64);
        report.listed += listed.len() as u64;
        let seen = self
            .store
            .watch
            .watched(platform.name())
            .await
            .map_err(|e| PlatformError::Refused {
                status: 0,
                detail: format!("the store: {e}"),
            })?;
        let mut due = Vec::new();
        for scheduled in &listed {
            let known = seen.get(&scheduled.id);
            if scheduled.unreadable {
                if known.is_none() {
                    self.note_unreadable(platform, scheduled, now).await;
                }
                continue;
            }
            if let Some(reason) = self.timing.fetch(scheduled, known, now) {
                tracing::debug!(platform = platform.name(), campaign = %scheduled.id, ?reason, "watch: reading the campaign");
                due.push(scheduled);
            }
        }
        let reads: Vec<_> = due
            .into_iter()
            .map(|scheduled| self.read_one(watched, scheduled, now, stop))
            .collect();
        let read: Vec<WatchReport> = futures::stream::iter(reads)
            .buffer_unordered(CAMPAIGNS_AT_ONCE)
            .collect()
            .await;
        for one in read {
            *report += one;
        }
        Ok(())
    }

    /// One campaign read, checked and acted on, its failure logged and counted.
    async fn read_one(
        &self,
        watched: &Watched,
        scheduled: &Scheduled,
        now: DateTime<Utc>,
        stop: &CancellationToken,
    ) -> WatchReport {
        let mut one = WatchReport::default();
        if stop.is_cancelled() {
            return one;
        }
        if let Err(e) = self.campaign(watched, scheduled, now, &mut one).await {
            one.campaign_errors += 1;
            let platform = watched.platform.as_ref();
            if let CampaignError::Platform(e) = &e {
                self.error(platform, e);
            }
            tracing::warn!(platform = platform.name(), campaign = %scheduled.id, error = %e, "watch: the campaign was not checked");
        }
        one
    }

    /// A campaign whose email the platform does not give (a Braze Canvas): counted once,
    /// remembered as seen.
    async fn note_unreadable(
        &self,
        platform: &dyn Platform,
        scheduled: &Scheduled,
        now: DateTime<Utc>,
    ) {
        self.metrics
            .watch
            .unreadable
            .with_label_values(&[platform.name()])
            .inc();
        tracing::info!(platform = platform.name(), campaign = %scheduled.id, "watch: a Canvas's email cannot be read through the platform's API: not checked");
        let fetched = Fetched {
            platform: platform.name(),
            listed: scheduled,
            content_hash: None,
            check_id: None,
            at: now,
        };
        if let Err(e) = self.store.watch.record_fetch(fetched).await {
            tracing::warn!(error = %e, "watch: could not remember an unreadable campaign");
        }
    }

    /// Reads, checks and acts on one campaign.
    async fn campaign(
        &self,
        watched: &Watched,
        scheduled: &Scheduled,
        now: DateTime<Utc>,
        report: &mut WatchReport,
    ) -> Result<(), CampaignError> {
        let platform = watched.platform.as_ref();
        let variations = platform.content(scheduled).await?;
        report.fetched += 1;
        let version = check::version(&variations);
        let checked = self.check(platform, scheduled, &variations, now).await?;
        let fetched = Fetched {
            platform: platform.name(),
            listed: scheduled,
            content_hash: Some(&version),
            check_id: checked.as_ref().map(|r| r.check_id.as_str()),
            at: now,
        };
        self.store.watch.record_fetch(fetched).await?;
        let verdict = checked.as_ref().map_or("none", |r| r.verdict.as_str());
        self.metrics
            .watch
            .checks
            .with_label_values(&[platform.name(), verdict])
            .inc();
        let Some(result) = checked else {
            report.nothing_promised += 1;
            tracing::info!(platform = platform.name(), campaign = %scheduled.id, "watch: the campaign promises nothing");
            return Ok(());
        };
        report.checked += 1;
        let stored = self.store.findings.findings(&result.check_id).await?;
        let findings: Vec<_> = stored
            .iter()
            .map(|s| (&s.finding, s.review_state))
            .collect();
        let inside = self
            .timing
            .inside_act_window(scheduled.earliest_delivery(), now);
        let kind = match act(&findings, watched.on_block, inside) {
            Act::Nothing => return Ok(()),
            Act::Alert => ActionKind::Alert,
            Act::Unschedule => ActionKind::Unschedule,
        };
        self.act(platform, scheduled, &result, &version, kind, report)
            .await
    }
}
