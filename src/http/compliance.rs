//! `POST /v1/compliance/shopify`: Shopify's mandatory compliance webhooks (`customers/data_request`,
//! `customers/redact`, `shop/redact`), verified over the raw body and each acknowledged with
//! 200; `GET /v1/compliance/requests`: the recorded data requests, for reviewers.
use super::AppState;
use super::body::{read_limited, require_json};
use super::error::ApiError;
use crate::domain::Analyst;
use crate::domain::compliance::{ComplianceInput, Topic};
use crate::domain::json::parse_json;
use crate::services::compliance::ComplianceAnswer;
use crate::store::DataRequestRow;
use actix_web::{HttpRequest, HttpResponse, web};

/// One of Shopify's compliance webhooks.
#[utoipa::path(
    post,
    path = "/v1/compliance/shopify",
    request_body(content = Object, description = "The topic's body as Shopify sends it; the topic in `X-Shopify-Topic`", content_type = "application/json"),
    responses(
        (status = 200, description = "Carried out (or a redelivery, acknowledged)", body = ComplianceAnswer),
        (status = 400, description = "Malformed JSON or an unknown topic", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "X-Shopify-Hmac-Sha256 missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No secret configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field of the body is wrong, named by its pointer", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn shopify(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    // Verified before anything else is read from the request.
    state.shopify_door.admit(&req, &body)?;
    require_json(&req)?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let topic: Topic = header("x-shopify-topic")
        .ok_or_else(|| ApiError::BadRequest("X-Shopify-Topic is missing".into()))?
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("X-Shopify-Topic: {e}")))?;
    let input: ComplianceInput = parse_json(&body)?;
    // Shopify's delivery id; a delivery without one is carried out without deduplication.
    let delivery = header("x-shopify-webhook-id")
        .or_else(|| header("x-shopify-event-id"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("undelivered-id:{}", uuid::Uuid::now_v7()));
    let answer = state.compliance.handle(&delivery, topic, &input).await?;
    Ok(HttpResponse::Ok().json(answer))
}

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
        (status = 200, body = [DataRequestRow]),
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
    let (limit, offset) = super::quarantine::page(&req)?;
    Ok(HttpResponse::Ok().json(state.compliance.data_requests(limit, offset).await?))
}
