//! Analyst API: the campaign list, a campaign's detail, a manual re-check, and NPS per
//! campaign (`services::analyst` answers them; the pages under `/ui/` render the same).
use super::AppState;
use super::error::ApiError;
use crate::check::CheckResult;
use crate::domain::Analyst;
use crate::services::analyst::parse_list_query;
use actix_web::{HttpRequest, HttpResponse, web};

/// The filters of `GET /v1/campaigns`, as `/openapi.json` shows them; the handler reads the
/// raw query (`parse_list_query`), so a bad value is named by its parameter.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only: never built
struct ListParams {
    /// Latest check's verdict: pass, flag or block
    verdict: Option<String>,
    /// open: the latest check has unreviewed findings; reviewed: it has findings, all reviewed
    review: Option<String>,
    /// Latest check's phase: pre_send, live, manual or scheduled
    phase: Option<String>,
    /// What the watch did about it last on its platform: unscheduled, alerted, failed or pending
    action: Option<String>,
    /// Offer window ends after this (date or RFC 3339)
    from: Option<String>,
    /// Offer window starts before this (date or RFC 3339)
    to: Option<String>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
    /// 1 to 200, default 50
    limit: Option<u32>,
}

/// Campaigns, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/campaigns",
    params(ListParams),
    responses(
        (status = 200, body = crate::services::analyst::CampaignPage),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn list(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = parse_list_query(req.query_string()).map_err(ApiError::BadParams)?;
    Ok(HttpResponse::Ok().json(state.analysts.list(&filter).await?))
}

/// A campaign: its latest check with findings and their reviews, the history of checks, NPS
/// and alerts.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = crate::services::analyst::CampaignDetail),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn detail(
    _analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.analysts.campaign(&path.into_inner()).await?))
}

/// Checks a campaign's offers that have not ended, now (phase `manual`). Reviewers only.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/recheck",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = CheckResult),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not re-check", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Every offer has ended, or the campaign has no offers", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn recheck(
    analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("re-check a campaign")?;
    let result = state
        .analysts
        .recheck(&reviewer, &path.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// NPS of a campaign's survey respondents.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/nps",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = crate::services::analyst::CampaignNps),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn nps(
    _analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.analysts.nps(&path.into_inner()).await?))
}
