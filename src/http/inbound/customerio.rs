//! `POST /v1/events/customerio`: Customer.io's reporting webhooks, one event a POST, admitted
//! by a token or by `X-CIO-Signature` (HMAC over `v0:{timestamp}:{body}`). Never refused for
//! the timestamp's age: Customer.io retries for days, and a retry keeps its first timestamp.
use super::{At, Door, Keys, Scheme, Verified, header, read};
use crate::domain::providers::Parsed;
use crate::domain::providers::customerio::CustomerioEvent;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::signatures::customerio;
use async_trait::async_trait;

const PATH: &str = "/v1/events/customerio";

super::door! {
    /// Customer.io's reporting webhooks, one event a POST.
    #[utoipa::path(
        post,
        path = "/v1/events/customerio",
        request_body(content = Object, description = "A Customer.io reporting webhook body", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored, a duplicate, ignored (no address) or quarantined", body = crate::http::schema::EventsRecorded),
            (status = 401, description = "X-CIO-Signature missing or wrong (never for the timestamp's age)", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Customerio
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

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let keys = at.keys;
        let secret = keys
            .customerio
            .as_ref()
            .ok_or_else(|| keys.refused("Customer.io's X-CIO-Signature"))?;
        let (Some(timestamp), Some(signature)) = (
            header(at.req, customerio::TIMESTAMP_HEADER),
            header(at.req, customerio::SIGNATURE_HEADER),
        ) else {
            return Err(ApiError::Unauthorized(
                "X-CIO-Timestamp and X-CIO-Signature are required".into(),
            ));
        };
        secret
            .any(|key| customerio::verify(key, timestamp, body, signature))
            .map_err(ApiError::Unauthorized)?;
        Ok(Verified::signed())
    }

    fn one(&self, _state: &AppState, body: &[u8]) -> Option<Parsed> {
        Some(read::<CustomerioEvent>(body, "").and_then(|e| e.parse("")))
    }
}
