//! `POST /v1/events/sendgrid`: SendGrid's Event Webhook, admitted by a token (Basic in the
//! webhook's URL) or SendGrid's signature (ECDSA over the timestamp and the body; several keys
//! while one is rotated). SendGrid retries a refused batch, so one odd event never holds back
//! the rest: it is quarantined.
use super::{
    Admission, At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, Verified, header,
    reader,
};
use crate::domain::FieldError;
use crate::domain::event::EngagementEvent;
use crate::domain::providers::sendgrid::SendgridEventInput;
use crate::http::AppState;
use crate::http::body::require_json_or_ndjson;
use crate::http::error::ApiError;
use crate::signatures::BodyVerifier;
use crate::signatures::sendgrid::{SIGNATURE_HEADER, SendgridVerifier, TIMESTAMP_HEADER};
use actix_web::HttpRequest;
use async_trait::async_trait;
use chrono::Utc;

const PATH: &str = "/v1/events/sendgrid";

super::door! {
    /// SendGrid's Event Webhook.
    #[utoipa::path(
        post,
        path = "/v1/events/sendgrid",
        request_body(content = Object, description = "SendGrid Event Webhook array; campaign in custom arg `campaign_id`", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored; events that could not be taken (and a signed body that does not parse) are quarantined and counted", body = crate::http::schema::EventsRecorded),
            (status = 401, description = "Bad, stale or missing signature (or token)", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size or event-count limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 415, description = "Neither JSON nor NDJSON", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Sendgrid
}

/// SendGrid's verification of a request, started from its headers.
fn signature<'k>(keys: &'k Keys, req: &HttpRequest) -> Result<SendgridVerifier<'k>, ApiError> {
    if keys.sendgrid.is_empty() || header(req, SIGNATURE_HEADER).is_none() {
        return Err(keys.refused("SendGrid's signature"));
    }
    SendgridVerifier::start(
        &keys.sendgrid,
        header(req, TIMESTAMP_HEADER),
        header(req, SIGNATURE_HEADER),
        Utc::now().timestamp(),
        keys.sendgrid_max_age_s,
    )
    .map_err(|e| ApiError::Unauthorized(format!("SendGrid signature: {e}")))
}

fn validate(input: SendgridEventInput, at: &str) -> Result<EngagementEvent, Vec<FieldError>> {
    input.parse(at)
}

#[async_trait(?Send)]
impl Door for Sendgrid {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::TokensOr {
            signature: "SendGrid's signature",
            configured: (!keys.sendgrid.is_empty())
                .then(|| format!("SendGrid signatures ({} key(s))", keys.sendgrid.len())),
        }
    }

    /// A token, or the signature's headers in order; then the content type.
    fn admit(&self, at: &At<'_>) -> Result<Admission, ApiError> {
        let admission = at.keys.admit(at.req, &self.scheme(at.keys))?;
        if let Admission::Verify = admission {
            signature(at.keys, at.req)?;
        }
        require_json_or_ndjson(at.req)?;
        Ok(admission)
    }

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let mut signed = Box::new(signature(at.keys, at.req)?);
        signed.update(body);
        signed
            .finish()
            .map_err(|e| ApiError::Unauthorized(format!("signature: {e}")))?;
        Ok(Verified::signed())
    }

    async fn take(&self, _at: &At<'_>, body: Body, by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        reader::split_whole(&body, true, validate, PATH, by).map(Received::Batch)
    }

    fn replay(&self, _state: &AppState, payload: &[u8]) -> Replayed {
        Some(reader::replay(payload, validate))
    }
}
