//! `POST /v1/conversions/shopify`: Shopify's `orders/create` webhook, a conversion for the
//! order's customer, verified by `X-Shopify-Hmac-Sha256` over the raw body with
//! `[conversions.shopify] secret`. A quarantined order keeps the shop and delivery id that came
//! in headers, so a replay reads it as it came.
use super::{
    At, Body, DeliveredBy, Door, Keys, Received, Replayed, Scheme, Verified, header, lossy,
    one_event, read, sort,
};
use crate::config::{Config, Secrets};
use crate::domain::providers::Parsed;
use crate::domain::providers::orders::{ShopifyCampaigns, ShopifyOrder};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::engagement::Batch;
use crate::signatures::shopify;
use actix_web::HttpRequest;
use async_trait::async_trait;
use serde_json::Value;

const PATH: &str = "/v1/conversions/shopify";

/// The setting that holds the secret, named in refusals and in the log at start.
pub(super) const KEY: &str = "[conversions.shopify] secret";

super::door! {
    /// Shopify's `orders/create` webhook: a conversion for the order's customer.
    #[utoipa::path(
        post,
        path = "/v1/conversions/shopify",
        request_body(content = Object, description = "The order as Shopify sends it (topic orders/create)", content_type = "application/json"),
        responses(
            (status = 200, description = "Stored, a duplicate, ignored (no customer address) or quarantined", body = crate::http::schema::EventsRecorded),
            (status = 400, description = "X-Shopify-Shop-Domain is missing", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 401, description = "X-Shopify-Hmac-Sha256 missing or wrong", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 403, description = "No secret configured and the caller may not come in without one", body = crate::http::error::Problem, content_type = "application/problem+json"),
            (status = 413, description = "Over the size limit", body = crate::http::error::Problem, content_type = "application/problem+json"),
        )
    )]
    ShopifyOrders
}

/// What a quarantined Shopify order keeps besides the order: the shop and delivery id that
/// came in headers.
#[derive(serde::Serialize, serde::Deserialize)]
struct QuarantinedOrder {
    shop: String,
    delivery: Option<String>,
    order: Value,
}

fn parse(state: &AppState, shop: &str, delivery: Option<&str>, body: &[u8]) -> Parsed {
    let shopify = &state.config.conversions.shopify;
    let campaigns = ShopifyCampaigns {
        note_attribute: shopify.campaign_note_attribute.clone(),
        by_discount_code: shopify.discount_campaigns.clone(),
    };
    read::<ShopifyOrder>(body, "")?.parse(shop, delivery, &campaigns)
}

/// Shopify's signature over the raw body with `[conversions.shopify] secret`, shared by its
/// doors (orders, compliance).
pub(super) fn verify_shopify(
    keys: &Keys,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Verified, ApiError> {
    verify_shopify_with(keys.shopify.as_ref(), KEY, keys, req, body)
}

/// Shopify's signature over the raw body with `secret` (`key` names its setting).
pub(super) fn verify_shopify_with(
    secret: Option<&Secrets>,
    key: &str,
    keys: &Keys,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Verified, ApiError> {
    let by = keys.verify_secret(
        req,
        body,
        secret,
        key,
        shopify::HMAC_HEADER,
        shopify::verify,
    )?;
    Ok(Verified { by, claim: None })
}

/// The topic of a Shopify webhook (`X-Shopify-Topic`), one its door takes: a missing or
/// unknown topic is 400.
pub(super) fn shopify_topic<T: std::str::FromStr<Err = String>>(
    req: &HttpRequest,
) -> Result<T, ApiError> {
    header(req, "x-shopify-topic")
        .ok_or_else(|| ApiError::BadRequest("X-Shopify-Topic is missing".into()))?
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("X-Shopify-Topic: {e}")))
}

#[async_trait(?Send)]
impl Door for ShopifyOrders {
    fn path(&self) -> &'static str {
        PATH
    }

    fn scheme(&self, keys: &Keys) -> Scheme {
        Scheme::Secret {
            key: KEY,
            configured: keys.shopify.is_some(),
        }
    }

    fn body_limit(&self, config: &Config) -> usize {
        config.max_body_bytes
    }

    async fn verify(&self, at: &At<'_>, body: &[u8]) -> Result<Verified, ApiError> {
        verify_shopify(at.keys, at.req, body)
    }

    async fn take(&self, at: &At<'_>, body: Body, by: &DeliveredBy) -> Result<Received, ApiError> {
        let body = super::whole(body)?;
        let shop = header(at.req, "x-shopify-shop-domain")
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty() && d.len() <= 255)
            .ok_or_else(|| ApiError::BadRequest("X-Shopify-Shop-Domain is missing".into()))?;
        let delivery = header(at.req, "x-shopify-event-id")
            .or_else(|| header(at.req, "x-shopify-webhook-id"))
            .map(str::to_owned);
        let parsed = parse(at.state, &shop, delivery.as_deref(), &body);
        let kept = match serde_json::from_slice::<Value>(&body) {
            Ok(order) => serde_json::to_string(&QuarantinedOrder {
                shop,
                delivery,
                order,
            })
            .unwrap_or_else(|_| lossy(&body)),
            Err(_) => lossy(&body),
        };
        let mut batch = Batch::default();
        sort(&mut batch, parsed, PATH, kept, by);
        Ok(Received::Batch(batch))
    }

    /// The order with the shop and delivery id it came with.
    fn replay(&self, state: &AppState, payload: &[u8]) -> Replayed {
        Some(one_event(read::<QuarantinedOrder>(payload, "").and_then(
            |q| {
                let order = serde_json::to_vec(&q.order).unwrap_or_default();
                parse(state, &q.shop, q.delivery.as_deref(), &order)
            },
        )))
    }
}
