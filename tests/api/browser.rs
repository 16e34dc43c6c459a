//! The analyst pages in a real browser (headless Chromium over WebDriver): sign in with a
//! token, filter the list, open a campaign, review a finding (an override without a note is
//! refused), re-check, read NPS and the broken-vs-kept chart, sign out; a viewer sees no
//! review forms; the page fits a phone's width. No JavaScript on the pages: forms and links.
use crate::support::app::{TestApp, spawn_app};
use crate::support::browser::Browser;
use promiseguard::domain::nps::{Reason, SurveyAnswer};
use promiseguard::store::{AnswerStore, InvitationStore, ReviewStore};
use serde_json::Value;

const REVIEWER: &str = "reviewer-token-0123456789";
const VIEWER: &str = "viewer-token-0123456789ab";

async fn app_with_campaigns() -> TestApp {
    let app = spawn_app(&format!(
        "[analysts]\ntokens = [{{ name = \"dana\", role = \"reviewer\", token = \"{REVIEWER}\" }}, \
         {{ name = \"vic\", role = \"viewer\", token = \"{VIEWER}\" }}]\n"
    ))
    .await;
    for name in ["pass", "flag", "block"] {
        let mut body: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("fixtures/campaigns/{name}.json")).unwrap(),
        )
        .unwrap();
        if name == "block" {
            // Running now, whatever the date, so "Re-check now" has offers to check.
            let now = chrono::Utc::now();
            body["campaign"]["send_at"] = now.to_rfc3339().into();
            let offer = &mut body["campaign"]["offers"][0];
            offer["valid_from"] = (now - chrono::Duration::hours(1)).to_rfc3339().into();
            offer["valid_until"] = (now + chrono::Duration::days(7)).to_rfc3339().into();
        }
        assert_eq!(app.presend(&body).await.status(), 200);
    }
    // Three answers to the blocked campaign's survey, two to the one that kept its promises.
    answer(
        &app,
        "rentals-free-day-2026-11",
        &[
            (
                1,
                Some("Every branch was closed"),
                Some(Reason::LocationClosed),
            ),
            (3, None, Some(Reason::LocationClosed)),
            (9, None, None),
        ],
    )
    .await;
    answer(
        &app,
        PASSED,
        &[
            (10, Some("Easy pickup"), Some(Reason::Used)),
            (9, None, None),
        ],
    )
    .await;
    app
}

/// The id of fixtures/campaigns/pass.json.
const PASSED: &str = "rentals-midtown-2026-11";

async fn answer(app: &TestApp, campaign: &str, scores: &[(u8, Option<&str>, Option<Reason>)]) {
    let pairs: Vec<(String, String)> = (0..scores.len())
        .map(|i| (campaign.to_owned(), format!("r{i}@{campaign}.example.com")))
        .collect();
    let now = chrono::Utc::now();
    app.store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    let mut invitations = app.store.invitations(campaign).await.unwrap();
    invitations.sort_by(|a, b| a.recipient.cmp(&b.recipient));
    for (inv, (score, comment, reason)) in invitations.iter().zip(scores) {
        app.store
            .record_answer(
                &inv.id,
                SurveyAnswer {
                    score: *score,
                    comment: *comment,
                    reason: *reason,
                },
                now,
            )
            .await
            .unwrap();
    }
}

pub(crate) async fn sign_in(browser: &Browser, app: &TestApp, token: &str) {
    browser.goto(&format!("{}/ui/campaigns", app.address)).await;
    let field = browser.find("input#token").await;
    browser.type_into(&field, token).await;
    browser
        .navigate_by("form[action='/ui/login'] button[type=submit]")
        .await;
}

#[tokio::test]
async fn a_reviewer_signs_in_filters_reviews_rechecks_and_signs_out() {
    let Some(browser) =
        Browser::start("a_reviewer_signs_in_filters_reviews_rechecks_and_signs_out").await
    else {
        return;
    };
    let app = app_with_campaigns().await;

    // No session: the sign-in form. A wrong token is refused.
    sign_in(&browser, &app, "wrong-token").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("That token is not valid.")
    );
    sign_in(&browser, &app, REVIEWER).await;
    assert!(
        browser.url().await.ends_with("/ui/campaigns"),
        "{}",
        browser.url().await
    );
    assert!(browser.page_text().await.contains("dana (reviewer)"));
    assert_eq!(browser.find_all("tbody tr").await.len(), 3);

    // The session cookie is HttpOnly and SameSite=Strict.
    let cookies = browser.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c["name"] == "pg_session")
        .expect("a session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Strict");

    // Filter to blocked campaigns.
    browser
        .click_css("select[name=verdict] option[value=block]")
        .await;
    browser
        .navigate_by("form.filters button[type=submit]")
        .await;
    assert!(browser.url().await.contains("verdict=block"));
    let rows = browser.find_all("tbody tr").await;
    assert_eq!(rows.len(), 1);
    assert!(
        browser
            .text(&rows[0])
            .await
            .contains("Neighborhood rental: a free day")
    );
    assert_eq!(browser.find_all("tbody .badge.v-block").await.len(), 1);
    browser.screenshot("campaign-list-blocked").await;

    // The campaign page: offers with findings and evidence, NPS, charts, the timeline.
    browser.navigate_by("tbody tr a").await;
    assert!(
        browser
            .url()
            .await
            .ends_with("/ui/campaigns/rentals-free-day-2026-11")
    );
    let findings = browser.find_all("article.finding").await;
    assert_eq!(
        findings.len(),
        6,
        "five closed branches and an out-of-stock SUV"
    );
    assert_eq!(
        browser.find_all("details pre").await.len(),
        6,
        "evidence for each"
    );
    let nps = browser.text(&browser.find(".nps-score").await).await;
    assert_eq!(nps, "-33.3", "1 promoter, 2 detractors of 3");
    assert!(
        browser
            .page_text()
            .await
            .contains("Every branch was closed")
    );
    // A comment in any script keeps its own direction on the analyst page.
    let comment = browser.find("section.card bdi[dir=auto]").await;
    assert_eq!(browser.text(&comment).await, "Every branch was closed");
    assert_eq!(browser.find_all("svg.chart").await.len(), 2);
    assert_eq!(browser.find_all("ol.timeline li").await.len(), 1);

    // An override needs a note.
    let first = "article.finding:first-of-type";
    browser
        .click_css(&format!(
            "{first} select[name=action] option[value=override]"
        ))
        .await;
    browser
        .navigate_by(&format!("{first} button[type=submit]"))
        .await;
    let text = browser.page_text().await;
    assert!(text.contains("an override needs a note"), "{text}");
    browser.navigate_by("main a").await; // Back
    browser
        .click_css(&format!(
            "{first} select[name=action] option[value=override]"
        ))
        .await;
    let note = browser.find(&format!("{first} textarea[name=note]")).await;
    browser
        .type_into(&note, "Branch manager confirms it reopens Monday")
        .await;
    browser
        .navigate_by(&format!("{first} button[type=submit]"))
        .await;
    assert!(
        browser
            .url()
            .await
            .contains("/ui/campaigns/rentals-free-day-2026-11#finding-")
    );
    let card = browser.text(&browser.find(first).await).await;
    assert!(card.contains("overridden"), "{card}");
    assert!(card.contains("dana overrode"), "{card}");
    assert!(
        card.contains("Branch manager confirms it reopens Monday"),
        "{card}"
    );
    let reviews = app.store.reviews("rentals-free-day-2026-11").await.unwrap();
    assert_eq!(reviews.len(), 1, "the refused override stored nothing");

    // Two findings ticked and reviewed together with one note.
    let ticks = browser
        .find_all("article.finding input[name=finding_id]")
        .await;
    assert_eq!(ticks.len(), 6, "a tick box on each finding");
    browser.click(&ticks[1]).await;
    browser.click(&ticks[2]).await;
    browser
        .click_css("form#bulk-review select[name=action] option[value=resolve]")
        .await;
    let note = browser.find("form#bulk-review textarea[name=note]").await;
    browser
        .type_into(&note, "Both branches reopened this morning")
        .await;
    browser.screenshot("campaign-page-bulk-review").await;
    browser
        .navigate_by("form#bulk-review button[type=submit]")
        .await;
    let resolved = browser.find_all("article.finding").await;
    for card in &resolved[1..3] {
        let card = browser.text(card).await;
        assert!(card.contains("dana resolved"), "{card}");
        assert!(
            card.contains("Both branches reopened this morning"),
            "{card}"
        );
    }
    let reviews = app.store.reviews("rentals-free-day-2026-11").await.unwrap();
    assert_eq!(
        reviews.len(),
        3,
        "the override and the two reviewed together"
    );

    // Re-check now: a second entry in the timeline.
    browser.navigate_by("form[action$='/recheck'] button").await;
    assert_eq!(browser.find_all("ol.timeline li").await.len(), 2);
    assert!(browser.page_text().await.contains("manual"));
    // Locations by the names people know, and the window in the branch's own zone.
    let first_card = browser.text(&browser.find(first).await).await;
    assert!(first_card.contains("at Downtown (loc-101)"), "{first_card}");
    assert!(
        first_card.contains("Window there: ") && first_card.contains("(America/Los_Angeles)"),
        "{first_card}"
    );
    browser.screenshot("campaign-page").await;

    // On a phone-sized window nothing runs off the side (tables scroll inside their box).
    browser.resize(390, 844).await;
    let width = browser.eval("return window.innerWidth").await;
    assert!(
        width.as_u64().unwrap() <= 420,
        "the window did not shrink: {width}"
    );
    browser.screenshot("campaign-page-phone").await;
    browser
        .eval("document.querySelector('article.finding').scrollIntoView(); return 1")
        .await;
    browser.screenshot("campaign-page-phone-finding").await;
    let fits = browser
        .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the campaign page is wider than a phone");
    browser.resize(1280, 900).await;

    // The insight page.
    browser.goto(&format!("{}/ui/insights", app.address)).await;
    let text = browser.page_text().await;
    // A handful of answers: no verdict drawn, the figure shown with its margin.
    assert!(
        text.contains("Too few answers to tell whether broken promises cost NPS"),
        "{text}"
    );
    assert!(text.contains("(so far +133.3 ± "), "{text}");
    // What customers said about using the offer, per side.
    assert!(text.contains("Were they able to use the offer?"), "{text}");
    let closed = browser
        .text(&browser.find("table tbody tr:nth-child(2)").await)
        .await;
    assert!(
        closed.contains("The branch or store was closed") && closed.contains("100 %"),
        "{closed}"
    );
    assert_eq!(browser.find_all("svg.chart").await.len(), 1);
    browser.screenshot("insight-chart").await;

    // Sign out: back to the sign-in form.
    browser
        .navigate_by("form[action='/ui/logout'] button")
        .await;
    browser.goto(&format!("{}/ui/campaigns", app.address)).await;
    assert_eq!(browser.find_all("input#token").await.len(), 1);
    browser.quit().await;
}

#[tokio::test]
async fn a_viewer_reads_but_gets_no_review_or_recheck_forms() {
    let Some(browser) = Browser::start("a_viewer_reads_but_gets_no_review_or_recheck_forms").await
    else {
        return;
    };
    let app = app_with_campaigns().await;
    sign_in(&browser, &app, VIEWER).await;
    assert!(browser.page_text().await.contains("vic (viewer)"));
    browser
        .goto(&format!(
            "{}/ui/campaigns/rentals-free-day-2026-11",
            app.address
        ))
        .await;
    assert_eq!(browser.find_all("article.finding").await.len(), 6);
    assert!(browser.find_all("form.review").await.is_empty());
    assert!(
        browser
            .find_all("form[action$='/recheck']")
            .await
            .is_empty()
    );
    browser.quit().await;
}
