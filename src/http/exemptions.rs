//! `POST /v1/exemptions`, `GET /v1/exemptions?state=`, `DELETE /v1/exemptions/{id}`: findings
//! accepted for a while (`domain::exemption`).
use super::AppState;
use super::body::{read_limited, require_json};
use super::error::ApiError;
use crate::domain::exemption::ExemptionRequest;
use crate::domain::json::parse_json;
use crate::domain::{Analyst, FieldError};
use crate::services::analyst::{ExemptionAnswer, ExemptionList};
use actix_web::{HttpRequest, HttpResponse, web};

/// Makes an exemption: while active, a finding its scope covers is reported carrying it and
/// counts toward no verdict. Reviewers only.
#[utoipa::path(
    post,
    path = "/v1/exemptions",
    request_body = ExemptionRequest,
    responses(
        (status = 201, body = ExemptionAnswer),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not make exemptions", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A scope naming no campaign, location or sku (`/scope`); an unknown category; no reason; `expires_at` missing, past, or too far ahead", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn create(
    analyst: Analyst,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("make exemptions")?;
    require_json(&req)?;
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let request: ExemptionRequest = parse_json(&body)?;
    let answer = state.analysts.create_exemption(&reviewer, request).await?;
    Ok(HttpResponse::Created().json(answer))
}

/// Every exemption (or those `active`, `expired` or `revoked`), those ending soonest first.
#[utoipa::path(
    get,
    path = "/v1/exemptions",
    params(("state" = Option<String>, Query, description = "active, expired or revoked")),
    responses(
        (status = 200, body = ExemptionList),
        (status = 400, description = "An unknown state or parameter", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn list(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut wanted = None;
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "state" => wanted = Some(value.into_owned()),
            other => {
                return Err(ApiError::BadParams(vec![FieldError::new(
                    format!("/{other}"),
                    "unknown parameter: state is the only one",
                )]));
            }
        }
    }
    let list = state.analysts.exemptions(wanted.as_deref()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Revokes an exemption: from the next check, what it covered counts toward the verdict
/// again. Revoking twice is harmless. Reviewers only.
#[utoipa::path(
    delete,
    path = "/v1/exemptions/{id}",
    params(("id" = String, Path, description = "An exemption's id")),
    responses(
        (status = 200, body = ExemptionAnswer),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not revoke exemptions", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such exemption", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn revoke(
    analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("revoke exemptions")?;
    let answer = state
        .analysts
        .revoke_exemption(&reviewer, &path.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
