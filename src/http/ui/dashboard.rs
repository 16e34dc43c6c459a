//! The fleet dashboard (`/ui/`), the page analysts open on: open findings by severity and by
//! rule, the branches with the most open findings, checks and blocks per day, what the watch
//! found on the platforms' schedules, exemptions ending soon. Every number links to the list
//! it counts (the findings page, the campaign list or the exemptions).
use super::charts;
use super::layout::{Ctx, page, url_escape};
use super::page::{Access, Page, access, signed_in};
use crate::http::AppState;
use crate::services::analyst::{DASHBOARD_DAYS, Dashboard, ENDING_SOON_DAYS};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use maud::{Markup, html};

pub(super) async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    match state.analysts.dashboard(Utc::now()).await {
        Ok(d) => {
            let markup = view(&page.ctx(Some(&analyst)), &d);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e.into(), None),
    }
}

/// The findings page for open findings, narrowed by `param=value`.
fn open_findings(param: &str, value: &str) -> String {
    format!("/ui/findings?review=open&{param}={}", url_escape(value))
}

/// A number that links to the list it counts.
fn figure(n: u64, href: &str, what: &str) -> Markup {
    html! { a.figure href=(href) aria-label=(format!("{n} {what}")) { (n) } }
}

fn view(ctx: &Ctx<'_>, d: &Dashboard) -> Markup {
    let (checks, blocks) = d
        .days
        .iter()
        .fold((0, 0), |(c, b), day| (c + day.checks, b + day.blocks));
    page(
        ctx,
        "Fleet",
        html! {
            h1 { "The fleet today" }
            div.grid.panels {
                section.card aria-labelledby="open-h" {
                    h2 #open-h { "Open findings" }
                    p.big { (figure(d.open_total(), "/ui/findings?review=open", "open findings")) }
                    ul.counts {
                        @for (severity, n) in &d.open_by_severity {
                            li { span class=(format!("badge v-{}", severity.as_str())) { (severity.as_str()) } " "
                                 (figure(*n, &open_findings("severity", severity.as_str()), &format!("open {} findings", severity.as_str()))) }
                        }
                    }
                    p.muted { "In each campaign's latest check, reviewed by nobody, under no exemption. "
                        "Download: " a href="/ui/findings/export?review=open&format=csv" { "CSV" } " · "
                        a href="/ui/findings/export?review=open&format=jsonl" { "JSON lines" } }
                }
                section.card aria-labelledby="rule-h" {
                    h2 #rule-h { "Open findings by rule" }
                    @if d.open_by_rule.is_empty() { p.muted { "None open." } }
                    @else { table { tbody { @for (rule, n) in &d.open_by_rule {
                        tr { td { code { (rule.as_str()) } } td.num { (figure(*n, &open_findings("rule", rule.as_str()), &format!("open {} findings", rule.as_str()))) } }
                    } } } }
                }
                section.card aria-labelledby="loc-h" {
                    h2 #loc-h { "Branches with the most open findings" }
                    @if d.top_locations.is_empty() { p.muted { "None open." } }
                    @else { table { tbody { @for l in &d.top_locations {
                        tr {
                            td { bdi dir="auto" { (l.name.as_deref().unwrap_or(&l.location)) } br; span.muted { code { (l.location) } } }
                            td.num { (figure(l.open, &open_findings("location", &l.location), &format!("open findings at {}", l.location))) }
                        }
                    } } } }
                }
                section.card aria-labelledby="watch-h" {
                    h2 #watch-h { "Schedules and exemptions" }
                    table { tbody {
                        tr { td { "Scheduled campaigns that block" }
                             td.num { (figure(d.scheduled_blocking, "/ui/campaigns?phase=scheduled&verdict=block", "scheduled campaigns that block")) } }
                        tr { td { "Taken off their schedule" }
                             td.num { (figure(d.unscheduled, "/ui/campaigns?action=unscheduled", "campaigns taken off their schedule")) } }
                        tr { td { "Exemptions ending within " (ENDING_SOON_DAYS) " days" }
                             td.num { (figure(d.exemptions_ending, "/ui/exemptions?ending=soon", "exemptions ending soon")) } }
                    } }
                }
            }
            section.card aria-labelledby="days-h" {
                h2 #days-h { "Checks per day, last " (DASHBOARD_DAYS) " days" }
                p { strong { (checks) } " checks, " strong { (blocks) } " of them blocking. "
                    span.muted { "A day's bars open that day's blocking findings." } }
                (charts::checks_per_day(&d.days, |day| {
                    let next = day.day + Duration::days(1);
                    format!("/ui/findings?history=true&severity=block&from={}&to={next}", day.day)
                }))
            }
        },
    )
}
