use crate::support::app::{TestApp, offer, presend_body, spawn_app};
use serde_json::{Value, json};

async fn problem(app: &TestApp, body: Vec<u8>) -> (u16, Value) {
    let res = app.post_raw("/v1/presend", body, &[]).await;
    let status = res.status().as_u16();
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/problem+json",
        "status {status}"
    );
    (status, res.json().await.unwrap())
}

fn valid() -> Value {
    presend_body(json!([offer(
        "o",
        &["loc-201"],
        &[("COMPACT", "loc-201", 1)]
    )]))
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app("").await;
    for body in [
        &b"{\"campaign\": "[..],
        b"not json",
        b"",
        b"{\"campaign\": {\"id\": \"c\", \"offers\": []}} {}",
    ] {
        let (status, p) = problem(&app, body.to_vec()).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(p["status"], 400);
        assert_eq!(p["title"], "Malformed JSON");
        assert!(p["type"].is_string() && p["detail"].is_string());
    }
    assert_eq!(app.checks_stored().await, 0);
}

#[tokio::test]
async fn missing_and_invalid_fields_are_422_with_their_pointer() {
    let app = spawn_app("").await;
    type Mutation = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(|v| {
                v["campaign"]["offers"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("valid_until");
            }),
            "/campaign/offers/0/valid_until",
        ),
        (
            Box::new(|v| v["campaign"]["offers"][0]["valid_until"] = "next tuesday".into()),
            "/campaign/offers/0/valid_until",
        ),
        (
            Box::new(|v| v["campaign"]["offers"][0]["valid_until"] = "2026-11-01T00:00:00Z".into()),
            "/campaign/offers/0/valid_until",
        ),
        (
            Box::new(|v| {
                v["campaign"].as_object_mut().unwrap().remove("id");
            }),
            "/campaign/id",
        ),
        (
            Box::new(|v| v["campaign"]["offers"] = json!([])),
            "/campaign/offers",
        ),
        (
            Box::new(|v| v["campaign"]["offers"][0]["items"][0]["min_available"] = json!("many")),
            "/campaign/offers/0/items/0/min_available",
        ),
        (
            Box::new(|v| v["campaign"]["offers"][0]["items"][0]["min_available"] = json!(0)),
            "/campaign/offers/0/items/0/min_available",
        ),
        (
            Box::new(|v| v["campaign"]["offers"][0]["locations"] = json!(["loc-1", ""])),
            "/campaign/offers/0/locations/1",
        ),
        (
            Box::new(|v| v["campaign"]["send_at"] = json!(12)),
            "/campaign/send_at",
        ),
        (Box::new(|v| v["mode"] = "maybe".into()), "/mode"),
        (
            Box::new(|v| v["policy"] = json!({"closed_on_sunday": "block"})),
            "/policy/closed_on_sunday",
        ),
        (
            Box::new(|v| v["policy"] = json!({"low_stock": "panic"})),
            "/policy/low_stock",
        ),
        (
            Box::new(|v| v["policy"] = json!({"failure_policy": "ignore"})),
            "/policy/failure_policy",
        ),
        (Box::new(|v| *v = json!("a string")), "/"),
    ];
    for (mutate, pointer) in cases {
        let mut body = valid();
        mutate(&mut body);
        let (status, p) = problem(&app, serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(status, 422, "{pointer}: {p}");
        assert_eq!(pointers(&p), vec![pointer.to_owned()], "{p}");
    }
    assert_eq!(app.checks_stored().await, 0, "nothing stored for bad input");
}

#[tokio::test]
async fn bodies_over_a_mebibyte_are_413() {
    let app = spawn_app("").await;
    let mut body = valid();
    body["campaign"]["name"] = "x".repeat(1024 * 1024 + 1).into();
    let (status, p) = problem(&app, serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(p["status"], 413);

    // Without a Content-Length (chunked), the limit still holds.
    let stream =
        futures::stream::iter((0..1100).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
    let res = app
        .client
        .post(format!("{}/v1/presend", app.address))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(app.checks_stored().await, 0);
}

#[tokio::test]
async fn a_declared_non_json_body_is_415() {
    let app = spawn_app("").await;
    let res = app
        .client
        .post(format!("{}/v1/presend", app.address))
        .header("content-type", "text/csv")
        .body("a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problem_json() {
    let app = spawn_app("").await;
    let res = app.get("/v1/nothing-here").await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let res = app.get("/v1/presend").await;
    assert_eq!(res.status(), 404);
}
