//! Alert delivery (the `alerts` job): delivers the alerts a live or manual re-check queued for
//! each new `block` finding on a running campaign (`finding.blocked`), those a survey answer
//! queued for a detractor of a campaign that broke a promise (`survey.detractor`), those the
//! watch queued about a scheduled campaign (`campaign.blocked_scheduled`,
//! `campaign.unscheduled`) and those the complaint guard queued when it paused survey mail
//! (`surveys.paused`) — an email to each `[alerts] emails` address, a Standard-Webhooks-signed
//! POST to `[alerts] webhook_url`, a Slack message to `slack_webhook_url` (`posts.rs`) — and
//! the survey responses an answer queued for `[[surveys.webhooks]]` (`survey_response.created`,
//! `.updated`, `survey.unsubscribed`, signed with each destination's key),
//! retrying on `[alerts] retry_schedule_s`. Each alert is claimed (committed) before it is
//! sent, and the alerts table's unique keys mean nothing is ever alerted twice to one
//! destination.
mod posts;

pub use posts::Signers;

use crate::domain::Severity;
use crate::domain::alert::{
    AlertCampaign, BlockedAlert, DetractorAlert, PausedAlert, ScheduledAlert,
};
use crate::domain::slack::{self, SlackMessage};

use crate::domain::{AlertChannel, RetrySchedule, SendError, SendOutcome};
use crate::email::{self, Mailer};
use crate::services::outbox::{self, Outbox};
use crate::store::{AlertAbout, ClaimedAlert, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::Mailbox;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

super::store_concerns! {
    /// The store's concerns alert delivery uses: the alerts themselves, and what an alert is
    /// about (the campaign and its checks, the finding, the invitation answered, the action).
    AlertStores {
        alerts: AlertStore,
        checks: CheckStore,
        findings: FindingStore,
        invitations: InvitationStore,
        watch: WatchStore,
        complaints: ComplaintStore,
        responses: ResponseStore,
    }
}

pub struct Alerts {
    pub store: AlertStores,
    pub mailer: Arc<dyn Mailer>,
    pub http: reqwest::Client,
    pub from: Mailbox,
    /// What alerts and survey responses are signed with, and the Slack webhook's URL (a
    /// secret: never logged, not even in an error), replaced whole on `SIGHUP`.
    pub signers: std::sync::RwLock<Arc<Signers>>,
    pub retry: RetrySchedule,
    /// For the link to the campaign's page.
    pub public_base_url: String,
    /// `[surveys] complaint_window_days`, which a `surveys.paused` alert names.
    pub complaint_window_days: u32,
    /// Alerts delivered and given up on.
    pub metrics: crate::metrics::Metrics,
}

impl Alerts {
    /// One delivery run: settles what an earlier run left mid-send, then delivers everything
    /// due, one at a time (alerts are few); a summary line for the log.
    pub async fn run(self: &Arc<Self>, stop: &CancellationToken) -> anyhow::Result<String> {
        let run = uuid::Uuid::new_v4().to_string();
        let report = outbox::deliver(self.clone(), &run, 1, stop).await?;
        Ok(format!("alerts: {report}"))
    }
}

#[async_trait]
impl Outbox for Alerts {
    type Item = ClaimedAlert;
    const WHAT: &'static str = "alert";

    fn id(item: &ClaimedAlert) -> &str {
        &item.id
    }

    async fn abandon(&self, run: &str) -> Result<u64, StoreError> {
        self.store.alerts.abandon_unfinished_alerts(run).await
    }

    async fn finish_and_claim(
        &self,
        run: &str,
        finished: &[(String, SendOutcome)],
        wanted: u32,
    ) -> Result<Vec<ClaimedAlert>, StoreError> {
        for (id, outcome) in finished {
            self.store
                .alerts
                .finish_alert(id, outcome, Utc::now())
                .await?;
        }
        let mut claimed = Vec::new();
        while claimed.len() < wanted as usize
            && let Some(alert) = self.store.alerts.claim_alert(run, Utc::now()).await?
        {
            claimed.push(alert);
        }
        Ok(claimed)
    }

    async fn send(&self, alert: &ClaimedAlert) -> Result<(), SendError> {
        let campaign_id = match (&alert.about, &alert.campaign_id) {
            (AlertAbout::Pause(pause_id), _) => return self.send_pause(alert, pause_id).await,
            (AlertAbout::Response(response_id), _) => {
                return self.send_response(alert, response_id).await;
            }
            (_, Some(campaign_id)) => campaign_id.as_str(),
            (_, None) => {
                return Err(SendError::Permanent("the alert names no campaign".into()));
            }
        };
        let stored = self
            .store
            .checks
            .campaign(campaign_id)
            .await
            .map_err(store_error)?;
        let campaign = AlertCampaign {
            campaign_id,
            campaign_name: stored.as_ref().and_then(|c| c.name.as_deref()),
        };
        let url = format!(
            "{}/ui/campaigns/{}",
            self.public_base_url,
            url::form_urlencoded::byte_serialize(campaign_id.as_bytes()).collect::<String>()
        );
        match &alert.about {
            AlertAbout::Finding(finding_id) => {
                self.send_finding(alert, finding_id, campaign, &url).await
            }
            AlertAbout::Answer(invitation_id) => {
                self.send_answer(alert, invitation_id, campaign, &url).await
            }
            AlertAbout::Action(action_id) => {
                self.send_action(alert, action_id, campaign, &url).await
            }
            AlertAbout::Pause(pause_id) => self.send_pause(alert, pause_id).await,
            AlertAbout::Response(response_id) => self.send_response(alert, response_id).await,
        }
    }

    fn outcome(&self, alert: &ClaimedAlert, result: Result<(), SendError>) -> SendOutcome {
        let outcome = self.retry.outcome(alert.attempts, result, Utc::now());
        let kind = [alert.about.kind()];
        match &outcome {
            SendOutcome::Sent => self
                .metrics
                .ops
                .alerts_delivered
                .with_label_values(&kind)
                .inc(),
            SendOutcome::Failed { .. } => self
                .metrics
                .ops
                .alerts_failed
                .with_label_values(&kind)
                .inc(),
            SendOutcome::Retry { .. } => {}
        }
        outcome
    }
}

/// The store failing is worth trying again.
fn store_error(e: StoreError) -> SendError {
    SendError::Transient(e.to_string())
}

/// What the webhook receives (`type` and `data` as Standard Webhooks suggests).
#[derive(Debug, serde::Serialize)]
struct AlertPayload<D: serde::Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: DateTime<Utc>,
    data: D,
}

impl Alerts {
    /// `survey.detractor`: the answer as it stands now, and the promises the campaign broke.
    async fn send_answer(
        &self,
        alert: &ClaimedAlert,
        invitation_id: &str,
        campaign: AlertCampaign<'_>,
        url: &str,
    ) -> Result<(), SendError> {
        let invitation = self
            .store
            .invitations
            .invitation(invitation_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| SendError::Permanent("the invitation no longer exists".into()))?;
        let findings = self
            .broken_promises(campaign.campaign_id)
            .await
            .map_err(store_error)?;
        self.dispatch(
            alert,
            "survey.detractor",
            &DetractorAlert {
                campaign,
                recipient: &invitation.recipient,
                score: invitation.score,
                reason: invitation.reason.as_deref(),
                comment: invitation.comment.as_deref(),
                findings: &findings,
                url,
            },
            email::alerts::detractor,
            slack::detractor,
        )
        .await
    }

    /// `campaign.blocked_scheduled` / `campaign.unscheduled`: what was done about a scheduled
    /// campaign, and the block findings of the check that led to it.
    async fn send_action(
        &self,
        alert: &ClaimedAlert,
        action_id: &str,
        campaign: AlertCampaign<'_>,
        url: &str,
    ) -> Result<(), SendError> {
        let action = self
            .store
            .watch
            .action(action_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| SendError::Permanent("the action no longer exists".into()))?;
        let findings: Vec<crate::domain::Finding> = self
            .store
            .findings
            .findings(&action.check_id)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|f| f.finding)
            .filter(|f| f.severity == Severity::Block)
            .collect();
        let data = ScheduledAlert {
            campaign,
            platform: &action.platform,
            action: action.action.as_str(),
            send_time: action.send_time,
            check_id: &action.check_id,
            detail: action.detail.as_deref(),
            findings: &findings,
            url,
        };
        self.dispatch(
            alert,
            data.kind(),
            &data,
            email::alerts::scheduled,
            slack::scheduled,
        )
        .await
    }

    /// `surveys.paused`: the pause as it was opened.
    async fn send_pause(&self, alert: &ClaimedAlert, pause_id: &str) -> Result<(), SendError> {
        let pause = self
            .store
            .complaints
            .survey_pause_by_id(pause_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| SendError::Permanent("the pause no longer exists".into()))?;
        let url = format!("{}/v1/surveys/status", self.public_base_url);
        let data = PausedAlert {
            reason: &pause.reason,
            complaint_rate: pause.figures.rate(),
            complaints: pause.figures.complaints,
            sent: pause.figures.sent,
            window_days: self.complaint_window_days,
            paused_at: pause.paused_at,
            url: &url,
        };
        self.dispatch(
            alert,
            "surveys.paused",
            &data,
            email::alerts::paused,
            slack::paused,
        )
        .await
    }

    /// Sends one alert on its channel: the email `email` writes of `data`, a signed POST of
    /// `kind` with `data`, or the Slack message `slack` writes of it.
    async fn dispatch<D: serde::Serialize>(
        &self,
        alert: &ClaimedAlert,
        kind: &'static str,
        data: &D,
        email: fn(&Mailbox, &str, &D) -> Result<Message, String>,
        slack: fn(&D) -> SlackMessage,
    ) -> Result<(), SendError> {
        match alert.channel {
            AlertChannel::Email => {
                let message =
                    email(&self.from, &alert.target, data).map_err(SendError::Permanent)?;
                self.mailer.send(message).await
            }
            AlertChannel::Webhook => {
                let payload = AlertPayload {
                    kind,
                    timestamp: Utc::now(),
                    data,
                };
                self.post(alert, &payload).await
            }
            AlertChannel::Slack => self.post_to_slack(&slack(data)).await,
        }
    }

    /// The findings of the campaign's newest check that had any: the promises it broke.
    async fn broken_promises(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<crate::domain::Finding>, crate::store::StoreError> {
        for check in self.store.checks.checks(campaign_id).await? {
            let found = self.store.findings.findings(&check.id).await?;
            if !found.is_empty() {
                return Ok(found.into_iter().map(|f| f.finding).collect());
            }
        }
        Ok(Vec::new())
    }

    async fn send_finding(
        &self,
        alert: &ClaimedAlert,
        finding_id: &str,
        campaign: AlertCampaign<'_>,
        url: &str,
    ) -> Result<(), SendError> {
        let finding = self
            .store
            .findings
            .finding(finding_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| SendError::Permanent("the finding no longer exists".into()))?;
        self.dispatch(
            alert,
            "finding.blocked",
            &BlockedAlert {
                campaign,
                check_id: &finding.check_id,
                finding: &finding.stored.finding,
                url,
            },
            email::alerts::blocked,
            slack::blocked,
        )
        .await
    }
}
