//! The campaign list: filters (the API's query), newest first, a page at a time.
use super::layout::{Ctx, page, url_escape, verdict_badge, when};
use super::page::{Access, Page, access, signed_in};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::analyst::{CampaignPage, parse_list_query};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use std::collections::HashMap;

pub(super) async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
    let data = match state.analysts.list(&filter).await {
        Ok(d) => d,
        Err(e) => return page.error(Some(&analyst), e.into(), None),
    };
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let next_href = data.next_cursor.as_ref().map(|cursor| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for k in [
            "verdict", "review", "phase", "action", "from", "to", "limit",
        ] {
            if !get(k).is_empty() {
                q.append_pair(k, get(k));
            }
        }
        q.append_pair("cursor", cursor);
        format!("/ui/campaigns?{}", q.finish())
    });
    let form = ListForm {
        verdict: get("verdict"),
        review: get("review"),
        phase: get("phase"),
        action: get("action"),
        from: get("from"),
        to: get("to"),
    };
    let markup = campaign_list(&page.ctx(Some(&analyst)), &data, &form, next_href);
    page.html(StatusCode::OK, markup)
}

/// The filter values as the form shows them.
struct ListForm<'a> {
    verdict: &'a str,
    review: &'a str,
    phase: &'a str,
    action: &'a str,
    from: &'a str,
    to: &'a str,
}

fn select(name: &str, label: &str, current: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                @for (value, text) in options {
                    option value=(value) selected[*value == current] { (text) }
                }
            }
        }
    }
}

fn campaign_list(
    ctx: &Ctx<'_>,
    page_data: &CampaignPage,
    form: &ListForm<'_>,
    next_href: Option<String>,
) -> Markup {
    page(
        ctx,
        "Campaigns",
        html! {
            h1 { "Campaigns" }
            form.filters method="get" action="/ui/campaigns" {
                (select("verdict", "Verdict", form.verdict, &[("", "any"), ("block", "block"), ("flag", "flag"), ("pass", "pass")]))
                (select("review", "Review", form.review, &[("", "any"), ("open", "needs review"), ("reviewed", "reviewed")]))
                (select("phase", "Latest check", form.phase, &[("", "any"), ("pre_send", "pre-send"), ("live", "live"), ("manual", "manual"), ("scheduled", "scheduled")]))
                (select("action", "On its platform", form.action, &[("", "any"), ("unscheduled", "taken off the schedule"), ("alerted", "alerted"), ("failed", "action failed"), ("pending", "action pending")]))
                label { "Running from" input type="date" name="from" value=(form.from); }
                label { "to" input type="date" name="to" value=(form.to); }
                button type="submit" { "Filter" }
                a href="/ui/campaigns" { "Clear" }
            }
            @if page_data.campaigns.is_empty() {
                p.card { "No campaigns match." }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th { "Campaign" } th { "Verdict" } th { "Needs review" } th { "Offers run" } th { "Last checked" } } }
                        tbody {
                            @for c in &page_data.campaigns {
                                tr {
                                    td {
                                        a href=(format!("/ui/campaigns/{}", url_escape(&c.id))) { (c.name.as_deref().unwrap_or(&c.id)) }
                                        br; span.muted { code { (c.id) } @if let Some(p) = &c.platform { " · " (p) } }
                                    }
                                    td { (verdict_badge(c.latest_check.as_ref().map(|l| l.verdict.as_str()))) }
                                    td {
                                        @if c.open_findings > 0 { strong { (c.open_findings) } " of " (c.findings) }
                                        @else if c.findings > 0 { "all " (c.findings) " reviewed" }
                                        @else { span.muted { "nothing to review" } }
                                    }
                                    td.muted { (c.valid_from.format("%Y-%m-%d")) " – " (c.valid_until.format("%Y-%m-%d")) }
                                    td.muted {
                                        @if let Some(l) = &c.latest_check { (when(l.checked_at)) " (" (l.phase.as_str()) ")" }
                                        @else { "—" }
                                        @if let Some(l) = c.latest_check.as_ref().filter(|l| l.phase.as_str() == "scheduled") {
                                            br; "planned send " (when(l.send_at))
                                        }
                                        @if let Some(action) = &c.last_action { br; strong { (action) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = next_href {
                p.pager { a href=(href) { "Older campaigns →" } }
            }
        },
    )
}
