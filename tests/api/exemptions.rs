//! Exemptions: made by reviewers with a scope, a category, a reason and an end; while active a
//! finding they cover is reported carrying the exemption and counts toward no verdict; expired
//! or revoked, it counts again from the next check.
use crate::support::analysts::{REVIEWER, VIEWER, delete, get, post, tokens};
use crate::support::app::{TestApp, live_offer, presend_body, spawn_app};
use chrono::{Duration, Utc};
use promiseguard::store::{CheckStore, FindingStore};
use serde_json::{Value, json};

fn exemption(scope: Value, days: i64) -> String {
    json!({"scope": scope, "category": "mitigated", "reason": "the branches reopen on Monday",
           "ticket": "CX-7", "expires_at": (Utc::now() + Duration::days(days)).to_rfc3339()})
    .to_string()
}

async fn recheck(app: &TestApp) -> Value {
    let (status, check) = post(app, "/v1/campaigns/c-test/recheck", Some(REVIEWER), "").await;
    assert_eq!(status, 200, "{check}");
    check
}

async fn listed(app: &TestApp, state: &str) -> Vec<String> {
    let (status, list) = get(app, &format!("/v1/exemptions?state={state}"), Some(VIEWER)).await;
    assert_eq!(status, 200, "{list}");
    list["exemptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_exempted_finding_is_reported_but_passes_until_it_expires_or_is_revoked() {
    let app = spawn_app(&tokens()).await;
    let body = presend_body(json!([live_offer("o", &["gone-1", "gone-2"])]));
    let answer: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(answer["verdict"], "block");

    // Refusals, each at its pointer; viewers may not; nothing kept.
    for (request, pointer) in [
        (exemption(json!({"rule": "location_unknown"}), 5), "/scope"),
        (exemption(json!({"location": "gone-1"}), 31), "/expires_at"),
        (
            exemption(json!({"campaign_id": "c-test"}), 91),
            "/expires_at",
        ),
        (
            exemption(json!({"campaign_id": "c-test"}), -1),
            "/expires_at",
        ),
        (
            json!({"scope": {"campaign_id": "c-test"}, "category": "forever", "reason": "r",
                   "expires_at": (Utc::now() + Duration::days(1)).to_rfc3339()})
            .to_string(),
            "/category",
        ),
    ] {
        let (status, problem) = post(&app, "/v1/exemptions", Some(REVIEWER), &request).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    let request = exemption(json!({"campaign_id": "c-test"}), 2);
    assert_eq!(
        post(&app, "/v1/exemptions", Some(VIEWER), &request).await.0,
        403
    );
    assert!(listed(&app, "active").await.is_empty());

    // Made: the next check passes, each finding still reported, carrying the exemption.
    let (status, made) = post(&app, "/v1/exemptions", Some(REVIEWER), &request).await;
    assert_eq!(status, 201, "{made}");
    let id = made["exemption"]["id"].as_str().unwrap().to_owned();
    assert_eq!(made["exemption"]["created_by"], "dana");
    assert_eq!(made["exemption"]["category"], "mitigated");
    let check = recheck(&app).await;
    assert_eq!(check["verdict"], "pass", "{check}");
    assert_eq!(check["allowed"], true);
    assert_eq!(check["offers"][0]["verdict"], "pass");
    let findings = check["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "still reported");
    assert!(findings.iter().all(|f| f["exemption"]["id"] == id.as_str()
        && f["exemption"]["category"] == "mitigated"
        && f["exemption"]["expires_at"].is_string()));
    let answer: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(answer["verdict"], "pass", "the pre-send check too");
    assert_eq!(listed(&app, "active").await, std::slice::from_ref(&id));
    // Stored with the check: the campaign's page reads it back.
    let (_, detail) = get(&app, "/v1/campaigns/c-test", Some(VIEWER)).await;
    assert_eq!(
        detail["latest_check"]["findings"][0]["exemption"]["id"],
        id.as_str()
    );

    // Revoked: blocks again from the next check.
    let (status, revoked) = delete(&app, &format!("/v1/exemptions/{id}"), Some(VIEWER)).await;
    assert_eq!(status, 403, "{revoked}");
    let (status, revoked) = delete(&app, &format!("/v1/exemptions/{id}"), Some(REVIEWER)).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["exemption"]["revoked_by"], "dana");
    assert_eq!(recheck(&app).await["verdict"], "block");
    assert_eq!(listed(&app, "revoked").await, std::slice::from_ref(&id));
    assert_eq!(
        delete(&app, "/v1/exemptions/nope", Some(REVIEWER)).await.0,
        404
    );

    // Expired: an exemption made to end three seconds from now covers gone-1's finding until
    // then; the first check after its end blocks on it again, and it is listed as expired.
    let ends = Utc::now() + Duration::seconds(3);
    let request = json!({"scope": {"location": "gone-1"}, "category": "waiver",
                         "reason": "reopens in a moment", "expires_at": ends.to_rfc3339()})
    .to_string();
    let (status, made) = post(&app, "/v1/exemptions", Some(REVIEWER), &request).await;
    assert_eq!(status, 201, "{made}");
    let one = made["exemption"]["id"].as_str().unwrap().to_owned();
    let exempted = |check: &Value| -> Vec<String> {
        check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["exemption"]["id"].is_string())
            .map(|f| f["target"]["location"].as_str().unwrap().to_owned())
            .collect()
    };
    let check = recheck(&app).await;
    assert!(Utc::now() < ends, "the host took the whole three seconds");
    assert_eq!(exempted(&check), ["gone-1"], "only gone-1's");
    assert_eq!(check["verdict"], "block", "gone-2 still blocks");
    let wait = (ends - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(50)).await;
    let check = recheck(&app).await;
    assert!(exempted(&check).is_empty(), "{check}");
    assert_eq!(listed(&app, "expired").await, [one]);
    let (status, problem) = get(&app, "/v1/exemptions?state=forever", Some(VIEWER)).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/state");
}

/// The fleet's re-check tick applies exemptions as a manual re-check does.
#[tokio::test]
async fn the_fleet_tick_counts_no_exempted_finding() {
    let app = spawn_app("[schedule]\nrecheck = \"* * * * * *\"\nalerts = \"off\"\n").await;
    let body = presend_body(json!([live_offer("o", &["gone-1"])]));
    let answer: Value = app.presend(&body).await.json().await.unwrap();
    assert_eq!(answer["verdict"], "block");
    let request = exemption(json!({"location": "gone-1"}), 5);
    let (status, made) = post(&app, "/v1/exemptions", None, &request).await;
    assert_eq!(status, 201, "{made}");
    let made_at: chrono::DateTime<Utc> =
        serde_json::from_value(made["exemption"]["created_at"].clone()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let live = loop {
        let checks = app.store.checks("c-test").await.unwrap();
        // A tick that read the exemptions just before it was made may still block; a later
        // one passes.
        if let Some(live) = checks.iter().find(|c| {
            c.phase == promiseguard::domain::Phase::Live
                && c.checked_at > made_at
                && c.verdict == promiseguard::domain::Verdict::Pass
        }) {
            break live.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no tick re-checked c-test"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let findings = app.store.findings(&live.id).await.unwrap();
    assert_eq!(findings.len(), 1, "still reported");
    let exemption = findings[0].finding.exemption.as_ref().expect("carries it");
    assert_eq!(exemption.id, made["exemption"]["id"].as_str().unwrap());
}
