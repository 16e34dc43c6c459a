//! Clicks name the promise they reached for (issue 30, part 1): at ingest, through
//! `/v1/events` and a provider's door alike, a click's URL matched against the `[promises]`
//! templates keeps the location (and the sku of an item link); the access document shows it;
//! `promiseguard clicks rematch` matches stored clicks again after the templates change.
use crate::support::analysts::{REVIEWER, get, tokens};
use crate::support::app::{TestApp, spawn_app};
use crate::support::process::cli;
use serde_json::{Value, json};

const TOKEN: &str = "clicks-events-token-0123456789";

fn templates(branch_path: &str) -> String {
    format!(
        "[promises]\nlocation_links = [\"https://rent.example.com/{branch_path}/{{location}}\"]\n\
         item_links = [\"https://shop.example.com/p/{{sku}}?store={{location}}\"]\n"
    )
}

async fn post_events(app: &TestApp, body: &Value) {
    let res = app
        .client
        .post(format!("{}/v1/events", app.address))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// The access document's events for `address`: (id, location, sku).
async fn named(app: &TestApp, address: &str) -> Vec<(String, Value, Value)> {
    let path = format!("/v1/recipients/{}", address.replace('@', "%40"));
    let (status, doc) = get(app, &path, Some(REVIEWER)).await;
    assert_eq!(status, 200, "{doc}");
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["location"].clone(),
                e["sku"].clone(),
            )
        })
        .collect()
}

/// The event of `events` whose id contains `id`.
fn event(events: &[(String, Value, Value)], id: &str) -> (String, Value, Value) {
    events
        .iter()
        .find(|(e, _, _)| e.contains(id))
        .unwrap_or_else(|| panic!("no event {id} in {events:?}"))
        .clone()
}

fn click(id: &str, url: &str) -> Value {
    json!({"id": id, "type": "click", "campaign_id": "spring", "recipient": "ana@example.com",
           "occurred_at": "2026-12-01T10:00:00Z", "url": url})
}

#[tokio::test]
async fn a_click_keeps_the_location_or_item_its_url_names_and_a_rematch_follows_new_templates() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}{}[events]\ntokens = [{{ name = \"esp\", token = \"{TOKEN}\" }}]\n",
        tokens(),
        templates("branches")
    );
    let app = spawn_app(&config).await;
    post_events(
        &app,
        &json!([
            click("c1", "https://rent.example.com/branches/loc-101?utm_source=email"),
            click("c2", "https://shop.example.com/p/TENT-2P?store=loc-202&utm_medium=email"),
            click("c3", "https://rent.example.com/locations/loc-103"),
            click("c4", "https://elsewhere.example.com/branches/loc-101"),
            {"id": "s1", "type": "sent", "campaign_id": "spring", "recipient": "ana@example.com",
             "occurred_at": "2026-12-01T09:00:00Z", "url": "https://rent.example.com/branches/loc-101"},
        ]),
    )
    .await;
    // A provider's door: Postmark's click, its OriginalLink a branch page.
    let mut postmark: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/providers/postmark/click.json").unwrap(),
    )
    .unwrap();
    postmark["OriginalLink"] = "https://rent.example.com/branches/loc-105#hours".into();
    postmark["Recipient"] = "ana@example.com".into();
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("postmark:{TOKEN}"),
    );
    let res = app
        .client
        .post(format!("{}/v1/events/postmark", app.address))
        .header("authorization", format!("Basic {basic}"))
        .json(&postmark)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let events = named(&app, "ana@example.com").await;
    let find = |id: &str| event(&events, id);
    assert_eq!(find("c1"), ("c1".into(), json!("loc-101"), Value::Null));
    assert_eq!(
        find("c2"),
        ("c2".into(), json!("loc-202"), json!("TENT-2P"))
    );
    assert_eq!(find("c3").1, Value::Null, "a path no template has");
    assert_eq!(find("c4").1, Value::Null, "another host");
    assert_eq!(find("s1").1, Value::Null, "only clicks reach for a promise");
    assert_eq!(find("postmark").1, json!("loc-105"));

    // The branch pages move to /locations/: the templates change, stored clicks follow.
    let file = dir.path().join("next.toml");
    let db = app.config.database_url.expose().to_owned();
    std::fs::write(
        &file,
        format!("database_url = \"{db}\"\n{}", templates("locations")),
    )
    .unwrap();
    let path = file.to_str().unwrap().to_owned();
    let again = path.clone();
    let (code, out, err) =
        tokio::task::spawn_blocking(move || cli(&["--config", &path, "clicks", "rematch"]))
            .await
            .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("5 read, 3 changed"),
        "c1 and postmark lose loc-101/105, c3 gains loc-103: {out}"
    );
    let events = named(&app, "ana@example.com").await;
    let find = |id: &str| event(&events, id);
    assert_eq!(find("c1").1, Value::Null);
    assert_eq!(find("c3").1, json!("loc-103"));
    assert_eq!(find("c2").2, json!("TENT-2P"), "item links unchanged");
    let (code, out, _) = tokio::task::spawn_blocking(move || {
        cli(&[
            "--config",
            &again,
            "clicks",
            "rematch",
            "--since",
            "2026-12-02",
        ])
    })
    .await
    .unwrap();
    assert_eq!(code, 0);
    assert!(
        out.contains("0 read, 0 changed"),
        "nothing at or after the date: {out}"
    );
    let (code, _, err) = cli(&["clicks", "rematch", "--since", "yesterday"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a date"), "{err}");
}
