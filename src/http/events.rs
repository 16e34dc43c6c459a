//! `POST /v1/events` (JSON array or NDJSON) and `POST /v1/events/sendgrid` (SendGrid's Event
//! Webhook). The body is split into events as it streams in; every event is validated before
//! anything is stored, and all of a request's events are stored in one transaction — a bad
//! event anywhere means nothing from that request is kept.
use super::AppState;
use super::error::ApiError;
use super::json_stream::ElementSplitter;
use crate::domain::FieldError;
use crate::domain::event::{EngagementEvent, EventInput, SendgridEventInput};
use crate::domain::json::parse_json_at;
use crate::store::EventsRecorded;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;

/// Events accepted in one request.
pub const MAX_EVENTS: usize = 100_000;
/// Bytes of one event.
const MAX_EVENT_BYTES: usize = 64 * 1024;

/// Record engagement events (idempotent by event id).
#[utoipa::path(
    post,
    path = "/v1/events",
    request_body(content = Object, description = "A JSON array, or NDJSON, of `{id, type: sent|click|conversion, campaign_id, recipient, occurred_at, url, order_id}`", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (events seen before are counted as duplicates)", body = EventsRecorded),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size or event-count limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid event, named by index and field", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn events(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let events = read_events::<EventInput>(&req, payload, &state, |e, at| e.parse(at)).await?;
    Ok(HttpResponse::Ok().json(state.engagement.record(&events).await?))
}

/// SendGrid's Event Webhook.
#[utoipa::path(
    post,
    path = "/v1/events/sendgrid",
    request_body(content = Object, description = "SendGrid Event Webhook array; campaign in custom arg `campaign_id`", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored", body = EventsRecorded),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid event", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sendgrid(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let events =
        read_events::<SendgridEventInput>(&req, payload, &state, |e, at| e.parse(at)).await?;
    Ok(HttpResponse::Ok().json(state.engagement.record(&events).await?))
}

async fn read_events<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
    validate: impl Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
) -> Result<Vec<EngagementEvent>, ApiError> {
    super::body::require_json_or_ndjson(req)?;
    let limit = state.config.max_events_body_bytes;
    super::body::refuse_declared_over(req, limit)?;
    let mut splitter = ElementSplitter::new(MAX_EVENT_BYTES);
    let mut elements = Vec::new();
    let mut events = Vec::new();
    let mut read = 0usize;
    let take =
        |elements: &mut Vec<Vec<u8>>, events: &mut Vec<EngagementEvent>| -> Result<(), ApiError> {
            for element in elements.drain(..) {
                let index = events.len();
                if index >= MAX_EVENTS {
                    return Err(ApiError::TooMany(format!(
                        "at most {MAX_EVENTS} events per request"
                    )));
                }
                let at = format!("/{index}");
                let input: T = parse_json_at(&element, &at)?;
                events.push(validate(input, &at).map_err(ApiError::Invalid)?);
            }
            Ok(())
        };
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        read += chunk.len();
        if read > limit {
            return Err(ApiError::TooLarge(limit));
        }
        splitter.push(&chunk, &mut elements).map_err(|e| {
            ApiError::MalformedJson(format!("event {}: {e}", events.len() + elements.len()))
        })?;
        take(&mut elements, &mut events)?;
    }
    splitter
        .finish(&mut elements)
        .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    take(&mut elements, &mut events)?;
    Ok(events)
}
