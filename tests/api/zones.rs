//! Zones from coordinates: a Google Business Profile branch without a configured zone, whose
//! owner set its `latlng`, is judged in the zone found there offline — Los Angeles, Tehran,
//! Kiritimati (UTC+14, already the next day) — before `[sources.locations] timezone`; a point at
//! sea has no zone, so the default is used and the check says so; a configured zone still wins.
use crate::support::app::spawn_app;
use crate::support::fake_server::FakeServer;
use crate::support::upstreams::{TOKEN, gbp_location, google_business_profile};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A branch open on Mondays 08:00–18:00 (local), at a point.
fn branch(id: &str, latitude: f64, longitude: f64) -> (String, Value) {
    let mut location = gbp_location(id, "OPEN", &[]);
    location["latlng"] = json!({"latitude": latitude, "longitude": longitude});
    (id.to_owned(), location)
}

#[tokio::test]
async fn each_branch_is_judged_in_the_zone_its_coordinates_fall_in() {
    let gbp = FakeServer::start(google_business_profile(HashMap::from([
        branch("la", 34.0522, -118.2437),
        branch("tehran", 35.6892, 51.3890),
        branch("kiritimati", 1.8721, -157.4278),
        branch("sea", 0.0, -30.0),
        branch("pinned", 34.0522, -118.2437),
    ])))
    .await;
    let app = spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         timezone = \"Europe/Berlin\"\n[sources.locations.timezones]\npinned = \"Asia/Tehran\"\n",
        gbp.url
    ))
    .await;
    // Monday 17:00–18:00 UTC: 09:00 in Los Angeles (open), 20:30 in Tehran, Tuesday 07:00 on
    // Kiritimati, 18:00 in Berlin (all closed).
    let body = app
        .presend_answer(
            &json!({"campaign": {"id": "zones", "send_at": "2026-12-14T16:00:00Z", "offers": [{
                "id": "o", "locations": ["la", "tehran", "kiritimati", "sea", "pinned"],
                "valid_from": "2026-12-14T17:00:00Z", "valid_until": "2026-12-14T18:00:00Z",
            }]}}),
        )
        .await;
    let mut judged: Vec<(String, String, String, String)> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap().to_owned();
            (
                text(&f["target"]["location"]),
                text(&f["rule"]),
                text(&f["evidence"]["zone"]),
                text(&f["evidence"]["zone_source"]),
            )
        })
        .collect();
    judged.sort();
    let expected = [
        ("kiritimati", "Pacific/Kiritimati", "latlng"),
        ("pinned", "Asia/Tehran", "configured"),
        ("sea", "Europe/Berlin", "default"),
        ("tehran", "Asia/Tehran", "latlng"),
    ]
    .map(|(l, z, s)| {
        (
            l.to_owned(),
            "location_closed_whole_window".to_owned(),
            z.to_owned(),
            s.to_owned(),
        )
    });
    assert_eq!(judged, expected, "Los Angeles is open at 09:00: {body}");
    let warnings: Vec<&str> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings.iter().any(|w| w
            .starts_with("sea: its coordinates (0.0000, -30.0000) fall in no time zone")
            && w.ends_with("judged in Europe/Berlin")),
        "{warnings:?}"
    );
}
