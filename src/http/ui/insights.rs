//! Broken vs kept promises, across every campaign with answers.
use super::charts;
use super::layout::{Ctx, count, page, url_escape};
use super::page::{Access, Page, access, signed_in};
use crate::domain::insight::{Basis, PromiseInsight, Side};
use crate::domain::nps::Reason;
use crate::domain::nps::TOO_FEW_BELOW;
use crate::http::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

pub(super) async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    match state.analysts.insight(None, Basis::Campaign).await {
        Ok(insight) => {
            let markup = view(&page.ctx(Some(&analyst)), &insight);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e.into(), None),
    }
}

fn view(ctx: &Ctx<'_>, insight: &PromiseInsight) -> Markup {
    page(
        ctx,
        "Broken vs kept promises",
        html! {
            h1 { "What broken promises cost" }
            p { "Net Promoter Score of surveyed customers who clicked a campaign that broke a promise "
                "(a block or flag finding at send or while live), next to those whose campaign kept its promises." }
            div.card {
                (charts::promise_comparison(&insight.broken, &insight.kept))
                p {
                    @match (insight.difference, insight.difference_interval) {
                        (Some(_), _) if insight.too_few => {
                            strong.too-few { "Too few answers to tell" } " whether broken promises cost NPS: each side needs "
                            (TOO_FEW_BELOW) " answers before the difference means much"
                            @if let (Some(d), Some(m)) = (insight.difference, insight.difference_moe) { " (so far " (format!("{d:+.1} ± {m:.1}")) " points)" }
                            "."
                        }
                        (Some(d), Some([low, high])) => {
                            "Difference (kept − broken): " strong { (format!("{d:+.1}")) " points" }
                            " (95 % interval " (format!("{low:+.1}")) " to " (format!("{high:+.1}")) ")."
                        }
                        _ => { "The difference needs answers on both sides." }
                    }
                    " " span.muted { (count(insight.broken.campaigns, "campaign")) " that broke a promise, with "
                        (count(insight.broken.responses, "answer")) "; " (count(insight.kept.campaigns, "campaign"))
                        " that kept them, with " (count(insight.kept.responses, "answer")) "." }
                }
            }
            p { a href="/ui/insights/locations" { "Per branch: the clicks that met a closed door, and what those customers did next →" } }
            @if !insight.broken.reasons.is_empty() || !insight.kept.reasons.is_empty() {
                div.card {
                    h2 { "Were they able to use the offer?" }
                    div.table-wrap { table {
                        thead { tr { th { "Answer" } th { "Broken promises" } th { "Kept promises" } } }
                        tbody { @for reason in Reason::ALL {
                            @let share = |side: &Side| side.reasons.get(&reason).map(|s| format!("{:.0} %", s * 100.0)).unwrap_or_else(|| "—".into());
                            tr { td { (reason.label()) } td { (share(&insight.broken)) } td { (share(&insight.kept)) } }
                        } }
                    } }
                    p.muted { "Shares of the answers on each side that said how it went." }
                }
            }
            @if !insight.campaigns.is_empty() {
                div.table-wrap { table {
                    thead { tr { th { "Campaign" } th { "Promises" } th { "Answers" } th { "NPS" } } }
                    tbody { @for c in &insight.campaigns {
                        tr {
                            td { a href=(format!("/ui/campaigns/{}", url_escape(&c.campaign_id))) { (c.name.as_deref().unwrap_or(&c.campaign_id)) } }
                            td { @if c.broken { span.badge.v-block { "broken" } } @else { span.badge.v-pass { "kept" } } }
                            td { (c.responses) }
                            td { @match c.nps { Some(v) => (format!("{v:+.1}")), None => "—" } }
                        }
                    } }
                } }
            }
        },
    )
}
