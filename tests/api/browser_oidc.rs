//! Signing in through the identity provider in a real browser: the sign-in page offers it, the
//! provider (the in-process fake, signing real RS256 JWTs) sends the browser back, and the
//! callback's page moves on to the dashboard by itself with the session — at desktop and phone
//! width.
use crate::support::browser::Browser;
use crate::support::oidc::{FakeIdp, app_with_sign_in};
use std::time::Duration;

#[tokio::test]
async fn an_analyst_signs_in_with_the_company_account_and_lands_on_the_dashboard() {
    let Some(browser) =
        Browser::start("an_analyst_signs_in_with_the_company_account_and_lands_on_the_dashboard")
            .await
    else {
        return;
    };
    let idp = FakeIdp::start().await;
    let app = app_with_sign_in(&idp, &crate::support::analysts::tokens()).await;
    browser.goto(&format!("{}/ui/findings", app.address)).await;
    let text = browser.page_text().await;
    assert!(
        text.contains("Sign in with your company account")
            && text.contains("Or with an analyst token"),
        "{text}"
    );
    browser.screenshot("sign-in-sso").await;
    browser.resize(390, 844).await;
    browser.screenshot("sign-in-sso-phone").await;
    let fits = browser
        .eval("return document.querySelector('main').scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the sign-in page is wider than a phone");
    browser.resize(1280, 900).await;

    browser.navigate_by("a#sso").await;
    // The callback's page moves on by itself to where the sign-in began.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !browser.url().await.ends_with("/ui/findings")
        || !browser.page_text().await.contains("(reviewer)")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}: {}",
            browser.url().await,
            browser.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        browser
            .page_text()
            .await
            .contains("dana@retail.example (reviewer)")
    );
    browser.navigate_by("header form button").await;
    assert!(browser.url().await.ends_with("/ui/login"), "signed out");
    browser.goto(&format!("{}/ui/", app.address)).await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Sign in with your company account")
    );
    browser.quit().await;
}
