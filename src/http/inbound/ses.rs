//! `POST /v1/events/ses`: Amazon SES events through an SNS topic — the subscription handshake
//! and notifications. Verification is SNS's: the topic must be one of `[events.ses]
//! topic_arns`, and the signature must hold against SNS's certificate, fetched (only from SNS's
//! own host) and cached by `services::sns`.
use super::{At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, Verified, lossy};
use crate::domain::event::EngagementEvent;
use crate::domain::json::parse_json_at;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::engagement::Batch;
use crate::services::sns::SnsRefusal;
use crate::signatures::sns::SnsMessage;
use actix_web::HttpResponse;
use async_trait::async_trait;

const PATH: &str = "/v1/events/ses";

super::door! {
    /// Amazon SES events through an SNS topic: the subscription handshake and notifications.
    #[utoipa::path(
        post,
        path = "/v1/events/ses",
        request_body(content = Object, description = "An SNS message (SNS posts it as text/plain): SubscriptionConfirmation, or a Notification whose Message is an SES event", content_type = "text/plain"),
        responses(
            (status = 200, description = "Confirmed, stored, a duplicate or quarantined", body = crate::http::schema::EventsRecorded),
            (status = 400, description = "Not an SNS message", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 401, description = "The signature, the certificate or its URL is not SNS's", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No [events.ses] topic_arns, or the topic is not one of them", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 422, description = "JSON, but a field an SNS message must have is missing or wrong", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 503, description = "SNS's certificate or confirmation URL did not answer (SNS retries)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    Ses
}

fn events(message: &SnsMessage) -> Result<Vec<EngagementEvent>, Vec<crate::domain::FieldError>> {
    crate::domain::providers::ses::parse(&message.message_id, &message.message)
}

#[async_trait(?Send)]
impl Door for Ses {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::Sns {
            topics: keys.ses_topics,
        }
    }

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let message: SnsMessage = parse_json_at(body, "")?;
        at.state.sns.verify(&message).await.map_err(|e| match e {
            SnsRefusal::Topic(why) => ApiError::Forbidden(why),
            SnsRefusal::Untrusted(why) => ApiError::Unauthorized(format!("SNS signature: {why}")),
            SnsRefusal::Unavailable(why) => ApiError::Unavailable(why),
        })?;
        Ok(Verified::signed())
    }

    async fn take(&self, at: &At<'_>, body: Body, by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        let message: SnsMessage = parse_json_at(&body, "")?;
        let mut batch = Batch::default();
        match message.kind.as_str() {
            "SubscriptionConfirmation" => {
                at.state.sns.confirm(&message).await.map_err(|e| match e {
                    SnsRefusal::Untrusted(why) | SnsRefusal::Topic(why) => {
                        ApiError::Unauthorized(why)
                    }
                    SnsRefusal::Unavailable(why) => ApiError::Unavailable(why),
                })?;
                return Ok(Received::Answer(
                    HttpResponse::Ok().json(serde_json::json!({"confirmed": message.topic_arn})),
                ));
            }
            "Notification" => match events(&message) {
                Ok(events) if events.is_empty() => batch.ignored += 1,
                Ok(events) => batch.events = events,
                Err(errors) => {
                    batch
                        .quarantined
                        .push(super::set_aside(PATH, lossy(&body), &errors, by))
                }
            },
            // An unsubscribe confirmation: nothing to do, never fetched.
            _ => {
                tracing::info!(topic = %message.topic_arn, kind = %message.kind, "SNS message acknowledged");
            }
        }
        Ok(Received::Batch(batch))
    }

    /// The SNS message as it came.
    fn replay(&self, _state: &AppState, payload: &[u8]) -> Replayed {
        Some(
            super::read::<SnsMessage>(payload, "")
                .and_then(|m| events(&m))
                .map_err(ApiError::Invalid),
        )
    }
}
