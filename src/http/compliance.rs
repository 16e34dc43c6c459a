//! `GET /v1/compliance/requests`: the data requests Shopify's compliance webhooks delivered
//! (`inbound::shopify_compliance`), for reviewers.
use super::AppState;
use super::error::ApiError;
use super::schema::DataRequest;
use crate::domain::Analyst;
use actix_web::{HttpRequest, HttpResponse, web};

/// The customers' data requests Shopify delivered, newest first; each names where the
/// person's data is (`GET /v1/recipients/{address}`). Reviewers only: they name people.
#[utoipa::path(
    get,
    path = "/v1/compliance/requests",
    params(
        ("limit" = Option<u32>, Query, description = "1 to 500, default 50"),
        ("offset" = Option<u32>, Query, description = "Rows to skip, default 0"),
    ),
    responses(
        (status = 200, body = [DataRequest]),
        (status = 400, description = "A malformed parameter, named by its pointer", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not read data requests", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn requests(
    req: HttpRequest,
    analyst: Analyst,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    analyst.reviewer("read data requests")?;
    let (limit, offset) = super::request::page(&req)?;
    let requests = state.compliance.data_requests(limit, offset).await?;
    let requests: Vec<DataRequest> = requests.into_iter().map(DataRequest::from).collect();
    Ok(HttpResponse::Ok().json(requests))
}
