//! HTTP: the handlers (one module per resource), their extractors, the OpenAPI description,
//! one error type, and the one place that lists the routes. A handler reads its request,
//! calls a service, and writes the answer; the state below holds services, not the store.
pub mod auth;
pub mod body;
pub mod campaigns;
pub mod compliance;
pub mod document;
pub mod error;
pub mod events;
pub mod findings;
pub mod inbound;
pub mod insights;
pub mod json_stream;
pub mod lookup;
pub mod observe;
pub mod ops;
pub mod pages;
pub mod presend;
pub mod providers;
pub mod quarantine;
pub mod recipients;
pub mod ui;

pub use observe::observe;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::services::analyst::Analysts;
use crate::services::checks::Checks;
use crate::services::compliance::Compliance;
use crate::services::engagement::Engagement;
use crate::services::health::Health;
use crate::services::surveys::Surveys;
use actix_web::{HttpResponse, web};
use std::sync::Arc;

pub struct AppState {
    pub config: Arc<Config>,
    pub metrics: Metrics,
    pub checks: Arc<Checks>,
    pub analysts: Arc<Analysts>,
    pub surveys: Arc<Surveys>,
    pub engagement: Arc<Engagement>,
    pub compliance: Arc<Compliance>,
    pub lookup: Arc<crate::lookup::Lookup>,
    pub health: Arc<Health>,
    /// Who may post events, and who may call the lookup.
    pub event_doors: inbound::EventDoors,
    pub lookup_door: inbound::LookupDoor,
    /// Shopify's webhooks (compliance, orders) and Segment's.
    pub shopify_door: inbound::SecretDoor,
    pub segment_door: inbound::SecretDoor,
    pub sns: Arc<crate::services::sns::Sns>,
    /// Signs the analyst pages' session cookies (kept in the database, shared by instances).
    pub session_key: Vec<u8>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/presend", web::post().to(presend::presend))
        .route("/v1/lookup", web::get().to(lookup::lookup))
        .route("/v1/events", web::post().to(events::events))
        .route("/v1/events/sendgrid", web::post().to(events::sendgrid))
        .route(providers::MAILGUN, web::post().to(providers::mailgun))
        .route(providers::POSTMARK, web::post().to(providers::postmark))
        .route(providers::CUSTOMERIO, web::post().to(providers::customerio))
        .route(providers::BRAZE, web::post().to(providers::braze))
        .route(providers::SES, web::post().to(providers::ses))
        .route(
            providers::SHOPIFY_ORDERS,
            web::post().to(providers::shopify_orders),
        )
        .route(providers::SEGMENT, web::post().to(providers::segment))
        .route("/v1/campaigns", web::get().to(campaigns::list))
        .route("/v1/campaigns/{id}", web::get().to(campaigns::detail))
        .route(
            "/v1/campaigns/{id}/recheck",
            web::post().to(campaigns::recheck),
        )
        .route("/v1/campaigns/{id}/nps", web::get().to(campaigns::nps))
        .route("/v1/findings/{id}/review", web::post().to(findings::review))
        .route(
            "/v1/recipients/{address}",
            web::get().to(recipients::access),
        )
        .route(
            "/v1/recipients/{address}",
            web::delete().to(recipients::erase),
        )
        .route("/v1/insights/promises", web::get().to(insights::promises))
        .route(
            "/v1/compliance/shopify",
            web::post().to(compliance::shopify),
        )
        .route(
            "/v1/compliance/requests",
            web::get().to(compliance::requests),
        )
        .route("/v1/quarantine", web::get().to(quarantine::list))
        .route(
            "/v1/quarantine/{id}/replay",
            web::post().to(quarantine::replay),
        )
        .route(
            "/v1/quarantine/{id}",
            web::delete().to(quarantine::drop_one),
        )
        .route("/s/{token}", web::get().to(pages::survey))
        .route("/s/{token}", web::post().to(pages::answer))
        .route("/u/{token}", web::get().to(pages::unsubscribe_page))
        .route("/u/{token}", web::post().to(pages::unsubscribe))
        .configure(ui::routes)
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/openapi.json", web::get().to(ops::openapi));
}

/// Unknown routes answer problem+json too.
pub async fn not_found() -> Result<HttpResponse, error::ApiError> {
    Err(error::ApiError::NotFound("no such resource".into()))
}
