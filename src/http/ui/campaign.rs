//! One campaign: offers with their findings, evidence and reviews, the review forms (one a
//! finding, and one for the ticked findings, handled in `reviews`), a re-check
//! button, NPS with its chart, broken vs kept, the history of checks, what the watch did, and
//! alerts.
use super::charts;
use super::layout::{Ctx, page, review_badge, url_escape, verdict_badge, when};
use super::page::{Access, Page, access, read_form, signed_in};
use super::reviews::{self, past_tense};
use super::session;
use crate::domain::content::LinkTemplates;
use crate::domain::hours::local_label;
use crate::domain::insight::{Basis, PromiseInsight};
use crate::domain::observation::location_label;
use crate::domain::{Campaign, Offer};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::analyst::{CampaignDetail, FindingView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

pub(super) async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let id = path.into_inner();
    let loaded = async {
        let detail = state.analysts.campaign(&id).await?;
        let mine = state.analysts.insight(Some(&id), Basis::Campaign).await?;
        let overall = state.analysts.insight(None, Basis::Campaign).await?;
        Ok::<_, crate::services::ServiceError>((detail, mine, overall))
    }
    .await;
    match loaded {
        Ok((detail, mine, overall)) => {
            let offers = offers_made(&detail, state.config.promises.templates());
            let ctx = page.ctx(Some(&analyst));
            let markup = campaign_page(&ctx, &detail, &offers, &mine, &overall);
            page.html(StatusCode::OK, markup)
        }
        Err(e) => page.error(Some(&analyst), e.into(), Some("/ui/campaigns")),
    }
}

pub(super) async fn recheck(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let id = path.into_inner();
    let back = format!("/ui/campaigns/{}", url_escape(&id));
    let done = async {
        let form = read_form(&req, payload).await?;
        session::require_csrf(&req, &form)?;
        let reviewer = analyst.reviewer("re-check a campaign")?;
        Ok::<_, ApiError>(state.analysts.recheck(&reviewer, &id).await?)
    };
    match done.await {
        Ok(_) => page.see_other(&back),
        Err(e) => page.error(Some(&analyst), e, Some(&back)),
    }
}

/// The offers the campaign makes as last received: those given as JSON, then those its content
/// makes (read again with the configured templates); none for a campaign known only from
/// engagement events.
fn offers_made(detail: &CampaignDetail, templates: &LinkTemplates) -> Vec<Offer> {
    serde_json::from_value::<Campaign>(detail.campaign.clone())
        .ok()
        .and_then(|c| c.into_promised(templates, "").ok())
        .map(|p| p.campaign.offers)
        .unwrap_or_default()
}

/// The window judged at this location, in its own zone: "Window there: Sun 13 Dec 09:00 –
/// Sun 13 Dec 17:00 (America/Los_Angeles)".
fn local_window(evidence: &serde_json::Value) -> Option<String> {
    let tz: chrono_tz::Tz = evidence["zone"].as_str()?.parse().ok()?;
    let at = |edge: &str| {
        DateTime::parse_from_rfc3339(evidence["window"][edge].as_str()?)
            .ok()
            .map(|t| local_label(tz, t.with_timezone(&Utc)))
    };
    Some(format!(
        "Window there: {} – {} ({tz})",
        at("from")?,
        at("until")?
    ))
}

/// What heads an offer's card: its id, title and window as the page shows them.
struct OfferHead<'a> {
    id: &'a str,
    title: &'a str,
    window: String,
}

/// One offer: its verdict and keepable locations in the latest check, the promises read for
/// it from the content ("from the link …"), and its findings.
fn offer_card(ctx: &Ctx<'_>, detail: &CampaignDetail, head: OfferHead<'_>) -> Markup {
    let latest = detail.latest_check.as_ref();
    let result = latest.and_then(|l| l.offers.iter().find(|o| o.offer_id == head.id));
    let extracted: Vec<_> = latest
        .iter()
        .flat_map(|l| &l.extracted)
        .filter(|e| e.offer_id == head.id)
        .collect();
    html! {
        section.card {
            h3 {
                (head.title) " "
                @if let Some(r) = result { (verdict_badge(Some(r.verdict.as_str()))) }
            }
            p.muted { code { (head.id) } " · " (head.window) }
            @if let Some(r) = result {
                p { "Still keepable at: "
                    @if r.keepable_locations.is_empty() { strong { "no location" } }
                    @else { @for (i, l) in r.keepable_locations.iter().enumerate() {
                        @if i > 0 { ", " } (branch_link(&detail.id, l, l)) } } }
            }
            @if !extracted.is_empty() {
                details.extracted {
                    summary { "Read from the email (" (extracted.len()) ")" }
                    ul { @for e in &extracted { li {
                        @if let Some(sku) = &e.sku { code { (sku) } " at " }
                        code { (e.location.as_deref().unwrap_or("")) }
                        (link_origin(e.text.as_deref(), e.href.as_deref()))
                    } } }
                }
            }
            @if let Some(l) = latest {
                @for f in l.findings.iter().filter(|f| f.finding.offer_id == head.id) {
                    (finding_card(ctx, &detail.id, f))
                }
            }
        }
    }
}

/// A branch, linked to its row in the campaign's per-branch insight.
fn branch_link(campaign_id: &str, location: &str, label: &str) -> Markup {
    let href = format!(
        "/ui/insights/locations?campaign_id={}#branch-{}",
        url_escape(campaign_id),
        url_escape(location)
    );
    html! { a href=(href) title="What the customers who clicked this branch did next" { (label) } }
}

/// " — from the link *Rent from Downtown →*", or from markup.
fn link_origin(text: Option<&str>, href: Option<&str>) -> Markup {
    html! {
        @match (text, href) {
            (Some(text), Some(href)) => { " — from the link " em title=(href) { (text) } }
            (None, Some(href)) => { " — from the link " code { (href) } }
            (Some(text), None) => { " — from the markup of " em { (text) } }
            (None, None) => { " — from the email's markup" }
        }
    }
}

fn finding_card(ctx: &Ctx<'_>, campaign_id: &str, f: &FindingView) -> Markup {
    let evidence = serde_json::to_string_pretty(&f.finding.evidence).unwrap_or_default();
    html! {
        article class=(format!("finding sev-{}", f.finding.severity.as_str())) id=(format!("finding-{}", f.finding.id)) {
            h4 {
                span class=(format!("badge v-{}", f.finding.severity.as_str())) { (f.finding.severity.as_str()) }
                code { (f.finding.rule.as_str()) }
                @if let Some(l) = &f.finding.target.location { span { "at " (branch_link(campaign_id, l, &location_label(l, f.finding.evidence["name"].as_str()))) } }
                @if let Some(s) = &f.finding.target.sku { span { "sku " code { (s) } } }
                (review_badge(f.review_state))
                @if let Some(e) = &f.finding.exemption {
                    span.badge title=(format!("Exemption {}: counts toward no verdict", e.id)) { "exempt (" (e.category.as_str()) ") until " (when(e.expires_at)) }
                }
                @if f.is_new { span.badge.new title="Not in the campaign's previous check" { "new" } }
                @if ctx.can_review() {
                    label.tick { input type="checkbox" name="finding_id" value=(f.finding.id) form=(reviews::BULK_FORM); "Select" }
                }
            }
            p { (f.finding.message) }
            @if let Some(link) = f.finding.evidence.get("link") {
                p.muted { (link_origin(link["text"].as_str(), link["href"].as_str())) }
            }
            @if let Some(local) = local_window(&f.finding.evidence) { p.muted { (local) } }
            @if f.finding.evidence.is_null() {
                p.muted { "Evidence removed after " code { "[retention] evidence_days" } "." }
            } @else {
                details { summary { "Evidence" } pre { (evidence) } }
            }
            @if !f.reviews.is_empty() {
                ul.muted {
                    @for r in &f.reviews {
                        li { (when(r.created_at)) " · " strong { (r.reviewer) } " " (past_tense(r.action))
                             @if let Some(n) = &r.note { ": “" bdi dir="auto" { (n) } "”" } }
                    }
                }
            }
            @if ctx.can_review() {
                form.review method="post" action=(format!("/ui/findings/{}/review", url_escape(&f.finding.id))) {
                    (reviews::review_fields(ctx, campaign_id))
                    button type="submit" { "Save review" }
                }
            }
        }
    }
}

fn nps_panel(detail: &CampaignDetail) -> Markup {
    let n = &detail.nps;
    html! {
        section.card aria-labelledby="nps-h" {
            h2 id="nps-h" { "NPS of surveyed clickers" }
            p {
                span.nps-score { @match n.summary.nps { Some(v) => (format!("{v:+.1}")), None => "—" } }
                @if let Some(moe) = n.summary.moe { " " span.moe title="95 % margin of error (adjusted Wald)" { "± " (format!("{moe:.1}")) } }
                @if n.summary.too_few && n.summary.responses > 0 { " " strong.too-few { "too few answers to tell" } }
                " " span.muted { (n.summary.responses) " responses of " (n.invited) " invited · "
                    (n.summary.promoters) " promoters, " (n.summary.passives) " passives, " (n.summary.detractors) " detractors" }
            }
            (charts::nps_distribution(&n.summary.distribution))
            @if !n.summary.reasons.is_empty() {
                h3 { "Were they able to use the offer?" }
                ul.reasons {
                    @for (reason, count) in &n.summary.reasons {
                        li { (reason.label()) ": " strong { (count) } }
                    }
                }
            }
            @if !n.comments.is_empty() {
                h3 { "Comments" }
                ul {
                    @for c in &n.comments {
                        li { strong { (c.score) } " — “" bdi dir="auto" { (c.comment) } "” " span.muted { (when(c.answered_at)) } }
                    }
                }
            }
        }
    }
}

fn campaign_page(
    ctx: &Ctx<'_>,
    detail: &CampaignDetail,
    offers: &[Offer],
    insight: &PromiseInsight,
    overall: &PromiseInsight,
) -> Markup {
    let title = detail.name.clone().unwrap_or_else(|| detail.id.clone());
    let latest = detail.latest_check.as_ref();
    let broke = insight.campaigns.first().map(|c| c.broken);
    html! {
        (page(ctx, &title, html! {
            p.muted { a href="/ui/campaigns" { "← Campaigns" } }
            h1 { (title) " " (verdict_badge(latest.map(|l| l.head.verdict.as_str()))) }
            p.muted {
                code { (detail.id) } @if let Some(p) = &detail.platform { " · " (p) }
                " · offers run " (when(detail.valid_from)) " – " (when(detail.valid_until))
                @if let Some(l) = latest { " · last checked " (when(l.checked_at)) " (" (l.head.phase.as_str()) ")" }
            }
            @if ctx.can_review() && latest.is_some() {
                form method="post" action=(format!("/ui/campaigns/{}/recheck", url_escape(&detail.id))) {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    button.secondary type="submit" { "Re-check now" }
                }
            }
            @if !detail.actions.is_empty() {
                h2 { "Where it is scheduled" }
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "Platform" } th { "Done" } th { "Was to send" } } }
                    tbody { @for a in &detail.actions {
                        tr { td { (when(a.at)) } td { (a.platform) } td { strong { (a.action.as_str()) } @if let Some(d) = &a.detail { br; span.muted { (d) } } } td { (when(a.send_time)) } }
                    } }
                } }
            }
            @if let Some(l) = latest {
                @if !l.warnings.is_empty() {
                    div.card { h2 { "Warnings" } ul { @for w in &l.warnings { li { (w) } } } }
                }
            }
            h2 { "Offers" }
            @if offers.is_empty() && latest.is_none_or(|l| l.offers.is_empty()) { p.card { "This campaign is known only from engagement events: no offers were checked." } }
            @for offer in offers {
                (offer_card(ctx, detail, OfferHead {
                    id: &offer.id,
                    title: offer.title.as_deref().unwrap_or(&offer.id),
                    window: format!("{} – {}", when(offer.valid_from), when(offer.valid_until)),
                }))
            }
            // Checked once, no longer made (the templates changed since): its findings stay in view.
            @for gone in latest.iter().flat_map(|l| &l.offers).filter(|o| !offers.iter().any(|m| m.id == o.offer_id)) {
                (offer_card(ctx, detail, OfferHead {
                    id: &gone.offer_id,
                    title: &gone.offer_id,
                    window: "no longer made by the campaign as stored".into(),
                }))
            }
            @if ctx.can_review() && latest.is_some_and(|l| !l.findings.is_empty()) {
                (reviews::bulk_form(ctx, &detail.id))
            }
            div.grid {
                (nps_panel(detail))
                section.card aria-labelledby="insight-h" {
                    h2 id="insight-h" { "Broken vs kept promises" }
                    p {
                        @match broke {
                            Some(true) => { "This campaign " strong { "broke a promise" } " (a block or flag finding at send or while live). " }
                            Some(false) => { "This campaign " strong { "kept its promises" } ". " }
                            None => { "No survey answers for this campaign yet. " }
                        }
                        "Across all campaigns:"
                    }
                    (charts::promise_comparison(&overall.broken, &overall.kept))
                }
            }
            h2 { "History of checks" }
            ol.timeline {
                @for c in &detail.checks {
                    li { (when(c.checked_at)) " · " (c.head.phase.as_str()) " · " (verdict_badge(Some(c.head.verdict.as_str())))
                         " · " (c.findings) " findings" @if c.head.mode.as_str() == "dry_run" { " (dry run)" } }
                }
            }
            @if !detail.alerts.is_empty() {
                h2 { "Alerts" }
                div.table-wrap { table {
                    thead { tr { th { "Channel" } th { "To" } th { "Status" } th { "Attempts" } } }
                    tbody { @for a in &detail.alerts {
                        tr { td { (a.channel.as_str()) } td { code { (a.target) } } td { (a.status) } td { (a.attempts) } }
                    } }
                } }
            }
        }))
    }
}
