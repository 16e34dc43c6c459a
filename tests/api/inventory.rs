use crate::support::app::{TestApp, offer, presend_body, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::upstreams::{TOKEN, shopify, square};
use serde_json::{Value, json};

async fn app_with(kind: &str, server: &FakeServer, extra: &str) -> TestApp {
    spawn_app(&format!(
        "[sources.inventory]\nkind = \"{kind}\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n{extra}",
        server.url
    ))
    .await
}

pub(crate) fn findings_by_target(body: &Value) -> Vec<(String, String)> {
    body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!(
                    "{}@{}",
                    f["target"]["sku"].as_str().unwrap(),
                    f["target"]["location"].as_str().unwrap()
                ),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn counts(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[tokio::test]
async fn square_decimal_strings_cursor_pages_and_missing_counts() {
    let sq = FakeServer::start(square(
        counts(&[
            ("SUV", "L1", "12"),
            ("VAN", "L1", "3.50"),
            ("CAR", "L1", "0"),
            ("BIKE", "L1", "-2"),
            ("TENT", "WEB", "7.000"),
        ]),
        2,
    ))
    .await;
    // "online" maps to Square's web-store location id.
    let app = app_with(
        "square",
        &sq,
        "[sources.inventory.id_map]\nonline = \"WEB\"\n",
    )
    .await;
    let items = [
        ("SUV", "L1", 5),
        ("VAN", "L1", 4),
        ("CAR", "L1", 1),
        ("BIKE", "L1", 1),
        ("GHOST", "L1", 1),
        ("TENT", "online", 7),
    ];
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &[], &items)])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        findings_by_target(&body),
        vec![
            ("VAN@L1".into(), "low_stock".into()),
            ("CAR@L1".into(), "out_of_stock".into()),
            ("BIKE@L1".into(), "out_of_stock".into()),
            ("GHOST@L1".into(), "out_of_stock".into()),
        ]
    );
    assert_eq!(
        body["warnings"],
        json!(["o: VAN at L1 has 3.5 available, 4 promised"])
    );
    assert_eq!(body["findings"][0]["evidence"]["available"], json!(3.5));
    let requests = sq.requests();
    assert_eq!(requests.len(), 3, "five counts, two per page: three pages");
    assert_eq!(requests[1].json()["cursor"], "cur-2");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer test-token")
    );
    assert!(requests[0].header("square-version").is_some());
}

#[tokio::test]
async fn square_batches_many_items_into_few_calls() {
    let rows: Vec<(String, String, String)> = (0..250)
        .map(|i| (format!("S{i}"), "L1".into(), "9".into()))
        .collect();
    let sq = FakeServer::start(square(rows, 1000)).await;
    let app = app_with("square", &sq, "batch_size = 100\n").await;
    let items: Vec<(String, &str, i64)> = (0..250).map(|i| (format!("S{i}"), "L1", 1)).collect();
    let items: Vec<(&str, &str, i64)> =
        items.iter().map(|(s, l, m)| (s.as_str(), *l, *m)).collect();
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &[], &items)])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["verdict"], "pass");
    assert_eq!(sq.count(), 3, "250 pairs in batches of 100");
}

#[tokio::test]
async fn shopify_null_available_counts_as_zero_and_ids_go_in_chunks_of_fifty() {
    let mut levels: Vec<(u64, u64, Option<i64>)> =
        (0..120u64).map(|i| (1000 + i, 77, Some(10))).collect();
    levels.push((5000, 77, None));
    levels.push((5001, 78, Some(2)));
    let shop = FakeServer::start(shopify(levels, 250)).await;
    let app = app_with("shopify", &shop, "api_version = \"2025-10\"\n").await;
    let mut items: Vec<(String, &str, i64)> = (0..120u64)
        .map(|i| ((1000 + i).to_string(), "77", 5))
        .collect();
    items.push(("5000".into(), "77", 1));
    items.push(("5001".into(), "78", 3));
    let items: Vec<(&str, &str, i64)> =
        items.iter().map(|(s, l, m)| (s.as_str(), *l, *m)).collect();
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &[], &items)])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        findings_by_target(&body),
        vec![
            ("5000@77".into(), "out_of_stock".into()),
            ("5001@78".into(), "low_stock".into())
        ]
    );
    let requests = shop.requests();
    for r in &requests {
        let ids = r.query("inventory_item_ids").unwrap().split(',').count();
        assert!(ids <= 50, "{ids} ids in one call");
        assert_eq!(r.query("limit"), Some("250"));
        assert_eq!(r.header("x-shopify-access-token"), Some(TOKEN));
        assert!(r.path.starts_with("/admin/api/2025-10/"));
    }
    assert_eq!(requests.len(), 3, "122 items: ⌈122 / 50⌉ calls");
}

#[tokio::test]
async fn shopify_link_pages_are_followed() {
    let levels: Vec<(u64, u64, Option<i64>)> =
        (0..30u64).map(|i| (1 + i, 5, Some(i as i64))).collect();
    let shop = FakeServer::start(shopify(levels, 8)).await;
    let app = app_with("shopify", &shop, "").await;
    let items: Vec<(String, &str, i64)> =
        (0..30u64).map(|i| ((1 + i).to_string(), "5", 1)).collect();
    let items: Vec<(&str, &str, i64)> =
        items.iter().map(|(s, l, m)| (s.as_str(), *l, *m)).collect();
    let body: Value = app
        .presend(&presend_body(json!([offer("o", &[], &items)])))
        .await
        .json()
        .await
        .unwrap();
    // Only item 1 has 0 available; every other level arrived across four pages.
    assert_eq!(
        findings_by_target(&body),
        vec![("1@5".into(), "out_of_stock".into())]
    );
    let requests = shop.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests[1].query("page_info").is_some());
}

#[tokio::test]
async fn an_inventory_failure_marks_every_item_of_the_batch_unavailable() {
    let down =
        FakeServer::start(|_| crate::support::fake_server::FakeResponse::text(502, "Bad Gateway"))
            .await;
    let app = app_with("square", &down, "").await;
    let body: Value = app
        .presend(&presend_body(json!([offer(
            "o",
            &[],
            &[("A", "L", 1), ("B", "L", 1)]
        )])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        findings_by_target(&body),
        vec![
            ("A@L".into(), "upstream_unavailable".into()),
            ("B@L".into(), "upstream_unavailable".into())
        ]
    );
    assert_eq!(down.count(), 1);
}
