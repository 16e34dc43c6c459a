//! Locations named by the retailer's store codes (`[sources.locations] ids = "store_code"`),
//! against Google Business Profile's account list, which gives each location's `storeCode`:
//! a pre-send check, an email's branch link and the send-time lookup by code; the code beside
//! Google's id and the name in evidence; an unknown code `location_unknown`, reading the list
//! again at most once a minute; a shared code a warning; a code moved to another location
//! between ticks followed.
use crate::support::app::{TestApp, live_offer, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::upstreams::{GBP_ACCOUNT, TOKEN, gbp_location, google_business_profile};
use promiseguard::store::CheckStore;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn coded(id: &str, code: &str, status: &str) -> (String, Value) {
    let mut location = gbp_location(id, status, &[]);
    location["storeCode"] = json!(code);
    location["title"] = json!(format!("Branch {id}"));
    (id.to_owned(), location)
}

async fn app_by_codes(gbp: &FakeServer, extra: &str) -> TestApp {
    spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         account = \"{GBP_ACCOUNT}\"\nids = \"store_code\"\ntimezone = \"UTC\"\n\
         [promises]\nlocation_links = [\"https://rent.example.com/branches/{{location}}\"]\n{extra}",
        gbp.url
    ))
    .await
}

fn lists(gbp: &FakeServer) -> usize {
    gbp.requests()
        .iter()
        .filter(|r| r.path == format!("/v1/{GBP_ACCOUNT}/locations"))
        .count()
}

fn rules(body: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["target"]["location"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn offers_links_and_lookups_name_branches_by_store_code() {
    let gbp = FakeServer::start(google_business_profile(HashMap::from([
        coded("1001", "STORE-A", "OPEN"),
        coded("1002", "STORE-B", "CLOSED_TEMPORARILY"),
        coded("1003", "STORE-D", "OPEN"),
        coded("1004", "STORE-D", "OPEN"),
    ])))
    .await;
    let app = app_by_codes(&gbp, "").await;
    let now = chrono::Utc::now();
    let window = |locations: Value| {
        json!({"id": "o", "locations": locations, "valid_from": now.to_rfc3339(),
               "valid_until": (now + chrono::Duration::days(3)).to_rfc3339()})
    };
    let body = app
        .presend_answer(
            &json!({"campaign": {"id": "codes", "send_at": now.to_rfc3339(),
            "offers": [window(json!(["STORE-A", "STORE-B", "STORE-X", "STORE-D"]))]}}),
        )
        .await;
    assert_eq!(
        rules(&body),
        [
            ("STORE-B", "location_closed"),
            ("STORE-X", "location_unknown")
        ]
        .map(|(l, r)| (l.to_owned(), r.to_owned()))
        .to_vec(),
        "{body}"
    );
    let closed = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "location_closed")
        .unwrap();
    assert_eq!(closed["evidence"]["source_id"], "locations/1002");
    assert_eq!(closed["evidence"]["name"], "Branch 1002");
    assert!(
        closed["message"]
            .as_str()
            .unwrap()
            .starts_with("Branch 1002 (STORE-B, locations/1002)"),
        "{closed}"
    );
    let warnings = body["warnings"].to_string();
    assert!(
        warnings.contains("store code STORE-D is used by locations/1003 and locations/1004"),
        "{warnings}"
    );
    assert_eq!(
        lists(&gbp),
        1,
        "the list read once, for the map and the answers"
    );

    // The email's branch link names the code; the map is known, so the branch is asked by id.
    let html =
        "<html><body><a href=\"https://rent.example.com/branches/STORE-B\">Rent</a></body></html>";
    let email = app.presend_answer(&json!({"campaign": {"id": "codes-email", "send_at": now.to_rfc3339(),
            "valid_from": now.to_rfc3339(), "valid_until": (now + chrono::Duration::days(3)).to_rfc3339(),
            "content": {"html": html, "subject": "Rent"}}})).await;
    assert_eq!(
        rules(&email),
        vec![("STORE-B".to_owned(), "location_closed".to_owned())],
        "{email}"
    );
    assert!(
        gbp.requests()
            .iter()
            .any(|r| r.path == "/v1/locations/1002")
    );

    // The send-time lookup by code.
    let lookup: Value = app
        .get("/v1/lookup?locations=STORE-A,STORE-B")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        lookup["locations"],
        json!({"keepable": ["STORE-A"], "broken": ["STORE-B"]})
    );

    // Another unknown code within the minute: no second reading of the list.
    let unknown = app
        .presend_answer(
            &json!({"campaign": {"id": "codes-typo", "send_at": now.to_rfc3339(),
            "offers": [window(json!(["STORE-Y"]))]}}),
        )
        .await;
    assert_eq!(
        rules(&unknown),
        vec![("STORE-Y".to_owned(), "location_unknown".to_owned())]
    );
    assert_eq!(
        lists(&gbp),
        1,
        "an unknown code reads the list at most once a minute"
    );
}

#[tokio::test]
async fn a_code_moved_to_another_branch_between_ticks_is_followed() {
    let branches = Arc::new(Mutex::new(HashMap::from([
        coded("2001", "STORE-M", "OPEN"),
        coded("2002", "STORE-N", "CLOSED_PERMANENTLY"),
    ])));
    let shared = branches.clone();
    let gbp =
        FakeServer::start(move |req| google_business_profile(shared.lock().unwrap().clone())(req))
            .await;
    let app = app_by_codes(&gbp, "[schedule]\nrecheck = \"* * * * * *\"\n").await;
    let body = app
        .presend_answer(
            &json!({"campaign": {"id": "moving", "send_at": chrono::Utc::now().to_rfc3339(),
            "offers": [live_offer("o", &["STORE-M"])]}}),
        )
        .await;
    assert_eq!(body["verdict"], "pass", "{body}");
    // The code moves: 2002 is STORE-M now, and it is closed.
    {
        let mut branches = branches.lock().unwrap();
        branches.insert("2001".into(), coded("2001", "STORE-OLD", "OPEN").1);
        branches.insert(
            "2002".into(),
            coded("2002", "STORE-M", "CLOSED_PERMANENTLY").1,
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let checks = app.store.checks("moving").await.unwrap();
        let latest = crate::fleet::latest_findings(&app, "moving").await;
        if checks.len() > 1 && latest.iter().any(|f| f.0 == "location_closed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the moved code was not followed: {latest:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
