//! Shopify's mandatory compliance webhooks on `POST /v1/compliance/shopify`, with the payloads
//! Shopify documents (fixtures/providers/shopify/), signed the way Shopify signs them: a data
//! request is recorded for reviewers, a customer's redaction erases them, a shop's redaction
//! erases what came from it; a bad or missing signature is 401, as Shopify requires.
use crate::support::analysts::{REVIEWER, VIEWER, get, tokens};
use crate::support::app::{TestApp, spawn_app};
use crate::support::surveys::{clicks, post_events};
use promiseguard::signatures::shopify::sign;
use serde_json::{Value, json};

const SECRET: &str = "shpss_compliance_test_secret";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("fixtures/providers/shopify/{name}.json")).unwrap()
}

async fn deliver(
    app: &TestApp,
    topic: &str,
    body: &[u8],
    signature: Option<&str>,
    webhook_id: &str,
) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/v1/compliance/shopify", app.address))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", "{shop}.myshopify.com")
        .header("x-shopify-api-version", "2025-10")
        .header("x-shopify-webhook-id", webhook_id)
        .body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("x-shopify-hmac-sha256", s);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn app() -> TestApp {
    spawn_app(&format!(
        "{}[conversions.shopify]\nsecret = \"{SECRET}\"\n",
        tokens()
    ))
    .await
}

#[tokio::test]
async fn the_three_topics_are_carried_out_once_each() {
    let app = app().await;
    post_events(&app, "/v1/events", &clicks("c1", &["John@Example.com"], 10)).await;
    let signed = |body: &[u8]| sign(SECRET.as_bytes(), body);

    // A data request: recorded, listed for reviewers with where the person's data is.
    let body = fixture("customers_data_request");
    let (status, answer) = deliver(
        &app,
        "customers/data_request",
        &body,
        Some(&signed(&body)),
        "wh-1",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["outcome"]["access"],
        "/v1/recipients/john%40example.com"
    );
    assert_eq!(
        get(&app, "/v1/compliance/requests", Some(VIEWER)).await.0,
        403
    );
    let (status, requests) = get(&app, "/v1/compliance/requests", Some(REVIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    assert_eq!(requests[0]["customer_email"], "john@example.com");
    assert_eq!(requests[0]["data_request_id"], "9999");
    assert_eq!(
        requests[0]["orders_requested"],
        json!([299938, 280263, 220458])
    );
    let (_, access) = get(&app, "/v1/recipients/john%40example.com", Some(REVIEWER)).await;
    assert_eq!(access["events"].as_array().unwrap().len(), 1);
    // A redelivery is acknowledged, not recorded twice.
    let (status, again) = deliver(
        &app,
        "customers/data_request",
        &body,
        Some(&signed(&body)),
        "wh-1",
    )
    .await;
    assert_eq!((status, &again["duplicate"]), (200, &json!(true)));
    assert_eq!(
        get(&app, "/v1/compliance/requests", Some(REVIEWER))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The customer's redaction: erased, the data request with them; never again.
    let body = fixture("customers_redact");
    let (status, answer) = deliver(
        &app,
        "customers/redact",
        &body,
        Some(&signed(&body)),
        "wh-2",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"]["erased"]["events"], 1, "{answer}");
    assert_eq!(answer["outcome"]["erased"]["requests"], 1, "{answer}");
    assert_eq!(answer["outcome"]["do_not_contact"], true);
    assert_eq!(
        get(&app, "/v1/compliance/requests", Some(REVIEWER)).await.1,
        json!([])
    );
    let (_, recorded) =
        post_events(&app, "/v1/events", &clicks("c2", &["john@example.com"], 1)).await;
    assert_eq!(recorded["forgotten"], 1);

    // The shop's redaction.
    let body = fixture("shop_redact");
    let (status, answer) = deliver(&app, "shop/redact", &body, Some(&signed(&body)), "wh-3").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["topic"], "shop/redact");
    assert!(
        answer["outcome"]["compliance_records"].as_u64().unwrap() >= 1,
        "{answer}"
    );
}

#[tokio::test]
async fn a_bad_or_missing_signature_is_401_and_nothing_is_done() {
    let app = app().await;
    post_events(&app, "/v1/events", &clicks("c1", &["john@example.com"], 10)).await;
    let body = fixture("customers_redact");
    let wrong = sign(b"another app's secret", &body);
    assert_eq!(
        deliver(&app, "customers/redact", &body, Some(&wrong), "wh-1")
            .await
            .0,
        401
    );
    assert_eq!(
        deliver(&app, "customers/redact", &body, None, "wh-2")
            .await
            .0,
        401
    );
    assert_eq!(
        deliver(&app, "customers/redact", &body, Some("%%%"), "wh-3")
            .await
            .0,
        401
    );
    // The body changed after signing.
    let signature = sign(SECRET.as_bytes(), &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        deliver(
            &app,
            "customers/redact",
            &tampered,
            Some(&signature),
            "wh-4"
        )
        .await
        .0,
        401
    );
    let (_, access) = get(&app, "/v1/recipients/john%40example.com", Some(REVIEWER)).await;
    assert_eq!(access["do_not_contact"], false, "nothing erased");
    assert_eq!(access["events"].as_array().unwrap().len(), 1);
    // Signed, but not a compliance topic; signed, but not the documented shape.
    let (status, problem) = deliver(&app, "orders/create", &body, Some(&signature), "wh-5").await;
    assert_eq!(status, 400, "{problem}");
    let odd = br#"{"shop_id": 1}"#;
    let (status, problem) = deliver(
        &app,
        "shop/redact",
        odd,
        Some(&sign(SECRET.as_bytes(), odd)),
        "wh-6",
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/shop_domain", "{problem}");
}
