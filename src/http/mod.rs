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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

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

/// Numbers the requests this process serves, for the `request` field of their log span.
static REQUESTS: AtomicU64 = AtomicU64::new(1);

/// A request's path as it may be logged: survey and unsubscribe links carry a signed token that
/// answers for a recipient, so their paths are logged as the route, without the token.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/s/") {
        "/s/{token}"
    } else if path.starts_with("/u/") {
        "/u/{token}"
    } else {
        path
    }
}

/// Wraps every request: a `debug` log span (`request` number, method, path) that every event
/// inside the request carries when debug logging is on; one event for a rejected (4xx, at
/// `info`) or failed (5xx, at `error`) request, naming its number, method, path, status and
/// error; and the request count and latency by route pattern (not by raw path, which would let a
/// client create unbounded label values). At the default `info` level the span is disabled and
/// costs next to nothing — the send-time lookup answers tens of thousands of requests a second,
/// and formatting a span for each of them cost it a fifth of its throughput (bench/README.md).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let request = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let span = tracing::debug_span!(
        "request",
        request,
        method = %method,
        path = loggable_path(req.path())
    );
    let res = next.call(req).instrument(span).await?;
    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        let error = res.response().error().map(|e| e.to_string());
        let error = error.as_deref().unwrap_or("");
        let path = loggable_path(res.request().path());
        let code = status.as_u16();
        if status.is_server_error() {
            tracing::error!(request, %method, path, status = code, error, "request failed");
        } else {
            tracing::info!(request, %method, path, status = code, error, "request rejected");
        }
    }
    if let Some(state) = state {
        let route = res.request().match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        let metrics = &state.metrics;
        metrics
            .http_requests
            .with_label_values(&[route, method.as_str(), status.as_str()])
            .inc();
        metrics
            .http_duration
            .with_label_values(&[route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn survey_and_unsubscribe_tokens_stay_out_of_the_logs() {
        assert_eq!(loggable_path("/s/abc.def"), "/s/{token}");
        assert_eq!(loggable_path("/u/abc.def"), "/u/{token}");
        assert_eq!(
            loggable_path("/v1/campaigns/spring/nps"),
            "/v1/campaigns/spring/nps"
        );
        assert_eq!(loggable_path("/ui/campaigns"), "/ui/campaigns");
    }
}
