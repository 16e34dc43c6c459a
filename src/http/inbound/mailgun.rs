//! `POST /v1/events/mailgun`: Mailgun's webhooks, `{signature: {timestamp, token, signature},
//! "event-data": {…}}`, one event a POST. Admitted by a token (Basic in the webhook's URL) or
//! by Mailgun's signature inside the body; a signature's token is used once — the storing
//! transaction claims it with the event, so a replayed delivery is refused.
use super::{At, DeliveredBy, Door, Keys, Scheme, Verified, field_errors, read};
use crate::domain::FieldError;
use crate::domain::json::from_value_at;
use crate::domain::providers::Parsed;
use crate::domain::providers::mailgun::MailgunEvent;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::signatures::mailgun::{self, MailgunSignature};
use crate::store::DeliveryToken;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

const PATH: &str = "/v1/events/mailgun";

super::door! {
    /// Mailgun's webhooks: `{signature: {timestamp, token, signature}, "event-data": {…}}`.
    #[utoipa::path(
        post,
        path = "/v1/events/mailgun",
        request_body(content = Object, description = "A Mailgun webhook body; campaign from the custom variable `campaign_id` (or a tag, per [events.mailgun])", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored, a duplicate, or quarantined", body = crate::http::schema::EventsRecorded),
            (status = 401, description = "Bad, stale or missing signature, a token used before by another event, or a wrong token", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No credential is configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Mailgun
}

/// The part of a body the signature is read from.
#[derive(Deserialize)]
struct Signed {
    signature: MailgunSignature,
}

/// `event-data` of a Mailgun body.
fn parse(mut body: Value, state: &AppState) -> Parsed {
    let data = body
        .get_mut("event-data")
        .map(Value::take)
        .ok_or_else(|| vec![FieldError::new("/event-data", "is required")])?;
    let event: MailgunEvent = from_value_at(data, "/event-data").map_err(field_errors)?;
    let from = state.config.events.mailgun.campaign_source();
    event.parse("/event-data", &from)
}

#[async_trait(?Send)]
impl Door for Mailgun {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::TokensOr {
            signature: "Mailgun's signature",
            configured: keys.mailgun.as_ref().map(|_| "Mailgun signatures".into()),
        }
    }

    /// Mailgun's signature in the body, fresh, its token claimed for the storing transaction
    /// (kept until the signature could no longer be fresh).
    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let keys = at.keys;
        let key = keys
            .mailgun
            .as_ref()
            .ok_or_else(|| keys.refused("Mailgun's signature"))?;
        let signature = serde_json::from_slice::<Signed>(body)
            .map_err(|_| {
                ApiError::Unauthorized(
                    "Mailgun's signature {timestamp, token, signature} is missing from the body"
                        .into(),
                )
            })?
            .signature;
        let now = Utc::now();
        let max_age_s = keys.mailgun_max_age_s;
        key.any(|k| mailgun::verify(k, &signature, now.timestamp(), max_age_s))
            .map_err(|e| ApiError::Unauthorized(format!("Mailgun signature: {e}")))?;
        let signed_at = signature
            .timestamp
            .trim()
            .parse::<i64>()
            .unwrap_or_default();
        let keep_until = DateTime::from_timestamp(signed_at, 0).unwrap_or(now)
            + chrono::Duration::seconds(max_age_s as i64);
        Ok(Verified {
            by: DeliveredBy::Signed,
            claim: Some(DeliveryToken {
                token: signature.token,
                keep_until,
            }),
        })
    }

    fn one(&self, state: &AppState, body: &[u8]) -> Option<Parsed> {
        Some(read::<Value>(body, "").and_then(|v| parse(v, state)))
    }
}
