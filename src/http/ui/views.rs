//! The analyst pages' HTML (maud). Plain forms and links: everything works without JavaScript,
//! and the layout reflows from a laptop down to a phone.
use super::charts;
use crate::domain::insight::PromiseInsight;
use crate::http::auth::{Analyst, Role};
use crate::http::campaigns::{CampaignDetail, CampaignPage, FindingView};
use crate::store::{ReviewAction, ReviewState};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// What every page needs: who is looking, and the CSRF value for its forms.
pub struct Ctx<'a> {
    pub analyst: Option<&'a Analyst>,
    pub csrf: &'a str,
    /// Sign-out only makes sense with tokens (loopback mode has no session).
    pub signed_in: bool,
}

impl Ctx<'_> {
    pub fn can_review(&self) -> bool {
        self.analyst.is_some_and(|a| a.role == Role::Reviewer)
    }
}

const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,sans-serif;color:#111827;background:#f9fafb;line-height:1.45}
header{background:#111827;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}header a:hover,header a:focus{text-decoration:underline}
header .who{margin-left:auto;font-size:.9rem;display:flex;gap:.6rem;align-items:center}
header form{margin:0}header button{background:transparent;border:1px solid #9ca3af;color:#fff;padding:.2rem .6rem}
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.4rem 0 .8rem}h2{font-size:1.15rem;margin:1.4rem 0 .6rem}
a{color:#1d4ed8}.muted{color:#4b5563;font-size:.9rem}code{font-size:.9em;word-break:break-all}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:700;border:1px solid transparent;white-space:nowrap}
.v-pass{background:#dcfce7;color:#14532d;border-color:#86efac}.v-flag{background:#fef3c7;color:#78350f;border-color:#fcd34d}
.v-block{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}.v-none{background:#e5e7eb;color:#374151}
.r-open{background:#fff;color:#7f1d1d;border-color:#fca5a5}.r-acknowledged,.r-overridden,.r-resolved{background:#e0e7ff;color:#1e3a8a}
.new{background:#1d4ed8;color:#fff}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #e5e7eb;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f3f4f6;font-size:.85rem}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
select,input,textarea,button{font:inherit}select,input[type=date],input[type=password],input[type=text],textarea{padding:.35rem .45rem;border:1px solid #9ca3af;border-radius:6px;background:#fff}
button{padding:.4rem .9rem;border-radius:6px;border:0;background:#1d4ed8;color:#fff;cursor:pointer}button.secondary{background:#374151}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:.8rem 1rem;margin-bottom:1rem}
.finding{border-left:4px solid #fca5a5;padding:.6rem .8rem;margin:.6rem 0;background:#fff;border-radius:0 6px 6px 0}
.finding.sev-flag{border-left-color:#fcd34d}.finding h4{margin:0 0 .3rem;font-size:1rem;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
details pre{background:#f3f4f6;padding:.6rem;overflow-x:auto;font-size:.85rem;border-radius:6px}
.review{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin-top:.5rem}.review textarea{width:100%;min-height:2.4rem}
.review label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
ol.timeline{list-style:none;padding:0;margin:0;border-left:2px solid #d1d5db}
ol.timeline li{position:relative;padding:.25rem 0 .6rem 1rem}ol.timeline li::before{content:"";position:absolute;left:-7px;top:.55rem;width:12px;height:12px;border-radius:50%;background:#9ca3af}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
.nps-score{font-size:2.2rem;font-weight:800}svg.chart{width:100%;height:auto;max-width:640px;display:block}
.error{color:#991b1b;font-weight:600}.pager{margin-top:.8rem}
"#;

fn page(ctx: &Ctx<'_>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · promiseguard" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    a href="/ui/campaigns" { "promiseguard" }
                    @if ctx.analyst.is_some() {
                        nav { a href="/ui/campaigns" { "Campaigns" } " · " a href="/ui/insights" { "Broken vs kept" } }
                    }
                    @if let Some(a) = ctx.analyst {
                        div.who {
                            span { (a.name) " (" (role_name(a.role)) ")" }
                            @if ctx.signed_in {
                                form method="post" action="/ui/logout" {
                                    input type="hidden" name="csrf" value=(ctx.csrf);
                                    button type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Reviewer => "reviewer",
    }
}

fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn past_tense(action: ReviewAction) -> &'static str {
    match action {
        ReviewAction::Acknowledge => "acknowledged",
        ReviewAction::Override => "overrode",
        ReviewAction::Resolve => "resolved",
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An offer's time from the stored campaign definition, shown like the other times on the page
/// (the stored text as it is if it somehow does not parse).
fn offer_time(offer: &serde_json::Value, field: &str) -> String {
    let raw = offer.get(field).and_then(|v| v.as_str()).unwrap_or("");
    DateTime::parse_from_rfc3339(raw)
        .map(|t| when(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| raw.to_owned())
}

fn verdict_badge(verdict: Option<&str>) -> Markup {
    match verdict {
        Some(v) => html! { span class=(format!("badge v-{v}")) { (v) } },
        None => html! { span.badge.v-none { "not checked" } },
    }
}

fn review_badge(state: ReviewState) -> Markup {
    let s = state.as_str();
    html! { span class=(format!("badge r-{s}")) { (s) } }
}

pub fn sign_in(ctx: &Ctx<'_>, next: &str, error: Option<&str>) -> Markup {
    page(
        ctx,
        "Sign in",
        html! {
            div.card style="max-width:26rem" {
                h1 { "Sign in" }
                p.muted { "Use the analyst token you were given (from the service's [analysts] configuration)." }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/ui/login" {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    input type="hidden" name="next" value=(next);
                    p {
                        label for="token" { "Analyst token" } br;
                        input id="token" type="password" name="token" required autocomplete="current-password" style="width:100%";
                    }
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

pub fn message(ctx: &Ctx<'_>, title: &str, text: &str, back: Option<&str>) -> Markup {
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            p.error role="alert" { (text) }
            @if let Some(back) = back { p { a href=(back) { "Back" } } }
        },
    )
}

/// The filter values as the form shows them.
pub struct ListForm<'a> {
    pub verdict: &'a str,
    pub review: &'a str,
    pub phase: &'a str,
    pub from: &'a str,
    pub to: &'a str,
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

pub fn campaign_list(
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
                (select("phase", "Latest check", form.phase, &[("", "any"), ("pre_send", "pre-send"), ("live", "live"), ("manual", "manual")]))
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

pub fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn finding_card(ctx: &Ctx<'_>, campaign_id: &str, f: &FindingView) -> Markup {
    let evidence = serde_json::to_string_pretty(&f.finding.evidence).unwrap_or_default();
    html! {
        article class=(format!("finding sev-{}", f.finding.severity.as_str())) id=(format!("finding-{}", f.finding.id)) {
            h4 {
                span class=(format!("badge v-{}", f.finding.severity.as_str())) { (f.finding.severity.as_str()) }
                code { (f.finding.rule.as_str()) }
                @if let Some(l) = &f.finding.target.location { span { "at " (l) } }
                @if let Some(s) = &f.finding.target.sku { span { "sku " code { (s) } } }
                (review_badge(f.review_state))
                @if f.is_new { span.badge.new title="Not in the campaign's previous check" { "new" } }
            }
            p { (f.finding.message) }
            details { summary { "Evidence" } pre { (evidence) } }
            @if !f.reviews.is_empty() {
                ul.muted {
                    @for r in &f.reviews {
                        li { (when(r.created_at)) " · " strong { (r.reviewer) } " " (past_tense(r.action))
                             @if let Some(n) = &r.note { ": “" (n) "”" } }
                    }
                }
            }
            @if ctx.can_review() {
                form.review method="post" action=(format!("/ui/findings/{}/review", url_escape(&f.finding.id))) {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    input type="hidden" name="campaign" value=(campaign_id);
                    label {
                        "Action"
                        select name="action" {
                            option value="acknowledge" { "Acknowledge" }
                            option value="override" { "Override (note required)" }
                            option value="resolve" { "Resolve" }
                        }
                    }
                    label style="flex:1 1 16rem" { "Note" textarea name="note" rows="2" maxlength="4000" {} }
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
                span.nps-score { @match n.nps { Some(v) => (format!("{v:+.1}")), None => "—" } }
                " " span.muted { (n.responses) " responses of " (n.invited) " invited · "
                    (n.promoters) " promoters, " (n.passives) " passives, " (n.detractors) " detractors" }
            }
            (charts::nps_distribution(&n.distribution))
            @if !n.comments.is_empty() {
                h3 { "Comments" }
                ul {
                    @for c in &n.comments {
                        li { strong { (c.score) } " — “" (c.comment) "” " span.muted { (when(c.answered_at)) } }
                    }
                }
            }
        }
    }
}

pub fn campaign_page(
    ctx: &Ctx<'_>,
    detail: &CampaignDetail,
    insight: &PromiseInsight,
    overall: &PromiseInsight,
) -> Markup {
    let title = detail.name.clone().unwrap_or_else(|| detail.id.clone());
    let offers = detail
        .campaign
        .get("offers")
        .and_then(|o| o.as_array())
        .cloned()
        .unwrap_or_default();
    let latest = detail.latest_check.as_ref();
    let broke = insight.campaigns.first().map(|c| c.broken);
    html! {
        (page(ctx, &title, html! {
            p.muted { a href="/ui/campaigns" { "← Campaigns" } }
            h1 { (title) " " (verdict_badge(latest.map(|l| l.verdict.as_str()))) }
            p.muted {
                code { (detail.id) } @if let Some(p) = &detail.platform { " · " (p) }
                " · offers run " (when(detail.valid_from)) " – " (when(detail.valid_until))
                @if let Some(l) = latest { " · last checked " (when(l.checked_at)) " (" (l.phase.as_str()) ")" }
            }
            @if ctx.can_review() && latest.is_some() {
                form method="post" action=(format!("/ui/campaigns/{}/recheck", url_escape(&detail.id))) {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    button.secondary type="submit" { "Re-check now" }
                }
            }
            @if let Some(l) = latest {
                @if !l.warnings.is_empty() {
                    div.card { h2 { "Warnings" } ul { @for w in &l.warnings { li { (w) } } } }
                }
            }
            h2 { "Offers" }
            @if offers.is_empty() { p.card { "This campaign is known only from engagement events: no offers were checked." } }
            @for offer in &offers {
                @let offer_id = offer.get("id").and_then(|v| v.as_str()).unwrap_or("");
                @let result = latest.and_then(|l| l.offers.iter().find(|o| o.offer_id == offer_id));
                section.card {
                    h3 {
                        (offer.get("title").and_then(|v| v.as_str()).unwrap_or(offer_id)) " "
                        @if let Some(r) = result { (verdict_badge(Some(r.verdict.as_str()))) }
                    }
                    p.muted {
                        code { (offer_id) } " · "
                        (offer_time(offer, "valid_from")) " – " (offer_time(offer, "valid_until"))
                    }
                    @if let Some(r) = result {
                        p { "Still keepable at: "
                            @if r.keepable_locations.is_empty() { strong { "no location" } }
                            @else { (r.keepable_locations.join(", ")) } }
                    }
                    @if let Some(l) = latest {
                        @for f in l.findings.iter().filter(|f| f.finding.offer_id == offer_id) {
                            (finding_card(ctx, &detail.id, f))
                        }
                    }
                }
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
                    li { (when(c.checked_at)) " · " (c.phase.as_str()) " · " (verdict_badge(Some(c.verdict.as_str())))
                         " · " (c.findings) " findings" @if c.mode.as_str() == "dry_run" { " (dry run)" } }
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

pub fn insights(ctx: &Ctx<'_>, insight: &PromiseInsight) -> Markup {
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
                    @match insight.difference {
                        Some(d) => { "Difference (kept − broken): " strong { (format!("{d:+.1}")) " points" } "." }
                        None => { "The difference needs answers on both sides." }
                    }
                    " " span.muted { (count(insight.broken.campaigns, "campaign")) " that broke a promise, with "
                        (count(insight.broken.responses, "answer")) "; " (count(insight.kept.campaigns, "campaign"))
                        " that kept them, with " (count(insight.kept.responses, "answer")) "." }
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
