//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
use super::AppState;
use crate::services::health::NotReady;
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
        super::lookup::lookup,
        super::campaigns::list,
        super::campaigns::detail,
        super::campaigns::recheck,
        super::campaigns::nps,
        super::export::export,
        super::findings::review,
        super::findings::review_many,
        super::exemptions::create,
        super::exemptions::list,
        super::exemptions::revoke,
        super::insights::promises,
        super::insights::locations,
        super::insights::items,
        super::recipients::access,
        super::recipients::erase,
        super::surveys::status,
        super::surveys::resume,
        super::compliance::requests,
        super::quarantine::list,
        super::quarantine::replay,
        super::quarantine::drop_one,
        super::pages::survey,
        super::pages::answer,
        super::pages::unsubscribe_page,
        super::pages::unsubscribe,
        healthz,
        readyz,
        metrics,
        openapi
    ),
    components(schemas(
        super::error::Problem,
        crate::domain::FieldError,
        crate::http::schema::EventsRecorded,
        crate::services::compliance::ComplianceAnswer,
        crate::services::changes::PushAnswer
    )),
    modifiers(&InboundDoors, &SecuritySchemes)
)]
pub struct ApiDoc;

/// Documents every inbound door of `inbound::DOORS` (their answers' schemas are listed above).
struct InboundDoors;

impl utoipa::Modify for InboundDoors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        super::inbound::document(&mut openapi.paths);
    }
}

/// Declares `analyst_token`, the bearer token the analyst API asks for.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "analyst_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from [analysts] tokens; with none configured, the analyst API answers only on loopback",
                    ))
                    .build(),
            ),
        );
    }
}

/// 200 when serving and the database answers (with the build's version, the IANA time-zone
/// database it judges local hours by, and whether survey mail is paused for its complaints —
/// still 200 then: the service serves); 503 otherwise.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Serving"), (status = 503, description = "The database does not answer")))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let answer = match state.health.database().await {
        Ok(()) => state.surveys.pause_state().await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(paused) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "tzdb": chrono_tz::IANA_TZDB_VERSION,
            "surveys": {
                "paused": paused.is_some(),
                "reason": paused,
            },
        })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database does not answer");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "unavailable", "database": "not answering" }))
        }
    }
}

/// 200 while this instance should get traffic: the database answers and it is not shutting
/// down. From SIGTERM on it answers 503 while requests are still served for
/// `shutdown_grace_s`, so a load balancer can take it out of rotation first.
#[utoipa::path(get, path = "/readyz", responses((status = 200, description = "Ready for traffic"), (status = 503, description = "Shutting down, or the database does not answer")))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.health.ready().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(NotReady::Stopping) => {
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "stopping" }))
        }
        Err(NotReady::Database(e)) => {
            tracing::warn!(error = %e, "readiness: database does not answer");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "unavailable", "database": "not answering" }))
        }
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let ready = state.health.ready().await.is_ok();
    state.metrics.ops.ready.set(i64::from(ready));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

/// This document: every route the service answers, but the analyst pages under `/ui/`.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
