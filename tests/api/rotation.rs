//! Secrets being rotated: a signing secret or shared secret configured as a list admits what is
//! signed with any of them, and what promiseguard signs carries one signature per configured
//! key — each verified here with the Standard Webhooks reference library (`standardwebhooks`)
//! and Shopify's scheme computed with the `hmac` crate, not our signer.
use crate::support::app::{offer, presend_body, spawn_app};
use crate::support::fake_server::{FakeServer, in_turn};
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_alerting, one_clicker_surveyed};
use crate::support::webhooks::reference_signed;
use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::json;

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_cHJvbWlzZWd1YXJkLXJlc3BvbnNlLWIh";
const OTHER: &str = "whsec_b3RoZXItc2VjcmV0LW5vdC1jb25maWd1cmVk";

#[tokio::test]
async fn a_presend_signed_with_either_configured_secret_is_admitted_and_another_is_not() {
    let app = spawn_app(&format!(
        "[webhooks]\nsigning_secret = [\"{OLD}\", \"{NEW}\"]\n"
    ))
    .await;
    let body = serde_json::to_vec(&presend_body(json!([offer("o", &["loc-201"], &[])]))).unwrap();
    for (key, id, status) in [
        (OLD, "msg_old", 200),
        (NEW, "msg_new", 200),
        (OTHER, "msg_other", 401),
    ] {
        let res = app
            .post_raw(
                "/v1/presend",
                body.clone(),
                &reference_signed(key, id, &body),
            )
            .await;
        assert_eq!(res.status(), status, "signed with {key}");
    }
}

#[tokio::test]
async fn a_shopify_order_signed_with_either_secret_is_admitted() {
    let app = spawn_app("[conversions.shopify]\nsecret = [\"shpss_old\", \"shpss_new\"]\n").await;
    let body = std::fs::read("fixtures/providers/shopify/orders_create.json").unwrap();
    for (secret, delivery, status) in [
        ("shpss_old", "d-1", 200),
        ("shpss_new", "d-2", 200),
        ("shpss_other", "d-3", 401),
    ] {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&body);
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let headers = [
            ("x-shopify-hmac-sha256", signature),
            ("x-shopify-shop-domain", "acme.myshopify.com".to_owned()),
            ("x-shopify-webhook-id", delivery.to_owned()),
        ];
        let res = app
            .post_raw("/v1/conversions/shopify", body.clone(), &headers)
            .await;
        assert_eq!(res.status(), status, "signed with {secret}");
    }
}

#[tokio::test]
async fn a_survey_response_carries_a_signature_for_each_key_of_its_destination() {
    let hook = FakeServer::start(in_turn(Vec::new())).await;
    let sink = SmtpSink::start().await;
    let app = app_alerting(
        &sink,
        &format!(
            "[[surveys.webhooks]]\nurl = \"{}/hook\"\nsecret = [\"{OLD}\", \"{NEW}\"]\n",
            hook.url
        ),
    )
    .await;
    let (_, _, post) = one_clicker_surveyed(&app, &sink, "ana@example.com").await;
    let res = app
        .client
        .post(&post)
        .form(&[("score", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    hook.wait_for(1).await;
    let delivery = &hook.requests()[0];
    let signatures = delivery.header("webhook-signature").unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    let mut headers = http::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        headers.insert(name, delivery.header(name).unwrap().parse().unwrap());
    }
    // A receiver holding either key verifies it; one holding neither does not.
    for key in [OLD, NEW] {
        standardwebhooks::Webhook::new(key)
            .unwrap()
            .verify(&delivery.body, &headers)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    assert!(
        standardwebhooks::Webhook::new(OTHER)
            .unwrap()
            .verify(&delivery.body, &headers)
            .is_err()
    );
}
