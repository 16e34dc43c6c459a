//! Promises read out of the email: the fixtures' emails through `promiseguard extract`, and
//! emails checked through `POST /v1/presend` and re-checked from what was stored.
use crate::support::app::{TestApp, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::process::cli;
use crate::support::upstreams::{TOKEN, gbp_branch, gbp_location, google_business_profile};
use promiseguard::store::CheckStore;
use serde_json::{Value, json};
use std::collections::HashMap;

const TEMPLATES: &str = "[promises]\n\
    location_links = [\"https://rent.example.com/branches/{location}\", \"https://rent.example.com/find?branch={location}\"]\n\
    item_links = [\"https://shop.example.com/p/{sku}?store={location}\", \"https://shop.example.com/p/{sku}\"]\n";

fn email(name: &str) -> String {
    std::fs::read_to_string(format!("fixtures/emails/{name}.html")).unwrap()
}

fn extract(args: &[&str]) -> (i32, String, String) {
    let with = ["--config", "fixtures/emails/promises.toml", "extract"];
    cli(&[&with[..], args].concat())
}

#[test]
fn every_fixture_email_yields_the_promises_written_beside_it() {
    let mut read = 0;
    for entry in std::fs::read_dir("fixtures/emails").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let (code, out, err) = extract(&["--json", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        let got: Value = serde_json::from_str(&out).unwrap();
        let expected = path.with_extension("expected.json");
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected).unwrap()).unwrap();
        assert_eq!(got, want, "{}", path.display());
        read += 1;
    }
    assert_eq!(read, 5);
    // The table names each promise and the link it came from.
    let (code, out, _) = extract(&["fixtures/emails/klaviyo-neighborhood-rental.html"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("loc-101") && out.contains("“Rent from Downtown →”"),
        "{out}"
    );
    assert!(
        out.contains("7 links, 5 promising, 0 personalised"),
        "{out}"
    );
}

#[test]
fn extract_refuses_markup_it_cannot_read_and_files_it_cannot_open() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        r#"<a data-promise-sku="S" data-promise-quantity="lots">x</a>"#,
    )
    .unwrap();
    let (code, _, err) = extract(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/content/html") && err.contains("lots"),
        "{err}"
    );
    let (code, _, err) = extract(&["no/such/email.html"]);
    assert_ne!(code, 0);
    assert!(err.contains("no/such/email.html"), "{err}");
}

fn content_body(id: &str, html: &str, send_at: &str) -> Value {
    json!({"campaign": {
        "id": id, "name": "internal name", "send_at": send_at,
        "content": {"html": html, "subject": "A free day at your branch"}
    }})
}

async fn presend(app: &TestApp, body: &Value) -> (u16, Value) {
    let res = app.presend(body).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn the_neighborhood_rental_email_blocks_with_each_finding_naming_its_link() {
    let app = spawn_app(TEMPLATES).await;
    let html = email("klaviyo-neighborhood-rental");
    let (status, body) =
        presend(&app, &content_body("rental", &html, "2026-12-10T17:00:00Z")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"], "block");
    assert_eq!(body["offers"][0]["offer_id"], "email");
    let findings = body["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5, "{body}");
    for (f, (id, name)) in findings.iter().zip([
        ("loc-101", "Downtown"),
        ("loc-102", "Riverside"),
        ("loc-103", "Old Town"),
        ("loc-104", "Harbor"),
        ("loc-105", "Airport Road"),
    ]) {
        assert_eq!(f["target"]["location"], id);
        assert_eq!(f["evidence"]["link"]["text"], format!("Rent from {name} →"));
        assert!(f["evidence"]["link"]["href"].as_str().unwrap().contains(id));
    }
    assert_eq!(body["extracted"].as_array().unwrap().len(), 5);
    assert_eq!(
        body["content"],
        json!({"links": 7, "promising_links": 5, "personalized": []})
    );
    assert!(
        body["warnings"][0]
            .as_str()
            .unwrap()
            .contains("the send day, 2026-12-10, local to each location, was assumed"),
        "{body}"
    );
    // The analyst page names the offer by its title and each finding by its link.
    let page = app.get("/ui/campaigns/rental").await.text().await.unwrap();
    assert!(page.contains("A free day at your branch"), "{page}");
    assert!(page.contains("Read from the email (5)"), "{page}");
    assert!(page.contains("from the link <em title=\"https://rent.example.com/branches/loc-101"));
    // Stored as given (content and all), the offer's title the subject, not the name.
    let row = app.store.campaign("rental").await.unwrap().unwrap();
    let stored = row.campaign().unwrap();
    assert!(stored.offers.is_empty() && stored.content.is_some());
    assert_eq!(
        stored.offer_title().as_deref(),
        Some("A free day at your branch")
    );
}

#[tokio::test]
async fn an_email_with_two_open_branches_gets_the_verdict_its_offer_as_json_gets() {
    let app = spawn_app(TEMPLATES).await;
    let links: String = ["loc-101", "loc-201", "loc-102", "loc-202", "loc-103"]
        .iter()
        .map(|id| format!(r#"<a href="https://rent.example.com/branches/{id}">{id}</a>"#))
        .collect();
    let send_at = "2026-12-10T17:00:00Z";
    let (_, from_email) = presend(&app, &content_body("by-email", &links, send_at)).await;
    let as_json = json!({"campaign": {"id": "by-json", "send_at": send_at, "offers": [{
        "id": "email", "valid_from": "2026-12-10T00:00:00", "valid_until": "2026-12-11T00:00:00",
        "locations": ["loc-101", "loc-201", "loc-102", "loc-202", "loc-103"]
    }]}});
    let (_, from_json) = presend(&app, &as_json).await;
    assert_eq!(from_email["verdict"], from_json["verdict"]);
    assert_eq!(
        from_email["offers"][0]["keepable_locations"],
        json!(["loc-201", "loc-202"])
    );
    assert_eq!(
        from_email["offers"][0]["keepable_locations"],
        from_json["offers"][0]["keepable_locations"]
    );
    let targets = |b: &Value| -> Vec<(Value, Value)> {
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].clone(), f["target"].clone()))
            .collect()
    };
    assert_eq!(targets(&from_email), targets(&from_json));
}

#[tokio::test]
async fn a_personalised_link_is_reported_and_not_judged() {
    let app = spawn_app(TEMPLATES).await;
    let html = email("mailchimp-merge-tags");
    let (status, body) = presend(
        &app,
        &content_body("camping", &html, "2026-12-10T17:00:00Z"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["content"]["personalized"],
        json!(["https://rent.example.com/branches/*|BRANCH_ID|*?utm_source=mailchimp"])
    );
    let warnings: Vec<&str> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("1 personalised link(s)") && w.contains("GET /v1/lookup")),
        "{warnings:?}"
    );
    let judged: Vec<&Value> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["target"])
        .collect();
    assert!(
        judged.iter().all(|t| !t.to_string().contains("BRANCH")),
        "{judged:?}"
    );
}

#[tokio::test]
async fn a_promise_given_both_ways_is_asked_once_and_belongs_to_its_json_offer() {
    let gbp = FakeServer::start(google_business_profile(HashMap::from([
        ("101".into(), gbp_location("101", "CLOSED_TEMPORARILY", &[])),
        ("102".into(), gbp_branch("102", "Riverside", &[])),
    ])))
    .await;
    let app = spawn_app(&format!(
        "{TEMPLATES}[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n",
        gbp.url
    ))
    .await;
    let html = r#"<a href="https://rent.example.com/branches/101">Downtown</a>
        <a href="https://rent.example.com/find?branch=101&utm_source=x">Downtown again</a>
        <a href="https://rent.example.com/branches/102">Riverside</a>"#;
    let body = json!({"campaign": {
        "id": "both", "send_at": "2026-12-10T08:00:00Z",
        "valid_from": "2026-12-10T00:00:00Z", "valid_until": "2026-12-12T00:00:00Z",
        "offers": [{"id": "free-day", "valid_from": "2026-12-10T00:00:00Z",
                    "valid_until": "2026-12-12T00:00:00Z", "locations": ["101"]}],
        "content": {"html": html}
    }});
    let (status, answer) = presend(&app, &body).await;
    assert_eq!(status, 200, "{answer}");
    let asked: Vec<String> = gbp.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        asked.iter().filter(|p| p.ends_with("/101")).count(),
        1,
        "{asked:?}"
    );
    let findings = answer["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{answer}");
    assert_eq!(findings[0]["offer_id"], "free-day");
    assert_eq!(findings[0]["evidence"]["link"]["text"], "Downtown");
    let owners: Vec<(&str, &str)> = answer["extracted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["offer_id"].as_str().unwrap(),
                e["location"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(owners, [("free-day", "101"), ("email", "102")]);
    assert_eq!(answer["offers"][1]["keepable_locations"], json!(["102"]));
}

#[tokio::test]
async fn content_that_is_not_html_a_backwards_window_and_no_promise_are_422() {
    let app = spawn_app(TEMPLATES).await;
    let pointer = |b: &Value| b["errors"][0]["pointer"].as_str().unwrap_or("").to_owned();
    let (status, body) = presend(
        &app,
        &json!({"campaign": {"id": "x", "content": {"html": 42}}}),
    )
    .await;
    assert_eq!(
        (status, pointer(&body)),
        (422, "/campaign/content/html".into())
    );
    let (status, body) = presend(
        &app,
        &json!({"campaign": {"id": "x", "content": {"html": "<a href=\"https://rent.example.com/branches/loc-1\">x</a>"},
                             "valid_from": "2026-12-11T00:00:00Z", "valid_until": "2026-12-10T00:00:00Z"}}),
    )
    .await;
    assert_eq!(
        (status, pointer(&body)),
        (422, "/campaign/valid_until".into())
    );
    let (status, body) = presend(
        &app,
        &content_body("nothing", "<p>Happy holidays!</p>", "2026-12-10T17:00:00Z"),
    )
    .await;
    assert_eq!((status, pointer(&body)), (422, "/campaign/content".into()));
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("nothing is promised")
    );
    // Nested 100,000 deep the parser would be quadratic: refused before it starts.
    let started = std::time::Instant::now();
    let (status, body) = presend(
        &app,
        &content_body("deep", &"<div>".repeat(100_000), "2026-12-10T17:00:00Z"),
    )
    .await;
    assert_eq!(
        (status, pointer(&body)),
        (422, "/campaign/content/html".into())
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(app.checks_stored().await, 0);
    let huge = "<p>x</p>".repeat(200_000);
    let res = app
        .presend(&content_body("huge", &huge, "2026-12-10T17:00:00Z"))
        .await;
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn a_manual_recheck_of_a_content_only_campaign_reads_its_stored_content_again() {
    let app = spawn_app(TEMPLATES).await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let html = email("klaviyo-neighborhood-rental");
    let (status, _) = presend(&app, &content_body("again", &html, &soon)).await;
    assert_eq!(status, 200);
    let res = app
        .client
        .post(format!("{}/v1/campaigns/again/recheck", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let recheck: Value = res.json().await.unwrap();
    let result = if recheck["check"].is_object() {
        &recheck["check"]
    } else {
        &recheck
    };
    assert_eq!(result["verdict"], "block", "{recheck}");
    assert_eq!(
        result["extracted"].as_array().unwrap().len(),
        5,
        "{recheck}"
    );
    assert_eq!(
        result["findings"][0]["evidence"]["link"]["text"],
        "Rent from Downtown →"
    );
    // The campaign's window is the offers it makes: it is live until the send day ends.
    let row = app.store.campaign("again").await.unwrap().unwrap();
    assert!(row.window_end > chrono::Utc::now());
}

#[tokio::test]
async fn the_live_recheck_reads_a_running_content_campaigns_email_again() {
    let app = spawn_app(&format!(
        "{TEMPLATES}[schedule]\nrecheck = \"* * * * * *\"\nsurveys = \"off\"\nalerts = \"off\"\nlease_ttl_s = 5\n"
    ))
    .await;
    // Sent an hour ago: the assumed window (today, local to each branch) is running.
    let sent = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let html = email("klaviyo-neighborhood-rental");
    let (status, _) = presend(&app, &content_body("running", &html, &sent)).await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let live = loop {
        let checks = app.store.checks("running").await.unwrap();
        if let Some(live) = checks.iter().find(|c| c.phase.as_str() == "live") {
            break live.result.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no live re-check");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let live: Value = serde_json::from_str(&live).unwrap();
    assert_eq!(live["verdict"], "block");
    assert_eq!(live["extracted"].as_array().unwrap().len(), 5, "{live}");
    assert_eq!(live["content"]["promising_links"], 5);
    assert_eq!(
        live["findings"][4]["evidence"]["link"]["text"],
        "Rent from Airport Road →"
    );
}
