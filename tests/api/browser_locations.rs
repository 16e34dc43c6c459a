//! The per-branch page in a real browser: after the story of `promise_clicks` (five branches,
//! two closed; clicks, conversions and answers), the insight page links to it, its rows say
//! what went with the closed branches without claiming a cause, a campaign's branch links to
//! its row within the campaign — at desktop and at phone width.
use crate::browser::sign_in;
use crate::promise_clicks::{config, the_story};
use crate::support::analysts::VIEWER;
use crate::support::browser::Browser;
use crate::support::smtp::SmtpSink;
use crate::support::surveys::app_with_smtp;

#[tokio::test]
async fn the_branch_table_shows_broken_clicks_conversion_and_nps_per_branch() {
    let Some(browser) =
        Browser::start("the_branch_table_shows_broken_clicks_conversion_and_nps_per_branch").await
    else {
        return;
    };
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, &config()).await;
    the_story(&app, &sink).await;
    sign_in(&browser, &app, VIEWER).await;

    browser.goto(&format!("{}/ui/insights", app.address)).await;
    browser
        .navigate_by("a[href='/ui/insights/locations']")
        .await;
    let page = browser.page_text().await;
    assert!(
        page.contains("Branches: broken promises and what followed"),
        "{page}"
    );
    assert!(
        page.contains("not what caused what"),
        "worded as association: {page}"
    );
    let rows = browser.find_all("table.branches tbody tr").await;
    assert_eq!(rows.len(), 5);
    let first = browser.text(&rows[0]).await;
    assert!(
        first.contains("Downtown (loc-101)") && first.contains("2 / 0"),
        "{first}"
    );
    assert!(
        first.contains("50 %") && first.contains("too few to tell"),
        "{first}"
    );
    let bars = browser.find_all("table.branches svg[role=img]").await;
    assert_eq!(
        bars.len(),
        10,
        "a clicks bar and a conversion whisker per branch"
    );
    browser.screenshot("insights-locations").await;
    browser.resize(390, 844).await;
    browser.screenshot("insights-locations-phone").await;
    let fits = browser
        .eval("return document.querySelector('main').scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the page is wider than a phone");
    browser.resize(1280, 900).await;

    // From the campaign's page, a branch opens its row within the campaign.
    browser
        .goto(&format!("{}/ui/campaigns/five-branches", app.address))
        .await;
    browser
        .navigate_by("a[href='/ui/insights/locations?campaign_id=five-branches#branch-loc-201']")
        .await;
    let within = browser.page_text().await;
    assert!(
        within.contains("Within the campaign five-branches"),
        "{within}"
    );
    assert!(!within.contains("Within one campaign"), "{within}");
    browser.screenshot("insights-locations-campaign").await;
    browser.quit().await;
}
