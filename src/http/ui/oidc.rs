//! Signing in through the OpenID provider (`[analysts.oidc]`): `/ui/oidc/start` sends the
//! browser to the provider with what it must bring back kept in a signed `pg_oidc` cookie;
//! the callback (the path of `redirect_url`) checks the answer through `services::sign_in` and
//! sets the session. The callback answers with a page that moves on by itself rather than a
//! redirect: the session cookie is SameSite=Strict, and a browser withholds it from a redirect
//! that a cross-site navigation (the provider's) began.
use super::layout::message;
use super::page::{Page, now, safe_next, secure};
use super::session::{self, PENDING_COOKIE, SESSION_COOKIE};
use crate::http::AppState;
use crate::http::document::document;
use crate::services::sign_in::ProviderError;
use crate::services::sign_in::{PENDING_SECS, SignInError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use std::collections::HashMap;

fn query(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

pub(super) async fn start(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let mut page = Page::new(&req, &state);
    let Some(sign_in) = state.sign_in.clone() else {
        let text = "Sign-in through an identity provider is not configured here.";
        let markup = message(&page.ctx(None), "Not found", text, Some("/ui/login"));
        return page.html(StatusCode::NOT_FOUND, markup);
    };
    let next = safe_next(query(&req).get("next").map_or("", String::as_str));
    match sign_in.start(&next, now()).await {
        Ok((url, pending)) => {
            let sealed = session::seal_pending(&state.session_key, &pending);
            page.cookies.push(session::set_lax_cookie(
                PENDING_COOKIE,
                &sealed,
                PENDING_SECS,
                secure(&state),
            ));
            page.see_other(&url)
        }
        Err(e) => refused(page, e),
    }
}

pub(super) async fn callback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let mut page = Page::new(&req, &state);
    let Some(sign_in) = state.sign_in.clone() else {
        let markup = message(
            &page.ctx(None),
            "Not found",
            "No sign-in is configured.",
            None,
        );
        return page.html(StatusCode::NOT_FOUND, markup);
    };
    // Whatever happens, this sign-in's pending cookie is spent.
    page.cookies.push(session::set_lax_cookie(
        PENDING_COOKIE,
        "",
        0,
        secure(&state),
    ));
    let q = query(&req);
    if let Some(error) = q.get("error") {
        let detail = q
            .get("error_description")
            .map_or(String::new(), |d| format!(": {d}"));
        return refused(page, SignInError::Denied(format!("{error}{detail}")));
    }
    let pending = session::cookie(&req, PENDING_COOKIE)
        .and_then(|v| session::open_pending(&state.session_key, &v));
    let (Some(pending), Some(given_state), Some(code)) = (pending, q.get("state"), q.get("code"))
    else {
        return refused(page, SignInError::State);
    };
    match sign_in.finish(&pending, given_state, code, now()).await {
        Ok(signed_in) => {
            let a = &signed_in.analyst;
            tracing::info!(analyst = %a.name, role = a.role.as_str(), "analyst signed in through the identity provider");
            let value = session::issue_signed_in(&state.session_key, a, signed_in.expires);
            page.cookies.push(session::set_cookie(
                SESSION_COOKIE,
                &value,
                signed_in.expires - now(),
                secure(&state),
            ));
            let next = safe_next(&pending.next);
            let body = html! {
                meta http-equiv="refresh" content=(format!("0;url={next}"));
                main { p { "Signed in as " (a.name) ". " a href=(next) { "Continue" } } }
            };
            let markup = document("en", "ltr", "Signed in · promiseguard", "", body);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => refused(page, e),
    }
}

/// A sign-in that did not end with a session, said plainly; the reason logged.
fn refused(page: Page<'_>, e: SignInError) -> HttpResponse {
    let status = match &e {
        SignInError::Provider(ProviderError::Unavailable(_)) => StatusCode::BAD_GATEWAY,
        SignInError::Provider(_) => StatusCode::SERVICE_UNAVAILABLE,
        SignInError::State => StatusCode::BAD_REQUEST,
        SignInError::NoGroup { .. } => StatusCode::FORBIDDEN,
        SignInError::Token(_) | SignInError::Denied(_) => StatusCode::UNAUTHORIZED,
    };
    tracing::warn!(error = %e, "analyst sign-in through the identity provider refused");
    let (title, text) = match &e {
        SignInError::NoGroup { .. } => ("Not allowed here", e.to_string()),
        SignInError::Token(_) => (
            "Sign-in refused",
            "The identity provider's answer could not be trusted, so you are not signed in. Please try again; if it keeps happening, tell your administrator.".to_owned(),
        ),
        _ => ("Sign-in failed", e.to_string()),
    };
    let markup = message(&page.ctx(None), title, &text, Some("/ui/login"));
    page.html(status, markup)
}
