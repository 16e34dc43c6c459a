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
use crate::services::engagement::Batch;
use crate::store::{EventsRecorded, NewQuarantined};
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
    params(("partial" = Option<bool>, Query, description = "true: store the valid events and quarantine the rest (answered 200) instead of refusing the request")),
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
    let partial = partial_asked(&req)?;
    let read = read_events::<EventInput>(&req, payload, &state, admission, partial, |e, at| {
        e.parse(at)
    })
    .await?;
    record(&state, read).await
}

/// `?partial=true`: store every valid event and quarantine the rest, instead of refusing the
/// whole request for one bad event.
fn partial_asked(req: &HttpRequest) -> Result<bool, ApiError> {
    let mut partial = false;
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match (key.as_ref(), value.as_ref()) {
            ("partial", "true") => partial = true,
            ("partial", "false") => partial = false,
            ("partial", _) => {
                return Err(ApiError::BadParams(vec![FieldError::new(
                    "/partial",
                    "must be true or false",
                )]));
            }
            (other, _) => {
                return Err(ApiError::BadParams(vec![FieldError::new(
                    format!("/{other}"),
                    "unknown parameter: expected partial",
                )]));
            }
        }
    }
    Ok(partial)
}

async fn record(state: &AppState, read: ReadEvents) -> Result<HttpResponse, ApiError> {
    let batch = Batch {
        events: read.events,
        quarantined: read.quarantined,
        ..Batch::default()
    };
    let recorded = state
        .engagement
        .record_batch(&batch, read.credential.as_str())
        .await?;
    Ok(HttpResponse::Ok().json(recorded))
}

/// SendGrid's Event Webhook.
#[utoipa::path(
    post,
    path = "/v1/events/sendgrid",
    request_body(content = Object, description = "SendGrid Event Webhook array; campaign in custom arg `campaign_id`", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored; events that could not be taken (and a signed body that does not parse) are quarantined and counted", body = EventsRecorded),
        (status = 401, description = "Bad, stale or missing signature (or token)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No credential is configured and the caller may not come in without one", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size or event-count limit", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sendgrid(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let admission = state.event_doors.sendgrid(&req)?;
    // SendGrid retries a refused batch: one odd event must not hold back the rest.
    let read =
        read_events::<SendgridEventInput>(&req, payload, &state, admission, true, |e, at| {
            e.parse(at)
        })
        .await?;
    record(&state, read).await
}

/// A request's events, and what could not be taken (in partial mode).
struct ReadEvents {
    events: Vec<EngagementEvent>,
    quarantined: Vec<NewQuarantined>,
    credential: Credential,
}

/// Reads a request's events. All or nothing (`partial` false), admitted by a token (or a
/// door's policy), the body is split into events as it streams in; admitted only if signed, it
/// is read whole and its signature checked before anything in it is parsed. In partial mode
/// (the provider endpoints, or `?partial=true`) the body is read whole and every element that
/// does not parse or validate is set aside for the quarantine — a body that does not split
/// into elements at all, whole — so the rest is stored.
async fn read_events<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
    admission: Admission<'_>,
    partial: bool,
    validate: impl Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
) -> Result<ReadEvents, ApiError> {
    super::body::require_json_or_ndjson(req)?;
    let limit = state.config.max_events_body_bytes;
    let mut reader = EventReader::new(validate, partial);
    let (body, credential) = match admission {
        Admission::Admitted(credential) if !partial => {
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
            let events = reader.finish()?.events;
            return Ok(ReadEvents {
                events,
                quarantined: Vec::new(),
                credential,
            });
        }
        Admission::Admitted(credential) => (
            super::body::read_limited(req, payload, limit).await?,
            credential,
        ),
        Admission::IfSigned(mut signed) => {
            let body = super::body::read_limited(req, payload, limit).await?;
            signed.update(&body);
            signed
                .finish()
                .map_err(|e| ApiError::Unauthorized(format!("signature: {e}")))?;
            (body, Credential::Signed)
        }
    };
    let endpoint = req.path().to_owned();
    let set_aside = |payload: &[u8], reason: String, pointer: String| NewQuarantined {
        endpoint: endpoint.clone(),
        payload: String::from_utf8_lossy(payload).into_owned(),
        reason,
        pointer,
        credential: credential.as_str().to_owned(),
    };
    let split = reader.push(&body).and_then(|()| reader.finish());
    match split {
        Ok(Taken { events, rejected }) => Ok(ReadEvents {
            events,
            quarantined: rejected
                .into_iter()
                .map(|r| set_aside(&r.element, r.reason, r.pointer))
                .collect(),
            credential: credential.clone(),
        }),
        // Too many events is the sender's to fix, not an odd event.
        Err(e @ ApiError::TooMany(_)) => Err(e),
        Err(ApiError::MalformedJson(reason)) if partial => Ok(ReadEvents {
            events: Vec::new(),
            quarantined: vec![set_aside(&body, reason, String::new())],
            credential: credential.clone(),
        }),
        Err(e) => Err(e),
    }
}

/// The events of a quarantined payload (one event, or a whole body), parsed as the endpoint
/// it came to parses them — all or nothing, so a replay that is still wrong says where.
pub(super) fn parse_quarantined(
    endpoint: &str,
    payload: &[u8],
) -> Result<Vec<EngagementEvent>, ApiError> {
    fn all<T: DeserializeOwned>(
        payload: &[u8],
        validate: impl Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
    ) -> Result<Vec<EngagementEvent>, ApiError> {
        let mut reader = EventReader::new(validate, false);
        reader.push(payload)?;
        Ok(reader.finish()?.events)
    }
    // One event is replayed as a batch of one.
    let trimmed = payload.trim_ascii_start();
    let batch: Vec<u8> = if trimmed.starts_with(b"{") {
        [b"[".as_slice(), payload, b"]"].concat()
    } else {
        payload.to_vec()
    };
    match endpoint {
        "/v1/events" => all::<EventInput>(&batch, |e, at| e.parse(at)),
        "/v1/events/sendgrid" => all::<SendgridEventInput>(&batch, |e, at| e.parse(at)),
        other => Err(ApiError::Conflict(format!(
            "events quarantined by {other} cannot be replayed by this version"
        ))),
    }
}

/// An element set aside in partial mode: its bytes, why, where.
struct Rejected {
    element: Vec<u8>,
    reason: String,
    pointer: String,
}

/// What a reader took: the events, and (in partial mode) the elements set aside.
struct Taken {
    events: Vec<EngagementEvent>,
    rejected: Vec<Rejected>,
}

/// Splits a body into events as its bytes arrive, parsing and validating each one, so a bad
/// event is named by its index (`/17/recipient`) and no more than `MAX_EVENTS` are taken.
struct EventReader<T, V> {
    splitter: ElementSplitter,
    elements: Vec<Vec<u8>>,
    taken: Taken,
    /// Elements seen so far (taken or set aside): the next one's index.
    seen: usize,
    partial: bool,
    validate: V,
    _input: std::marker::PhantomData<fn() -> T>,
}

impl<T, V> EventReader<T, V>
where
    T: DeserializeOwned,
    V: Fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>,
{
    fn new(validate: V, partial: bool) -> Self {
        Self {
            splitter: ElementSplitter::new(MAX_EVENT_BYTES),
            elements: Vec::new(),
            taken: Taken {
                events: Vec::new(),
                rejected: Vec::new(),
            },
            seen: 0,
            partial,
            validate,
            _input: std::marker::PhantomData,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        self.splitter.push(bytes, &mut self.elements).map_err(|e| {
            let at = self.seen + self.elements.len();
            ApiError::MalformedJson(format!("event {at}: {e}"))
        })?;
        self.take()
    }

    /// Parses and validates the complete elements split off so far.
    fn take(&mut self) -> Result<(), ApiError> {
        for element in std::mem::take(&mut self.elements) {
            let index = self.seen;
            self.seen += 1;
            if index >= MAX_EVENTS {
                return Err(ApiError::TooMany(format!(
                    "at most {MAX_EVENTS} events per request"
                )));
            }
            let at = format!("/{index}");
            let parsed = parse_json_at::<T>(&element, &at)
                .map_err(ApiError::from)
                .and_then(|input| (self.validate)(input, &at).map_err(ApiError::Invalid));
            match parsed {
                Ok(event) => self.taken.events.push(event),
                Err(e) if self.partial => {
                    let (reason, pointer) = match &e {
                        ApiError::Invalid(errors) => (
                            errors
                                .iter()
                                .map(|f| format!("{}: {}", f.pointer, f.detail))
                                .collect::<Vec<_>>()
                                .join("; "),
                            errors.first().map(|f| f.pointer.clone()).unwrap_or(at),
                        ),
                        other => (other.to_string(), at),
                    };
                    self.taken.rejected.push(Rejected {
                        element,
                        reason,
                        pointer,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Taken, ApiError> {
        let splitter = std::mem::replace(&mut self.splitter, ElementSplitter::new(0));
        splitter
            .finish(&mut self.elements)
            .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        self.take()?;
        Ok(self.taken)
    }
}
