//! What every analyst page shares: the page shell and its style sheet, who is looking
//! (`Ctx`), and the small pieces of markup several pages use. Plain HTML and CSS: everything
//! works without JavaScript, and the layout reflows from a laptop down to a phone.
use crate::domain::{Analyst, ReviewState, Role};
use crate::http::document::document;
use chrono::{DateTime, Utc};
use maud::{Markup, html};

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
label.tick{margin-left:auto;display:inline-flex;gap:.3rem;align-items:center;font-size:.85rem;font-weight:400}label.tick input{width:1.1rem;height:1.1rem}
ol.timeline{list-style:none;padding:0;margin:0;border-left:2px solid #d1d5db}
ol.timeline li{position:relative;padding:.25rem 0 .6rem 1rem}ol.timeline li::before{content:"";position:absolute;left:-7px;top:.55rem;width:12px;height:12px;border-radius:50%;background:#9ca3af}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
.nps-score{font-size:2.2rem;font-weight:800}svg.chart{width:100%;height:auto;max-width:640px;display:block}
.error{color:#991b1b;font-weight:600}.pager{margin-top:.8rem}
p.big{font-size:2.2rem;font-weight:800;margin:.2rem 0}ul.counts{list-style:none;padding:0;display:flex;gap:1.2rem;flex-wrap:wrap;margin:.2rem 0 .6rem}
a.figure{font-weight:700;font-variant-numeric:tabular-nums}td.num{text-align:right;width:5rem}
.grid.panels{align-items:start}a.button{display:inline-block;padding:.5rem 1rem;border-radius:6px;background:#1d4ed8;color:#fff;text-decoration:none;font-weight:600}section.card h2{margin-top:.2rem}
"#;

pub fn page(ctx: &Ctx<'_>, title: &str, body: Markup) -> Markup {
    let title = format!("{title} · promiseguard");
    let body = html! {
        header {
            a href="/ui/" { "promiseguard" }
            @if ctx.analyst.is_some() {
                nav { a href="/ui/" { "Fleet" } " · " a href="/ui/campaigns" { "Campaigns" } " · " a href="/ui/findings" { "Findings" } " · " a href="/ui/insights" { "Broken vs kept" } " · " a href="/ui/exemptions" { "Exemptions" } }
            }
            @if let Some(a) = ctx.analyst {
                div.who {
                    span { (a.name) " (" (a.role.as_str()) ")" }
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
    };
    document("en", "ltr", &title, CSS, body)
}

pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn verdict_badge(verdict: Option<&str>) -> Markup {
    match verdict {
        Some(v) => html! { span class=(format!("badge v-{v}")) { (v) } },
        None => html! { span.badge.v-none { "not checked" } },
    }
}

pub fn review_badge(state: ReviewState) -> Markup {
    let s = state.as_str();
    html! { span class=(format!("badge r-{s}")) { (s) } }
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

pub fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// How analysts may sign in here.
#[derive(Debug, Clone, Copy)]
pub struct SignInWays {
    /// With an analyst token.
    pub tokens: bool,
    /// Through the identity provider (`[analysts.oidc]`).
    pub provider: bool,
}

/// The sign-in page, to come back to `next`: the sign-in page's, and any page's answer to a
/// caller who is not signed in.
pub fn sign_in_form(ctx: &Ctx<'_>, next: &str, ways: SignInWays, error: Option<&str>) -> Markup {
    page(
        ctx,
        "Sign in",
        html! {
            div.card style="max-width:26rem" {
                h1 { "Sign in" }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                @if ways.provider {
                    p { a.button #sso href=(format!("/ui/oidc/start?next={}", url_escape(next))) { "Sign in with your company account" } }
                }
                @if ways.tokens {
                    @if ways.provider { p.muted { "Or with an analyst token:" } }
                    @else { p.muted { "Use the analyst token you were given (from the service's [analysts] configuration)." } }
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
            }
        },
    )
}
