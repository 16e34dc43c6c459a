//! Signing in and out: a form that takes an analyst token and sets a session cookie.
use super::layout::sign_in_form;
use super::page::{Access, Page, access, now, read_form, safe_next, secure, sign_in_ways};
use super::session::{self, SESSION_COOKIE, SESSION_SECS};
use crate::http::AppState;
use crate::http::auth::token_holder;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};

pub(super) async fn index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/ui/"))
        .finish()
}

pub(super) async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    match access(&req, &state) {
        Access::Analyst(_) => page.see_other("/ui/"),
        Access::Refused => page.refused(),
        Access::SignIn => {
            let ways = sign_in_ways(&state);
            let markup = sign_in_form(&page.ctx(None), "/ui/", ways, None);
            page.html(StatusCode::OK, markup)
        }
    }
}

pub(super) async fn sign_in(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut page = Page::new(&req, &state);
    let form = match read_form(&req, payload).await {
        Ok(f) => f,
        Err(e) => return page.error(None, e, Some("/ui/login")),
    };
    if !session::csrf_ok(&req, form.get("csrf").map(String::as_str)) {
        return page.sign_in(Some("The form expired. Please sign in again."));
    }
    let keys = state.credentials.current();
    let tokens = &keys.analysts;
    let presented = form.get("token").map(|t| t.trim()).unwrap_or_default();
    let token = tokens
        .iter()
        .find(|t| token_holder(std::slice::from_ref(t), presented).is_some());
    match token {
        Some(token) => {
            tracing::info!(analyst = %token.name, "analyst signed in");
            let value = session::issue(&state.session_key, token, now());
            page.cookies.push(session::set_cookie(
                SESSION_COOKIE,
                &value,
                SESSION_SECS,
                secure(&state),
            ));
            let next = safe_next(form.get("next").map(String::as_str).unwrap_or_default());
            page.see_other(&next)
        }
        None => {
            tracing::warn!("analyst sign-in with an unknown token");
            page.sign_in(Some("That token is not valid."))
        }
    }
}

pub(super) async fn sign_out(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut page = Page::new(&req, &state);
    let form = read_form(&req, payload).await.unwrap_or_default();
    if let Err(refused) = session::require_csrf(&req, &form) {
        return page.error(None, refused, Some("/ui/campaigns"));
    }
    page.cookies
        .push(session::set_cookie(SESSION_COOKIE, "", 0, secure(&state)));
    page.see_other("/ui/login")
}
