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
//! Run: `cargo bench --bench presend` (optionally `-- --runs 7`).
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

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let (body, unique_locations, unique_pairs) = campaign();
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
        "[check]\nconcurrency = {CONCURRENCY}\ndeadline_ms = 30000\n\
         [sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         requests_per_minute = 1000000\ntimezone = \"America/New_York\"\n\
         [sources.inventory]\nkind = \"square\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\nbatch_size = {BATCH}\n",
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
    for run in 1..=runs {
        gbp.reset();
        sq.reset();
        let started = Instant::now();
        let res = app.presend(&body).await;
        let wall = started.elapsed();
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        let calls = gbp.count() + sq.count();
        println!(
            "{run:>4} {:>9.1} {calls:>6} {:>11.2} {:>11.2} {:>8}",
            wall.as_secs_f64() * 1000.0,
            calls as f64 / bound_calls as f64,
            wall.as_secs_f64() / bound_wall.as_secs_f64(),
            answer["verdict"].as_str().unwrap_or("?")
        );
        assert_eq!(
            answer["verdict"], "pass",
            "every promise in the bench is keepable"
        );
        walls.push(wall);
    }
    walls.sort();
    let median = walls[walls.len() / 2];
    println!(
        "median wall {:.1} ms = {:.2}× the lower bound (target ≤ 1.5×)",
        median.as_secs_f64() * 1000.0,
        median.as_secs_f64() / bound_wall.as_secs_f64()
    );
}
