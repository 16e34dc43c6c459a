//! What the watch does about a campaign that would break a promise: the action claimed once
//! (per campaign, content version and kind — with the send time for taking it off), carried
//! out, and settled with its alerts.
use super::{CampaignError, Watch, WatchReport};
use crate::check::CheckResult;
use crate::domain::watch::Scheduled;
use crate::sources::platforms::{Platform, PlatformError};
use crate::store::{ActionKind, ActionOutcome, NewAction, Settled};
use chrono::Utc;

/// Attempts at taking a campaign off the schedule while the platform does not answer (a
/// refusal in its own words is final), and the pause before each retry.
const UNSCHEDULE_ATTEMPTS: u32 = 3;
const UNSCHEDULE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// Takes the campaign off the schedule; a platform that does not answer (down, 5xx, a
/// timeout) is asked again, twice, before the action is recorded as failed — the claim is
/// taken once, so a moment's outage must not cost the one chance to act.
async fn unschedule(platform: &dyn Platform, scheduled: &Scheduled) -> Result<(), PlatformError> {
    let mut attempt = 1;
    loop {
        match platform.unschedule(scheduled).await {
            Err(PlatformError::Unavailable(e)) if attempt < UNSCHEDULE_ATTEMPTS => {
                tracing::warn!(platform = platform.name(), campaign = %scheduled.id, error = %e, attempt, "watch: taking the campaign off the schedule: no answer, asking again");
                attempt += 1;
                tokio::time::sleep(UNSCHEDULE_RETRY).await;
            }
            done => return done,
        }
    }
}

impl Watch {
    /// Claims the action (once per campaign, content version and kind, across instances),
    /// carries it out and records how it ended, with its alerts.
    pub(super) async fn act(
        &self,
        platform: &dyn Platform,
        scheduled: &Scheduled,
        result: &CheckResult,
        version: &str,
        kind: ActionKind,
        report: &mut WatchReport,
    ) -> Result<(), CampaignError> {
        // An alert is once per content version. Taking it off is once per version and
        // schedule: a marketer who schedules the same broken email again, unreviewed, sees it
        // taken off again (an overridden finding never acts, so a reviewed one is not).
        let version = match kind {
            ActionKind::Alert => version.to_owned(),
            ActionKind::Unschedule => {
                format!("{version}@{}", scheduled.send_time.timestamp_millis())
            }
        };
        let claim = NewAction {
            campaign_id: &scheduled.id,
            platform: platform.kind().as_str(),
            version: &version,
            kind,
            check_id: &result.check_id,
            send_time: scheduled.send_time,
            at: Utc::now(),
        };
        let Some(id) = self.store.watch.claim_action(claim).await? else {
            return Ok(());
        };
        let (outcome, detail) = match kind {
            ActionKind::Alert => (ActionOutcome::Alerted, None),
            ActionKind::Unschedule => match unschedule(platform, scheduled).await {
                Ok(()) => (ActionOutcome::Unscheduled, None),
                Err(e) => (ActionOutcome::Failed, Some(e.to_string())),
            },
        };
        let settled = Settled {
            id: &id,
            outcome,
            detail: detail.as_deref(),
            alert_to: &self.alert_to,
        };
        self.store.watch.settle_action(settled).await?;
        match outcome {
            ActionOutcome::Unscheduled => report.unscheduled += 1,
            ActionOutcome::Failed => report.failed += 1,
            _ => report.alerted += 1,
        }
        self.metrics
            .watch
            .actions
            .with_label_values(&[platform.name(), outcome.as_str()])
            .inc();
        tracing::warn!(
            platform = platform.name(),
            campaign = %scheduled.id,
            check = %result.check_id,
            action = outcome.as_str(),
            detail = detail.as_deref().unwrap_or(""),
            "watch: a scheduled campaign would break a promise"
        );
        Ok(())
    }
}
