//! `POST /v1/events/customerio`: Customer.io's reporting webhooks, one event a POST, admitted
//! by a token or by `X-CIO-Signature` (HMAC over `v0:{timestamp}:{body}`). Never refused for
//! the timestamp's age: Customer.io retries for days, and a retry keeps its first timestamp.
use super::{
    Body, DeliveredBy, Door, Keys, Received, Scheme, Verified, header, lossy, one_event, read, sort,
};
use crate::domain::event::EngagementEvent;
use crate::domain::providers::Parsed;
use crate::domain::providers::customerio::CustomerioEvent;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::engagement::Batch;
use crate::signatures::customerio;
use actix_web::{HttpRequest, HttpResponse, web};
use async_trait::async_trait;

pub struct Customerio;

pub const DOOR: Customerio = Customerio;

const PATH: &str = "/v1/events/customerio";

/// Customer.io's reporting webhooks, one event a POST.
#[utoipa::path(
    post,
    path = "/v1/events/customerio",
    request_body(content = Object, description = "A Customer.io reporting webhook body", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, ignored (no address) or quarantined", body = crate::store::EventsRecorded),
        (status = 401, description = "X-CIO-Signature missing or wrong (never for the timestamp's age)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::receive(&DOOR, req, payload, state).await
}

fn parse(body: &[u8]) -> Parsed {
    read::<CustomerioEvent>(body, "").and_then(|e| e.parse(""))
}

#[async_trait(?Send)]
impl Door for Customerio {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::TokensOr {
            signature: "Customer.io's X-CIO-Signature",
            configured: keys
                .customerio
                .as_ref()
                .map(|_| "Customer.io signatures".into()),
        }
    }

    async fn verify(
        &self,
        _state: &AppState,
        keys: &Keys,
        req: &HttpRequest,
        body: &[u8],
    ) -> Result<Verified, ApiError> {
        let secret = keys
            .customerio
            .as_ref()
            .ok_or_else(|| keys.refused("Customer.io's X-CIO-Signature"))?;
        let (Some(timestamp), Some(signature)) = (
            header(req, customerio::TIMESTAMP_HEADER),
            header(req, customerio::SIGNATURE_HEADER),
        ) else {
            return Err(ApiError::Unauthorized(
                "X-CIO-Timestamp and X-CIO-Signature are required".into(),
            ));
        };
        customerio::verify(secret.expose().as_bytes(), timestamp, body, signature)
            .map_err(ApiError::Unauthorized)?;
        Ok(Verified::signed())
    }

    async fn take(
        &self,
        _state: &AppState,
        _req: &HttpRequest,
        body: Body,
        by: &DeliveredBy,
    ) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        let mut batch = Batch::default();
        sort(&mut batch, parse(&body), PATH, lossy(&body), by);
        Ok(Received::Batch(batch))
    }

    fn replay(
        &self,
        _state: &AppState,
        payload: &[u8],
    ) -> Option<Result<Vec<EngagementEvent>, ApiError>> {
        Some(one_event(parse(payload)))
    }
}
