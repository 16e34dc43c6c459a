//! The generic event doors' body reader (`POST /v1/events`, `POST /v1/events/sendgrid`): a
//! JSON array or NDJSON split into events as its bytes arrive, each parsed and validated, so a
//! bad event is named by its index (`/17/recipient`) and no more than `MAX_EVENTS` are taken.
//! All or nothing — a bad event anywhere means nothing from the request is kept — unless the
//! door reads in partial mode, where every element that does not parse or validate is set
//! aside for the quarantine (a body that does not split into elements at all, whole).
use super::{DeliveredBy, reason, set_aside_why};
use crate::domain::FieldError;
use crate::domain::event::EngagementEvent;
use crate::domain::json::parse_json_at;
use crate::http::error::ApiError;
use crate::http::json_stream::ElementSplitter;
use crate::services::engagement::Batch;
use crate::store::NewQuarantined;
use actix_web::web::Payload;
use futures::StreamExt;
use serde::de::DeserializeOwned;

/// Events accepted in one request.
pub const MAX_EVENTS: usize = 100_000;
/// Bytes of one event.
const MAX_EVENT_BYTES: usize = 64 * 1024;

/// An event's input type and how it becomes an event (`at`: its pointer).
pub type Validate<T> = fn(T, &str) -> Result<EngagementEvent, Vec<FieldError>>;

/// A body split as it streams in, all or nothing, under `limit` bytes.
pub async fn split_stream<T: DeserializeOwned>(
    mut payload: Payload,
    limit: usize,
    validate: Validate<T>,
) -> Result<Batch, ApiError> {
    let mut reader = EventReader::new(validate, false);
    let mut read = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        read += chunk.len();
        if read > limit {
            return Err(ApiError::TooLarge(limit));
        }
        reader.push(&chunk)?;
    }
    Ok(Batch {
        events: reader.finish()?.events,
        ..Batch::default()
    })
}

/// A body read whole, split: all or nothing, or (`partial`) every element that cannot be taken
/// set aside for the quarantine of `endpoint`.
pub fn split_whole<T: DeserializeOwned>(
    body: &[u8],
    partial: bool,
    validate: Validate<T>,
    endpoint: &str,
    by: &DeliveredBy,
) -> Result<Batch, ApiError> {
    let mut reader = EventReader::new(validate, partial);
    let set_aside = |payload: &[u8], reason: String, pointer: String| -> NewQuarantined {
        set_aside_why(
            endpoint,
            String::from_utf8_lossy(payload).into_owned(),
            reason,
            pointer,
            by,
        )
    };
    match reader.push(body).and_then(|()| reader.finish()) {
        Ok(Taken { events, rejected }) => Ok(Batch {
            events,
            quarantined: rejected
                .into_iter()
                .map(|r| set_aside(&r.element, r.reason, r.pointer))
                .collect(),
            ..Batch::default()
        }),
        // Too many events is the sender's to fix, not an odd event.
        Err(e @ ApiError::TooMany(_)) => Err(e),
        Err(ApiError::MalformedJson(reason)) if partial => Ok(Batch {
            quarantined: vec![set_aside(body, reason, String::new())],
            ..Batch::default()
        }),
        Err(e) => Err(e),
    }
}

/// The events of a quarantined payload (one event, or a whole body), all or nothing, so a
/// replay that is still wrong says where.
pub fn replay<T: DeserializeOwned>(
    payload: &[u8],
    validate: Validate<T>,
) -> Result<Vec<EngagementEvent>, ApiError> {
    // One event is replayed as a batch of one.
    let batch: Vec<u8> = if payload.trim_ascii_start().starts_with(b"{") {
        [b"[".as_slice(), payload, b"]"].concat()
    } else {
        payload.to_vec()
    };
    let mut reader = EventReader::new(validate, false);
    reader.push(&batch)?;
    Ok(reader.finish()?.events)
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
struct EventReader<T> {
    splitter: ElementSplitter,
    elements: Vec<Vec<u8>>,
    taken: Taken,
    /// Elements seen so far (taken or set aside): the next one's index.
    seen: usize,
    partial: bool,
    validate: Validate<T>,
}

impl<T: DeserializeOwned> EventReader<T> {
    fn new(validate: Validate<T>, partial: bool) -> Self {
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
                            reason(errors),
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
