//! `GET /v1/recipients/{address}`: everything stored about one person, for reviewers only;
//! `DELETE` (and `promiseguard erase`): erase it.
use crate::support::analysts::{REVIEWER, VIEWER, delete, fixture, get, tokens};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{
    app_with_smtp, clicks, link_in, one_click_unsubscribe, post_events, surveys_run_ok,
    unsubscribe_url,
};
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
    one_click_unsubscribe(&app, &unsubscribe_url(&app, &mail.data)).await;

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

/// The blocked fixture campaign (its promise is broken), clicked by Dana and Bob, surveyed;
/// Dana answers 3 with a comment, Bob 9.
async fn surveyed_pair() -> (crate::support::app::TestApp, SmtpSink, String) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, &tokens()).await;
    let campaign = fixture("block");
    assert_eq!(app.presend(&campaign).await.status(), 200);
    let id = campaign["campaign"]["id"].as_str().unwrap().to_owned();
    post_events(
        &app,
        "/v1/events",
        &clicks(&id, &["dana@example.com", "bob@example.com"], 100),
    )
    .await;
    surveys_run_ok(&app).await;
    for (who, score, comment) in [("dana", "3", "Closed on Sunday"), ("bob", "9", "")] {
        let mail = sink
            .delivered()
            .into_iter()
            .find(|m| m.recipients[0] == format!("{who}@example.com"))
            .unwrap();
        let link = link_in(&mail.data, 3).replace("https://cx.example.com", &app.address);
        let res = app
            .client
            .post(link.split('?').next().unwrap())
            .form(&[("score", score), ("comment", comment)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    (app, sink, id)
}

#[tokio::test]
async fn an_erased_person_is_gone_never_surveyed_again_and_the_numbers_stay() {
    let (app, sink, campaign) = surveyed_pair().await;
    let dana_link = link_in(
        &sink
            .delivered()
            .into_iter()
            .find(|m| m.recipients[0] == "dana@example.com")
            .unwrap()
            .data,
        5,
    )
    .replace("https://cx.example.com", &app.address);
    let nps_path = format!("/v1/campaigns/{campaign}/nps");
    let (_, nps_before) = get(&app, &nps_path, Some(REVIEWER)).await;
    let (_, insight_before) = get(&app, "/v1/insights/promises", Some(REVIEWER)).await;
    assert_eq!(nps_before["responses"], 2, "{nps_before}");
    assert_eq!(insight_before["broken"]["responses"], 2, "{insight_before}");

    let path = "/v1/recipients/Dana%40Example.com";
    assert_eq!(delete(&app, path, None).await.0, 401);
    assert_eq!(
        delete(&app, path, Some(VIEWER)).await.0,
        403,
        "reviewers only"
    );
    assert_eq!(
        delete(&app, "/v1/recipients/dana", Some(REVIEWER)).await.0,
        400
    );
    let (status, receipt) = delete(&app, path, Some(REVIEWER)).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(
        receipt["erased"],
        json!({"events": 1, "invitations": 1, "comments": 1, "suppressions": 0, "alerts": 0, "responses": 0, "requests": 0, "quarantined": 0})
    );
    assert_eq!(
        (
            &receipt["anonymised_answers"],
            &receipt["do_not_contact"],
            &receipt["already_erased"]
        ),
        (&json!(1), &json!(true), &json!(false))
    );

    // The numbers do not move; only the comment went.
    let (_, nps_after) = get(&app, &nps_path, Some(REVIEWER)).await;
    for key in [
        "responses",
        "nps",
        "distribution",
        "moe",
        "reasons",
        "invited",
    ] {
        assert_eq!(nps_after[key], nps_before[key], "{key}");
    }
    assert!(
        !nps_after.to_string().contains("Closed on Sunday"),
        "{nps_after}"
    );
    let (_, insight_after) = get(&app, "/v1/insights/promises", Some(REVIEWER)).await;
    assert_eq!(insight_after, insight_before);

    // Gone from the access document and from the pages; a new click is refused quietly and
    // nobody is emailed.
    let (_, data) = get(&app, "/v1/recipients/dana%40example.com", Some(REVIEWER)).await;
    assert_eq!(
        (&data["events"], &data["invitations"]),
        (&json!([]), &json!([]))
    );
    assert_eq!(data["do_not_contact"], true);
    let page = app.client.get(&dana_link).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let (status, recorded) = post_events(
        &app,
        "/v1/events",
        &clicks(
            "another-campaign",
            &["DANA@example.com", "carol@example.com"],
            100,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&recorded["stored"], &recorded["forgotten"]),
        (&json!(1), &json!(1))
    );
    surveys_run_ok(&app).await;
    assert_eq!(
        sink.count_to("dana@example.com"),
        1,
        "the first survey only"
    );
    assert_eq!(sink.count_to("carol@example.com"), 1);

    // Twice is harmless.
    let (status, again) = delete(&app, path, Some(REVIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(again["already_erased"], true);
    assert_eq!(again["erased"]["invitations"], 0);
}

#[tokio::test]
async fn the_command_line_erases_too_and_names_a_bad_address() {
    let (app, _sink, _) = surveyed_pair().await;
    let erase = |address: &str| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"));
        cmd.args(["erase", address, "--config"])
            .arg(app.dir.path().join("promiseguard.toml"))
            .env("PROMISEGUARD_LOG", "warn")
            .kill_on_drop(true);
        cmd
    };
    let out = erase("bob@example.com").output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["erased"]["invitations"], 1, "{receipt}");
    assert_eq!(receipt["anonymised_answers"], 1);
    let (_, data) = get(&app, "/v1/recipients/bob%40example.com", Some(REVIEWER)).await;
    assert_eq!(data["do_not_contact"], true);
    let out = erase("not-an-address").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an email address"));
}
