//! `POST /v1/events` (JSON array or NDJSON) and `POST /v1/events/sendgrid` (SendGrid's Event
//! Webhook), each admitted by `inbound::EventDoors`. The body is split into events as it
//! streams in (a signed one once its signature holds); every event is validated before anything
//! is stored, and all of a request's events are stored in one transaction — a bad event
//! anywhere means nothing from that request is kept.
use super::AppState;
use super::error::ApiError;
use super::inbound::{Admission, Credential};
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
        (status = 401, description = "A credential is configured and none was presented, or it is wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size or event-count limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid event, named by index and field", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn events(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let admission = state.event_doors.generic(&req)?;
    let (events, credential) =
        read_events::<EventInput>(&req, payload, &state, admission, |e, at| e.parse(at)).await?;
    let recorded = state
        .engagement
        .record(&events, credential.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(recorded))
}

/// SendGrid's Event Webhook.
#[utoipa::path(
    post,
    path = "/v1/events/sendgrid",
    request_body(content = Object, description = "SendGrid Event Webhook array; campaign in custom arg `campaign_id`", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored", body = EventsRecorded),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Bad, stale or missing signature (or token)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid event", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sendgrid(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let admission = state.event_doors.sendgrid(&req)?;
    let (events, credential) =
        read_events::<SendgridEventInput>(&req, payload, &state, admission, |e, at| e.parse(at))
            .await?;
    let recorded = state
        .engagement
        .record(&events, credential.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(recorded))
}

/// Reads a request's events. Admitted by a token (or a door's policy), the body is split into
/// events as it streams in; admitted only if signed, it is read whole and its signature checked
/// before anything in it is parsed.
async fn read_events<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
    admission: Admission<'_>,
    validate: impl Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
) -> Result<(Vec<EngagementEvent>, Credential), ApiError> {
    super::body::require_json_or_ndjson(req)?;
    let limit = state.config.max_events_body_bytes;
    let mut reader = EventReader::new(validate);
    match admission {
        Admission::Admitted(credential) => {
            super::body::refuse_declared_over(req, limit)?;
            let mut read = 0usize;
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
                read += chunk.len();
                if read > limit {
                    return Err(ApiError::TooLarge(limit));
                }
                reader.push(&chunk)?;
            }
            Ok((reader.finish()?, credential))
        }
        Admission::IfSigned(mut signed) => {
            let body = super::body::read_limited(req, payload, limit).await?;
            signed.update(&body);
            signed
                .finish()
                .map_err(|e| ApiError::Unauthorized(format!("signature: {e}")))?;
            reader.push(&body)?;
            Ok((reader.finish()?, Credential::Signed))
        }
    }
}

/// Splits a body into events as its bytes arrive, parsing and validating each one, so a bad
/// event is named by its index (`/17/recipient`) and no more than `MAX_EVENTS` are taken.
struct EventReader<T, V> {
    splitter: ElementSplitter,
    elements: Vec<Vec<u8>>,
    events: Vec<EngagementEvent>,
    validate: V,
    _input: std::marker::PhantomData<fn() -> T>,
}

impl<T, V> EventReader<T, V>
where
    T: DeserializeOwned,
    V: Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
{
    fn new(validate: V) -> Self {
        Self {
            splitter: ElementSplitter::new(MAX_EVENT_BYTES),
            elements: Vec::new(),
            events: Vec::new(),
            validate,
            _input: std::marker::PhantomData,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        self.splitter.push(bytes, &mut self.elements).map_err(|e| {
            let at = self.events.len() + self.elements.len();
            ApiError::MalformedJson(format!("event {at}: {e}"))
        })?;
        self.take()
    }

    fn take(&mut self) -> Result<(), ApiError> {
        take(&mut self.elements, &mut self.events, &self.validate)
    }

    fn finish(self) -> Result<Vec<EngagementEvent>, ApiError> {
        let Self {
            splitter,
            mut elements,
            mut events,
            validate,
            ..
        } = self;
        splitter
            .finish(&mut elements)
            .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        take(&mut elements, &mut events, &validate)?;
        Ok(events)
    }
}

/// Parses and validates the complete elements split off so far.
fn take<T: DeserializeOwned>(
    elements: &mut Vec<Vec<u8>>,
    events: &mut Vec<EngagementEvent>,
    validate: &impl Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
) -> Result<(), ApiError> {
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
}
