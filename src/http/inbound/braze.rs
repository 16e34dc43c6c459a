//! `POST /v1/events/braze`: Braze Currents (the custom HTTP connector), `{"events": [...]}`.
//! Braze signs nothing; its connector sends a bearer token of `[events] tokens`. Unknown
//! event types are stored or ignored, never refused.
use super::{
    At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, lossy, one_event, read, sort,
};
use crate::domain::FieldError;
use crate::domain::providers::braze::{self, BrazeEvent};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::engagement::Batch;
use async_trait::async_trait;
use serde_json::Value;

const PATH: &str = "/v1/events/braze";

super::door! {
    /// Braze Currents (custom HTTP connector): `{"events": [...]}`.
    #[utoipa::path(
        post,
        path = "/v1/events/braze",
        request_body(content = Object, description = "A Currents batch `{\"events\": [...]}` (up to 100)", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored; unknown types are stored or ignored, never refused", body = crate::http::schema::EventsRecorded),
            (status = 401, description = "A bearer token of [events] tokens is required", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Braze
}

#[async_trait(?Send)]
impl Door for Braze {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, _keys: &Keys) -> Scheme {
        Scheme::TokensOnly
    }

    /// Each event of the batch on its own: stored, ignored or quarantined (a body that is no
    /// batch at all, whole).
    async fn take(&self, _at: &At<'_>, body: Body, by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        let mut batch = Batch::default();
        let whole: Result<Value, _> = serde_json::from_slice(&body);
        match whole.as_ref().ok().and_then(braze::batch) {
            Some(events) => {
                for (i, event) in events.iter().enumerate() {
                    let parsed = BrazeEvent::read(event).parse(&format!("/events/{i}"));
                    sort(&mut batch, parsed, PATH, event.to_string(), by);
                }
            }
            None => {
                let why = FieldError::new("", "expected a Currents batch {\"events\": [...]}");
                batch
                    .quarantined
                    .push(super::set_aside(PATH, lossy(&body), &[why], by));
            }
        }
        Ok(Received::Batch(batch))
    }

    /// One quarantined event of a batch.
    fn replay(&self, _state: &AppState, payload: &[u8]) -> Replayed {
        Some(one_event(
            read::<Value>(payload, "").and_then(|e| BrazeEvent::read(&e).parse("")),
        ))
    }
}
