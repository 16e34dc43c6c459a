use crate::support::app::spawn_app;
use promiseguard::store::{CheckStore, FindingStore};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("fixtures/campaigns/{name}.json")).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_neighborhood_rental_with_five_closed_branches_is_blocked_and_stored() {
    let app = spawn_app("").await;
    let res = app.presend(&fixture("block")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["verdict"], "block");
    assert_eq!(body["allowed"], false);
    assert_eq!(body["phase"], "pre_send");
    assert_eq!(body["campaign_id"], "rentals-free-day-2026-11");
    assert_eq!(
        body["offers"][0]["keepable_locations"],
        serde_json::json!([])
    );
    let findings = body["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 6);
    assert_eq!(findings[0]["rule"], "location_closed");
    assert_eq!(
        findings[0]["target"],
        serde_json::json!({"location": "loc-101"})
    );
    assert_eq!(
        findings[0]["message"],
        "Downtown (loc-101) is CLOSED_TEMPORARILY according to the location source"
    );
    assert_eq!(findings[0]["evidence"]["status"], "CLOSED_TEMPORARILY");
    assert_eq!(findings[0]["evidence"]["source"], "static");
    assert!(findings[0]["evidence"]["fetched_at"].is_string());
    let ids: Vec<&Value> = findings.iter().map(|f| &f["id"]).collect();
    assert_eq!(
        body["offers"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        ids
    );

    // Stored: the campaign, the check and every finding, in order.
    let check_id = body["check_id"].as_str().unwrap();
    let campaign = app
        .store
        .campaign("rentals-free-day-2026-11")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(campaign.latest_check_id.as_deref(), Some(check_id));
    assert_eq!(
        campaign.name.as_deref(),
        Some("Neighborhood rental: a free day")
    );
    let checks = app.store.checks("rentals-free-day-2026-11").await.unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].verdict.as_str(), "block");
    let stored = app.store.findings(check_id).await.unwrap();
    assert_eq!(stored.len(), 6);
    let stored: Vec<_> = stored.into_iter().map(|s| s.finding).collect();
    assert_eq!(serde_json::to_value(&stored).unwrap(), body["findings"]);
}

#[tokio::test]
async fn a_flag_carries_one_warning_per_flag_finding_and_is_allowed() {
    let app = spawn_app("").await;
    let body: Value = app.presend(&fixture("flag")).await.json().await.unwrap();
    assert_eq!(body["verdict"], "flag");
    assert_eq!(body["allowed"], true);
    assert_eq!(
        body["warnings"],
        serde_json::json!([
            "suv-upgrade: Eastside (loc-202) is closed on Thu 26 Nov, inside the offer window",
            "suv-upgrade: SUV-STD at loc-202 has 3 available, 5 promised"
        ])
    );
    assert_eq!(
        body["offers"][0]["keepable_locations"],
        serde_json::json!(["loc-201"])
    );
}

#[tokio::test]
async fn a_campaign_that_keeps_its_promises_passes() {
    let app = spawn_app("").await;
    let body: Value = app.presend(&fixture("pass")).await.json().await.unwrap();
    assert_eq!(body["verdict"], "pass");
    assert_eq!(body["allowed"], true);
    assert_eq!(body["findings"], serde_json::json!([]));
    assert_eq!(body["warnings"], serde_json::json!([]));
    assert_eq!(
        body["offers"][0]["keepable_locations"],
        serde_json::json!(["loc-201", "loc-203"])
    );
}

#[tokio::test]
async fn dry_run_reports_the_block_but_allows_the_send() {
    let app = spawn_app("").await;
    let mut body = fixture("block");
    body["mode"] = "dry_run".into();
    let body: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(body["verdict"], "block");
    assert_eq!(body["allowed"], true);
    assert_eq!(body["mode"], "dry_run");
}

#[tokio::test]
async fn request_policy_overrides_the_configured_one() {
    let app = spawn_app("[policy]\nlow_stock = \"ignore\"\n").await;
    let mut body = fixture("flag");
    // Configured: low_stock ignored. Requested: the closure day blocks.
    body["policy"] = serde_json::json!({"location_closed_during_window": "block"});
    let body: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(body["verdict"], "block");
    let rules: Vec<&str> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["location_closed_during_window"]);
}

#[tokio::test]
async fn send_at_after_the_window_blocks_as_expired() {
    let app = spawn_app("").await;
    let mut body = fixture("pass");
    body["campaign"]["send_at"] = "2026-12-01T00:00:00Z".into();
    let body: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(body["verdict"], "block");
    assert_eq!(body["findings"][0]["rule"], "offer_expired");
}
