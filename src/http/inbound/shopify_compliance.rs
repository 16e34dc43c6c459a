//! `POST /v1/compliance/shopify`: Shopify's mandatory compliance webhooks
//! (`customers/data_request`, `customers/redact`, `shop/redact`), verified over the raw body
//! with `[conversions.shopify] secret` like its orders, each carried out by
//! `services::compliance` and acknowledged with 200.
use super::{At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, Verified, header};
use crate::config::Config;
use crate::domain::compliance::{ComplianceInput, Topic};
use crate::domain::json::parse_json;
use crate::http::AppState;
use crate::http::body::require_json;
use crate::http::error::ApiError;
use actix_web::HttpResponse;
use async_trait::async_trait;

super::door! {
    /// One of Shopify's compliance webhooks.
    #[utoipa::path(
        post,
        path = "/v1/compliance/shopify",
        request_body(content = Object, description = "The topic's body as Shopify sends it; the topic in `X-Shopify-Topic`", content_type = "application/json"),
        responses(
            (status = 200, description = "Carried out (or a redelivery, acknowledged)", body = crate::services::compliance::ComplianceAnswer),
            (status = 400, description = "Malformed JSON or an unknown topic", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 401, description = "X-Shopify-Hmac-Sha256 missing or wrong", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No secret configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 415, description = "Not JSON", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 422, description = "A field of the body is wrong, named by its pointer", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    ShopifyCompliance
}

#[async_trait(?Send)]
impl Door for ShopifyCompliance {
    fn path(&self) -> &'static str {
        "/v1/compliance/shopify"
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::Secret {
            key: super::shopify_orders::KEY,
            configured: keys.shopify.is_some(),
        }
    }

    fn body_limit(&self, config: &Config) -> usize {
        config.max_body_bytes
    }

    /// Verified before anything else is read from the request.
    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        super::shopify_orders::verify_shopify(at.keys, at.req, body)
    }

    async fn take(&self, at: &At<'_>, body: Body, _by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        require_json(at.req)?;
        let topic: Topic = super::shopify_orders::shopify_topic(at.req)?;
        let input: ComplianceInput = parse_json(&body)?;
        // Shopify's delivery id; a delivery without one is carried out without deduplication.
        let delivery = header(at.req, "x-shopify-webhook-id")
            .or_else(|| header(at.req, "x-shopify-event-id"))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("undelivered-id:{}", uuid::Uuid::now_v7()));
        let answer = at.state.compliance.handle(&delivery, topic, &input).await?;
        Ok(Received::Answer(HttpResponse::Ok().json(answer)))
    }

    /// Compliance webhooks are carried out or refused, never quarantined.
    fn replay(&self, _state: &AppState, _payload: &[u8]) -> Replayed {
        None
    }
}
