//! The analyst pages under `/ui/`: server-rendered, no JavaScript needed, one file per page
//! (`sign_in`, `campaigns`, `campaign`, `insights`), each with its handlers and its markup.
//! With analyst tokens configured, a sign-in form sets a session cookie; with none, the pages
//! answer only on loopback (like the API). Every POST carries a CSRF value (see `session`).
//! They call the same services as the JSON API (`services::analyst`).
mod campaign;
mod campaigns;
mod charts;
mod insights;
mod layout;
mod page;
mod session;
mod sign_in;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui", web::get().to(sign_in::index))
        .route("/ui/", web::get().to(sign_in::index))
        .route("/ui/login", web::get().to(sign_in::page))
        .route("/ui/login", web::post().to(sign_in::sign_in))
        .route("/ui/logout", web::post().to(sign_in::sign_out))
        .route("/ui/campaigns", web::get().to(campaigns::list))
        .route("/ui/campaigns/{id}", web::get().to(campaign::show))
        .route(
            "/ui/campaigns/{id}/recheck",
            web::post().to(campaign::recheck),
        )
        .route("/ui/findings/{id}/review", web::post().to(campaign::review))
        .route("/ui/insights", web::get().to(insights::show));
}
