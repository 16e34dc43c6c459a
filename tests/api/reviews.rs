//! The analyst API's commands: reviews (a known action; an override needs a note) and manual
//! re-checks, and the campaign detail they change.
use crate::support::analysts::{REVIEWER, VIEWER, fixture, get, post, tokens};
use crate::support::app::{live_offer, presend_body, spawn_app};
use crate::support::surveys::{clicks, post_events};
use promiseguard::store::ReviewStore;
use serde_json::{Value, json};

#[tokio::test]
async fn reviews_need_a_known_action_and_an_override_needs_a_note() {
    let app = spawn_app(&tokens()).await;
    assert_eq!(app.presend(&fixture("block")).await.status(), 200);
    let (_, detail) = get(
        &app,
        "/v1/campaigns/rentals-free-day-2026-11",
        Some(REVIEWER),
    )
    .await;
    let finding = detail["latest_check"]["findings"][0]["id"]
        .as_str()
        .unwrap();
    let path = format!("/v1/findings/{finding}/review");

    let cases = [
        (r#"{"action":"override"}"#, 422, "/note"),
        (r#"{"action":"override","note":"   "}"#, 422, "/note"),
        (r#"{"action":"shrug"}"#, 422, "/action"),
        (r#"{"note":"x"}"#, 422, "/action"),
        (r#"{"action":"resolve","colour":"red"}"#, 422, "/colour"),
    ];
    for (body, status, pointer) in cases {
        let (got, problem) = post(&app, &path, Some(REVIEWER), body).await;
        assert_eq!(got, status, "{body}: {problem}");
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{body}: {problem}"
        );
    }
    assert_eq!(post(&app, &path, Some(REVIEWER), "{not json").await.0, 400);
    assert_eq!(
        post(
            &app,
            "/v1/findings/nope/review",
            Some(REVIEWER),
            r#"{"action":"resolve"}"#
        )
        .await
        .0,
        404
    );
    assert!(
        app.store
            .reviews("rentals-free-day-2026-11")
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );

    let (status, _) = post(
        &app,
        &path,
        Some(REVIEWER),
        r#"{"action":"override","note":"the branch manager confirmed it opens Tuesday"}"#,
    )
    .await;
    assert_eq!(status, 201);
    let (_, detail) = get(&app, "/v1/campaigns/rentals-free-day-2026-11", Some(VIEWER)).await;
    let f = &detail["latest_check"]["findings"][0];
    assert_eq!(f["review_state"], "overridden");
    assert_eq!(
        f["reviews"][0]["note"],
        "the branch manager confirmed it opens Tuesday"
    );
    assert_eq!(f["reviews"][0]["reviewer"], "dana");
    assert!(f["reviews"][0]["created_at"].is_string());

    // Every review is kept: a later resolve comes first in the history (reviews are ordered by
    // time, stamped in strictly increasing milliseconds).
    let (status, _) = post(
        &app,
        &path,
        Some(REVIEWER),
        r#"{"action":"resolve","note":"reopened"}"#,
    )
    .await;
    assert_eq!(status, 201);
    let (_, detail) = get(&app, "/v1/campaigns/rentals-free-day-2026-11", Some(VIEWER)).await;
    let f = &detail["latest_check"]["findings"][0];
    assert_eq!(f["review_state"], "resolved");
    let actions: Vec<&str> = f["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["resolve", "override"]);
}

#[tokio::test]
async fn the_detail_has_the_latest_check_its_history_and_nps_and_a_recheck_adds_to_it() {
    let app = spawn_app(&tokens()).await;
    let body = json!({"campaign": {"id": "live-3", "name": "Weekend SUVs",
        "offers": [live_offer("o", &["loc-101", "loc-201"])]}});
    assert_eq!(app.presend(&body).await.status(), 200);
    let (status, check) = post(&app, "/v1/campaigns/live-3/recheck", Some(REVIEWER), "").await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["phase"], "manual");

    let (status, detail) = get(&app, "/v1/campaigns/live-3", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(detail["name"], "Weekend SUVs");
    assert_eq!(detail["campaign"]["offers"][0]["id"], "o");
    let latest = &detail["latest_check"];
    assert_eq!(latest["check_id"], check["check_id"]);
    assert_eq!(latest["phase"], "manual");
    assert_eq!(latest["offers"][0]["offer_id"], "o");
    let findings = latest["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "loc-101 is closed in the fixtures");
    assert_eq!(
        findings[0]["is_new"], false,
        "the pre-send check had it too"
    );
    assert_eq!(findings[0]["review_state"], "open");
    let phases: Vec<&str> = detail["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["manual", "pre_send"]);
    assert_eq!(detail["nps"]["campaign_id"], "live-3");
    assert_eq!(detail["nps"]["distribution"].as_array().unwrap().len(), 11);

    assert_eq!(get(&app, "/v1/campaigns/nope", Some(VIEWER)).await.0, 404);
    assert_eq!(
        post(&app, "/v1/campaigns/nope/recheck", Some(REVIEWER), "")
            .await
            .0,
        404
    );

    // A campaign whose offers have all ended has nothing left to check.
    let mut ended = presend_body(json!([{"id": "old", "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2026-01-08T00:00:00Z", "locations": ["loc-201"]}]));
    ended["campaign"]["id"] = "ended".into();
    ended["campaign"]["send_at"] = "2026-01-01T09:00:00Z".into();
    assert_eq!(app.presend(&ended).await.status(), 200);
    let (status, problem) = post(&app, "/v1/campaigns/ended/recheck", Some(REVIEWER), "").await;
    assert_eq!(status, 409, "{problem}");
    // An event-only campaign has no offers at all.
    post_events(
        &app,
        "/v1/events",
        &clicks("events-only", &["a@example.com"], 1),
    )
    .await;
    assert_eq!(
        get(&app, "/v1/campaigns/events-only", Some(VIEWER)).await.1["latest_check"],
        Value::Null
    );
    assert_eq!(
        post(
            &app,
            "/v1/campaigns/events-only/recheck",
            Some(REVIEWER),
            ""
        )
        .await
        .0,
        409
    );
}

/// `POST /v1/findings/review`: up to 500 findings with one decision in one request, all or
/// none — an id that names no finding is refused at its pointer and nothing is reviewed.
#[tokio::test]
async fn many_findings_are_reviewed_in_one_request_or_not_at_all() {
    let app = spawn_app(&tokens()).await;
    let gone: Vec<String> = (0..500).map(|i| format!("gone-{i:03}")).collect();
    let gone: Vec<&str> = gone.iter().map(String::as_str).collect();
    let body = crate::support::app::presend_body(json!([live_offer("o", &gone)]));
    let answer: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(answer["verdict"], "block", "{answer}");
    let (_, detail) = get(&app, "/v1/campaigns/c-test", Some(REVIEWER)).await;
    let ids: Vec<String> = detail["latest_check"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 500, "one finding a branch no source knows");
    let path = "/v1/findings/review";
    let request = |ids: &[String], action: &str| {
        json!({"finding_ids": ids, "action": action, "note": "branches sold to a franchisee"})
            .to_string()
    };

    // Who may: viewers are refused, and so is no token.
    assert_eq!(
        post(&app, path, Some(VIEWER), &request(&ids, "acknowledge"))
            .await
            .0,
        403
    );
    assert_eq!(
        post(&app, path, None, &request(&ids, "acknowledge"))
            .await
            .0,
        401
    );
    // What: each problem at its pointer.
    let mut over = ids.clone();
    over.push("one-too-many".into());
    let mut twice = ids[..3].to_vec();
    twice.push(ids[1].clone());
    let mut unknown = ids.clone();
    unknown[3] = "no-such-finding".into();
    for (body, pointer) in [
        (request(&over, "acknowledge"), "/finding_ids"),
        (request(&[], "acknowledge"), "/finding_ids"),
        (request(&twice, "acknowledge"), "/finding_ids/3"),
        (request(&ids, "shrug"), "/action"),
        (
            json!({"finding_ids": ids, "action": "override"}).to_string(),
            "/note",
        ),
        (request(&unknown, "acknowledge"), "/finding_ids/3"),
    ] {
        let (status, problem) = post(&app, path, Some(REVIEWER), &body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    assert!(
        app.store.reviews("c-test").await.unwrap().is_empty(),
        "a refused bulk review keeps nothing, not even the reviews before the unknown id"
    );

    let (status, answer) = post(&app, path, Some(REVIEWER), &request(&ids, "acknowledge")).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["review_state"], "acknowledged");
    let reviews = answer["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 500);
    assert_eq!(reviews[499]["finding_id"], ids[499].as_str());
    assert_eq!(reviews[0]["reviewer"], "dana");
    let (_, detail) = get(&app, "/v1/campaigns/c-test", Some(VIEWER)).await;
    let findings = detail["latest_check"]["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["review_state"] == "acknowledged"
        && f["reviews"][0]["note"] == "branches sold to a franchisee"));
}
