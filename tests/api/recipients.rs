//! `GET /v1/recipients/{address}`: everything stored about one person, for reviewers only.
use crate::support::analysts::{REVIEWER, VIEWER, get, tokens};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp, clicks, link_in, post_events, surveys_run_ok};
use serde_json::json;

#[tokio::test]
async fn a_reviewer_gets_everything_stored_about_one_person_and_nothing_else() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, &tokens()).await;
    post_events(
        &app,
        "/v1/events",
        &clicks("c1", &["Dana@Example.com", "b@example.com"], 100),
    )
    .await;
    surveys_run_ok(&app).await;
    let mail = sink
        .delivered()
        .into_iter()
        .find(|m| {
            m.recipients
                .iter()
                .any(|r| r.eq_ignore_ascii_case("dana@example.com"))
        })
        .unwrap();
    let link = link_in(&mail.data, 3);
    let local = |url: &str| {
        url.split('?')
            .next()
            .unwrap()
            .replace("https://cx.example.com", &app.address)
    };
    let res = app
        .client
        .post(local(&link))
        .form(&[
            ("score", "3"),
            ("reason", "location_closed"),
            ("comment", "Closed on Sunday"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let unsubscribe = mail
        .data
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .unwrap()
        .trim_end_matches('>')
        .to_owned();
    let res = app
        .client
        .post(local(&unsubscribe))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let path = "/v1/recipients/dana%40example.com";
    assert_eq!(get(&app, path, None).await.0, 401);
    assert_eq!(
        get(&app, path, Some(VIEWER)).await.0,
        403,
        "personal data: reviewers only"
    );
    let (status, data) = get(&app, path, Some(REVIEWER)).await;
    assert_eq!(status, 200, "{data}");
    assert_eq!(data["address"], "dana@example.com");
    let events = data["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{data}");
    assert_eq!(events[0]["type"], "click");
    assert_eq!(events[0]["campaign_id"], "c1");
    let invitations = data["invitations"].as_array().unwrap();
    assert_eq!(invitations.len(), 1);
    let inv = &invitations[0];
    assert_eq!(inv["status"], "sent");
    assert_eq!(inv["score"], 3);
    assert_eq!(inv["reason"], "location_closed");
    assert_eq!(inv["comment"], "Closed on Sunday");
    assert!(inv["unsubscribed_at"].is_string(), "{inv}");
    assert_eq!(data["suppression"]["reason"], "unsubscribe link");
    assert_eq!(data["campaigns"], json!([{"id": "c1", "name": null}]));
    assert!(
        !data.to_string().contains("b@example.com"),
        "another person's data leaked"
    );

    // Nobody stored under an address: an empty document, not an error.
    let (status, empty) = get(&app, "/v1/recipients/nobody%40example.com", Some(REVIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(empty["events"], json!([]));
    assert_eq!(empty["suppression"], json!(null));
    let (status, problem) = get(&app, "/v1/recipients/nobody", Some(REVIEWER)).await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["pointer"], "/address");
}
