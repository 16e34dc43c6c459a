use crate::support::app::TestApp;
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    Mail, app_with_smtp, clicks, link_in, one_click_unsubscribe, post_events, surveys_run,
    unmarked, unsubscribe_url,
};
use promiseguard::store::{EngagementStore, InvitationStore};
use serde_json::{Value, json};

/// An app whose sweep has emailed a@ and b@ about campaign `c1`; their messages.
async fn surveyed(extra: &str) -> (TestApp, SmtpSink, Vec<String>) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, extra).await;
    post_events(
        &app,
        "/v1/events",
        &clicks("c1", &["a@example.com", "b@example.com"], 100),
    )
    .await;
    assert_eq!(surveys_run(&app).await.status.code(), Some(0));
    let mut delivered = sink.delivered();
    delivered.sort_by(|x, y| x.recipients.cmp(&y.recipients));
    let data = delivered.into_iter().map(|m| m.data).collect();
    (app, sink, data)
}

fn local(url: &str, app: &TestApp) -> String {
    url.replace("https://cx.example.com", &app.address)
}

/// The page a link in an email opens, as text.
async fn page_text(app: &TestApp, url: &str) -> String {
    let res = app.client.get(local(url, app)).send().await.unwrap();
    res.text().await.unwrap()
}

async fn answer(app: &TestApp, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let post = local(url.split('?').next().unwrap(), app);
    app.client.post(post).form(form).send().await.unwrap()
}

#[tokio::test]
async fn opening_a_score_link_records_nothing_and_posting_records_the_last_answer() {
    let (app, _sink, mails) = surveyed("").await;
    let link = link_in(&mails[0], 9);
    // A mail scanner (or the person) opens the link: the page shows 9 selected, nothing stored.
    let page = app.client.get(local(&link, &app)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("value=\"9\" required checked"), "{html}");
    assert!(html.contains("name=\"viewport\""));
    let rows = app.store.invitations("c1").await.unwrap();
    assert!(
        rows.iter().all(|r| r.score.is_none()),
        "a GET records nothing"
    );

    let res = answer(
        &app,
        &link,
        &[
            ("score", "9"),
            ("comment", "Every branch near me was closed"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Thank you"));
    let res = answer(
        &app,
        &link,
        &[
            ("score", "3"),
            ("comment", "Every branch near me was closed <b>"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let row = app
        .store
        .invitations("c1")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.recipient == "a@example.com")
        .unwrap();
    assert_eq!(
        (row.score, row.comment.as_deref()),
        (Some(3), Some("Every branch near me was closed <b>")),
        "the last answer wins"
    );
    // The page escapes what people type.
    let html = page_text(&app, &link).await;
    assert!(html.contains("&lt;b&gt;") && !html.contains("closed <b>"));

    let bad = answer(&app, &link, &[("score", "11")]).await;
    assert_eq!(bad.status(), 422);
    let row = app
        .store
        .invitations("c1")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.recipient == "a@example.com")
        .unwrap();
    assert_eq!(row.score, Some(3));
}

#[tokio::test]
async fn a_tampered_token_is_404() {
    let (app, _sink, mails) = surveyed("").await;
    let link = local(&link_in(&mails[0], 5), &app);
    let (path, query) = link.split_once('?').unwrap();
    let mut tampered = path.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for url in [
        format!("{tampered}?{query}"),
        format!("{}/s/not-a-token", app.address),
        format!("{}/u/x.y", app.address),
    ] {
        assert_eq!(
            app.client.get(&url).send().await.unwrap().status(),
            404,
            "{url}"
        );
    }
    let res = app
        .client
        .post(&tampered)
        .form(&[("score", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn one_click_unsubscribe_suppresses_the_address() {
    let (app, _sink, mails) = surveyed("").await;
    let unsubscribe = unsubscribe_url(&app, &mails[1]);
    let page = app.client.get(&unsubscribe).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("b@example.com"));
    // RFC 8058: the mail client POSTs List-Unsubscribe=One-Click.
    one_click_unsubscribe(&app, &unsubscribe).await;
    // b clicks another campaign later: never a candidate again.
    post_events(&app, "/v1/events", &clicks("c2", &["b@example.com"], 100)).await;
    let candidates = app
        .store
        .sweep_candidates(chrono::Utc::now())
        .await
        .unwrap();
    assert!(
        candidates.iter().all(|(_, r)| r != "b@example.com"),
        "{candidates:?}"
    );
}

#[tokio::test]
async fn nps_per_campaign_in_the_pinned_shape() {
    let (app, _sink, mails) = surveyed("").await;
    answer(
        &app,
        &link_in(&mails[0], 10),
        &[("score", "10"), ("comment", "Fast and easy")],
    )
    .await;
    answer(
        &app,
        &link_in(&mails[1], 2),
        &[
            ("score", "2"),
            ("comment", ""),
            ("reason", "location_closed"),
        ],
    )
    .await;
    let res = app.get("/v1/campaigns/c1/nps").await;
    assert_eq!(res.status(), 200);
    let mut nps: Value = res.json().await.unwrap();
    let answered_at = nps["comments"][0]["answered_at"].take();
    assert!(answered_at.is_string());
    assert_eq!(
        nps,
        json!({
            "campaign_id": "c1", "invited": 2, "responses": 2, "promoters": 1, "passives": 0, "detractors": 1,
            "nps": 0.0, "distribution": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
            // Adjusted Wald by hand: n' = 5, p = d = 1.75/5, variance 0.7/5 → ± 73.3.
            "moe": 73.3, "interval": [-73.3, 73.3], "too_few": true,
            "reasons": {"location_closed": 1},
            "comments": [{"score": 10, "comment": "Fast and easy", "answered_at": null}]
        })
    );
    assert_eq!(app.get("/v1/campaigns/nope/nps").await.status(), 404);
}

#[tokio::test]
async fn with_analyst_tokens_configured_the_nps_needs_one() {
    let (app, _sink, _) = surveyed("[analysts]\ntokens = [{ name = \"dana\", role = \"viewer\", token = \"tok-dana-0123456789\" }]\n").await;
    assert_eq!(app.get("/v1/campaigns/c1/nps").await.status(), 401);
    let wrong = app
        .client
        .get(format!("{}/v1/campaigns/c1/nps", app.address))
        .bearer_auth("tok-nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(format!("{}/v1/campaigns/c1/nps", app.address))
        .bearer_auth("tok-dana-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn the_promise_question_is_stored_with_the_answer_and_shared_in_the_insight() {
    let (app, _sink, mails) = surveyed("").await;
    let link = link_in(&mails[0], 3);
    // The question is on the page, every answer offered, none chosen.
    let page = page_text(&app, &link).await;
    assert!(page.contains("Were you able to use the offer?"), "{page}");
    for value in [
        "used",
        "location_closed",
        "unavailable",
        "offer_ended",
        "did_not_try",
        "other",
    ] {
        assert!(page.contains(&format!("value=\"{value}\"")), "{value}");
    }
    // A reason the form never offered is refused, the score kept on the page.
    let res = answer(&app, &link, &[("score", "3"), ("reason", "closed")]).await;
    assert_eq!(res.status(), 422);
    // First "did not try", then "the branch was closed": the last answer wins.
    answer(&app, &link, &[("score", "5"), ("reason", "did_not_try")]).await;
    answer(
        &app,
        &link,
        &[("score", "3"), ("reason", "location_closed")],
    )
    .await;
    let again = page_text(&app, &link).await;
    assert!(
        again.contains("value=\"location_closed\" checked"),
        "{again}"
    );
    let nps: Value = app.get("/v1/campaigns/c1/nps").await.json().await.unwrap();
    assert_eq!(nps["reasons"], json!({"location_closed": 1}), "{nps}");
    let insight: Value = app.get("/v1/insights/promises").await.json().await.unwrap();
    let side = if insight["broken"]["responses"] == 1 {
        "broken"
    } else {
        "kept"
    };
    assert_eq!(
        insight[side]["reasons"],
        json!({"location_closed": 1.0}),
        "{insight}"
    );
}

/// A campaign's brand and its offer's title (never its internal name) in the subject, the
/// question and the pages; without a campaign brand, `[surveys] brand`.
#[tokio::test]
async fn the_survey_asks_in_the_brands_name_about_the_offers_title() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "[surveys]\nbrand = \"Acme CX\"\n").await;
    let mut body = crate::support::app::presend_body(json!([{
        "id": "o1", "title": "A free day at Midtown",
        "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
        "locations": ["loc-201"]
    }]));
    body["campaign"]["id"] = "branded".into();
    body["campaign"]["name"] = "Q4 internal test cell B".into();
    body["campaign"]["brand"] = "Acme Rentals".into();
    assert_eq!(app.presend(&body).await.status(), 200);
    post_events(
        &app,
        "/v1/events",
        &clicks("branded", &["a@example.com"], 100),
    )
    .await;
    post_events(
        &app,
        "/v1/events",
        &clicks("events-only", &["b@example.com"], 100),
    )
    .await;
    assert_eq!(surveys_run(&app).await.status.code(), Some(0));
    let mut mails = sink.delivered();
    mails.sort_by(|x, y| x.recipients.cmp(&y.recipients));
    let branded = Mail::read(&mails[0].data);
    assert_eq!(
        branded.subject,
        "Acme Rentals: one question about “A free day at Midtown”"
    );
    for part in [&branded.text, &branded.html] {
        let part = unmarked(part);
        assert!(
            part.contains("How likely are you to recommend Acme Rentals to a friend or colleague?"),
            "{part}"
        );
        assert!(part.contains("A free day at Midtown"), "{part}");
        assert!(!part.contains("internal test cell"), "{part}");
    }
    let page = unmarked(&page_text(&app, &link_in(&mails[0].data, 8)).await);
    assert!(
        page.contains("How likely are you to recommend Acme Rentals to a friend or colleague?"),
        "{page}"
    );
    assert!(
        page.contains("“A free day at Midtown” from Acme Rentals"),
        "{page}"
    );
    // A campaign known only from events: the configured brand, and no title to name.
    assert_eq!(
        Mail::read(&mails[1].data).subject,
        "Acme CX: one question about our recent offer"
    );
}
