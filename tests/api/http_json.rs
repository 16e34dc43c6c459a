use crate::support::app::{offer, presend_body, spawn_app};
use crate::support::fake_server::{FakeResponse, FakeServer};
use serde_json::{Value, json};

#[tokio::test]
async fn any_json_api_via_url_templates_and_pointers() {
    let api = FakeServer::start(|req| {
        if req.header("x-api-key") != Some("k-123") {
            return FakeResponse::json(401, json!({"error": "no key"}));
        }
        match req.path.as_str() {
            "/stores/north" => FakeResponse::json(
                200,
                json!({"store": {"state": "open", "closures": ["2026-11-27"]}}),
            ),
            "/stores/south" => {
                FakeResponse::json(200, json!({"store": {"state": "closed_for_renovation"}}))
            }
            "/stock/SUV%20XL/north" => FakeResponse::json(200, json!({"levels": {"qty": "2"}})),
            "/stock/VAN/north" => FakeResponse::json(200, json!({"levels": {"qty": null}})),
            _ => FakeResponse::json(404, json!({"error": "not found"})),
        }
    })
    .await;
    let app = spawn_app(&format!(
        r#"
[sources.locations]
kind = "http-json"
url = "{0}/stores/{{id}}"
status_pointer = "/store/state"
closed_dates_pointer = "/store/closures"
headers = {{ "X-Api-Key" = "k-123" }}
[sources.inventory]
kind = "http-json"
url = "{0}/stock/{{sku}}/{{location}}"
available_pointer = "/levels/qty"
headers = {{ "X-Api-Key" = "k-123" }}
"#,
        api.url
    ))
    .await;
    let body: Value = app
        .presend(&presend_body(json!([offer(
            "o",
            &["north", "south", "west"],
            &[
                ("SUV XL", "north", 3),
                ("VAN", "north", 1),
                ("BUS", "north", 1)
            ]
        )])))
        .await
        .json()
        .await
        .unwrap();
    let found: Vec<(&str, &str)> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "location_closed_during_window",
                "north is closed on Fri 27 Nov, inside the offer window"
            ),
            (
                "location_closed",
                "south is closed_for_renovation according to the location source"
            ),
            (
                "location_unknown",
                "west is not known to the location source"
            ),
            ("low_stock", "SUV XL at north has 2 available, 3 promised"),
            (
                "out_of_stock",
                "VAN at north is out of stock (0 available, 1 promised)"
            ),
            (
                "out_of_stock",
                "BUS at north is out of stock (0 available, 1 promised)"
            ),
        ]
    );
    assert_eq!(
        api.count(),
        6,
        "three locations, three items, one call each"
    );
}
