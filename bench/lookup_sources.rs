//! The upstreams of bench/lookup's `sources` configuration: a fake Google Business Profile and
//! a fake Square inventory, in their real formats (tests/support/upstreams.rs), holding the
//! same five branches and five item counts as the static fixtures the `static` configuration
//! reads. Prints `GOOGLE_URL SQUARE_URL` on one line once both listen, then serves until it
//! is killed.
// Only the fakes of tests/support: the rest of it needs what cargo gives tests, not examples.
#[allow(dead_code)]
#[path = "../tests/support/fake_server.rs"]
mod fake_server;
#[allow(dead_code)]
#[path = "../tests/support/upstreams.rs"]
mod upstreams;

use fake_server::FakeServer;
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;
use upstreams::{gbp_branch, google_business_profile, square};

#[tokio::main]
async fn main() {
    let branches = [
        ("loc-101", "Downtown", "CLOSED_TEMPORARILY"),
        ("loc-102", "Riverside", "CLOSED_PERMANENTLY"),
        ("loc-201", "Midtown", "OPEN"),
        ("loc-202", "Eastside", "OPEN"),
        ("loc-203", "Westgate", "OPEN"),
    ];
    let locations: HashMap<String, serde_json::Value> = branches
        .iter()
        .map(|(id, title, status)| {
            let mut branch = gbp_branch(id, title, &[]);
            branch["openInfo"]["status"] = json!(status);
            (id.to_string(), branch)
        })
        .collect();
    let counts = [
        ("SUV-STD", "loc-101", "0"),
        ("SUV-STD", "loc-201", "12"),
        ("SUV-STD", "loc-202", "3"),
        ("SUV-STD", "loc-203", "8"),
        ("COMPACT", "loc-201", "20"),
    ]
    .iter()
    .map(|(sku, at, n)| (sku.to_string(), at.to_string(), n.to_string()))
    .collect();
    let google = FakeServer::start(google_business_profile(locations)).await;
    let square = FakeServer::start(square(counts, 100)).await;
    println!("{} {}", google.url, square.url);
    std::io::stdout().flush().expect("stdout");
    std::future::pending::<()>().await;
}
