//! Changes Shopify pushes in (`POST /v1/sources/shopify`) for the `shopify-graphql` inventory
//! source: the payloads of Shopify's webhook reference (fixtures/providers/shopify/), signed as
//! Shopify signs them — base64 HMAC-SHA256 of the raw body, computed here with the `hmac` crate,
//! not our signer. A sell-out breaks the send-time lookup at once while the shop's API still says
//! 20, and re-checks the live campaign that promised it once its delay is over (the clock given
//! to `Changes::run_due`), two changes in one check and one alert; a replayed event id does
//! nothing, a stale delivery is ignored, a bad signature is 401.
use crate::support::app::{TestApp, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::shopify_graphql::{FakeShop, Shop, shopify_graphql};
use crate::support::upstreams::TOKEN;
use base64::Engine;
use chrono::{Duration, Utc};
use hmac::{KeyInit, Mac};
use promiseguard::domain::Phase;
use promiseguard::store::{AlertStore, CheckStore};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "shpss_inventory_push_secret";
/// The inventory item and location of the fixtures.
const ITEM: u64 = 271878346596884015;
const LOCATION: u64 = 24826418;

/// Shopify's signature: base64 of HMAC-SHA256 over the raw body with the app's secret.
fn shopify_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn fixture(name: &str, changes: Value) -> Vec<u8> {
    let text = std::fs::read_to_string(format!("fixtures/providers/shopify/{name}.json")).unwrap();
    let mut body: Value = serde_json::from_str(&text).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    serde_json::to_vec(&body).unwrap()
}

/// A level of the fixture's item at its location, as of `updated_at`.
fn level(available: i64, updated_at: &str) -> Vec<u8> {
    fixture(
        "inventory_levels_update",
        json!({"available": available, "updated_at": updated_at}),
    )
}

async fn push(app: &TestApp, topic: &str, event: &str, body: &[u8], secret: &str) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/v1/sources/shopify", app.address))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", "acme.myshopify.com")
        .header("x-shopify-api-version", "2026-10")
        .header("x-shopify-event-id", event)
        .header("x-shopify-webhook-id", format!("delivery-{event}"))
        .header("x-shopify-triggered-at", "2026-12-06T19:00:00.000000000Z")
        .header("x-shopify-hmac-sha256", shopify_signature(secret, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// A level of the fixture's item pushed as `event`.
async fn push_level(app: &TestApp, event: &str, available: i64, updated_at: &str) -> (u16, Value) {
    push(
        app,
        "inventory_levels/update",
        event,
        &level(available, updated_at),
        SECRET,
    )
    .await
}

/// The shop: SUV-X (the fixture's item) with 20 at the fixture's location, VAN (not yet seen)
/// with 3; loc-201 is that location for us.
fn shop() -> Arc<Mutex<FakeShop>> {
    let mut shop = Shop::default();
    shop.variants.push(("SUV-X".into(), ITEM, true));
    shop.variants.push(("VAN".into(), 5002, true));
    shop.levels.insert((ITEM, LOCATION), 20);
    shop.levels.insert((5002, LOCATION), 3);
    FakeShop::new(shop)
}

async fn app_on(server: &FakeServer, delay_s: u64) -> TestApp {
    spawn_app(&format!(
        "[schedule]\nrecheck = \"off\"\nalerts = \"off\"\nchanges = \"off\"\n\
         [recheck]\non_change_delay_s = {delay_s}\n\
         [alerts]\nwebhook_url = \"http://127.0.0.1:9/alerts\"\nsigning_secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n\
         [sources.inventory]\nkind = \"shopify-graphql\"\nshop = \"acme\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         webhook_secret = \"{SECRET}\"\nid_map = {{ \"loc-201\" = \"{LOCATION}\" }}\n",
        server.url
    ))
    .await
}

/// A campaign running now that promises one SUV-X at loc-201 (and the branch itself).
async fn running_campaign(app: &TestApp, id: &str) {
    let now = Utc::now();
    let body = json!({"campaign": {"id": id, "name": "Weekend SUVs", "offers": [{
        "id": "o", "valid_from": (now - Duration::hours(1)).to_rfc3339(),
        "valid_until": (now + Duration::days(7)).to_rfc3339(),
        "locations": ["loc-201"],
        "items": [{"sku": "SUV-X", "location": "loc-201", "min_available": 1}]}]}});
    assert_eq!(app.presend_answer(&body).await["verdict"], "pass");
}

async fn lookup(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/v1/lookup?{query}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn live_checks(checks: &[promiseguard::store::CheckRow]) -> usize {
    checks.iter().filter(|c| c.phase == Phase::Live).count()
}

#[tokio::test]
async fn a_pushed_sellout_breaks_the_lookup_at_once_and_rechecks_the_campaign_once_when_due() {
    let fake = shop();
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, 30).await;
    running_campaign(&app, "suv").await;
    let query = "locations=loc-201&items=SUV-X@loc-201";
    assert_eq!(
        lookup(&app, query).await["ok"],
        true,
        "remembered as keepable"
    );

    let before = Utc::now();
    let (status, answer) = push_level(&app, "ev-1", 0, "2026-12-06T14:00:00-05:00").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "applied");
    assert_eq!(
        answer["keys"], 3,
        "loc-201, and the location's own number and gid (ids of ours too, unmapped)"
    );
    // At once: the remembered answer is forgotten and the pushed level served, while the
    // shop's API still says 20.
    let now = lookup(&app, query).await;
    assert_eq!(now["ok"], false, "{now}");
    assert_eq!(now["items"]["broken"], json!(["SUV-X@loc-201"]));
    assert_eq!(now["locations"]["keepable"], json!(["loc-201"]));
    assert_eq!(fake.lock().unwrap().shop.levels[&(ITEM, LOCATION)], 20);

    // A second change within the delay; the first one again (a duplicate); one older than
    // what is held (stale: its 25 is never served).
    let second = push_level(&app, "ev-2", -1, "2026-12-06T14:05:00-05:00").await;
    assert_eq!(second.1["outcome"], "applied");
    let again = push_level(&app, "ev-1", 0, "2026-12-06T14:00:00-05:00").await;
    assert_eq!(
        (again.0, again.1["outcome"].clone()),
        (200, json!("duplicate"))
    );
    let stale = push_level(&app, "ev-3", 25, "2026-12-06T13:59:00-05:00").await;
    assert_eq!(stale.1["outcome"], "stale");
    assert_eq!(
        lookup(&app, query).await["ok"],
        false,
        "the stale 25 is ignored"
    );
    let after = Utc::now();

    // Not before the delay is over: nothing checked.
    let stop = CancellationToken::new();
    let early = app
        .changes
        .run_due(before + Duration::seconds(29), &stop)
        .await
        .unwrap();
    assert_eq!(early, "no pushed changes due");
    assert_eq!(live_checks(&app.store.checks("suv").await.unwrap()), 0);
    // Once it is: one live check for both changes, blocked, with one alert.
    let due = app
        .changes
        .run_due(after + Duration::seconds(30), &stop)
        .await
        .unwrap();
    assert!(due.starts_with("1 live campaigns re-checked"), "{due}");
    let checks = app.store.checks("suv").await.unwrap();
    assert_eq!(live_checks(&checks), 1);
    assert_eq!(checks[0].phase, Phase::Live);
    assert_eq!(checks[0].verdict.as_str(), "block");
    assert_eq!(app.store.alerts("suv").await.unwrap().len(), 1);
    let later = app
        .changes
        .run_due(after + Duration::seconds(90), &stop)
        .await
        .unwrap();
    assert_eq!(
        later, "no pushed changes due",
        "each change is checked once"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "promiseguard_source_pushes_total{outcome=\"applied\",topic=\"inventory_levels/update\"} 2",
        "promiseguard_source_pushes_total{outcome=\"duplicate\",topic=\"inventory_levels/update\"} 1",
        "promiseguard_source_pushes_total{outcome=\"stale\",topic=\"inventory_levels/update\"} 1",
        "promiseguard_change_rechecks_total 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn the_instance_that_took_a_change_rechecks_by_itself_when_the_delay_is_over() {
    let fake = shop();
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, 1).await;
    running_campaign(&app, "timed").await;
    let (status, answer) = push_level(&app, "ev-timer", 0, "2026-12-06T14:00:00-05:00").await;
    assert_eq!((status, answer["outcome"].clone()), (200, json!("applied")));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while live_checks(&app.store.checks("timed").await.unwrap()) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no live check within 15 s of a 1 s delay"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.store.checks("timed").await.unwrap()[0].verdict.as_str(),
        "block"
    );
}

#[tokio::test]
async fn a_deactivated_location_empties_its_items_but_not_its_own_status() {
    let fake = shop();
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, 30).await;
    running_campaign(&app, "branch").await;
    let query = "locations=loc-201&items=SUV-X@loc-201,VAN@loc-201";
    assert_eq!(lookup(&app, query).await["ok"], true);
    let body = fixture(
        "locations_deactivate",
        json!({"updated_at": "2026-12-06T14:00:00-05:00"}),
    );
    let (status, answer) = push(&app, "locations/deactivate", "ev-off", &body, SECRET).await;
    assert_eq!(
        (status, answer["outcome"].clone()),
        (200, json!("applied")),
        "{answer}"
    );
    let now = lookup(&app, query).await;
    assert_eq!(
        now["items"]["broken"],
        json!(["SUV-X@loc-201", "VAN@loc-201"]),
        "{now}"
    );
    assert_eq!(
        now["locations"]["keepable"],
        json!(["loc-201"]),
        "the branch's own answer"
    );
    // A level older than the deactivation is stale.
    let old = push_level(&app, "ev-old", 9, "2026-12-06T13:00:00-05:00").await;
    assert_eq!(old.1["outcome"], "stale");
    // The branch's campaign is checked again when due.
    let due = app
        .changes
        .run_due(
            Utc::now() + Duration::seconds(31),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(due.starts_with("1 live campaigns re-checked"), "{due}");
}

#[tokio::test]
async fn an_item_not_seen_yet_is_asked_of_the_shop_and_one_it_lacks_is_ignored() {
    let fake = shop();
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, 30).await;
    let van = fixture(
        "inventory_levels_update",
        json!({"inventory_item_id": 5002, "available": 0, "updated_at": "2026-12-06T14:00:00-05:00"}),
    );
    let (status, answer) = push(&app, "inventory_levels/update", "ev-van", &van, SECRET).await;
    assert_eq!(
        (status, answer["outcome"].clone()),
        (200, json!("applied")),
        "{answer}"
    );
    let asked: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0]["query"]
            .as_str()
            .unwrap()
            .contains("inventoryItem(id: $id) { id sku tracked }")
    );
    assert_eq!(
        asked[0]["variables"]["id"],
        "gid://shopify/InventoryItem/5002"
    );
    let now = lookup(&app, "items=VAN@loc-201").await;
    assert_eq!(
        now["items"]["broken"],
        json!(["VAN@loc-201"]),
        "the shop says 3; the push 0"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the lookup asked nothing: the push answered"
    );

    let unknown = fixture(
        "inventory_levels_update",
        json!({"inventory_item_id": 999, "available": 0}),
    );
    let (status, answer) = push(&app, "inventory_levels/update", "ev-999", &unknown, SECRET).await;
    assert_eq!(
        (status, answer["outcome"].clone()),
        (200, json!("unknown_item"))
    );
}

#[tokio::test]
async fn a_bad_signature_another_shop_an_unknown_topic_and_a_bad_field_are_refused() {
    let fake = shop();
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, 30).await;
    let body = level(0, "2026-12-06T14:00:00-05:00");
    let (status, problem) = push(
        &app,
        "inventory_levels/update",
        "ev-bad",
        &body,
        "another-secret",
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(
        problem["detail"],
        "x-shopify-hmac-sha256 does not match the body"
    );
    let (status, problem) = push(&app, "orders/create", "ev-topic", &body, SECRET).await;
    assert_eq!(status, 400, "{problem}");
    let bad = fixture(
        "inventory_levels_update",
        json!({"location_id": "downtown"}),
    );
    let (status, problem) = push(&app, "inventory_levels/update", "ev-field", &bad, SECRET).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/location_id");
    let res = app
        .client
        .post(format!("{}/v1/sources/shopify", app.address))
        .header("content-type", "application/json")
        .header("x-shopify-topic", "inventory_levels/update")
        .header("x-shopify-shop-domain", "other-shop.myshopify.com")
        .header("x-shopify-hmac-sha256", shopify_signature(SECRET, &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "another shop's change is not ours");
    // Nothing of these was taken.
    assert_eq!(lookup(&app, "items=SUV-X@loc-201").await["ok"], true);

    // Without a shopify-graphql source there is no Shopify stock to change.
    let static_app = spawn_app("").await;
    let (status, problem) = push(
        &static_app,
        "inventory_levels/update",
        "ev-static",
        &body,
        SECRET,
    )
    .await;
    assert_eq!(status, 409, "{problem}");
}
