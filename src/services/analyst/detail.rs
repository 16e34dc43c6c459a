//! One campaign as analysts see it: the campaign as last received, its latest check with each
//! finding's review state and reviews, the history of checks, NPS, alerts and what the watch did.
use super::Analysts;
use super::nps::CampaignNps;
use super::review::Review;
use crate::check::{CheckResult, OfferResult};
use crate::domain::content::Extracted;
use crate::domain::{AlertChannel, Finding, Mode, Phase, ReviewState, Verdict};
use crate::services::ServiceError;
use crate::store::{ActionOutcome, ActionRow, AlertAbout, AlertRow, CheckRow, ReviewRow};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Checks listed in a campaign's history (newest first).
pub const HISTORY: usize = 100;

/// A finding with its review state and every review of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: Finding,
    /// The campaign's previous check did not have it (or an analyst had resolved it).
    pub is_new: bool,
    pub review_state: ReviewState,
    /// Reviews of this finding in any check of the campaign, newest first.
    pub reviews: Vec<Review>,
}

/// What a check is, in every view of it: its id, phase, mode and verdict.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckHead {
    pub check_id: String,
    #[schema(value_type = String)]
    pub phase: Phase,
    #[schema(value_type = String)]
    pub mode: Mode,
    #[schema(value_type = String)]
    pub verdict: Verdict,
}

impl From<&CheckRow> for CheckHead {
    fn from(c: &CheckRow) -> Self {
        Self {
            check_id: c.id.clone(),
            phase: c.phase,
            mode: c.mode,
            verdict: c.verdict,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckDetail {
    #[serde(flatten)]
    pub head: CheckHead,
    pub send_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    pub offers: Vec<OfferResult>,
    pub warnings: Vec<String>,
    pub findings: Vec<FindingView>,
    /// The promises read from the campaign's content, each with its offer and link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extracted: Vec<Extracted>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckSummary {
    #[serde(flatten)]
    pub head: CheckHead,
    pub checked_at: DateTime<Utc>,
    pub findings: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// The new block finding it is about (`finding.blocked`)…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding_id: Option<String>,
    /// …or the detractor's invitation (`survey.detractor`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    /// …or a survey response pushed to a `[[surveys.webhooks]]` destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    pub channel: AlertChannel,
    pub target: String,
    /// queued, sending, sent, failed or unknown.
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignDetail {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    pub created_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The campaign as last received: its offers, windows, locations and items.
    #[schema(value_type = Object)]
    pub campaign: serde_json::Value,
    /// Null for a campaign known only from engagement events.
    pub latest_check: Option<CheckDetail>,
    /// The last 100 checks, newest first.
    pub checks: Vec<CheckSummary>,
    pub nps: CampaignNps,
    pub alerts: Vec<AlertView>,
    /// What the watch did about the campaign where it is scheduled, oldest first.
    pub actions: Vec<ActionView>,
}

crate::services::mapped! {
    /// One thing the watch did about a scheduled campaign that would break a promise.
    #[derive(Debug, Serialize, utoipa::ToSchema)]
    pub struct ActionView from ActionRow {
        /// The platform's kind: klaviyo, mailchimp or braze.
        pub platform: String,
        /// `unscheduled`, `alerted`, `failed` (the platform's answer in `detail`), or `pending`
        /// while the platform is being asked.
        pub action: ActionOutcome,
        pub at: DateTime<Utc>,
        /// The send time it was scheduled for when acted on.
        pub send_time: DateTime<Utc>,
        pub check_id: String,
        pub detail: Option<String>,
    }
}

fn stored_result(raw: &str) -> Result<CheckResult, ServiceError> {
    serde_json::from_str(raw).map_err(|e| {
        ServiceError::Internal(anyhow::anyhow!("stored check result is unreadable: {e}"))
    })
}

impl Analysts {
    /// Everything about one campaign; `NotFound` when there is no such campaign.
    pub async fn campaign(&self, id: &str) -> Result<CampaignDetail, ServiceError> {
        let campaign = self.known_campaign(id).await?;
        let checks = self.store.checks.checks(id).await?;
        let reviews = self.store.reviews.reviews(id).await?;
        let latest_check = match checks.first() {
            None => None,
            Some(check) => Some(self.latest_check(check, &reviews).await?),
        };
        let history = checks
            .iter()
            .take(HISTORY)
            .map(|c| {
                Ok(CheckSummary {
                    head: c.into(),
                    checked_at: c.checked_at,
                    findings: stored_result(&c.result)?.findings.len() as u64,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        let alerts = self
            .store
            .alerts
            .alerts(id)
            .await?
            .into_iter()
            .map(AlertView::from)
            .collect();
        let definition = campaign
            .campaign()
            .and_then(serde_json::to_value)
            .map_err(|e| {
                ServiceError::Internal(anyhow::anyhow!("stored campaign is unreadable: {e}"))
            })?;
        Ok(CampaignDetail {
            id: campaign.id.clone(),
            name: campaign.name,
            platform: campaign.platform,
            created_at: campaign.created_at,
            valid_from: campaign.window_start,
            valid_until: campaign.window_end,
            campaign: definition,
            latest_check,
            checks: history,
            nps: self.campaign_nps(&campaign.id).await?,
            alerts,
            actions: self
                .store
                .watch
                .actions(id)
                .await?
                .into_iter()
                .map(ActionView::from)
                .collect(),
        })
    }

    /// The newest check with its findings, each with its reviews (`reviews`: the campaign's,
    /// by the finding's fingerprint).
    async fn latest_check(
        &self,
        check: &CheckRow,
        reviews: &[(String, ReviewRow)],
    ) -> Result<CheckDetail, ServiceError> {
        let result = stored_result(&check.result)?;
        let findings = self
            .store
            .findings
            .findings(&check.id)
            .await?
            .into_iter()
            .map(|stored| {
                let fingerprint = stored.finding.fingerprint();
                FindingView {
                    reviews: reviews
                        .iter()
                        .filter(|(f, _)| *f == fingerprint)
                        .map(|(_, r)| Review::from(r.clone()))
                        .collect(),
                    finding: stored.finding,
                    is_new: stored.is_new,
                    review_state: stored.review_state,
                }
            })
            .collect();
        Ok(CheckDetail {
            head: check.into(),
            send_at: check.send_at,
            checked_at: check.checked_at,
            offers: result.offers,
            warnings: result.warnings,
            findings,
            extracted: result.extracted,
        })
    }
}

impl From<AlertRow> for AlertView {
    fn from(a: AlertRow) -> Self {
        let mut view = Self {
            finding_id: None,
            invitation_id: None,
            action_id: None,
            response_id: None,
            channel: a.channel,
            target: a.target,
            status: a.status.as_str().to_owned(),
            attempts: a.attempts,
            last_error: a.last_error,
        };
        match a.about {
            AlertAbout::Finding(f) => view.finding_id = Some(f),
            AlertAbout::Answer(i) => view.invitation_id = Some(i),
            AlertAbout::Action(x) => view.action_id = Some(x),
            AlertAbout::Response(r) => view.response_id = Some(r),
            // A pause is about no campaign: never among a campaign's alerts.
            AlertAbout::Pause(_) => {}
        }
        view
    }
}
