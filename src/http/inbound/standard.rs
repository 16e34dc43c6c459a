//! `POST /v1/events`: engagement events in promiseguard's own shape, a JSON array or NDJSON,
//! admitted by a token or a Standard Webhooks signature (`[events] signing_secret`). All or
//! nothing, unless `?partial=true`.
use super::reader;
use super::{
    Admission, At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, Verified, header,
};
use crate::domain::FieldError;
use crate::domain::event::{EngagementEvent, EventInput};
use crate::http::AppState;
use crate::http::body::require_json_or_ndjson;
use crate::http::error::ApiError;
use crate::signatures::BodyVerifier;
use actix_web::HttpRequest;
use async_trait::async_trait;
use chrono::Utc;

const PATH: &str = "/v1/events";

super::door! {
    /// Record engagement events (idempotent by event id).
    #[utoipa::path(
        post,
        path = "/v1/events",
        params(("partial" = Option<bool>, Query, description = "true: store the valid events and quarantine the rest (answered 200) instead of refusing the request")),
        request_body(content = Object, description = "A JSON array, or NDJSON, of `{id, type: sent|click|conversion, campaign_id, recipient, occurred_at, url, order_id}`", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored (events seen before are counted as duplicates)", body = crate::http::schema::EventsRecorded),
            (status = 400, description = "Malformed JSON, or a malformed parameter", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 401, description = "A credential is configured and none was presented, or it is wrong", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size or event-count limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 415, description = "Neither JSON nor NDJSON", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 422, description = "An invalid event, named by index and field", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Standard
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

/// The Standard Webhooks verification of a request, started from its headers.
fn signature(keys: &Keys, req: &HttpRequest) -> Result<Box<dyn BodyVerifier>, ApiError> {
    let key = keys
        .signing
        .as_ref()
        .ok_or_else(|| keys.refused("a Standard Webhooks signature"))?;
    if header(req, "webhook-signature").is_none() {
        return Err(keys.refused("a Standard Webhooks signature"));
    }
    key.start(
        header(req, "webhook-id"),
        header(req, "webhook-timestamp"),
        header(req, "webhook-signature"),
        Utc::now().timestamp(),
    )
    .map(|delivery| Box::new(delivery) as Box<dyn BodyVerifier>)
    .map_err(|e| ApiError::Unauthorized(format!("events signature: {e}")))
}

fn validate(input: EventInput, at: &str) -> Result<EngagementEvent, Vec<FieldError>> {
    input.parse(at)
}

#[async_trait(?Send)]
impl Door for Standard {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::TokensOr {
            signature: "a Standard Webhooks signature",
            configured: keys
                .signing
                .as_ref()
                .map(|_| "Standard Webhooks signatures".into()),
        }
    }

    /// A token, or the signature's headers in order; then the parameters and the content type.
    fn admit(&self, at: &At<'_>) -> Result<Admission, ApiError> {
        let admission = at.keys.admit(at.req, &self.scheme(at.keys))?;
        if let Admission::Verify = admission {
            signature(at.keys, at.req)?;
        }
        partial_asked(at.req)?;
        require_json_or_ndjson(at.req)?;
        Ok(admission)
    }

    /// Split as it streams in, unless partial (every element must be seen to set it aside).
    fn streams(&self, req: &HttpRequest) -> bool {
        partial_asked(req).is_ok_and(|partial| !partial)
    }

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let mut signed = signature(at.keys, at.req)?;
        signed.update(body);
        signed
            .finish()
            .map_err(|e| ApiError::Unauthorized(format!("signature: {e}")))?;
        Ok(Verified::signed())
    }

    async fn take(&self, at: &At<'_>, body: Body, by: &DeliveredBy) -> Result<Received, ApiError> {
        let batch = match body {
            Body::Stream(payload) => {
                reader::split_stream(payload, self.body_limit(&at.state.config), validate).await?
            }
            Body::Whole(body) => {
                reader::split_whole(&body, partial_asked(at.req)?, validate, PATH, by)?
            }
        };
        Ok(Received::Batch(batch))
    }

    fn replay(&self, _state: &AppState, payload: &[u8]) -> Replayed {
        Some(reader::replay(payload, validate))
    }
}
