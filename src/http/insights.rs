//! `GET /v1/insights/promises` (pinned): NPS of respondents whose campaign broke a promise next
//! to those whose campaign kept them.
use super::AppState;
use super::error::ApiError;
use crate::domain::insight::PromiseInsight;
use crate::domain::{Analyst, FieldError};
use actix_web::{HttpRequest, HttpResponse, web};

/// Broken against kept promises, in NPS: overall, or `?campaign_id=` for one campaign.
#[utoipa::path(
    get,
    path = "/v1/insights/promises",
    params(("campaign_id" = Option<String>, Query, description = "Narrow to one campaign")),
    responses(
        (status = 200, body = PromiseInsight),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn promises(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut campaign_id = None;
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "campaign_id" if !value.is_empty() => campaign_id = Some(value.into_owned()),
            "campaign_id" => {
                return Err(ApiError::BadParams(vec![FieldError::new(
                    "/campaign_id",
                    "must not be empty",
                )]));
            }
            other => {
                return Err(ApiError::BadParams(vec![FieldError::new(
                    format!("/{other}"),
                    "unknown parameter: expected campaign_id",
                )]));
            }
        }
    }
    Ok(HttpResponse::Ok().json(state.analysts.insight(campaign_id.as_deref()).await?))
}
