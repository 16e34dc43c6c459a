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
