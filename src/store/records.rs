use crate::domain::{Campaign, Finding, Mode, Phase, Verdict};
use chrono::{DateTime, Utc};

/// A check about to be stored.
pub struct NewCheck<'a> {
    pub id: &'a str,
    pub campaign: &'a Campaign,
    pub phase: Phase,
    pub mode: Mode,
    pub verdict: Verdict,
    pub send_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    pub findings: &'a [Finding],
    /// The check's result as answered (JSON).
    pub result: &'a str,
    /// Where to alert about this check's new `block` findings (empty: no alerts).
    pub alert_to: &'a [AlertTarget],
}

/// The answer to keep under an idempotency key.
pub struct NewAnswer<'a> {
    pub key: &'a str,
    /// Hash of the request body: the same key with another body is refused, not replayed.
    pub request_hash: &'a str,
    pub status: u16,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub check_id: String,
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Stored,
    Replayed(StoredAnswer),
}

/// A finding as stored: `is_new` when the campaign's previous check did not have it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    pub finding: Finding,
    pub is_new: bool,
    pub review_state: ReviewState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    /// The campaign as last received (JSON).
    pub definition: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub latest_check_id: Option<String>,
    pub latest_verdict: Option<Verdict>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub id: String,
    pub campaign_id: String,
    pub phase: Phase,
    pub mode: Mode,
    pub verdict: Verdict,
    pub send_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    pub result: String,
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// What one events request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, utoipa::ToSchema)]
pub struct EventsRecorded {
    /// Events in the request.
    pub received: u64,
    /// Events stored now (the rest had been seen before).
    pub stored: u64,
    pub duplicates: u64,
    /// Addresses newly suppressed from surveys.
    pub suppressed: u64,
}

/// An invitation taken for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedInvitation {
    pub id: String,
    pub campaign_id: String,
    pub recipient: String,
    /// SMTP attempts including this one.
    pub attempts: u32,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    Sent,
    /// SMTP 4xx (or a dropped connection): try again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// SMTP 5xx, or retries used up.
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Unknown,
}

impl std::str::FromStr for InvitationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "unknown" => Self::Unknown,
            other => return Err(format!("unknown invitation status `{other}`")),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvitationRow {
    pub id: String,
    pub campaign_id: String,
    pub campaign_name: Option<String>,
    pub recipient: String,
    pub status: InvitationStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub score: Option<u8>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NpsComment {
    pub score: u8,
    pub comment: String,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NpsReport {
    /// Invitations emailed (sent, or possibly sent before a crash).
    pub invited: u64,
    pub summary: crate::domain::nps::NpsSummary,
    /// Newest first, at most 100.
    pub comments: Vec<NpsComment>,
}

/// Where a finding stands with the analysts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Open,
    Acknowledged,
    Overridden,
    Resolved,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Overridden => "overridden",
            Self::Resolved => "resolved",
        }
    }

    /// The state a later check's finding about the same thing starts in: an acknowledgement
    /// or override still stands; a resolved finding that comes back is open (and new) again.
    pub fn carried_over(self) -> Self {
        match self {
            Self::Acknowledged | Self::Overridden => self,
            Self::Open | Self::Resolved => Self::Open,
        }
    }
}

impl std::str::FromStr for ReviewState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "open" => Self::Open,
            "acknowledged" => Self::Acknowledged,
            "overridden" => Self::Overridden,
            "resolved" => Self::Resolved,
            other => return Err(format!("unknown review state `{other}`")),
        })
    }
}

/// What an analyst does to a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Acknowledge,
    Override,
    Resolve,
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Override => "override",
            Self::Resolve => "resolve",
        }
    }

    pub fn state(self) -> ReviewState {
        match self {
            Self::Acknowledge => ReviewState::Acknowledged,
            Self::Override => ReviewState::Overridden,
            Self::Resolve => ReviewState::Resolved,
        }
    }
}

impl std::str::FromStr for ReviewAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "acknowledge" => Self::Acknowledge,
            "override" => Self::Override,
            "resolve" => Self::Resolve,
            other => {
                return Err(format!(
                    "unknown action `{other}` (acknowledge, override or resolve)"
                ));
            }
        })
    }
}

/// One review, as kept.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewRow {
    pub id: String,
    pub finding_id: String,
    pub campaign_id: String,
    pub action: ReviewAction,
    pub note: Option<String>,
    pub reviewer: String,
    pub created_at: DateTime<Utc>,
}

/// A finding with everything an analyst sees next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRecord {
    pub check_id: String,
    pub campaign_id: String,
    pub fingerprint: String,
    pub stored: StoredFinding,
}

/// Which campaigns the analyst list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignFilter {
    /// The latest check's verdict.
    pub verdict: Option<Verdict>,
    pub review: Option<ReviewFilter>,
    /// The latest check's phase.
    pub phase: Option<Phase>,
    /// The offer window overlaps `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only campaigns after this one in the list's order (newest first).
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFilter {
    /// The latest check has at least one finding nobody has reviewed.
    Open,
    /// The latest check has findings and every one is reviewed.
    Reviewed,
}

/// A campaign as the analyst list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSummary {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub latest_check_id: Option<String>,
    pub latest_verdict: Option<Verdict>,
    pub latest_phase: Option<Phase>,
    pub latest_checked_at: Option<DateTime<Utc>>,
    /// Findings of the latest check, and how many of them are open.
    pub findings: u64,
    pub open_findings: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertChannel {
    Email,
    Webhook,
}

impl AlertChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }
}

impl std::str::FromStr for AlertChannel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Self::Email),
            "webhook" => Ok(Self::Webhook),
            other => Err(format!("unknown alert channel `{other}`")),
        }
    }
}

/// Where alerts about a check's new block findings go (queued with the check, in its
/// transaction, so a crash cannot store the finding and lose its alert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertTarget {
    pub channel: AlertChannel,
    /// An email address or a URL.
    pub target: String,
}

/// An alert taken for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedAlert {
    pub id: String,
    pub finding_id: String,
    pub campaign_id: String,
    pub channel: AlertChannel,
    pub target: String,
    /// Attempts including this one.
    pub attempts: u32,
}

/// Alerts reuse the invitations' life cycle: queued, sending, then sent, failed or unknown.
pub type AlertStatus = InvitationStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub finding_id: String,
    pub campaign_id: String,
    pub channel: AlertChannel,
    pub target: String,
    pub status: AlertStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// Survey answers of one campaign, and whether it broke a promise (any block or flag finding
/// in any of its checks, at send or while live).
pub type CampaignAnswers = crate::domain::insight::CampaignScores;
