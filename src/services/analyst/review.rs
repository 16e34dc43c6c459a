//! Analysts' commands: review a finding (acknowledge, override with a note, resolve) and
//! re-check a campaign now. Both take a `Reviewer`, so the role is checked once, by the door
//! the command came through, before anything is read.
use super::Analysts;
use crate::check::CheckResult;
use crate::domain::review::Decision;
use crate::domain::{FieldError, Phase, ReviewAction, ReviewState, Reviewer};
use crate::services::ServiceError;
use crate::store::ReviewRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest note kept with a review.
pub const MAX_NOTE_CHARS: usize = 4000;

/// A review as the API's JSON body (and the pages' form) carries it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// acknowledge, override or resolve.
    pub action: String,
    /// Why; required for an override.
    #[serde(default)]
    pub note: Option<String>,
}

/// A review that may be recorded: a known action, and a note where one is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewCommand {
    pub action: ReviewAction,
    pub note: Option<String>,
}

impl ReviewRequest {
    /// The command this request asks for; every problem is named by its pointer.
    pub fn command(&self) -> Result<ReviewCommand, Vec<FieldError>> {
        let mut errors = Vec::new();
        let action = match self.action.parse::<ReviewAction>() {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(FieldError::new("/action", e));
                None
            }
        };
        let note = self
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            errors.push(FieldError::new(
                "/note",
                format!("must be at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        if action == Some(ReviewAction::Override) && note.is_none() {
            errors.push(FieldError::new(
                "/note",
                "an override needs a note saying why the promise may be made anyway",
            ));
        }
        match action {
            Some(action) if errors.is_empty() => Ok(ReviewCommand { action, note }),
            _ => Err(errors),
        }
    }
}

/// One review: who decided what about a finding, and when.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: String,
    pub finding_id: String,
    pub campaign_id: String,
    pub action: ReviewAction,
    pub note: Option<String>,
    pub reviewer: String,
    pub created_at: DateTime<Utc>,
}

impl From<ReviewRow> for Review {
    fn from(r: ReviewRow) -> Self {
        Self {
            id: r.id,
            finding_id: r.finding_id,
            campaign_id: r.campaign_id,
            action: r.action,
            note: r.note,
            reviewer: r.reviewer,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewAnswer {
    pub review: Review,
    /// The finding's state after this review.
    pub review_state: ReviewState,
}

impl Analysts {
    /// Records a review of a finding. Every review is kept, with who and when.
    pub async fn review(
        &self,
        reviewer: &Reviewer,
        finding_id: &str,
        command: ReviewCommand,
    ) -> Result<ReviewAnswer, ServiceError> {
        let review = self
            .store
            .reviews
            .review_finding(
                finding_id,
                Decision {
                    action: command.action,
                    note: command.note.as_deref(),
                    reviewer: reviewer.name(),
                },
                crate::clock::record_time(),
            )
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no finding `{finding_id}`")))?;
        tracing::info!(finding = %finding_id, campaign = %review.campaign_id, analyst = %reviewer.name(), action = command.action.as_str(), "finding reviewed");
        Ok(ReviewAnswer {
            review: review.into(),
            review_state: command.action.state(),
        })
    }

    /// Checks a campaign's offers that have not ended, now (phase `manual`), and records it.
    pub async fn recheck(
        &self,
        reviewer: &Reviewer,
        id: &str,
    ) -> Result<CheckResult, ServiceError> {
        let campaign = self.known_campaign(id).await?;
        if campaign.latest_check_id.is_none() {
            return Err(ServiceError::Conflict(format!(
                "campaign `{id}` is known only from engagement events: there are no offers to check"
            )));
        }
        let result = self
            .checks
            .recheck(&campaign, Phase::Manual, Utc::now())
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict(format!(
                    "every offer of campaign `{id}` has ended: there is nothing left to check"
                ))
            })?;
        tracing::info!(campaign = %id, analyst = %reviewer.name(), verdict = result.verdict.as_str(), "manual re-check");
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(action: &str, note: Option<&str>) -> Result<ReviewCommand, Vec<FieldError>> {
        ReviewRequest {
            action: action.into(),
            note: note.map(str::to_owned),
        }
        .command()
    }

    #[test]
    fn an_override_needs_a_note_and_every_problem_is_named() {
        assert_eq!(
            command("override", Some("  known: branch reopens on the 25th ")).unwrap(),
            ReviewCommand {
                action: ReviewAction::Override,
                note: Some("known: branch reopens on the 25th".into())
            }
        );
        assert_eq!(command("acknowledge", Some("   ")).unwrap().note, None);
        let errors = command("override", Some(" ")).unwrap_err();
        assert_eq!(errors[0].pointer, "/note");
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        let errors = command("approve", Some(&long)).unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/action", "/note"]);
    }
}
