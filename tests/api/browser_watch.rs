//! The analyst pages of a watched campaign in a real browser: the watch job (every second, on
//! the real scheduler) takes a Klaviyo campaign off the schedule; the list, filtered to
//! scheduled checks, shows when it was to send and what was done, and the campaign's page has
//! the action — at desktop and at phone width.
use crate::support::browser::Browser;
use crate::support::platforms::watcher::unscheduled_rental;

#[tokio::test]
async fn a_campaign_taken_off_the_schedule_shows_on_the_list_and_its_page() {
    let Some(browser) =
        Browser::start("a_campaign_taken_off_the_schedule_shows_on_the_list_and_its_page").await
    else {
        return;
    };
    let (_fake, app) = unscheduled_rental("").await;

    browser
        .goto(&format!("{}/ui/campaigns?phase=scheduled", app.address))
        .await;
    let list = browser.page_text().await;
    assert!(
        list.contains("k-rental") && list.contains("(scheduled)"),
        "{list}"
    );
    assert!(
        list.contains("planned send ") && list.contains("unscheduled"),
        "{list}"
    );
    browser.screenshot("campaign-list-scheduled").await;

    browser
        .goto(&format!("{}/ui/campaigns/k-rental", app.address))
        .await;
    let page = browser.page_text().await;
    assert!(page.contains("Where it is scheduled"), "{page}");
    assert!(
        page.contains("klaviyo") && page.contains("unscheduled"),
        "{page}"
    );
    browser.screenshot("campaign-page-scheduled").await;
    browser.resize(390, 844).await;
    browser.screenshot("campaign-page-scheduled-phone").await;
    let fits = browser
        .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the campaign page is wider than a phone");
    browser.quit().await;
}
