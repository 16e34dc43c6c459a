//! Where alerts about new block findings on running campaigns go.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertChannel {
    Email,
    Webhook,
    /// A Slack incoming webhook (`[alerts] slack_webhook_url`, a secret: the alert row names
    /// the channel `slack`, never the URL).
    Slack,
}

impl AlertChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::Slack => "slack",
        }
    }
}

impl std::str::FromStr for AlertChannel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Self::Email),
            "webhook" => Ok(Self::Webhook),
            "slack" => Ok(Self::Slack),
            other => Err(format!("unknown alert channel `{other}`")),
        }
    }
}

/// One destination: queued with a check, in its transaction, so a crash cannot store the
/// finding and lose its alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertTarget {
    pub channel: AlertChannel,
    /// An email address or a URL.
    pub target: String,
}

/// Which campaign an alert is about: its id, and its name when it has one (flattened into
/// each alert's JSON as `campaign_id` and `campaign_name`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AlertCampaign<'a> {
    pub campaign_id: &'a str,
    pub campaign_name: Option<&'a str>,
}

impl AlertCampaign<'_> {
    /// What a person calls it: the name, else the id.
    pub fn title(&self) -> &str {
        self.campaign_name.unwrap_or(self.campaign_id)
    }
}

/// `finding.blocked`: a new block finding on a running campaign — what the alert's email and
/// its webhook say.
#[derive(Debug, Serialize)]
pub struct BlockedAlert<'a> {
    #[serde(flatten)]
    pub campaign: AlertCampaign<'a>,
    pub check_id: &'a str,
    pub finding: &'a crate::domain::Finding,
    /// The campaign's page.
    pub url: &'a str,
}

/// `survey.detractor`: who answered what, so CX can reach out, and the promises the campaign
/// broke.
#[derive(Debug, Serialize)]
pub struct DetractorAlert<'a> {
    #[serde(flatten)]
    pub campaign: AlertCampaign<'a>,
    pub recipient: &'a str,
    pub score: Option<u8>,
    pub reason: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub findings: &'a [crate::domain::Finding],
    pub url: &'a str,
}

/// `campaign.blocked_scheduled` (it would break a promise and stays scheduled, or taking it
/// off failed) and `campaign.unscheduled` (taken off the schedule): when it would have sent,
/// what is broken, what was done.
#[derive(Debug, Serialize)]
pub struct ScheduledAlert<'a> {
    #[serde(flatten)]
    pub campaign: AlertCampaign<'a>,
    /// The platform's kind (klaviyo, mailchimp, braze).
    pub platform: &'a str,
    /// `alerted`, `unscheduled` or `failed`.
    pub action: &'a str,
    pub send_time: chrono::DateTime<chrono::Utc>,
    pub check_id: &'a str,
    /// The platform's answer when taking it off failed.
    pub detail: Option<&'a str>,
    /// The check's block findings.
    pub findings: &'a [crate::domain::Finding],
    pub url: &'a str,
}

impl ScheduledAlert<'_> {
    /// The webhook's `type`.
    pub fn kind(&self) -> &'static str {
        if self.action == "unscheduled" {
            "campaign.unscheduled"
        } else {
            "campaign.blocked_scheduled"
        }
    }
}

/// `surveys.paused`: the complaint guard paused survey and reminder mail — why, on which
/// figures, and where a reviewer sees the status and resumes it.
#[derive(Debug, Serialize)]
pub struct PausedAlert<'a> {
    pub reason: &'a str,
    pub complaint_rate: f64,
    pub complaints: u64,
    pub sent: u64,
    pub window_days: u32,
    pub paused_at: chrono::DateTime<chrono::Utc>,
    /// `GET /v1/surveys/status`; `POST /v1/surveys/resume` resumes.
    pub url: &'a str,
}
