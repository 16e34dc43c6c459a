//! `POST /v1/events/postmark`: Postmark's webhooks, one event a POST, told apart by
//! `RecordType`. Postmark signs nothing, so a token of `[events] tokens` (Basic in the
//! webhook's URL) admits it.
use super::{Body, DeliveredBy, Door, Keys, Received, Scheme, lossy, one_event, read, sort};
use crate::domain::event::EngagementEvent;
use crate::domain::providers::Parsed;
use crate::domain::providers::postmark::PostmarkEvent;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::engagement::Batch;
use actix_web::{HttpRequest, HttpResponse, web};
use async_trait::async_trait;

pub struct Postmark;

pub const DOOR: Postmark = Postmark;

const PATH: &str = "/v1/events/postmark";

/// Postmark's webhooks, one event a POST, told apart by `RecordType`.
#[utoipa::path(
    post,
    path = "/v1/events/postmark",
    request_body(content = Object, description = "A Postmark webhook body (Click, Bounce, SpamComplaint, SubscriptionChange, …)", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a duplicate, or quarantined", body = crate::store::EventsRecorded),
        (status = 401, description = "A token of [events] tokens is required (HTTP Basic in the webhook URL)", body = crate::http::error::Problem, content_type = "application/problem+json"),
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
    read::<PostmarkEvent>(body, "").and_then(|e| e.parse(""))
}

#[async_trait(?Send)]
impl Door for Postmark {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, _keys: &Keys) -> Scheme {
        Scheme::TokensOnly
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
