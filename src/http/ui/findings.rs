//! The findings page (`/ui/findings`): every finding a filter matches — the export's filters —
//! with how many there are, a page at a time in the export's order, and the same set to
//! download (`/ui/findings/export`, streamed as the API streams it).
use super::layout::{Ctx, count, page, review_badge, url_escape, when};
use super::page::{Access, Page, access, signed_in};
use crate::domain::Rule;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::export::stream_findings;
use crate::services::analyst::{FindingList, parse_findings_query};
use crate::store::ExportedFinding;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

/// The filters the page keeps in its links, in order.
const FILTERS: [&str; 8] = [
    "review",
    "severity",
    "rule",
    "location",
    "campaign_id",
    "from",
    "to",
    "history",
];

pub(super) async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let request = match parse_findings_query(req.query_string(), true) {
        Ok(r) => r,
        Err(errors) => {
            let e = ApiError::BadParams(errors);
            return page.error(Some(&analyst), e, Some("/ui/findings"));
        }
    };
    let data = match state
        .analysts
        .findings_list(&request.query, request.after.as_ref())
        .await
    {
        Ok(d) => d,
        Err(e) => return page.error(Some(&analyst), e.into(), None),
    };
    let filters = kept_filters(req.query_string());
    let markup = view(&page.ctx(Some(&analyst)), &data, &filters);
    page.html(StatusCode::OK, markup)
}

/// `/ui/findings/export`: the findings page's set, downloaded (CSV or JSON lines).
pub(super) async fn export(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let streamed = match parse_findings_query(req.query_string(), false) {
        Ok(r) => stream_findings(&state, r.query, r.format).await,
        Err(errors) => Err(ApiError::BadParams(errors)),
    };
    streamed.unwrap_or_else(|e| page.error(Some(&analyst), e, Some("/ui/findings")))
}

/// The filters asked for, as `(name, value)` in `FILTERS`' order (empty ones left out).
fn kept_filters(query: &str) -> Vec<(String, String)> {
    let asked: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    FILTERS
        .iter()
        .filter_map(|f| asked.iter().find(|(k, _)| k == f).cloned())
        .collect()
}

fn query_with(filters: &[(String, String)], extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in filters {
        q.append_pair(k, v);
    }
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    q.finish()
}

fn value<'a>(filters: &'a [(String, String)], name: &str) -> &'a str {
    filters
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn filter_form(filters: &[(String, String)]) -> Markup {
    let v = |n: &str| value(filters, n).to_owned();
    html! {
        form.filters method="get" action="/ui/findings" {
            label { "Review" select name="review" {
                @for (val, text) in [("", "any"), ("open", "needs review"), ("reviewed", "reviewed")] {
                    option value=(val) selected[v("review") == val] { (text) } } } }
            label { "Severity" select name="severity" {
                @for (val, text) in [("", "any"), ("block", "block"), ("flag", "flag")] {
                    option value=(val) selected[v("severity") == val] { (text) } } } }
            label { "Rule" select name="rule" {
                option value="" selected[v("rule").is_empty()] { "any" }
                @for rule in Rule::ALL {
                    option value=(rule.as_str()) selected[v("rule") == rule.as_str()] { (rule.as_str().replace('_', " ")) } } } }
            label { "Branch" input type="text" name="location" value=(v("location")) size="10"; }
            label { "Campaign" input type="text" name="campaign_id" value=(v("campaign_id")) size="12"; }
            label { "Checked from" input type="date" name="from" value=(v("from").get(..10).unwrap_or("")); }
            label { "to" input type="date" name="to" value=(v("to").get(..10).unwrap_or("")); }
            label { "Checks" select name="history" {
                option value="" selected[v("history") != "true"] { "latest of each campaign" }
                option value="true" selected[v("history") == "true"] { "all" } } }
            button type="submit" { "Filter" }
            a href="/ui/findings" { "Clear" }
        }
    }
}

fn row(f: &ExportedFinding) -> Markup {
    html! {
        tr {
            td { span class=(format!("badge v-{}", f.severity.as_str())) { (f.severity.as_str()) } br; (f.rule.as_str().replace('_', " ")) }
            td { a href=(format!("/ui/campaigns/{}", url_escape(&f.campaign_id))) { bdi dir="auto" { (f.campaign_name.as_deref().unwrap_or(&f.campaign_id)) } }
                 br; span.muted { "offer " code { (f.offer_id) } } }
            td { @if let Some(l) = &f.location_id { bdi dir="auto" { (f.location_name.as_deref().unwrap_or(l)) } br; span.muted { code { (l) } } }
                 @if let Some(sku) = &f.sku { br; "sku " code { (sku) } } }
            td { bdi dir="auto" { (f.message) } }
            td.muted { (when(f.checked_at)) br; (f.phase.as_str()) }
            td { (review_badge(f.review_state))
                 @if let Some(r) = &f.last_review { br; span.muted { (r.reviewer) ", " (when(r.at)) } }
                 @if let Some(e) = &f.exemption { br; span.badge.v-pass { "exempt (" (e.category.as_str()) ")" } } }
        }
    }
}

fn view(ctx: &Ctx<'_>, data: &FindingList, filters: &[(String, String)]) -> Markup {
    let next = data
        .next_cursor
        .as_ref()
        .map(|c| format!("/ui/findings?{}", query_with(filters, &[("cursor", c)])));
    page(
        ctx,
        "Findings",
        html! {
            h1 { "Findings" }
            (filter_form(filters))
            p #total { strong { (count(data.total, "finding")) } " match"
                @if data.total == 1 { "es" } ". "
                span.muted { "Download them all: "
                    a href=(format!("/ui/findings/export?{}", query_with(filters, &[("format", "csv")]))) { "CSV" } " · "
                    a href=(format!("/ui/findings/export?{}", query_with(filters, &[("format", "jsonl")]))) { "JSON lines" } } }
            @if !data.rows.is_empty() {
                div.table-wrap { table #findings {
                    thead { tr { th { "Finding" } th { "Campaign" } th { "Where" } th { "What" } th { "Checked" } th { "Review" } } }
                    tbody { @for f in &data.rows { (row(f)) } }
                } }
            }
            @if let Some(href) = next { p.pager { a href=(href) { "More findings →" } } }
        },
    )
}
