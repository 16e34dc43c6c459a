//! The analyst pages under `/ui/`: server-rendered, no JavaScript needed, one file per page
//! (`sign_in`, `dashboard` — the page `/ui/` opens on —, `campaigns`, `campaign`, `findings`,
//! `insights`, `locations`, `exemptions`), each with its handlers and its markup;
//! `reviews` handles the review forms of the campaign page.
//! With analyst tokens configured, a sign-in form sets a session cookie; with none, the pages
//! answer only on loopback (like the API). Every POST carries a CSRF value (see `session`).
//! They call the same services as the JSON API (`services::analyst`).
mod campaign;
mod campaigns;
mod charts;
mod dashboard;
mod exemptions;
mod findings;
mod insights;
mod layout;
mod locations;
mod oidc;
mod page;
mod reviews;
mod session;
mod sign_in;

use super::Routes;
use actix_web::http::Method as M;

/// The pages' routes: `/openapi.json` leaves them out (they are HTML for people, not an API).
pub fn routes(r: &mut Routes) {
    r.add(M::GET, "/ui", sign_in::index)
        .add(M::GET, "/ui/", dashboard::show)
        .add(M::GET, "/ui/login", sign_in::page)
        .add(M::POST, "/ui/login", sign_in::sign_in)
        .add(M::POST, "/ui/logout", sign_in::sign_out)
        .add(M::GET, "/ui/oidc/start", oidc::start)
        .add(M::GET, "/ui/campaigns", campaigns::list)
        .add(M::GET, "/ui/campaigns/{id}", campaign::show)
        .add(M::POST, "/ui/campaigns/{id}/recheck", campaign::recheck)
        .add(M::GET, "/ui/findings", findings::list)
        .add(M::GET, "/ui/findings/export", findings::export)
        .add(M::POST, "/ui/findings/review", reviews::review_many)
        .add(M::POST, "/ui/findings/{id}/review", reviews::review)
        .add(M::GET, "/ui/exemptions", exemptions::show)
        .add(M::POST, "/ui/exemptions/{id}/revoke", exemptions::revoke)
        .add(M::GET, "/ui/insights", insights::show)
        .add(M::GET, "/ui/insights/locations", locations::show);
}

/// The OpenID callback, at the path of `[analysts.oidc] redirect_url` (when configured).
pub fn oidc_callback(cfg: &mut actix_web::web::ServiceConfig, path: Option<&'static str>) {
    if let Some(path) = path {
        Routes::new(cfg).add(M::GET, path, oidc::callback);
    }
}
