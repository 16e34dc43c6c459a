//! `GET /v1/surveys/status` and `POST /v1/surveys/resume`: the complaint guard
//! (`services::surveys::guard`) as analysts see it, and a reviewer's resume.
use super::AppState;
use super::body::{read_limited, require_json};
use super::error::ApiError;
use crate::domain::json::parse_json;
use crate::domain::{Analyst, FieldError};
use crate::services::surveys::{GuardStatus, ResumeProblem};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

/// The longest note a resume keeps.
const MAX_NOTE: usize = 2000;

/// `POST /v1/surveys/resume`, as received.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeRequest {
    /// Why sending may go on (what drew the complaints, what was done): kept with the pause.
    pub note: String,
}

/// Whether survey and reminder mail is paused for its spam complaints, and the figures the
/// complaint guard weighs over its window.
#[utoipa::path(
    get,
    path = "/v1/surveys/status",
    responses(
        (status = 200, body = GuardStatus),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn status(
    _analyst: Analyst,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = state.surveys.guard_status(Utc::now()).await?;
    Ok(HttpResponse::Ok().json(status))
}

/// Resumes survey and reminder mail paused by the complaint guard, with a note kept with the
/// pause (who, when, why). Sending goes on at once; the guard counts afresh from now. Reviewers
/// only.
#[utoipa::path(
    post,
    path = "/v1/surveys/resume",
    request_body = ResumeRequest,
    responses(
        (status = 200, description = "Resumed: the guard's status now", body = GuardStatus),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not resume survey mail", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Survey mail is not paused", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No note, or one over 2000 characters (`/note`)", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn resume(
    analyst: Analyst,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("resume survey mail")?;
    require_json(&req)?;
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let request: ResumeRequest = parse_json(&body)?;
    let note = request.note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "/note",
            format!("must say why sending may go on, in 1 to {MAX_NOTE} characters"),
        )]));
    }
    let now = Utc::now();
    match state.surveys.resume(&reviewer, note, now).await {
        Ok(_) => {}
        Err(ResumeProblem::NotPaused) => {
            return Err(ApiError::Conflict("survey mail is not paused".into()));
        }
        Err(ResumeProblem::Store(e)) => return Err(e.into()),
    }
    let status = state.surveys.guard_status(now).await?;
    Ok(HttpResponse::Ok().json(status))
}
