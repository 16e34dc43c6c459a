//! bench/presend: one pre-send webhook for a campaign of 1,000 offers over 300 locations and
//! 2,000 item promises, against fake Google Business Profile and Square servers that add 50 ms
//! to every call. Reports wall time and upstream calls next to their lower bounds:
//! calls ≥ unique locations + ⌈unique item pairs ÷ batch size⌉, and
//! wall ≥ ⌈calls ÷ concurrency⌉ × 50 ms.
//!
//! Google's quota is lifted (`requests_per_minute = 1000000`): this measures our own cost
//! next to the upstream's latency. The branches' zone is configured (`timezone`), as a
//! deployment would, so their weekly hours are judged in it. At Google's default 300 a minute, 300 branches take a
//! minute whatever we do; `bench/recheck -- --quota` measures that pacing.
//!
//! With `-- --content`, the same campaign is also sent as an email — each offer a
//! `data-promise-offer` group of three branch links and two marked items — and the two forms
//! run in turn; the figure is the ratio of their median walls (target ≤ 1.05).
//!
//! With `-- --shopify-graphql`, the inventory is a fake Shopify GraphQL Admin API instead
//! (`tests/support/shopify_graphql.rs`: the queries evaluated, a Standard shop's cost bucket,
//! the same 50 ms a call): each run starts a fresh service and shop, so each finds the 400 SKUs
//! and reads the 800 levels from a full bucket. Its bound is the bucket's: the GraphQL queries
//! go one at a time, so the last starts no sooner than the points used before it plus its own
//! exceed the 2,000 the bucket began with, at 100 a second — plus its 50 ms.
//!
//! Run: `cargo bench --bench presend` (optionally `-- --runs 7`, `-- --content`,
//! `-- --shopify-graphql`).
#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};
use support::app::spawn_app;
use support::fake_server::FakeServer;
use support::upstreams::{TOKEN, gbp_location, google_business_profile, square};

const OFFERS: usize = 1_000;
const LOCATIONS: usize = 300;
const ITEM_PROMISES: usize = 2_000;
const UNIQUE_PAIRS: usize = 800;
const LATENCY: Duration = Duration::from_millis(50);
const CONCURRENCY: usize = 32;
const BATCH: usize = 100;

fn campaign() -> (Value, usize, usize) {
    let mut offers = Vec::with_capacity(OFFERS);
    let mut locations = BTreeSet::new();
    let mut pairs = BTreeSet::new();
    for i in 0..OFFERS {
        // Three branches per offer, every branch named by ten offers.
        let locs: Vec<String> = (0..3)
            .map(|k| format!("{}", (i * 3 + k) % LOCATIONS))
            .collect();
        // Two item promises per offer, drawn from 800 (sku, location) pairs.
        let items: Vec<Value> = (0..ITEM_PROMISES / OFFERS)
            .map(|k| {
                let p = (i * 2 + k) % UNIQUE_PAIRS;
                let (sku, loc) = (format!("SKU-{}", p % 400), format!("{}", p % LOCATIONS));
                pairs.insert((sku.clone(), loc.clone()));
                json!({"sku": sku, "location": loc, "min_available": 2})
            })
            .collect();
        locations.extend(locs.iter().cloned());
        offers.push(json!({
            "id": format!("offer-{i}"), "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
            "locations": locs, "items": items
        }));
    }
    let body =
        json!({"campaign": {"id": "bench", "send_at": "2026-11-24T09:00:00Z", "offers": offers}});
    (body, locations.len(), pairs.len())
}

/// The same campaign as an email: each offer a `data-promise-offer` group with its window, its
/// branches as links matched by `[promises] location_links`, its items as marked spans.
fn as_content(json_body: &Value) -> Value {
    let mut html = String::from("<!DOCTYPE html><html><head><title>Bench</title></head><body>");
    for offer in json_body["campaign"]["offers"].as_array().unwrap() {
        html.push_str(&format!(
            "<div data-promise-offer=\"{}\" data-promise-valid-from=\"{}\" data-promise-valid-until=\"{}\"><p>",
            offer["id"].as_str().unwrap(),
            offer["valid_from"].as_str().unwrap(),
            offer["valid_until"].as_str().unwrap()
        ));
        for loc in offer["locations"].as_array().unwrap() {
            let loc = loc.as_str().unwrap();
            html.push_str(&format!(
                "<a href=\"https://rent.example.com/branches/{loc}?utm_source=email\">Branch {loc}</a> "
            ));
        }
        for item in offer["items"].as_array().unwrap() {
            html.push_str(&format!(
                "<span data-promise-sku=\"{}\" data-promise-location=\"{}\" data-promise-quantity=\"{}\">in stock</span> ",
                item["sku"].as_str().unwrap(),
                item["location"].as_str().unwrap(),
                item["min_available"]
            ));
        }
        html.push_str("</p></div>");
    }
    html.push_str("</body></html>");
    json!({"campaign": {"id": "bench-content", "send_at": "2026-11-24T09:00:00Z",
                        "content": {"html": html}}})
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let content = std::env::args().any(|a| a == "--content");
    if std::env::args().any(|a| a == "--shopify-graphql") {
        return shopify_graphql(runs).await;
    }
    let (body, unique_locations, unique_pairs) = campaign();
    let content_body = as_content(&body);
    let gbp_data: HashMap<String, Value> = (0..LOCATIONS)
        .map(|i| (i.to_string(), gbp_location(&i.to_string(), "OPEN", &[])))
        .collect();
    let counts: Vec<(String, String, String)> = (0..UNIQUE_PAIRS)
        .map(|p| {
            (
                format!("SKU-{}", p % 400),
                format!("{}", p % LOCATIONS),
                "5".to_owned(),
            )
        })
        .collect();
    let gbp = FakeServer::start_with_delay(google_business_profile(gbp_data), LATENCY).await;
    let sq = FakeServer::start_with_delay(square(counts, 1000), LATENCY).await;
    let app = spawn_app(&format!(
        "max_body_bytes = 8388608\n[check]\nconcurrency = {CONCURRENCY}\ndeadline_ms = 30000\n\
         [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         requests_per_minute = 1000000\ntimezone = \"America/New_York\"\n\
         [sources.inventory]\nkind = \"square\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\nbatch_size = {BATCH}\n\
         [promises]\nlocation_links = [\"https://rent.example.com/branches/{{location}}\"]\n",
        gbp.url, sq.url
    ))
    .await;

    let bound_calls = unique_locations + unique_pairs.div_ceil(BATCH);
    let bound_wall = LATENCY * bound_calls.div_ceil(CONCURRENCY) as u32;
    println!(
        "presend: {OFFERS} offers, {unique_locations} locations, {ITEM_PROMISES} item promises ({unique_pairs} unique pairs), +{} ms per upstream call, concurrency {CONCURRENCY}, batch {BATCH}",
        LATENCY.as_millis()
    );
    println!(
        "lower bound: {bound_calls} calls, {} ms",
        bound_wall.as_millis()
    );
    println!(
        "{:>4} {:>9} {:>6} {:>11} {:>11} {:>8}",
        "run", "wall_ms", "calls", "calls/bound", "wall/bound", "verdict"
    );
    let mut walls = Vec::new();
    let mut content_walls = Vec::new();
    for run in 1..=runs {
        // With --content, the two forms in turn, the order alternating.
        let forms: Vec<(&Value, bool)> = match (content, run % 2) {
            (false, _) => vec![(&body, false)],
            (true, 1) => vec![(&body, false), (&content_body, true)],
            (true, _) => vec![(&content_body, true), (&body, false)],
        };
        for (sent, is_content) in forms {
            gbp.reset();
            sq.reset();
            let started = Instant::now();
            let res = app.presend(sent).await;
            let wall = started.elapsed();
            assert_eq!(res.status(), 200);
            let answer: Value = res.json().await.unwrap();
            let calls = gbp.count() + sq.count();
            println!(
                "{run:>4} {:>9.1} {calls:>6} {:>11.2} {:>11.2} {:>8}{}",
                wall.as_secs_f64() * 1000.0,
                calls as f64 / bound_calls as f64,
                wall.as_secs_f64() / bound_wall.as_secs_f64(),
                answer["verdict"].as_str().unwrap_or("?"),
                if is_content { "  (content)" } else { "" }
            );
            assert_eq!(
                answer["verdict"], "pass",
                "every promise in the bench is keepable"
            );
            if is_content {
                assert_eq!(answer["offers"].as_array().unwrap().len(), OFFERS);
                content_walls.push(wall);
            } else {
                walls.push(wall);
            }
        }
    }
    walls.sort();
    let median = walls[walls.len() / 2];
    println!(
        "median wall {:.1} ms = {:.2}× the lower bound (target ≤ 1.5×)",
        median.as_secs_f64() * 1000.0,
        median.as_secs_f64() / bound_wall.as_secs_f64()
    );
    if content {
        content_walls.sort();
        let as_email = content_walls[content_walls.len() / 2];
        println!(
            "median wall as content {:.1} ms = {:.3}× the JSON form (target ≤ 1.05×)",
            as_email.as_secs_f64() * 1000.0,
            as_email.as_secs_f64() / median.as_secs_f64()
        );
    }
}

/// The same campaign with the inventory on Shopify's GraphQL Admin API (faked, 50 ms a call).
async fn shopify_graphql(runs: usize) {
    use support::shopify_graphql::{FakeShop, Shop, shopify_graphql};
    let (body, unique_locations, unique_pairs) = campaign();
    let gbp_data: HashMap<String, Value> = (0..LOCATIONS)
        .map(|i| (i.to_string(), gbp_location(&i.to_string(), "OPEN", &[])))
        .collect();
    let gbp = FakeServer::start_with_delay(google_business_profile(gbp_data), LATENCY).await;
    println!(
        "presend, inventory on Shopify GraphQL: {OFFERS} offers, {unique_locations} locations, {unique_pairs} unique pairs of 400 SKUs, +{} ms per call",
        LATENCY.as_millis()
    );
    println!(
        "{:>4} {:>9} {:>7} {:>9} {:>8} {:>10} {:>10} {:>8}",
        "run", "wall_ms", "gbp", "shopify", "points", "bound_ms", "wall/bound", "verdict"
    );
    let mut ratios = Vec::new();
    for run in 1..=runs {
        let mut shop = Shop::default();
        for i in 0..400u64 {
            shop.variants.push((format!("SKU-{i}"), 1000 + i, true));
        }
        for p in 0..UNIQUE_PAIRS as u64 {
            shop.levels
                .insert((1000 + p % 400, p % LOCATIONS as u64), 5);
        }
        let fake = FakeShop::new(shop);
        let server = FakeServer::start_with_delay(shopify_graphql(fake.clone()), LATENCY).await;
        gbp.reset();
        let app = spawn_app(&format!(
            "max_body_bytes = 8388608\n[check]\nconcurrency = {CONCURRENCY}\ndeadline_ms = 60000\n\
             [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
             requests_per_minute = 1000000\ntimezone = \"America/New_York\"\n\
             [sources.inventory]\nkind = \"shopify-graphql\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n",
            gbp.url, server.url
        ))
        .await;
        let started = Instant::now();
        let res = app.presend(&body).await;
        let wall = started.elapsed();
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(
            answer["verdict"], "pass",
            "every promise in the bench is keepable"
        );
        let shop = fake.lock().unwrap();
        let points: f64 = shop.served.iter().filter_map(|s| s.actual).sum();
        let gbp_bound = LATENCY * unique_locations.div_ceil(CONCURRENCY) as u32;
        let bound = gbp_bound.max(shop.least_time() + LATENCY);
        let ratio = wall.as_secs_f64() / bound.as_secs_f64();
        println!(
            "{run:>4} {:>9.1} {:>7} {:>9} {points:>8.0} {:>10.1} {ratio:>10.3} {:>8}",
            wall.as_secs_f64() * 1000.0,
            gbp.count(),
            server.count(),
            bound.as_secs_f64() * 1000.0,
            answer["verdict"].as_str().unwrap_or("?"),
        );
        assert_eq!(shop.throttled(), 0, "the client waits for its points");
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "median wall = {:.3}× the bucket's bound",
        ratios[ratios.len() / 2]
    );
}
