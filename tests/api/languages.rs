//! The survey in the reader's language: the locale comes from the recipient's event, else the
//! campaign, else `[surveys] default_locale`; Arabic and Persian run right to left in the email
//! and on the pages. Real SMTP, real pages.
use crate::support::app::{TestApp, presend_body};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    Mail, app_with_smtp, clicks, link_in, post_events, surveys_run_ok, unmarked,
};
use promiseguard::store::InvitationStore;
use serde_json::{Value, json};
use std::collections::HashMap;

/// `clicks`, each naming the recipient's language.
fn clicks_in(campaign: &str, recipients: &[(&str, &str)]) -> Vec<Value> {
    recipients
        .iter()
        .map(|(r, locale)| {
            let mut click = clicks(campaign, &[r], 100).remove(0);
            click["locale"] = (*locale).into();
            click
        })
        .collect()
}

/// A campaign whose audience reads Persian, with a title written for them.
async fn persian_campaign(app: &TestApp) {
    let mut body = presend_body(json!([{
        "id": "o1", "title": "یک روز اجارهٔ رایگان",
        "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
        "locations": ["loc-201"]
    }]));
    body["campaign"]["id"] = "tehran".into();
    body["campaign"]["locale"] = "fa-IR".into();
    assert_eq!(app.presend(&body).await.status(), 200);
}

/// Every delivered survey, by recipient.
fn by_recipient(sink: &SmtpSink) -> HashMap<String, (Mail, String)> {
    sink.delivered()
        .into_iter()
        .map(|m| (m.recipients[0].clone(), (Mail::read(&m.data), m.data)))
        .collect()
}

#[tokio::test]
async fn each_invitation_is_written_in_the_language_its_event_campaign_or_default_names() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "[surveys]\nbrand = \"Acme Rentals\"\n").await;
    persian_campaign(&app).await;
    // The event's language wins over the campaign's; a regional tag gets its language.
    post_events(
        &app,
        "/v1/events",
        &clicks_in("tehran", &[("ar@example.com", "ar-EG")]),
    )
    .await;
    post_events(
        &app,
        "/v1/events",
        &clicks("tehran", &["fa@example.com"], 100),
    )
    .await;
    // A campaign known only from events: the default, also for a language no catalog ships.
    post_events(
        &app,
        "/v1/events",
        &clicks("plain", &["en@example.com"], 100),
    )
    .await;
    post_events(
        &app,
        "/v1/events",
        &clicks_in("plain", &[("de@example.com", "de-DE")]),
    )
    .await;
    // SendGrid: the custom arg `locale`.
    let ts = chrono::Utc::now().timestamp() - 100 * 3600;
    let (status, _) = post_events(
        &app,
        "/v1/events/sendgrid",
        &[json!({"email": "sg@example.com", "timestamp": ts, "event": "click", "sg_event_id": "sg-fa",
                 "url": "https://rentals.example.com", "campaign_id": "plain", "locale": "fa"})],
    )
    .await;
    assert_eq!(status, 200);

    surveys_run_ok(&app).await;
    let mails = by_recipient(&sink);
    assert_eq!(mails.len(), 5, "{:?}", mails.keys().collect::<Vec<_>>());

    let (ar, ar_raw) = &mails["ar@example.com"];
    assert_eq!(
        ar.subject,
        "Acme Rentals: سؤال واحد عن «یک روز اجارهٔ رایگان»"
    );
    assert!(
        ar_raw.contains("List-Unsubscribe: <https://cx.example.com/u/"),
        "{ar_raw}"
    );
    assert!(
        unmarked(&ar.text).contains("ما مدى احتمال أن توصي صديقًا أو زميلًا بـAcme Rentals؟"),
        "{}",
        ar.text
    );
    assert!(
        ar.html.contains(r#"<html lang="ar" dir="rtl">"#),
        "{}",
        ar.html
    );
    assert!(
        ar.html.contains(r#"<div dir="rtl" align="right""#),
        "{}",
        ar.html
    );

    for who in ["fa@example.com", "sg@example.com"] {
        let (fa, _) = &mails[who];
        assert!(
            fa.subject.starts_with("Acme Rentals: یک پرسش دربارهٔ "),
            "{who}: {}",
            fa.subject
        );
        assert!(
            unmarked(&fa.text)
                .contains("چقدر احتمال دارد Acme Rentals را به یک دوست یا همکار پیشنهاد کنید؟"),
            "{who}: {}",
            fa.text
        );
        assert!(fa.html.contains(r#"<div dir="rtl" align="right""#), "{who}");
    }
    assert_eq!(
        mails["fa@example.com"].0.subject,
        "Acme Rentals: یک پرسش دربارهٔ «یک روز اجارهٔ رایگان»"
    );
    assert_eq!(
        mails["sg@example.com"].0.subject,
        "Acme Rentals: یک پرسش دربارهٔ پیشنهاد اخیر ما"
    );
    for who in ["en@example.com", "de@example.com"] {
        let (en, _) = &mails[who];
        assert_eq!(
            en.subject, "Acme Rentals: one question about our recent offer",
            "{who}"
        );
        assert!(en.html.contains(r#"<div dir="ltr" align="left""#), "{who}");
    }

    // The invitation keeps the language chosen when it was queued.
    let mut stored: HashMap<String, Option<String>> = HashMap::new();
    for campaign in ["tehran", "plain"] {
        for i in app.store.invitations(campaign).await.unwrap() {
            stored.insert(i.recipient, i.locale);
        }
    }
    assert_eq!(stored["ar@example.com"].as_deref(), Some("ar"));
    assert_eq!(stored["fa@example.com"].as_deref(), Some("fa"));
    assert_eq!(stored["de@example.com"].as_deref(), Some("en"));

    // The pages follow the invitation: Arabic survey and thank-you, Persian unsubscribe.
    let link = link_in(ar_raw, 3);
    let page = app.client.get(local(&app, &link)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"<html lang="ar" dir="rtl">"#), "{page}");
    assert!(
        unmarked(&page).contains("كان الفرع أو المتجر مغلقًا"),
        "{page}"
    );
    let thanks = app
        .client
        .post(local(&app, link.split('?').next().unwrap()))
        .form(&[("score", "3"), ("reason", "location_closed")])
        .send()
        .await
        .unwrap();
    assert_eq!(thanks.status(), 200);
    let thanks = unmarked(&thanks.text().await.unwrap());
    assert!(thanks.contains("شكرًا لك"), "{thanks}");
    assert!(
        thanks.contains("تلقّت Acme Rentals إجابتك (3 من 10)"),
        "{thanks}"
    );

    let fa_raw = &mails["fa@example.com"].1;
    let text = Mail::read(fa_raw).text;
    let start = text.find("https://cx.example.com/u/").unwrap();
    let unsubscribe = text[start..].split_whitespace().next().unwrap();
    let page = app
        .client
        .get(local(&app, unsubscribe))
        .send()
        .await
        .unwrap();
    let page = unmarked(&page.text().await.unwrap());
    assert!(page.contains(r#"<html lang="fa" dir="rtl">"#), "{page}");
    assert!(
        page.contains("دیگر از fa@example.com نظرخواهی نمی\u{200c}کنیم."),
        "{page}"
    );
}

/// The service's address for a link written for `public_base_url`.
fn local(app: &TestApp, url: &str) -> String {
    url.replace("https://cx.example.com", &app.address)
}

#[tokio::test]
async fn the_default_language_is_configurable_and_a_bad_tag_is_named() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "[surveys]\ndefault_locale = \"fa\"\n").await;
    post_events(
        &app,
        "/v1/events",
        &clicks("plain", &["x@example.com"], 100),
    )
    .await;
    let (status, problem) = post_events(
        &app,
        "/v1/events",
        &clicks_in("plain", &[("y@example.com", "Persian please")]),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["pointer"].as_str()),
        (422, Some("/0/locale")),
        "{problem}"
    );
    let mut body = presend_body(json!([{
        "id": "o1", "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
        "locations": ["loc-201"]
    }]));
    body["campaign"]["locale"] = "fa_IR".into();
    let res = app.presend(&body).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["pointer"], "/campaign/locale",
        "{problem}"
    );

    surveys_run_ok(&app).await;
    let mails = by_recipient(&sink);
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails["x@example.com"].0.subject,
        "Acme CX: یک پرسش دربارهٔ پیشنهاد اخیر ما"
    );
}

/// Where each score's box sits: `(score, left, top)`, in score order.
async fn score_positions(browser: &crate::support::browser::Browser) -> Vec<(u64, f64, f64)> {
    let v = browser
        .eval(
            "return [...document.querySelectorAll('.scores label')].map(l => \
             [Number(l.querySelector('input').value), l.getBoundingClientRect().left, \
              l.getBoundingClientRect().top])",
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let n = |i: usize| p[i].as_f64().unwrap();
            (p[0].as_u64().unwrap(), n(1), n(2))
        })
        .collect()
}

/// Whether each score sits right of the next wherever the two share a row (`rtl`), or left.
fn runs(boxes: &[(u64, f64, f64)], rtl: bool) -> bool {
    boxes
        .windows(2)
        .filter(|w| (w[0].2 - w[1].2).abs() < 1.0)
        .all(|w| {
            if rtl {
                w[0].1 > w[1].1
            } else {
                w[0].1 < w[1].1
            }
        })
}

/// Real Chromium at a phone's width: the Arabic and Persian survey pages run right to left,
/// 0 at the reader's start (the right) with "not at all likely" under it, nothing wider than
/// the screen; answering in Persian thanks in Persian. Screenshots in target/screenshots/.
#[tokio::test]
async fn arabic_and_persian_survey_pages_run_right_to_left_on_a_phone() {
    let Some(browser) = crate::support::browser::Browser::start(
        "arabic_and_persian_survey_pages_run_right_to_left_on_a_phone",
    )
    .await
    else {
        return;
    };
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "[surveys]\nbrand = \"Acme Rentals\"\n").await;
    persian_campaign(&app).await;
    post_events(
        &app,
        "/v1/events",
        &clicks_in(
            "tehran",
            &[
                ("ar@example.com", "ar"),
                ("fa@example.com", "fa"),
                ("en@example.com", "en"),
            ],
        ),
    )
    .await;
    surveys_run_ok(&app).await;
    let mails = by_recipient(&sink);
    browser.resize(390, 844).await;

    for (who, lang, heading) in [
        (
            "ar@example.com",
            "ar",
            "ما مدى احتمال أن توصي صديقًا أو زميلًا بـAcme Rentals؟",
        ),
        (
            "fa@example.com",
            "fa",
            "چقدر احتمال دارد Acme Rentals را به یک دوست یا همکار پیشنهاد کنید؟",
        ),
    ] {
        browser.goto(&local(&app, &link_in(&mails[who].1, 8))).await;
        let dir = browser
            .eval("return [document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.body).direction]")
            .await;
        assert_eq!(dir, json!([lang, "rtl", "rtl"]), "{who}");
        assert_eq!(
            unmarked(&browser.text(&browser.find("h1").await).await),
            heading
        );
        // Mirrored: each score's box right of the next one, on every row it wraps to.
        let boxes = score_positions(&browser).await;
        assert_eq!(boxes.len(), 11);
        assert!(runs(&boxes, true), "{who}: not mirrored: {boxes:?}");
        assert!(boxes[0].1 > boxes[1].1, "{who}: 0 at the right: {boxes:?}");
        let ends = browser
            .eval("return [...document.querySelectorAll('.ends span')].map(s => s.getBoundingClientRect().left)")
            .await;
        assert!(
            ends[0].as_f64().unwrap() > ends[1].as_f64().unwrap(),
            "{who}: 'not at all likely' at the right: {ends}"
        );
        let fits = browser
            .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
            .await;
        assert_eq!(fits, true, "{who}: wider than a phone");
        browser.screenshot(&format!("survey-{lang}-phone")).await;
    }

    // The Arabic email as a phone's mail app shows it: right to left, 0 at the right, no
    // sideways scrolling.
    let email = tempfile::Builder::new().suffix(".html").tempfile().unwrap();
    std::fs::write(email.path(), &mails["ar@example.com"].0.html).unwrap();
    browser
        .goto(&format!("file://{}", email.path().display()))
        .await;
    let cells = browser
        .eval("return [...document.querySelectorAll('td a')].map(a => [a.textContent, a.getBoundingClientRect().left])")
        .await;
    let cells = cells.as_array().unwrap();
    assert_eq!(cells.len(), 11);
    assert!(
        cells[0][0] == "0" && cells[0][1].as_f64() > cells[10][1].as_f64(),
        "{cells:?}"
    );
    let fits = browser
        .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(fits, true, "the Arabic email is wider than a phone");
    browser.screenshot("survey-email-ar-phone").await;

    // English, for contrast: 0 at the left.
    browser
        .goto(&local(&app, &link_in(&mails["en@example.com"].1, 8)))
        .await;
    let boxes = score_positions(&browser).await;
    assert!(runs(&boxes, false) && boxes[0].1 < boxes[1].1, "{boxes:?}");

    // Answering in Persian: the reason, the send button, the thank-you page.
    browser
        .goto(&local(&app, &link_in(&mails["fa@example.com"].1, 9)))
        .await;
    browser
        .click_css("input[name=reason][value=unavailable]")
        .await;
    browser.navigate_by("button[type=submit]").await;
    let thanks = unmarked(&browser.page_text().await);
    assert!(thanks.contains("سپاس\u{200c}گزاریم"), "{thanks}");
    assert!(thanks.contains("(9 از 10)"), "{thanks}");
    browser.screenshot("survey-fa-thanks-phone").await;
    let answered = app.store.invitations("tehran").await.unwrap();
    let fa = answered
        .iter()
        .find(|i| i.recipient == "fa@example.com")
        .unwrap();
    assert_eq!(
        (fa.score, fa.reason.as_deref()),
        (Some(9), Some("unavailable"))
    );
    browser.quit().await;
}
