//! Analyst API: campaigns. (So far: NPS per campaign.)
use super::AppState;
use super::auth::Analyst;
use super::error::ApiError;
use crate::store::NpsComment;
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// `GET /v1/campaigns/{id}/nps` (pinned shape).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignNps {
    pub campaign_id: String,
    /// Survey emails sent (including ones that may have gone out before a crash).
    pub invited: u64,
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// % promoters − % detractors, −100 to 100; null with no responses.
    pub nps: Option<f64>,
    /// Responses per score, 0 to 10.
    pub distribution: [u64; 11],
    /// Newest first, at most 100.
    pub comments: Vec<NpsComment>,
}

/// NPS of a campaign's survey respondents.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/nps",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = CampaignNps),
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
    let id = path.into_inner();
    if state.store.campaign(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no campaign `{id}`")));
    }
    let report = state.store.nps(&id).await?;
    let s = report.summary;
    Ok(HttpResponse::Ok().json(CampaignNps {
        campaign_id: id,
        invited: report.invited,
        responses: s.responses,
        promoters: s.promoters,
        passives: s.passives,
        detractors: s.detractors,
        nps: s.nps,
        distribution: s.distribution,
        comments: report.comments,
    }))
}
