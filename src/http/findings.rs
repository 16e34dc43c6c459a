//! `POST /v1/findings/{id}/review`: acknowledge, override (with a note) or resolve a finding.
use super::AppState;
use super::auth::Analyst;
use super::body::{parse_json, read_limited, require_json};
use super::error::ApiError;
use crate::domain::FieldError;
use crate::store::{ReviewAction, ReviewRow, ReviewState};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

/// Longest note kept with a review.
pub const MAX_NOTE_CHARS: usize = 4000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// acknowledge, override or resolve.
    pub action: String,
    /// Why; required for an override.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewAnswer {
    pub review: ReviewRow,
    /// The finding's state after this review.
    pub review_state: ReviewState,
}

/// Checks a review request; every problem is named by its pointer.
pub fn validate(request: &ReviewRequest) -> Result<(ReviewAction, Option<String>), ApiError> {
    let mut errors = Vec::new();
    let action = match request.action.parse::<ReviewAction>() {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(FieldError::new("/action", e));
            None
        }
    };
    let note = request
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
        Some(action) if errors.is_empty() => Ok((action, note)),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// Records a review by `analyst` (a reviewer).
pub async fn review_finding(
    state: &AppState,
    analyst: &Analyst,
    finding_id: &str,
    action: ReviewAction,
    note: Option<&str>,
) -> Result<ReviewAnswer, ApiError> {
    analyst.require_reviewer("review findings")?;
    let review = state
        .store
        .review_finding(
            finding_id,
            action,
            note,
            &analyst.name,
            crate::clock::record_time(),
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no finding `{finding_id}`")))?;
    tracing::info!(finding = %finding_id, campaign = %review.campaign_id, analyst = %analyst.name, action = action.as_str(), "finding reviewed");
    Ok(ReviewAnswer {
        review,
        review_state: action.state(),
    })
}

/// Reviews a finding. Every review is kept, with who and when. Reviewers only.
#[utoipa::path(
    post,
    path = "/v1/findings/{id}/review",
    params(("id" = String, Path, description = "A finding's id")),
    request_body = ReviewRequest,
    responses(
        (status = 201, body = ReviewAnswer),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not review", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such finding", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown action, or an override without a note", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn review(
    analyst: Analyst,
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    analyst.require_reviewer("review findings")?;
    require_json(&req)?;
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let request: ReviewRequest = parse_json(&body)?;
    let (action, note) = validate(&request)?;
    let answer = review_finding(
        &state,
        &analyst,
        &path.into_inner(),
        action,
        note.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Created().json(answer))
}
