//! The analyst API: tokens and roles, the campaign list, and the promise insight — against
//! the real service on SQLite. Reviews and re-checks are in `reviews.rs`.
use crate::support::analysts::{REVIEWER, VIEWER, fixture, get, post, tokens};
use crate::support::app::{live_offer, spawn_app};
use promiseguard::domain::nps::SurveyAnswer;
use promiseguard::store::{AnswerStore, InvitationStore, ReviewStore};
use serde_json::{Value, json};

#[tokio::test]
async fn tokens_are_required_and_viewers_only_read() {
    let app = spawn_app(&tokens()).await;
    assert_eq!(app.presend(&fixture("block")).await.status(), 200);
    let (status, problem) = get(&app, "/v1/campaigns", None).await;
    assert_eq!(status, 401);
    assert_eq!(problem["status"], 401);
    assert_eq!(get(&app, "/v1/campaigns", Some("not-a-token")).await.0, 401);
    assert_eq!(get(&app, "/v1/insights/promises", None).await.0, 401);
    assert_eq!(
        get(&app, "/v1/campaigns/rentals-free-day-2026-11/nps", None)
            .await
            .0,
        401
    );

    let (status, page) = get(&app, "/v1/campaigns", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(page["campaigns"][0]["id"], "rentals-free-day-2026-11");
    let (_, detail) = get(&app, "/v1/campaigns/rentals-free-day-2026-11", Some(VIEWER)).await;
    let finding = detail["latest_check"]["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let review = format!("/v1/findings/{finding}/review");
    let (status, problem) = post(&app, &review, Some(VIEWER), r#"{"action":"acknowledge"}"#).await;
    assert_eq!(status, 403, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("viewer"));
    let recheck = "/v1/campaigns/rentals-free-day-2026-11/recheck";
    assert_eq!(post(&app, recheck, Some(VIEWER), "").await.0, 403);
    assert_eq!(
        post(&app, &review, None, r#"{"action":"acknowledge"}"#)
            .await
            .0,
        401
    );
    assert!(
        app.store
            .reviews("rentals-free-day-2026-11")
            .await
            .unwrap()
            .is_empty()
    );

    let (status, answer) = post(&app, &review, Some(REVIEWER), r#"{"action":"acknowledge"}"#).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["review"]["reviewer"], "dana");
    assert_eq!(answer["review_state"], "acknowledged");
}

#[tokio::test]
async fn without_tokens_the_analyst_api_answers_on_loopback() {
    // The test client is on 127.0.0.1, the one place a token-less install answers.
    let app = spawn_app("").await;
    assert_eq!(app.presend(&fixture("block")).await.status(), 200);
    let (status, page) = get(&app, "/v1/campaigns", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["campaigns"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_list_filters_pages_and_refuses_bad_parameters() {
    let app = spawn_app(&tokens()).await;
    for (name, id) in [
        ("pass", "p"),
        ("flag", "f"),
        ("block", "b1"),
        ("block", "b2"),
    ] {
        let mut body = fixture(name);
        body["campaign"]["id"] = id.into();
        // Back to back: one process stamps its checks in strictly increasing milliseconds,
        // so the list's order is the order they arrived in even within one millisecond.
        assert_eq!(app.presend(&body).await.status(), 200);
    }
    let ids = |page: &Value| -> Vec<String> {
        page["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = get(&app, "/v1/campaigns", Some(VIEWER)).await;
    assert_eq!(ids(&all), ["b2", "b1", "f", "p"], "newest first");
    assert_eq!(all["campaigns"][0]["latest_check"]["verdict"], "block");
    assert_eq!(all["campaigns"][0]["latest_check"]["phase"], "pre_send");
    assert!(all["campaigns"][0]["open_findings"].as_u64().unwrap() > 0);
    assert_eq!(all["next_cursor"], Value::Null);

    let (_, blocked) = get(
        &app,
        "/v1/campaigns?verdict=block&review=open",
        Some(VIEWER),
    )
    .await;
    assert_eq!(ids(&blocked), ["b2", "b1"]);

    // Two pages of two, then the end.
    let (_, first) = get(&app, "/v1/campaigns?limit=2", Some(VIEWER)).await;
    assert_eq!(ids(&first), ["b2", "b1"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(
        &app,
        &format!("/v1/campaigns?limit=2&cursor={cursor}"),
        Some(VIEWER),
    )
    .await;
    assert_eq!(ids(&second), ["f", "p"]);
    assert_eq!(second["next_cursor"], Value::Null);

    // Phase: the latest check's. A manual re-check of a running campaign makes it `manual`.
    let live = json!({"campaign": {"id": "running", "offers": [live_offer("o", &["loc-201"])]}});
    assert_eq!(app.presend(&live).await.status(), 200);
    assert_eq!(
        post(&app, "/v1/campaigns/running/recheck", Some(REVIEWER), "")
            .await
            .0,
        200
    );
    let (_, manual) = get(&app, "/v1/campaigns?phase=manual", Some(VIEWER)).await;
    assert_eq!(ids(&manual), ["running"]);
    let (_, pre_send) = get(&app, "/v1/campaigns?phase=pre_send", Some(VIEWER)).await;
    assert_eq!(ids(&pre_send), ["b2", "b1", "f", "p"]);

    // Dates: the fixtures' offers run 2026-11-24 to 2026-12-01.
    let (_, inside) = get(
        &app,
        "/v1/campaigns?from=2026-11-30&to=2026-12-01&phase=pre_send",
        Some(VIEWER),
    )
    .await;
    assert_eq!(ids(&inside), ["b2", "b1", "f", "p"]);
    let (_, after) = get(
        &app,
        "/v1/campaigns?from=2026-12-01T00:00:00Z&phase=pre_send",
        Some(VIEWER),
    )
    .await;
    assert!(
        ids(&after).is_empty(),
        "a window that ended at `from` does not overlap it"
    );
    let (_, before) = get(
        &app,
        "/v1/campaigns?to=2026-11-24&phase=pre_send",
        Some(VIEWER),
    )
    .await;
    assert!(ids(&before).is_empty());

    // Review state: acknowledge every finding of `f`, and it moves from open to reviewed.
    let (_, f) = get(&app, "/v1/campaigns/f", Some(VIEWER)).await;
    for finding in f["latest_check"]["findings"].as_array().unwrap() {
        let path = format!("/v1/findings/{}/review", finding["id"].as_str().unwrap());
        assert_eq!(
            post(&app, &path, Some(REVIEWER), r#"{"action":"acknowledge"}"#)
                .await
                .0,
            201
        );
    }
    let (_, reviewed) = get(&app, "/v1/campaigns?review=reviewed", Some(VIEWER)).await;
    assert_eq!(ids(&reviewed), ["f"]);
    let (_, open) = get(
        &app,
        "/v1/campaigns?review=open&phase=pre_send",
        Some(VIEWER),
    )
    .await;
    assert_eq!(ids(&open), ["b2", "b1"]);

    let (status, problem) = get(
        &app,
        "/v1/campaigns?verdict=maybe&limit=500&from=yesterday",
        Some(VIEWER),
    )
    .await;
    assert_eq!(status, 400);
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/verdict", "/limit", "/from"]);
}

#[tokio::test]
async fn the_insight_compares_nps_of_broken_and_kept_promises() {
    let app = spawn_app(&tokens()).await;
    let mut broken = fixture("block");
    broken["campaign"]["id"] = "broken".into();
    let mut kept = fixture("pass");
    kept["campaign"]["id"] = "kept".into();
    assert_eq!(app.presend(&broken).await.status(), 200);
    assert_eq!(app.presend(&kept).await.status(), 200);
    let pairs: Vec<(String, String)> = [
        ("broken", "a@x.com"),
        ("broken", "b@x.com"),
        ("kept", "c@x.com"),
    ]
    .iter()
    .map(|(c, r)| (c.to_string(), r.to_string()))
    .collect();
    let now = chrono::Utc::now();
    app.store
        .queue_invitations(&promiseguard::store::NewInvitation::from_pairs(&pairs), now)
        .await
        .unwrap();
    for (campaign, recipient, score) in [
        ("broken", "a@x.com", 1),
        ("broken", "b@x.com", 6),
        ("kept", "c@x.com", 10),
    ] {
        let rows = app.store.invitations(campaign).await.unwrap();
        let id = &rows.iter().find(|r| r.recipient == recipient).unwrap().id;
        app.store
            .record_answer(
                id,
                SurveyAnswer {
                    score,
                    comment: None,
                    reason: None,
                },
                now,
            )
            .await
            .unwrap();
    }

    let (status, insight) = get(&app, "/v1/insights/promises", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(
        insight["broken"],
        // Two detractors, adjusted Wald by hand: n' = 5, p = 0.15, d = 0.55 → −40 ± 64.4,
        // clipped at −100.
        json!({"campaigns": 1, "responses": 2, "nps": -100.0,
        "distribution": [0,1,0,0,0,0,1,0,0,0,0],
        "moe": 64.4, "interval": [-100.0, 24.4], "too_few": true, "reasons": {}})
    );
    assert_eq!(insight["kept"]["responses"], 1);
    assert_eq!(insight["kept"]["nps"], 100.0);
    // One promoter: n' = 4, p = 0.4375, d = 0.1875 → 25 ± 73.5.
    assert_eq!(insight["kept"]["moe"], 73.5);
    assert_eq!(insight["difference"], 200.0);
    // 25 − (−40) = 65 ± 1.96 × √(var_k + var_b) = ± 97.7.
    assert_eq!(insight["difference_moe"], 97.7);
    assert_eq!(insight["difference_interval"], json!([-32.7, 162.7]));
    assert_eq!(insight["too_few"], true);
    assert_eq!(insight["campaigns"][0]["campaign_id"], "broken");

    let (_, one) = get(&app, "/v1/insights/promises?campaign_id=kept", Some(VIEWER)).await;
    assert_eq!(one["kept"]["campaigns"], 1);
    assert_eq!(one["broken"]["responses"], 0);
    assert_eq!(one["difference"], Value::Null);
    assert_eq!(
        get(&app, "/v1/insights/promises?campaign_id=nope", Some(VIEWER))
            .await
            .0,
        404
    );
    assert_eq!(
        get(&app, "/v1/insights/promises?campagin=kept", Some(VIEWER))
            .await
            .0,
        400
    );
}
