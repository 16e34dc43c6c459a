//! HTTP: one module per resource, one error type, one place that lists the routes.
pub mod auth;
pub mod body;
pub mod campaigns;
pub mod error;
pub mod events;
pub mod findings;
pub mod insights;
pub mod json_stream;
pub mod lookup;
pub mod ops;
pub mod pages;
pub mod presend;
pub mod signature;
pub mod ui;

use crate::check::Checker;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::sync::Arc;
use std::time::Instant;

pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub checker: Checker,
    pub metrics: Metrics,
    /// The decoded `webhooks.signing_secret`; `None` when signatures are not required.
    pub signing_key: Option<Vec<u8>>,
    pub links: crate::email::SurveyLinks,
    pub surveys: Arc<crate::jobs::surveys::Surveys>,
    pub lookup: Arc<crate::lookup::Lookup>,
    /// Re-checks a stored campaign (the `recheck` job, and `POST /v1/campaigns/{id}/recheck`).
    pub recheck: Arc<crate::jobs::recheck::Recheck>,
    pub alerts: Arc<crate::jobs::alerts::Alerts>,
    /// Signs the analyst pages' session cookies (kept in the database, shared by instances).
    pub session_key: Vec<u8>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/presend", web::post().to(presend::presend))
        .route("/v1/lookup", web::get().to(lookup::lookup))
        .route("/v1/events", web::post().to(events::events))
        .route("/v1/events/sendgrid", web::post().to(events::sendgrid))
        .route("/v1/campaigns", web::get().to(campaigns::list))
        .route("/v1/campaigns/{id}", web::get().to(campaigns::detail))
        .route(
            "/v1/campaigns/{id}/recheck",
            web::post().to(campaigns::recheck),
        )
        .route("/v1/campaigns/{id}/nps", web::get().to(campaigns::nps))
        .route("/v1/findings/{id}/review", web::post().to(findings::review))
        .route("/v1/insights/promises", web::get().to(insights::promises))
        .route("/s/{token}", web::get().to(pages::survey))
        .route("/s/{token}", web::post().to(pages::answer))
        .route("/u/{token}", web::get().to(pages::unsubscribe_page))
        .route("/u/{token}", web::post().to(pages::unsubscribe))
        .configure(ui::routes)
        .route("/healthz", web::get().to(ops::healthz))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/openapi.json", web::get().to(ops::openapi));
}

/// Unknown routes answer problem+json too.
pub async fn not_found() -> Result<HttpResponse, error::ApiError> {
    Err(error::ApiError::NotFound("no such resource".into()))
}

/// Counts requests and their latency by route pattern (not by raw path, which would let a
/// client create unbounded label values).
pub async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        metrics
            .http_requests
            .with_label_values(&[route.as_str(), method.as_str(), res.status().as_str()])
            .inc();
        metrics
            .http_duration
            .with_label_values(&[route.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}
