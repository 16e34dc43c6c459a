use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// When a check ran: before the send, while the offer is live, because an analyst asked, or
/// while the campaign waits on a platform's schedule (the `watch` job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    PreSend,
    Live,
    Manual,
    Scheduled,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreSend => "pre_send",
            Phase::Live => "live",
            Phase::Manual => "manual",
            Phase::Scheduled => "scheduled",
        }
    }
}

impl FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pre_send" => Ok(Phase::PreSend),
            "live" => Ok(Phase::Live),
            "manual" => Ok(Phase::Manual),
            "scheduled" => Ok(Phase::Scheduled),
            other => Err(format!("unknown phase `{other}`")),
        }
    }
}

/// `enforce` lets a block stop the send; `dry_run` reports the same verdict but always allows.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Enforce,
    DryRun,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::DryRun => "dry_run",
        }
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enforce" => Ok(Mode::Enforce),
            "dry_run" => Ok(Mode::DryRun),
            other => Err(format!(
                "unknown mode `{other}`: expected enforce or dry_run"
            )),
        }
    }
}
