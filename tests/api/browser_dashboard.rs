//! The fleet dashboard in a real browser: `/ui/` after sign-in, every panel filled (findings of a
//! seeded fleet, a Klaviyo campaign the watch took off its schedule, an exemption ending soon),
//! and every number's link landing on a list of exactly that many — at desktop and phone width.
use crate::browser::sign_in;
use crate::support::analysts::{REVIEWER, post, tokens};
use crate::support::browser::Browser;
use crate::support::findings::{Fleet, seed};
use crate::support::platforms::watcher::unscheduled_rental;
use chrono::Utc;
use serde_json::json;

/// How many rows the list at `href` says (the findings page) or shows (the other lists).
async fn listed(browser: &Browser, base: &str, href: &str) -> u64 {
    browser.goto(&format!("{base}{href}")).await;
    if href.starts_with("/ui/findings") {
        let total = browser.text(&browser.find("#total strong").await).await;
        let n = total.split_whitespace().next().unwrap();
        return n.parse().unwrap_or_else(|_| panic!("{total}"));
    }
    browser.find_all("tbody tr").await.len() as u64
}

#[tokio::test]
async fn the_dashboard_opens_the_pages_and_every_number_leads_to_its_list() {
    let Some(browser) =
        Browser::start("the_dashboard_opens_the_pages_and_every_number_leads_to_its_list").await
    else {
        return;
    };
    let (_fake, app) = unscheduled_rental(&tokens()).await;
    let name = |i: usize| format!("Winter rentals {i}");
    let fleet = Fleet {
        campaigns: 6,
        checks_per_campaign: 3,
        findings_per_check: 7,
        locations: 5,
        last: Utc::now(),
        step: chrono::Duration::hours(9),
        name: &name,
    };
    seed(&app.store, &fleet).await;
    let exemption = json!({"scope": {"campaign_id": "c-00002"}, "category": "mitigated",
        "reason": "the branch reopens on Monday",
        "expires_at": (Utc::now() + chrono::Duration::days(3)).to_rfc3339()});
    let (status, made) = post(
        &app,
        "/v1/exemptions",
        Some(REVIEWER),
        &exemption.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{made}");

    sign_in(&browser, &app, REVIEWER).await;
    browser.navigate_by("header a[href='/ui/']").await;
    assert!(browser.url().await.ends_with("/ui/"));
    let text = browser.page_text().await;
    assert!(
        text.contains("The fleet today") && text.contains("Branch number 0"),
        "{text}"
    );
    let days = browser.find_all("svg.chart a").await;
    assert_eq!(days.len(), 30, "a day's bars each link");
    browser.screenshot("dashboard").await;
    browser
        .eval("window.scrollTo(0, document.body.scrollHeight); return true")
        .await;
    browser.screenshot("dashboard-chart").await;
    browser.resize(390, 844).await;
    browser.screenshot("dashboard-phone").await;
    browser
        .eval("window.scrollTo(0, document.body.scrollHeight); return true")
        .await;
    browser.screenshot("dashboard-phone-chart").await;
    let fits = browser
        .eval("return document.querySelector('main').scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the dashboard is wider than a phone");
    browser.resize(1280, 900).await;

    let figures = browser
        .eval(
            "return [...document.querySelectorAll('a.figure')].map(a => [a.getAttribute('href'), a.textContent.trim()])",
        )
        .await;
    let figures: Vec<(String, u64)> = figures
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f[0].as_str().unwrap().to_owned(),
                f[1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    // Open total, two severities, four rules, five branches, three watch/exemption numbers.
    assert!(figures.len() >= 13, "{figures:?}");
    for needed in [
        "/ui/campaigns?phase=scheduled&verdict=block",
        "/ui/campaigns?action=unscheduled",
        "/ui/exemptions?ending=soon",
        "/ui/findings?review=open&location=loc-0",
    ] {
        let (_, n) = figures.iter().find(|(h, _)| h == needed).unwrap();
        assert!(*n >= 1, "{needed}: {n}");
    }
    for (href, n) in &figures {
        assert_eq!(listed(&browser, &app.address, href).await, *n, "{href}");
    }
    browser
        .goto(&format!(
            "{}/ui/findings?review=open&severity=block",
            app.address
        ))
        .await;
    browser.screenshot("findings").await;
    browser.resize(390, 844).await;
    browser.screenshot("findings-phone").await;
    browser.quit().await;
}
