//! Inventory from Shopify's GraphQL Admin API (`kind = "shopify-graphql"`), against a fake that
//! evaluates the queries it is sent and keeps a Standard shop's cost bucket
//! (`support/shopify_graphql.rs`): SKUs found exactly through a token search, paged; levels read
//! by location gid or number; untracked items not limited; a THROTTLED answer waited out; a
//! query the shop finds too costly split; a fleet tick of 2,000 questions answered in full at
//! the pace the bucket allows.
use crate::support::app::{TestApp, offer, presend_body, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::shopify_graphql::{FakeShop, Shop, shopify_graphql};
use crate::support::upstreams::TOKEN;
use promiseguard::store::CheckStore;
use serde_json::{Value, json};
use std::time::Duration;

async fn app_on(server: &FakeServer, extra: &str) -> TestApp {
    spawn_app(&format!(
        "[sources.inventory]\nkind = \"shopify-graphql\"\nshop = \"acme\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n{extra}",
        server.url
    ))
    .await
}

fn rules(body: &Value) -> Vec<(String, String)> {
    let mut found = crate::inventory::findings_by_target(body);
    found.sort();
    found
}

/// `min` of every SKU of a `Shop::grid` at every one of its locations, checked before a send.
async fn presend_grid(app: &TestApp, skus: u64, locations: u64, min: i64) -> Value {
    let items: Vec<(String, String)> = (0..skus)
        .flat_map(|i| (1..=locations).map(move |l| (format!("SKU-{i}"), l.to_string())))
        .collect();
    let items: Vec<(&str, &str, i64)> = items
        .iter()
        .map(|(s, l)| (s.as_str(), l.as_str(), min))
        .collect();
    let res = app
        .presend(&presend_body(json!([offer("o", &[], &items)])))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The variables of each variant search the shop was sent.
fn searches(server: &FakeServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.json())
        .filter(|b| b["query"].as_str().unwrap().contains("productVariants"))
        .map(|b| b["variables"]["query"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn skus_are_found_exactly_and_each_level_is_read_by_location_gid_or_number() {
    let mut shop = Shop::default();
    for (sku, item, tracked) in [
        ("SUV-1", 101, true),
        ("SUV-1-RED", 102, true),
        ("VAN", 103, true),
        ("TENT", 104, false),
    ] {
        shop.variants.push((sku.into(), item, tracked));
    }
    // Thirty SKUs that a search for "BULK" also finds, before BULK itself: two pages.
    for n in 0..30 {
        shop.variants.push((format!("BULK-{n}"), 200 + n, true));
    }
    shop.variants.push(("BULK".into(), 300, true));
    shop.levels.extend([
        ((101, 655441491), 12),
        ((102, 655441491), 0),
        ((103, 655441491), 2),
        ((300, 655441492), 5),
    ]);
    let fake = FakeShop::new(shop);
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, "").await;
    let items = [
        ("SUV-1", "655441491", 5),
        ("SUV-1", "gid://shopify/Location/655441492", 1),
        ("VAN", "655441491", 4),
        ("TENT", "655441491", 100),
        ("GHOST", "655441491", 1),
        ("BULK", "655441492", 3),
    ];
    let body = app
        .presend_answer(&presend_body(json!([offer("o", &[], &items)])))
        .await;
    assert_eq!(
        rules(&body),
        [
            ("GHOST@655441491", "out_of_stock"),
            ("SUV-1@gid://shopify/Location/655441492", "out_of_stock"),
            ("VAN@655441491", "low_stock"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .to_vec(),
        "SUV-1-RED's 0 is not SUV-1's; TENT is not tracked, so never short; GHOST has no variant"
    );
    for r in server.requests() {
        assert_eq!(r.path, "/admin/api/2026-10/graphql.json");
        assert_eq!(r.header("x-shopify-access-token"), Some(TOKEN));
    }
    let searched = searches(&server);
    assert_eq!(
        searched.len(),
        2,
        "BULK's search took two pages: {searched:?}"
    );
    assert!(
        searched[0].contains(r#"sku:"SUV-1""#) && searched[0].contains(" OR "),
        "{searched:?}"
    );
    // The SKU ↔ item map is kept: the same check again searches only the SKU no variant has.
    app.presend(&presend_body(json!([offer("o", &[], &items)])))
        .await;
    let searched = searches(&server);
    assert_eq!(searched.len(), 3, "{searched:?}");
    assert_eq!(searched[2], r#"sku:"GHOST""#);
    assert_eq!(fake.lock().unwrap().throttled(), 0);
}

#[tokio::test]
async fn a_presend_of_200_questions_waits_out_a_throttled_answer_inside_its_deadline() {
    let fake = FakeShop::new(Shop::grid(20, 10, 9));
    // Another client of the shop left 100 points: the first query is answered THROTTLED.
    fake.lock().unwrap().leave(100.0);
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, "").await;
    let started = std::time::Instant::now();
    let body = presend_grid(&app, 20, 10, 5).await;
    assert_eq!(body["verdict"], "pass", "{body}");
    assert!(rules(&body).is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "inside the 5 s deadline"
    );
    let shop = fake.lock().unwrap();
    assert_eq!(shop.throttled(), 1, "{:?}", shop.served);
}

#[tokio::test]
async fn a_query_the_shop_finds_too_costly_is_split() {
    let fake = FakeShop::new(Shop::grid(10, 30, 1));
    // A shop that refuses queries over 250 points: 300 pairs cost 610.
    fake.lock().unwrap().max_query = 250.0;
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    let app = app_on(&server, "").await;
    let body = presend_grid(&app, 10, 30, 1).await;
    assert_eq!(body["verdict"], "pass", "{body}");
    let served = fake.lock().unwrap().served.clone();
    assert!(
        served
            .iter()
            .all(|s| s.requested <= 250.0 || s.actual.is_none())
    );
    assert!(
        served.iter().filter(|s| s.actual.is_some()).count() >= 4,
        "{served:?}"
    );
}

#[tokio::test]
async fn a_tick_of_2000_questions_gets_every_answer_at_the_pace_the_bucket_allows() {
    let fake = FakeShop::new(Shop::grid(100, 20, 10));
    let server = FakeServer::start(shopify_graphql(fake.clone())).await;
    // One tick, three seconds from now.
    let second = (chrono::Utc::now() + chrono::Duration::seconds(3)).format("%S");
    let app = app_on(
        &server,
        &format!("[schedule]\nrecheck = \"{second} * * * * *\"\n"),
    )
    .await;
    let mut live = crate::support::app::live_offer("o", &[]);
    live["items"] = (0..100)
        .flat_map(|i| (1..=20).map(move |l| json!({"sku": format!("SKU-{i}"), "location": l.to_string(), "min_available": 1})))
        .collect();
    crate::fleet::store_live_campaign_with(&app, "big", json!([live])).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let check = loop {
        let checks = app.store.checks("big").await.unwrap();
        if let Some(c) = checks
            .into_iter()
            .find(|c| c.phase == promiseguard::domain::Phase::Live)
        {
            break c;
        }
        assert!(std::time::Instant::now() < deadline, "no live re-check");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let findings = crate::fleet::latest_findings(&app, "big").await;
    assert!(
        findings.is_empty(),
        "every answer, none unavailable: {findings:?} ({check:?})"
    );
    let shop = fake.lock().unwrap();
    let answered: Vec<_> = shop.served.iter().filter(|s| !s.throttled).collect();
    let took = answered.last().unwrap().at - answered.first().unwrap().at;
    let least = shop.least_time();
    assert!(
        least > Duration::from_secs(15),
        "the bucket must bind: {least:?}"
    );
    assert!(
        took >= least,
        "faster than the bucket allows? {took:?} < {least:?}"
    );
    assert!(
        took.as_secs_f64() <= least.as_secs_f64() * 1.10,
        "took {took:?}, the bucket allows {least:?}"
    );
    assert_eq!(
        shop.throttled(),
        0,
        "the client waits for its points instead"
    );
    eprintln!(
        "2,000 questions: {} queries in {took:?}; the bucket allows {least:?}",
        answered.len()
    );
}
