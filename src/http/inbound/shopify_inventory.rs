//! `POST /v1/sources/shopify`: Shopify's `inventory_levels/update`, `locations/update` and
//! `locations/deactivate` webhooks for the `shopify-graphql` inventory source, verified by
//! `X-Shopify-Hmac-Sha256` over the raw body with `[sources.inventory] webhook_secret`, from the
//! configured shop only, deduplicated by `X-Shopify-Event-Id` (else `X-Shopify-Webhook-Id`), and
//! carried out by `services::changes`. A change is not an engagement event: it is applied or
//! refused, never quarantined.
use super::{At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, Verified, header};
use crate::config::{Config, SourceKind};
use crate::domain::pushed::{Pushed, Topic};
use crate::http::AppState;
use crate::http::body::require_json;
use crate::http::error::ApiError;
use crate::services::changes::Delivery;
use actix_web::HttpResponse;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The setting that holds the secret, named in refusals and in the log at start.
const KEY: &str = "[sources.inventory] webhook_secret";

super::door! {
    /// A change of stock or of a location, pushed by Shopify.
    #[utoipa::path(
        post,
        path = "/v1/sources/shopify",
        request_body(content = Object, description = "The topic's body as Shopify sends it (an inventory level, or a location); the topic in `X-Shopify-Topic`", content_type = "application/json"),
        responses(
            (status = 200, description = "Applied (its live campaigns re-checked when due), a duplicate, stale, or naming an item the shop has no SKU for", body = crate::services::changes::PushAnswer),
            (status = 400, description = "An unknown topic", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 401, description = "X-Shopify-Hmac-Sha256 missing or wrong", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "Another shop than the source's, or no secret configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 409, description = "The inventory source is not shopify-graphql", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 415, description = "Not JSON", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 422, description = "A field of the body is wrong, named by its pointer", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 503, description = "The shop could not say which SKU the item is (Shopify delivers it again)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    ShopifyInventory
}

#[async_trait(?Send)]
impl Door for ShopifyInventory {
    fn path(&self) -> &'static str {
        "/v1/sources/shopify"
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::Secret {
            key: KEY,
            configured: keys.shopify_inventory.is_some(),
        }
    }

    fn body_limit(&self, config: &Config) -> usize {
        config.max_body_bytes
    }

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        let secret = at.keys.shopify_inventory.as_ref();
        super::shopify_orders::verify_shopify_with(secret, KEY, at.keys, at.req, body)
    }

    async fn take(&self, at: &At<'_>, body: Body, _by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        require_json(at.req)?;
        let topic: Topic = super::shopify_orders::shopify_topic(at.req)?;
        let inventory = &at.state.config.sources.inventory;
        if inventory.kind != SourceKind::ShopifyGraphql {
            return Err(ApiError::Conflict(
                "[sources.inventory] is not kind shopify-graphql: there is no Shopify stock to change".into(),
            ));
        }
        if let Some(shop) = &inventory.shop {
            let ours = format!("{}.myshopify.com", shop.trim_end_matches(".myshopify.com"));
            let theirs = header(at.req, "x-shopify-shop-domain").unwrap_or_default();
            if !theirs.trim().eq_ignore_ascii_case(&ours) {
                return Err(ApiError::Forbidden(format!(
                    "this door takes changes of {ours} only (X-Shopify-Shop-Domain says {theirs:?})"
                )));
            }
        }
        let pushed = Pushed::read(topic, &body)?;
        // Shopify's delivery id; a delivery without one is taken without deduplication.
        let id = header(at.req, "x-shopify-event-id")
            .or_else(|| header(at.req, "x-shopify-webhook-id"))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("undelivered-id:{}", uuid::Uuid::now_v7()));
        let triggered_at = header(at.req, "x-shopify-triggered-at")
            .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|t| t.with_timezone(&Utc));
        let delivery = Delivery {
            id: &id,
            topic,
            triggered_at,
        };
        let answer = at
            .state
            .changes
            .receive(delivery, pushed, Utc::now())
            .await
            .map_err(|e| ApiError::Unavailable(format!("the change could not be taken: {e}")))?;
        Ok(Received::Answer(HttpResponse::Ok().json(answer)))
    }

    /// Without a Shopify GraphQL inventory source the door takes nothing (409), whatever guards it.
    fn describe(&self, keys: &Keys) -> Vec<(String, bool)> {
        if !keys.shopify_pushes {
            return vec![(
                format!(
                    "POST {}: not in use ([sources.inventory] is not shopify-graphql; every change is 409)",
                    self.path()
                ),
                true,
            )];
        }
        vec![keys.describe(self.path(), &self.scheme(keys))]
    }

    /// Changes are applied or refused, never quarantined.
    fn replay(&self, _state: &AppState, _payload: &[u8]) -> Replayed {
        None
    }
}
