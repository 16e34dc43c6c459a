//! `/healthz`, `/metrics`, `/openapi.json`.
use super::AppState;
use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "promiseguard",
        description = "Keeps marketing from making promises the business can't keep."
    ),
    paths(
        super::presend::presend,
        super::events::events,
        super::events::sendgrid,
        super::campaigns::nps,
        healthz,
        metrics
    ),
    components(schemas(super::error::Problem, crate::domain::FieldError))
)]
pub struct ApiDoc;

/// 200 when serving and the database answers; 503 otherwise.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Serving"), (status = 503, description = "The database does not answer")))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database does not answer");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "unavailable", "database": "not answering" }))
        }
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
