//! The exemptions page in a real browser: the active ones ending within a week first, then the
//! other active ones, then the revoked; a reviewer revokes one with its button; the campaign
//! page shows a finding's exemption — at desktop and at phone width.
use crate::browser::sign_in;
use crate::support::analysts::{REVIEWER, delete, post, tokens};
use crate::support::app::{live_offer, presend_body, spawn_app};
use crate::support::browser::Browser;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

#[tokio::test]
async fn exemptions_are_listed_ending_soonest_first_and_a_reviewer_revokes_one() {
    let Some(browser) =
        Browser::start("exemptions_are_listed_ending_soonest_first_and_a_reviewer_revokes_one")
            .await
    else {
        return;
    };
    let app = spawn_app(&tokens()).await;
    let body = presend_body(json!([live_offer("o", &["gone-1", "gone-2"])]));
    assert_eq!(app.presend(&body).await.status(), 200);
    let make = |scope: Value, days: i64, reason: &str| {
        json!({"scope": scope, "category": "waiver", "reason": reason, "ticket": "CX-9",
               "expires_at": (Utc::now() + Duration::days(days)).to_rfc3339()})
        .to_string()
    };
    let mut ids = Vec::new();
    for (scope, days, reason) in [
        (json!({"location": "gone-1"}), 20, "renovation"),
        (json!({"campaign_id": "c-test"}), 3, "sold to a franchisee"),
        (json!({"sku": "SUV"}), 10, "recall"),
    ] {
        let (status, made) = post(
            &app,
            "/v1/exemptions",
            Some(REVIEWER),
            &make(scope, days, reason),
        )
        .await;
        assert_eq!(status, 201, "{made}");
        ids.push(made["exemption"]["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = delete(&app, &format!("/v1/exemptions/{}", ids[2]), Some(REVIEWER)).await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, "/v1/campaigns/c-test/recheck", Some(REVIEWER), "").await;
    assert_eq!(status, 200);

    sign_in(&browser, &app, REVIEWER).await;
    browser
        .goto(&format!("{}/ui/campaigns/c-test", app.address))
        .await;
    let card = browser.text(&browser.find("article.finding").await).await;
    assert!(card.contains("exempt (waiver) until"), "{card}");
    browser.navigate_by("nav a[href='/ui/exemptions']").await;
    let rows = browser.find_all("tbody tr").await;
    assert_eq!(rows.len(), 3);
    let texts = [
        browser.text(&rows[0]).await,
        browser.text(&rows[1]).await,
        browser.text(&rows[2]).await,
    ];
    assert!(
        texts[0].contains("ends soon") && texts[0].contains("sold to a franchisee"),
        "{texts:?}"
    );
    assert!(
        texts[1].contains("active") && texts[1].contains("renovation"),
        "{texts:?}"
    );
    assert!(
        texts[2].contains("revoked") && texts[2].contains("revoked by dana"),
        "{texts:?}"
    );
    assert_eq!(
        browser.find_all("tbody form button").await.len(),
        2,
        "active rows only"
    );
    browser.screenshot("exemptions").await;

    browser
        .navigate_by("tbody tr:first-child form button")
        .await;
    let first = browser.text(&browser.find_all("tbody tr").await[0]).await;
    assert!(
        first.contains("active") && first.contains("renovation"),
        "{first}"
    );
    assert_eq!(browser.find_all("tbody form button").await.len(), 1);
    browser.resize(390, 844).await;
    browser.screenshot("exemptions-phone").await;
    let fits = browser
        .eval("return document.querySelector('main').scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the page is wider than a phone");
    browser.quit().await;
}
