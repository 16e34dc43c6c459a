//! HTTP: the handlers (one module per resource), their extractors, the OpenAPI description,
//! one error type, and the one place that lists the routes. A handler reads its request,
//! calls a service, and writes the answer; the state below holds services, not the store.
pub mod auth;
pub mod body;
pub mod campaigns;
pub mod client;
pub mod compliance;
#[cfg(test)]
mod contract_tests;
pub mod csv;
pub mod document;
pub mod error;
pub mod exemptions;
pub mod export;
pub mod findings;
pub mod inbound;
pub mod insights;
pub mod json_stream;
pub mod limits;
pub mod lookup;
pub mod observe;
pub mod ops;
pub mod pages;
pub mod presend;
pub mod quarantine;
pub mod recipients;
pub mod request;
pub mod schema;
pub mod surveys;
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
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpResponse, Responder, web};
use std::sync::Arc;

pub struct AppState {
    pub config: Arc<Config>,
    pub metrics: Metrics,
    pub checks: Arc<Checks>,
    pub analysts: Arc<Analysts>,
    pub surveys: Arc<Surveys>,
    pub engagement: Arc<Engagement>,
    pub compliance: Arc<Compliance>,
    /// `[limits]`: the rate limits per client address, and who the client is.
    pub limits: Arc<limits::Limits>,
    /// Changes sources push in (Shopify's inventory webhooks).
    pub changes: Arc<crate::services::changes::Changes>,
    pub lookup: Arc<crate::lookup::Lookup>,
    pub health: Arc<Health>,
    /// The keys the inbound doors admit by (`inbound::DOORS`), swapped whole at run time.
    pub credentials: inbound::Credentials,
    /// Who may call the send-time lookup.
    pub lookup_door: lookup::LookupDoor,
    pub sns: Arc<crate::services::sns::Sns>,
    /// Signs the analyst pages' session cookies (kept in the database, shared by instances).
    pub session_key: Vec<u8>,
    /// Sign-in through the OpenID provider, when `[analysts.oidc]` is configured.
    pub sign_in: Option<Arc<crate::services::sign_in::SignIn>>,
}

/// Every route the service answers, registered through [`Routes`] so the contract test can
/// hold the list against `/openapi.json`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

/// Every route: its method and pattern (the metrics label requests by the pattern).
pub fn route_patterns() -> Vec<(String, &'static str)> {
    let mut routes = Vec::new();
    let _app = actix_web::App::new().configure(|cfg| {
        routes = register(cfg)
            .into_iter()
            .map(|(method, path)| (method.to_string(), path))
            .collect();
    });
    routes
}

/// Registers every route on `cfg` and says which (method, path) were.
pub fn register(cfg: &mut web::ServiceConfig) -> Vec<(Method, &'static str)> {
    use Method as M;
    let mut r = Routes::new(cfg);
    r.add(M::POST, "/v1/presend", presend::presend)
        .add(M::GET, "/v1/lookup", lookup::lookup);
    inbound::routes(&mut r);
    r.add(M::GET, "/v1/campaigns", campaigns::list)
        .add(M::GET, "/v1/campaigns/{id}", campaigns::detail)
        .add(M::POST, "/v1/campaigns/{id}/recheck", campaigns::recheck)
        .add(M::GET, "/v1/campaigns/{id}/nps", campaigns::nps)
        .add(M::POST, "/v1/exemptions", exemptions::create)
        .add(M::GET, "/v1/exemptions", exemptions::list)
        .add(M::DELETE, "/v1/exemptions/{id}", exemptions::revoke)
        .add(M::GET, "/v1/findings", export::export)
        .add(M::POST, "/v1/findings/review", findings::review_many)
        .add(M::POST, "/v1/findings/{id}/review", findings::review)
        .add(M::GET, "/v1/recipients/{address}", recipients::access)
        .add(M::DELETE, "/v1/recipients/{address}", recipients::erase)
        .add(M::GET, "/v1/insights/promises", insights::promises)
        .add(M::GET, "/v1/insights/locations", insights::locations)
        .add(M::GET, "/v1/insights/items", insights::items)
        .add(M::GET, "/v1/surveys/status", surveys::status)
        .add(M::POST, "/v1/surveys/resume", surveys::resume)
        .add(M::GET, "/v1/compliance/requests", compliance::requests)
        .add(M::GET, "/v1/quarantine", quarantine::list)
        .add(M::POST, "/v1/quarantine/{id}/replay", quarantine::replay)
        .add(M::DELETE, "/v1/quarantine/{id}", quarantine::drop_one)
        .add(M::GET, "/s/{token}", pages::survey)
        .add(M::POST, "/s/{token}", pages::answer)
        .add(M::GET, "/u/{token}", pages::unsubscribe_page)
        .add(M::POST, "/u/{token}", pages::unsubscribe);
    ui::routes(&mut r);
    r.add(M::GET, "/healthz", ops::healthz)
        .add(M::GET, "/readyz", ops::readyz)
        .add(M::GET, "/metrics", ops::metrics)
        .add(M::GET, "/openapi.json", ops::openapi);
    r.registered
}

/// Registers routes on actix's config and keeps the list of what it registered.
pub struct Routes<'c> {
    cfg: &'c mut web::ServiceConfig,
    registered: Vec<(Method, &'static str)>,
}

impl<'c> Routes<'c> {
    fn new(cfg: &'c mut web::ServiceConfig) -> Self {
        Self {
            cfg,
            registered: Vec::new(),
        }
    }

    pub fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        // As `ServiceConfig::route` registers it (the method a guard of the resource, so a path
        // with several methods falls through to the next), with the route's pattern as data the
        // observing middleware reads instead of walking the route table again.
        self.cfg.service(
            web::resource(path)
                .guard(actix_web::guard::Method(method.clone()))
                .app_data(observe::RouteLabel(path))
                .route(web::route().to(handler)),
        );
        self.registered.push((method, path));
        self
    }
}

/// Unknown routes answer problem+json too.
pub async fn not_found() -> Result<HttpResponse, error::ApiError> {
    Err(error::ApiError::NotFound("no such resource".into()))
}
