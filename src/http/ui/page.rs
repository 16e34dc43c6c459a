//! How a page is answered: who is looking (`access`), and the response every page gives —
//! security headers, the CSRF cookie its forms need, sign-in and refusal pages, errors said
//! plainly (what went wrong inside is logged, not shown).
use super::layout::{self, Ctx};
use super::session::{self, CSRF_COOKIE, SESSION_COOKIE, SESSION_SECS};
use crate::domain::Analyst;
use crate::http::AppState;
use crate::http::auth::local_reviewer;
use crate::http::body::read_limited;
use crate::http::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use std::collections::HashMap;

/// Largest form the pages accept.
pub(super) const MAX_FORM_BYTES: usize = 16 * 1024;

/// Who is looking at a page.
pub(super) enum Access {
    Analyst(Analyst),
    /// Tokens are configured and there is no valid session.
    SignIn,
    /// No tokens configured and the request is not from loopback.
    Refused,
}

pub(super) fn access(req: &HttpRequest, state: &AppState) -> Access {
    let keys = state.credentials.current();
    let tokens = &keys.analysts;
    if !signs_in(state) {
        return local_reviewer(state.limits.client(req)).map_or(Access::Refused, Access::Analyst);
    }
    let key = &state.session_key;
    session::cookie(req, SESSION_COOKIE)
        .and_then(|v| match state.sign_in {
            Some(_) if v.starts_with("o.") => session::verify_signed_in(key, &v, now()),
            _ => session::verify(key, tokens, &v, now()),
        })
        .map_or(Access::SignIn, Access::Analyst)
}

pub(super) fn sign_in_ways(state: &AppState) -> layout::SignInWays {
    layout::SignInWays {
        tokens: !state.credentials.current().analysts.is_empty(),
        provider: state.sign_in.is_some(),
    }
}

/// Whether analysts sign in (with tokens, through the identity provider, or both); without
/// either, the pages answer on loopback only.
pub(super) fn signs_in(state: &AppState) -> bool {
    !state.credentials.current().analysts.is_empty() || state.sign_in.is_some()
}

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn secure(state: &AppState) -> bool {
    state.config.public_base_url().starts_with("https://")
}

/// A page response. Sets the CSRF cookie when the request had none, so the page's forms work.
pub(super) struct Page<'a> {
    pub(super) req: &'a HttpRequest,
    pub(super) state: &'a AppState,
    csrf: String,
    fresh_csrf: bool,
    pub(super) cookies: Vec<String>,
}

impl<'a> Page<'a> {
    pub(super) fn new(req: &'a HttpRequest, state: &'a AppState) -> Self {
        let (csrf, fresh_csrf) = match session::cookie(req, CSRF_COOKIE) {
            Some(c) if !c.is_empty() => (c, false),
            _ => (session::new_csrf(), true),
        };
        Self {
            req,
            state,
            csrf,
            fresh_csrf,
            cookies: Vec::new(),
        }
    }

    pub(super) fn ctx<'b>(&'b self, analyst: Option<&'b Analyst>) -> Ctx<'b> {
        Ctx {
            analyst,
            csrf: &self.csrf,
            signed_in: signs_in(self.state),
        }
    }

    pub(super) fn finish(
        mut self,
        status: StatusCode,
        body: Option<Markup>,
        location: Option<&str>,
    ) -> HttpResponse {
        if self.fresh_csrf {
            let c = session::set_cookie(CSRF_COOKIE, &self.csrf, SESSION_SECS, secure(self.state));
            self.cookies.push(c);
        }
        let mut res = HttpResponse::build(status);
        res.insert_header((CACHE_CONTROL, "no-store"))
            .insert_header(("X-Frame-Options", "DENY"))
            .insert_header(("Referrer-Policy", "same-origin"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            ));
        for c in &self.cookies {
            res.append_header((SET_COOKIE, c.as_str()));
        }
        if let Some(location) = location {
            res.insert_header((LOCATION, location));
        }
        match body {
            Some(markup) => res
                .content_type("text/html; charset=utf-8")
                .body(markup.into_string()),
            None => res.finish(),
        }
    }

    pub(super) fn html(self, status: StatusCode, markup: Markup) -> HttpResponse {
        self.finish(status, Some(markup), None)
    }

    /// 303 to `to` (after a POST).
    pub(super) fn see_other(self, to: &str) -> HttpResponse {
        self.finish(StatusCode::SEE_OTHER, None, Some(to))
    }

    /// The sign-in form (401), to come back to this page.
    pub(super) fn sign_in(self, error: Option<&str>) -> HttpResponse {
        let next = self
            .req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/ui/".into());
        let ways = sign_in_ways(self.state);
        let markup = layout::sign_in_form(&self.ctx(None), &safe_next(&next), ways, error);
        self.html(StatusCode::UNAUTHORIZED, markup)
    }

    pub(super) fn refused(self) -> HttpResponse {
        let markup = layout::message(
            &self.ctx(None),
            "Analyst pages are local only",
            "No analyst tokens are configured, so these pages answer only on loopback. Configure [analysts] tokens to use them from elsewhere.",
            None,
        );
        self.html(StatusCode::FORBIDDEN, markup)
    }

    /// An error as a page: what the client got wrong is said plainly; what went wrong inside
    /// is logged and not shown.
    pub(super) fn error(
        self,
        analyst: Option<&Analyst>,
        e: ApiError,
        back: Option<&str>,
    ) -> HttpResponse {
        let status = actix_web::ResponseError::status_code(&e);
        let problem = e.problem();
        if let ApiError::Internal(inner) = &e {
            tracing::error!(error = ?inner, "analyst page failed inside the service");
        }
        let text = match &e {
            ApiError::Invalid(errors) | ApiError::BadParams(errors) => errors
                .iter()
                .map(|f| format!("{}: {}", f.pointer.trim_start_matches('/'), f.detail))
                .collect::<Vec<_>>()
                .join("; "),
            _ => problem.detail,
        };
        let markup = layout::message(&self.ctx(analyst), &problem.title, &text, back);
        self.html(status, markup)
    }
}

/// Only paths under `/ui/` are followed after sign-in (never another site).
pub(super) fn safe_next(next: &str) -> String {
    if next.starts_with("/ui/") && !next.starts_with("/ui//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/ui/".to_owned()
    }
}

pub(super) async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HashMap<String, String>, ApiError> {
    let pairs = read_form_pairs(req, payload, MAX_FORM_BYTES).await?;
    Ok(pairs.into_iter().collect())
}

/// A form's fields in their order, a name given many times (tick boxes) kept each time; a
/// body over `limit` bytes is refused (413).
pub(super) async fn read_form_pairs(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<(String, String)>, ApiError> {
    let body = read_limited(req, payload, limit).await?;
    Ok(url::form_urlencoded::parse(&body).into_owned().collect())
}

macro_rules! signed_in {
    ($page:expr) => {
        match access($page.req, $page.state) {
            Access::Analyst(a) => a,
            Access::SignIn => return $page.sign_in(None),
            Access::Refused => return $page.refused(),
        }
    };
}
pub(super) use signed_in;
