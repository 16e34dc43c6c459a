//! `/ui/insights/locations`: per branch, the clicks that met a broken promise and what the
//! customers who clicked it did next — conversion with its interval, NPS with its margin —
//! worded as what goes together, never as cause; within one campaign with `?campaign_id=`.
use super::charts;
use super::layout::{Ctx, count, page, url_escape};
use super::page::{Access, Page, access, signed_in};
use crate::domain::clicked::{LocationFigures, PromiseFigures};
use crate::domain::insight::Basis;
use crate::domain::nps::TOO_FEW_BELOW;
use crate::http::AppState;
use crate::store::ClickerFilter;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

#[derive(serde::Deserialize)]
pub(super) struct Within {
    campaign_id: Option<String>,
}

pub(super) async fn show(
    req: HttpRequest,
    query: web::Query<Within>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let campaign = query.into_inner().campaign_id.filter(|c| !c.is_empty());
    let filter = ClickerFilter {
        campaign_id: campaign.clone(),
        ..ClickerFilter::default()
    };
    let loaded = async {
        let rows = state.analysts.locations(&filter).await?;
        let campaigns = state
            .analysts
            .insight(None, Basis::Campaign)
            .await?
            .campaigns;
        Ok::<_, crate::services::ServiceError>((rows, campaigns))
    }
    .await;
    match loaded {
        Ok((rows, campaigns)) => {
            let campaigns: Vec<(String, String)> = campaigns
                .into_iter()
                .map(|c| {
                    (
                        c.name.unwrap_or_else(|| c.campaign_id.clone()),
                        c.campaign_id,
                    )
                })
                .collect();
            let markup = view(
                &page.ctx(Some(&analyst)),
                campaign.as_deref(),
                &rows,
                &campaigns,
            );
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e.into(), None),
    }
}

fn view(
    ctx: &Ctx<'_>,
    campaign: Option<&str>,
    rows: &[LocationFigures],
    campaigns: &[(String, String)],
) -> Markup {
    page(
        ctx,
        "Branches: broken promises and what followed",
        html! {
            h1 { "Branches: broken promises and what followed" }
            @match campaign {
                Some(id) => p { "Within the campaign " a href=(format!("/ui/campaigns/{}", url_escape(id))) { code { (id) } }
                    " · " a href="/ui/insights/locations" { "all campaigns" } }
                None => p.muted { "All campaigns. Campaigns differ in audience and offer, so compare branches within one campaign too." }
            }
            p { "Each row counts the customers (one per campaign and recipient, once the attribution window after their last click has closed) "
                "who clicked a link to the branch, and what their clicks met: a broken promise is a closed branch or a missing item "
                "found by the check in force when they clicked. A customer who clicked two branches counts in both rows, so rows do not add up." }
            p.muted { "These figures show what goes together — customers who met a closed branch converted less, or answered lower — "
                "not what caused what." }
            @if rows.is_empty() {
                p { "No clicks on branch links yet. Clicks name a branch through the " code { "[promises]" } " link templates." }
            } @else {
                div.table-wrap { table.branches {
                    thead { tr {
                        th { "Branch" } th { "Clicks (broken / kept)" } th { "Customers" }
                        th { "Converted (95 % interval)" } th { "NPS" }
                    } }
                    tbody { @for r in rows { (row(r)) } }
                } }
            }
            @if campaign.is_none() && !campaigns.is_empty() {
                div.card {
                    h2 { "Within one campaign" }
                    ul { @for (name, id) in campaigns { li {
                        a href=(format!("/ui/insights/locations?campaign_id={}", url_escape(id))) { (name) }
                    } } }
                }
            }
        },
    )
}

fn row(r: &LocationFigures) -> Markup {
    let f = &r.figures;
    let label = match &r.name {
        Some(name) => format!("{name} ({})", r.location),
        None => r.location.clone(),
    };
    html! {
        tr id=(format!("branch-{}", r.location)) {
            td { (label) }
            td { (charts::clicks_bar(f.broken_clicks, f.clicks)) br;
                 span.muted { (f.broken_clicks) " / " (f.clicks - f.broken_clicks) } }
            td { (f.clickers) }
            td { (conversion(f)) }
            td { (nps(f)) }
        }
    }
}

fn conversion(f: &PromiseFigures) -> Markup {
    html! {
        @match (f.conversion_rate, f.conversion_interval) {
            (Some(rate), Some(interval)) => {
                (charts::rate_whisker(rate, interval)) br;
                (format!("{:.0} %", rate * 100.0)) " "
                span.muted { (format!("({:.0}–{:.0} %)", interval[0] * 100.0, interval[1] * 100.0)) }
                @if f.clickers < TOO_FEW_BELOW { br; span.too-few { "too few to tell" } }
            }
            _ => { "—" }
        }
    }
}

fn nps(f: &PromiseFigures) -> Markup {
    html! {
        @match (f.nps, f.moe) {
            (Some(v), Some(m)) => {
                (format!("{v:+.0} ± {m:.0}")) br;
                span.muted { (count(f.responses, "answer")) }
                @if f.too_few { br; span.too-few { "too few to tell" } }
            }
            _ => { span.muted { "no answers" } }
        }
    }
}
