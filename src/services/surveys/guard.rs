//! The complaint guard (`domain::complaint`): before survey or reminder mail goes out, the
//! spam complaints counted against it over the rolling window are weighed against the mail
//! sent; above the limit, sending pauses for every instance (one pause in the database, its
//! `surveys.paused` alert queued with it) until a reviewer resumes it. The window restarts at a
//! resume, so sending goes on after it even though the old rate has not fallen yet.
use super::Surveys;
use crate::domain::Reviewer;
use crate::domain::complaint::ComplaintFigures;
use crate::store::{NewPause, PauseState, StoreError, SurveyPause};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// `GET /v1/surveys/status`: whether survey mail is paused, and the figures the guard weighs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GuardStatus {
    pub paused: bool,
    /// Why it is paused (none while sending).
    pub reason: Option<String>,
    /// Complaints over survey emails sent, counted since `counted_since`.
    pub complaint_rate: f64,
    pub sent: u64,
    pub complaints: u64,
    /// `[surveys] complaint_window_days`.
    pub window_days: u32,
    /// Where the count starts: the window's start, or the last resume if later.
    pub counted_since: DateTime<Utc>,
    /// `[surveys] pause_complaint_rate`.
    pub pause_complaint_rate: f64,
    /// `[surveys] complaint_min_sent`.
    pub complaint_min_sent: u64,
    pub paused_at: Option<DateTime<Utc>>,
    /// The last resume: who, when and why.
    pub last_resume: Option<ResumeView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResumeView {
    pub at: DateTime<Utc>,
    pub by: String,
    pub note: String,
    /// Why the pause it ended was opened.
    pub paused_for: String,
}

/// Why a resume was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResumeProblem {
    #[error("survey mail is not paused")]
    NotPaused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Surveys {
    /// The window's start at `now`: `complaint_window_days` ago, or the last resume if later.
    fn counted_since(&self, state: &PauseState, now: DateTime<Utc>) -> DateTime<Utc> {
        let window = now - Duration::days(i64::from(self.surveys.complaint_window_days));
        let resumed = state
            .last_resumed
            .as_ref()
            .and_then(|p| p.resumed.as_ref())
            .map(|r| r.at);
        resumed.map_or(window, |r| r.max(window))
    }

    async fn figures(&self, since: DateTime<Utc>) -> Result<ComplaintFigures, StoreError> {
        Ok(ComplaintFigures {
            sent: self.store.invitations.mailed_since(since).await?,
            complaints: self.store.complaints.complaints_since(since).await?,
        })
    }

    /// Where the guard stands at `now` (read only: a pause is opened by the delivery run).
    pub async fn guard_status(&self, now: DateTime<Utc>) -> Result<GuardStatus, StoreError> {
        let state = self.store.complaints.survey_pause().await?;
        let since = self.counted_since(&state, now);
        let figures = self.figures(since).await?;
        self.set_gauge(state.open.is_some());
        Ok(GuardStatus {
            paused: state.open.is_some(),
            reason: state.open.as_ref().map(|p| p.reason.clone()),
            complaint_rate: figures.rate(),
            sent: figures.sent,
            complaints: figures.complaints,
            window_days: self.surveys.complaint_window_days,
            counted_since: since,
            pause_complaint_rate: self.surveys.pause_complaint_rate,
            complaint_min_sent: self.surveys.complaint_min_sent,
            paused_at: state.open.as_ref().map(|p| p.paused_at),
            last_resume: state.last_resumed.and_then(|p| {
                let r = p.resumed?;
                Some(ResumeView {
                    at: r.at,
                    by: r.by,
                    note: r.note,
                    paused_for: p.reason,
                })
            }),
        })
    }

    /// The reason of the pause in force, if any (for `/healthz`).
    pub async fn pause_state(&self) -> Result<Option<String>, StoreError> {
        let open = self.store.complaints.survey_pause().await?.open;
        self.set_gauge(open.is_some());
        Ok(open.map(|p| p.reason))
    }

    /// Whether survey and reminder mail must wait at `now`: a pause is in force, or the
    /// complaints over the window are above the limit — then a pause is opened (by one
    /// instance; its alert queued with it). Returns the pause's reason.
    pub(super) async fn paused_by_complaints(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let state = self.store.complaints.survey_pause().await?;
        if let Some(open) = state.open {
            self.set_gauge(true);
            return Ok(Some(open.reason));
        }
        let since = self.counted_since(&state, now);
        let figures = self.figures(since).await?;
        let limit = self.surveys.complaint_limit();
        if !figures.over(limit) {
            self.set_gauge(false);
            return Ok(None);
        }
        let reason = figures.reason(limit, self.surveys.complaint_window_days);
        let pause = NewPause {
            reason: reason.clone(),
            figures,
        };
        let opened = self
            .store
            .complaints
            .pause_surveys(&pause, &self.alert_to, now)
            .await?;
        if let Some(id) = opened {
            tracing::warn!(pause = %id, %reason, "survey mail paused by the complaint guard");
        }
        self.set_gauge(true);
        Ok(Some(reason))
    }

    /// A reviewer resumes survey mail, with a note kept with the pause (who, when, why).
    pub async fn resume(
        &self,
        reviewer: &Reviewer,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<SurveyPause, ResumeProblem> {
        let resumed = self
            .store
            .complaints
            .resume_surveys(reviewer.name(), note, now)
            .await?
            .ok_or(ResumeProblem::NotPaused)?;
        tracing::info!(
            pause = %resumed.id,
            reviewer = reviewer.name(),
            note,
            "survey mail resumed"
        );
        self.set_gauge(false);
        Ok(resumed)
    }

    fn set_gauge(&self, paused: bool) {
        self.metrics.surveys_paused.set(i64::from(paused));
    }
}
