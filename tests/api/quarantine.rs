//! One odd event never stalls a stream: a provider batch stores every valid event and
//! quarantines the rest with a 2xx answer; reviewers list, replay (after a fix) and drop what
//! was quarantined. The generic endpoint stays all-or-nothing unless asked `?partial=true`.
use crate::support::analysts::{REVIEWER, VIEWER, delete, get, post, tokens};
use crate::support::app::{TestApp, spawn_app};
use crate::support::surveys::{clicks, post_events};
use serde_json::{Value, json};

/// A raw body, as the providers post it (the analysts' helper, body last).
async fn post_raw(app: &TestApp, path: &str, body: &str, token: Option<&str>) -> (u16, Value) {
    post(app, path, token, body).await
}

#[tokio::test]
async fn a_sendgrid_batch_with_three_bad_events_stores_the_rest_and_a_replay_the_three() {
    let app = spawn_app(&tokens()).await;
    let ts = chrono::Utc::now().timestamp() - 3600;
    let mut batch: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"email": format!("p{i}@example.com"), "timestamp": ts, "event": "click",
                   "sg_event_id": format!("sg-{i}"), "campaign_id": "c7", "url": "https://rentals.example.com"})
        })
        .collect();
    // Three malformed: no event id, not an address, a timestamp that is no time.
    batch[10].as_object_mut().unwrap().remove("sg_event_id");
    batch[500]["email"] = "not an address".into();
    batch[999]["timestamp"] = "yesterday".into();
    let (status, recorded) = post_events(&app, "/v1/events/sendgrid", &batch).await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(
        (
            &recorded["received"],
            &recorded["stored"],
            &recorded["quarantined"]
        ),
        (&json!(1000), &json!(997), &json!(3)),
        "{recorded}"
    );

    assert_eq!(get(&app, "/v1/quarantine", None).await.0, 401);
    assert_eq!(
        get(&app, "/v1/quarantine", Some(VIEWER)).await.0,
        403,
        "payloads are personal data"
    );
    let (status, list) = get(&app, "/v1/quarantine", Some(REVIEWER)).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    let mut pointers: Vec<&str> = list
        .iter()
        .map(|q| q["pointer"].as_str().unwrap())
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        ["/10/sg_event_id", "/500/email", "/999/timestamp"]
    );
    assert!(list.iter().all(|q| q["endpoint"] == "/v1/events/sendgrid"));

    // Replaying as stored is still wrong: 422, the entry stays. Corrected: stored, dropped.
    let by = |p: &str| list.iter().find(|q| q["pointer"] == p).unwrap().clone();
    let bad_email = by("/500/email");
    let replay_bad_email = format!(
        "/v1/quarantine/{}/replay",
        bad_email["id"].as_str().unwrap()
    );
    let (status, still) = post_raw(&app, &replay_bad_email, "", Some(REVIEWER)).await;
    assert_eq!(status, 422, "{still}");
    // A correction that is not an event or an array of them is the caller's mistake: 400
    // (documented in /openapi.json), and the entry stays.
    let (status, problem) = post_raw(&app, &replay_bad_email, "5", Some(REVIEWER)).await;
    assert_eq!(status, 400, "{problem}");
    for (pointer, fix) in [
        ("/500/email", json!({"email": "p500@example.com"})),
        ("/10/sg_event_id", json!({"sg_event_id": "sg-10"})),
        ("/999/timestamp", json!({"timestamp": ts})),
    ] {
        let entry = by(pointer);
        let mut event: Value = serde_json::from_str(entry["payload"].as_str().unwrap()).unwrap();
        for (k, v) in fix.as_object().unwrap() {
            event[k] = v.clone();
        }
        let id = entry["id"].as_str().unwrap();
        let path = format!("/v1/quarantine/{id}/replay");
        assert_eq!(
            post_raw(&app, &path, &event.to_string(), Some(VIEWER))
                .await
                .0,
            403
        );
        let (status, replayed) = post_raw(&app, &path, &event.to_string(), Some(REVIEWER)).await;
        assert_eq!(status, 200, "{pointer}: {replayed}");
        assert_eq!(replayed["stored"], 1, "{replayed}");
    }
    assert_eq!(
        get(&app, "/v1/quarantine", Some(REVIEWER)).await.1,
        json!([])
    );
    let (_, person) = get(&app, "/v1/recipients/p500%40example.com", Some(REVIEWER)).await;
    assert_eq!(person["events"][0]["id"], "sendgrid:sg-500");
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .contains(r#"promiseguard_events_quarantined_total{endpoint="/v1/events/sendgrid"} 3"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_signed_body_that_does_not_parse_is_kept_whole_and_the_generic_door_stays_strict() {
    let app = spawn_app(&tokens()).await;
    // SendGrid: a body cut short is quarantined whole, answered 200.
    let (status, recorded) = post_raw(
        &app,
        "/v1/events/sendgrid",
        r#"[{"email": "a@example.com", "#,
        None,
    )
    .await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(recorded["quarantined"], 1);
    let (_, list) = get(&app, "/v1/quarantine", Some(REVIEWER)).await;
    assert_eq!(list[0]["pointer"], "");
    assert_eq!(list[0]["payload"], r#"[{"email": "a@example.com", "#);
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        delete(&app, &format!("/v1/quarantine/{id}"), Some(VIEWER))
            .await
            .0,
        403
    );
    assert_eq!(
        delete(&app, &format!("/v1/quarantine/{id}"), Some(REVIEWER))
            .await
            .0,
        204
    );
    assert_eq!(
        delete(&app, &format!("/v1/quarantine/{id}"), Some(REVIEWER))
            .await
            .0,
        404
    );

    // The generic door: one bad event refuses the request, unless `?partial=true`.
    let mut events = clicks("c1", &["a@example.com", "b@example.com"], 2);
    events[1]["recipient"] = "nobody".into();
    let (status, problem) = post_events(&app, "/v1/events", &events).await;
    assert_eq!(
        (status, problem["errors"][0]["pointer"].as_str()),
        (422, Some("/1/recipient"))
    );
    let body = serde_json::to_string(&events).unwrap();
    let (status, recorded) = post_raw(&app, "/v1/events?partial=true", &body, None).await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(
        (&recorded["stored"], &recorded["quarantined"]),
        (&json!(1), &json!(1))
    );
    let (status, problem) = post_raw(&app, "/v1/events?partial=maybe", &body, None).await;
    assert_eq!(
        (status, problem["errors"][0]["pointer"].as_str()),
        (400, Some("/partial"))
    );
}
