//! Exemptions (`/ui/exemptions`): the active ones ending within a week first, then the other
//! active ones, then those expired or revoked — with who made (and revoked) each, and for
//! reviewers a button to revoke one. `?ending=soon` lists only the active ones ending within a
//! week (the dashboard's count).
use super::layout::{Ctx, page, url_escape, when};
use super::page::{Access, Page, access, read_form, signed_in};
use super::session;
use crate::domain::exemption::{Exemption, ExemptionState};
use crate::http::AppState;
use crate::http::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use maud::{Markup, html};

use crate::services::analyst::ENDING_SOON_DAYS;

pub(super) async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let ending_soon = match req.query_string() {
        "" => false,
        "ending=soon" => true,
        _ => {
            let e = ApiError::BadParams(vec![crate::domain::FieldError::new(
                "/ending",
                "the only filter is ending=soon",
            )]);
            return page.error(Some(&analyst), e, Some("/ui/exemptions"));
        }
    };
    match state.analysts.exemptions(None).await {
        Ok(list) => {
            let now = Utc::now();
            let mut all = list.exemptions;
            if ending_soon {
                let soon = now + Duration::days(ENDING_SOON_DAYS);
                all.retain(|e| e.state(now) == ExemptionState::Active && e.expires_at <= soon);
            }
            let markup = view(&page.ctx(Some(&analyst)), all, now, ending_soon);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e.into(), None),
    }
}

pub(super) async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let id = path.into_inner();
    let done = async {
        let form = read_form(&req, payload).await?;
        session::require_csrf(&req, &form)?;
        let reviewer = analyst.reviewer("revoke exemptions")?;
        Ok::<_, ApiError>(state.analysts.revoke_exemption(&reviewer, &id).await?)
    };
    match done.await {
        Ok(_) => page.see_other("/ui/exemptions"),
        Err(e) => page.error(Some(&analyst), e, Some("/ui/exemptions")),
    }
}

/// The order the page lists them in: active and ending within a week (soonest first), other
/// active (soonest first), then the rest, latest end first.
fn ordered(mut all: Vec<Exemption>, now: DateTime<Utc>) -> Vec<Exemption> {
    let soon = now + Duration::days(ENDING_SOON_DAYS);
    all.sort_by_key(|e| match e.state(now) {
        ExemptionState::Active if e.expires_at <= soon => (0, e.expires_at.timestamp_millis()),
        ExemptionState::Active => (1, e.expires_at.timestamp_millis()),
        _ => (2, -e.expires_at.timestamp_millis()),
    });
    all
}

fn scope(e: &Exemption) -> Markup {
    let s = &e.scope;
    html! {
        @if let Some(c) = &s.campaign_id { "campaign " a href=(format!("/ui/campaigns/{}", url_escape(c))) { code { (c) } } " " }
        @if let Some(o) = &s.offer_id { "offer " code { (o) } " " }
        @if let Some(r) = &s.rule { "rule " code { (r.as_str()) } " " }
        @if let Some(l) = &s.location { "at " code { (l) } " " }
        @if let Some(k) = &s.sku { "sku " code { (k) } }
    }
}

fn view(ctx: &Ctx<'_>, all: Vec<Exemption>, now: DateTime<Utc>, ending_soon: bool) -> Markup {
    let all = ordered(all, now);
    let soon = now + Duration::days(ENDING_SOON_DAYS);
    page(
        ctx,
        "Exemptions",
        html! {
            h1 { "Exemptions" }
            @if ending_soon { p { strong { "Active and ending within " (ENDING_SOON_DAYS) " days" } " · " a href="/ui/exemptions" { "all exemptions" } } }
            p { "A finding an active exemption covers is still reported, but counts toward no verdict and alerts nobody. "
                "An override only records a decision. Made with " code { "POST /v1/exemptions" } "." }
            @if all.is_empty() { p.card { "No exemptions." } }
            @else {
                div.table-wrap { table {
                    thead { tr { th { "State" } th { "Covers" } th { "Why" } th { "Ends" } th { "Made" } @if ctx.can_review() { th {} } } }
                    tbody { @for e in &all {
                        @let state = e.state(now);
                        tr {
                            td { @match state {
                                ExemptionState::Active if e.expires_at <= soon => span.badge.v-flag { "ends soon" },
                                ExemptionState::Active => span.badge.v-pass { "active" },
                                ExemptionState::Expired => span.badge { "expired" },
                                ExemptionState::Revoked => span.badge { "revoked" },
                            } }
                            td { (scope(e)) }
                            td { strong { (e.category.as_str()) } ": " bdi dir="auto" { (e.reason) }
                                 @if let Some(t) = &e.ticket { " " span.muted { "(" (t) ")" } } }
                            td { (when(e.expires_at)) }
                            td { (e.created_by) ", " (when(e.created_at))
                                 @if let (Some(by), Some(at)) = (&e.revoked_by, e.revoked_at) { br; span.muted { "revoked by " (by) ", " (when(at)) } } }
                            @if ctx.can_review() {
                                td { @if state == ExemptionState::Active {
                                    form method="post" action=(format!("/ui/exemptions/{}/revoke", url_escape(&e.id))) {
                                        input type="hidden" name="csrf" value=(ctx.csrf);
                                        button.secondary type="submit" { "Revoke" }
                                    }
                                } }
                            }
                        }
                    } }
                } }
            }
        },
    )
}
