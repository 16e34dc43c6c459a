//! `POST /v1/findings/{id}/review`: acknowledge, override (with a note) or resolve a finding;
//! `POST /v1/findings/review`: many findings with one decision, all or none.
use super::AppState;
use super::body::{read_limited, require_json};
use super::error::ApiError;
use crate::domain::Analyst;
use crate::domain::json::parse_json;
use crate::services::analyst::{BulkReviewAnswer, BulkReviewRequest, ReviewAnswer, ReviewRequest};
use actix_web::{HttpRequest, HttpResponse, web};

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
    let reviewer = analyst.reviewer("review findings")?;
    require_json(&req)?;
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let request: ReviewRequest = parse_json(&body)?;
    let command = request.command().map_err(ApiError::Invalid)?;
    let answer = state
        .analysts
        .review(&reviewer, &path.into_inner(), command)
        .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// Reviews up to 500 findings with one action and one note, all or none in one transaction.
/// Reviewers only.
#[utoipa::path(
    post,
    path = "/v1/findings/review",
    request_body = BulkReviewRequest,
    responses(
        (status = 201, body = BulkReviewAnswer),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not review", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown action, an override without a note, no ids or more than 500, an id listed twice, or an id that names no finding (at `/finding_ids/N`; nothing is reviewed)", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn review_many(
    analyst: Analyst,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("review findings")?;
    require_json(&req)?;
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let request: BulkReviewRequest = parse_json(&body)?;
    let command = request.command().map_err(ApiError::Invalid)?;
    let answer = state.analysts.review_many(&reviewer, command).await?;
    Ok(HttpResponse::Created().json(answer))
}
