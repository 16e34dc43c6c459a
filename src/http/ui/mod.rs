//! The analyst pages under `/ui/`: server-rendered, no JavaScript needed. With analyst tokens
//! configured, a sign-in form sets a session cookie; with none, the pages answer only on
//! loopback (like the API). Every POST carries a CSRF value (see `session`).
mod charts;
mod session;
mod views;

use super::AppState;
use super::auth::{Analyst, Role, configured_tokens, token_holder};
use super::body::read_limited;
use super::campaigns::{campaign_detail, list_page, parse_list_query, run_recheck};
use super::error::ApiError;
use super::findings::{ReviewRequest, review_finding, validate};
use super::insights::promise_insight;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use session::{CSRF_COOKIE, SESSION_COOKIE, SESSION_SECS};
use std::collections::HashMap;
use views::Ctx;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui", web::get().to(index))
        .route("/ui/", web::get().to(index))
        .route("/ui/login", web::get().to(sign_in_page))
        .route("/ui/login", web::post().to(sign_in))
        .route("/ui/logout", web::post().to(sign_out))
        .route("/ui/campaigns", web::get().to(campaigns))
        .route("/ui/campaigns/{id}", web::get().to(campaign))
        .route("/ui/campaigns/{id}/recheck", web::post().to(recheck))
        .route("/ui/findings/{id}/review", web::post().to(review))
        .route("/ui/insights", web::get().to(insights));
}

/// Largest form the pages accept.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Who is looking at a page.
enum Access {
    Analyst(Analyst),
    /// Tokens are configured and there is no valid session.
    SignIn,
    /// No tokens configured and the request is not from loopback.
    Refused,
}

fn access(req: &HttpRequest, state: &AppState) -> Access {
    let tokens = configured_tokens(&state.config);
    if tokens.is_empty() {
        return if req.peer_addr().is_some_and(|a| a.ip().is_loopback()) {
            Access::Analyst(Analyst {
                name: "local".into(),
                role: Role::Reviewer,
            })
        } else {
            Access::Refused
        };
    }
    session::cookie(req, SESSION_COOKIE)
        .and_then(|v| session::verify(&state.session_key, tokens, &v, now()))
        .map_or(Access::SignIn, Access::Analyst)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn secure(state: &AppState) -> bool {
    state.config.public_base_url().starts_with("https://")
}

/// A page response. Sets the CSRF cookie when the request had none, so the page's forms work.
struct Page<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    csrf: String,
    fresh_csrf: bool,
    cookies: Vec<String>,
}

impl<'a> Page<'a> {
    fn new(req: &'a HttpRequest, state: &'a AppState) -> Self {
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

    fn ctx<'b>(&'b self, analyst: Option<&'b Analyst>) -> Ctx<'b> {
        Ctx {
            analyst,
            csrf: &self.csrf,
            signed_in: !configured_tokens(&self.state.config).is_empty(),
        }
    }

    fn finish(
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

    fn html(self, status: StatusCode, markup: Markup) -> HttpResponse {
        self.finish(status, Some(markup), None)
    }

    /// 303 to `to` (after a POST).
    fn see_other(self, to: &str) -> HttpResponse {
        self.finish(StatusCode::SEE_OTHER, None, Some(to))
    }

    /// The sign-in form (401), to come back to this page.
    fn sign_in(self, error: Option<&str>) -> HttpResponse {
        let next = self
            .req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/ui/campaigns".into());
        let markup = views::sign_in(&self.ctx(None), &safe_next(&next), error);
        self.html(StatusCode::UNAUTHORIZED, markup)
    }

    fn refused(self) -> HttpResponse {
        let markup = views::message(
            &self.ctx(None),
            "Analyst pages are local only",
            "No analyst tokens are configured, so these pages answer only on loopback. Configure [analysts] tokens to use them from elsewhere.",
            None,
        );
        self.html(StatusCode::FORBIDDEN, markup)
    }

    /// An error as a page: what the client got wrong is said plainly; what went wrong inside
    /// is logged and not shown.
    fn error(self, analyst: Option<&Analyst>, e: ApiError, back: Option<&str>) -> HttpResponse {
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
        let markup = views::message(&self.ctx(analyst), &problem.title, &text, back);
        self.html(status, markup)
    }
}

/// Only paths under `/ui/` are followed after sign-in (never another site).
fn safe_next(next: &str) -> String {
    if next.starts_with("/ui/") && !next.starts_with("/ui//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/ui/campaigns".to_owned()
    }
}

async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HashMap<String, String>, ApiError> {
    let body = read_limited(req, payload, MAX_FORM_BYTES).await?;
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

async fn index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/ui/campaigns"))
        .finish()
}

async fn sign_in_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    match access(&req, &state) {
        Access::Analyst(_) => page.see_other("/ui/campaigns"),
        Access::Refused => page.refused(),
        Access::SignIn => {
            let markup = views::sign_in(&page.ctx(None), "/ui/campaigns", None);
            page.html(StatusCode::OK, markup)
        }
    }
}

async fn sign_in(
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
    let tokens = configured_tokens(&state.config);
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

async fn sign_out(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut page = Page::new(&req, &state);
    let form = read_form(&req, payload).await.unwrap_or_default();
    if !session::csrf_ok(&req, form.get("csrf").map(String::as_str)) {
        return page.error(
            None,
            ApiError::Forbidden("the form expired; reload the page and try again".into()),
            Some("/ui/campaigns"),
        );
    }
    page.cookies
        .push(session::set_cookie(SESSION_COOKIE, "", 0, secure(&state)));
    page.see_other("/ui/login")
}

async fn campaigns(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let query = req.query_string();
    let filter = match parse_list_query(query) {
        Ok(f) => f,
        Err(errors) => {
            return page.error(
                Some(&analyst),
                ApiError::BadParams(errors),
                Some("/ui/campaigns"),
            );
        }
    };
    let data = match list_page(&state, &filter).await {
        Ok(d) => d,
        Err(e) => return page.error(Some(&analyst), e, None),
    };
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let next_href = data.next_cursor.as_ref().map(|cursor| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for k in ["verdict", "review", "phase", "from", "to", "limit"] {
            if !get(k).is_empty() {
                q.append_pair(k, get(k));
            }
        }
        q.append_pair("cursor", cursor);
        format!("/ui/campaigns?{}", q.finish())
    });
    let form = views::ListForm {
        verdict: get("verdict"),
        review: get("review"),
        phase: get("phase"),
        from: get("from"),
        to: get("to"),
    };
    let markup = views::campaign_list(&page.ctx(Some(&analyst)), &data, &form, next_href);
    page.html(StatusCode::OK, markup)
}

async fn campaign(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let id = path.into_inner();
    let loaded = async {
        let detail = campaign_detail(&state, &id).await?;
        let mine = promise_insight(&state, Some(&id)).await?;
        let overall = promise_insight(&state, None).await?;
        Ok::<_, ApiError>((detail, mine, overall))
    }
    .await;
    match loaded {
        Ok((detail, mine, overall)) => {
            let markup = views::campaign_page(&page.ctx(Some(&analyst)), &detail, &mine, &overall);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e, Some("/ui/campaigns")),
    }
}

async fn recheck(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let id = path.into_inner();
    let back = format!("/ui/campaigns/{}", views::url_escape(&id));
    let done = async {
        let form = read_form(&req, payload).await?;
        if !session::csrf_ok(&req, form.get("csrf").map(String::as_str)) {
            return Err(ApiError::Forbidden(
                "the form expired; reload the page and try again".into(),
            ));
        }
        analyst.require_reviewer("re-check a campaign")?;
        run_recheck(&state, &id).await
    }
    .await;
    match done {
        Ok(result) => {
            tracing::info!(campaign = %id, analyst = %analyst.name, verdict = result.verdict.as_str(), "manual re-check from the pages");
            page.see_other(&back)
        }
        Err(e) => page.error(Some(&analyst), e, Some(&back)),
    }
}

async fn review(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let finding_id = path.into_inner();
    let form = match read_form(&req, payload).await {
        Ok(f) => f,
        Err(e) => return page.error(Some(&analyst), e, Some("/ui/campaigns")),
    };
    let back = form
        .get("campaign")
        .map(|c| format!("/ui/campaigns/{}", views::url_escape(c)))
        .unwrap_or_else(|| "/ui/campaigns".into());
    let done = async {
        if !session::csrf_ok(&req, form.get("csrf").map(String::as_str)) {
            return Err(ApiError::Forbidden(
                "the form expired; reload the page and try again".into(),
            ));
        }
        let request = ReviewRequest {
            action: form.get("action").cloned().unwrap_or_default(),
            note: form.get("note").cloned(),
        };
        let (action, note) = validate(&request)?;
        review_finding(&state, &analyst, &finding_id, action, note.as_deref()).await
    }
    .await;
    match done {
        Ok(answer) => {
            let to = format!(
                "/ui/campaigns/{}#finding-{}",
                views::url_escape(&answer.review.campaign_id),
                views::url_escape(&finding_id)
            );
            page.see_other(&to)
        }
        Err(e) => page.error(Some(&analyst), e, Some(&back)),
    }
}

async fn insights(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    match promise_insight(&state, None).await {
        Ok(insight) => {
            let markup = views::insights(&page.ctx(Some(&analyst)), &insight);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e, None),
    }
}
