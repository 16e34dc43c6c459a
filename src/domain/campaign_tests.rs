use super::*;

fn input(json: serde_json::Value) -> CampaignInput {
    serde_json::from_value(json).unwrap()
}

fn valid() -> serde_json::Value {
    serde_json::json!({
        "id": "c1",
        "offers": [{
            "id": "o1", "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
            "locations": ["loc-1", "loc-1", "loc-2"],
            "items": [{ "sku": "S", "location": "online" }]
        }]
    })
}

#[test]
fn parses_defaults_and_dedupes_locations() {
    let c = input(valid())
        .parse("/campaign", chrono::Utc::now())
        .unwrap();
    assert_eq!(c.offers[0].locations, vec!["loc-1", "loc-2"]);
    assert_eq!(c.offers[0].items[0].min_available, 1);
}

#[test]
fn a_window_without_an_offset_is_local_to_each_location() {
    let mut v = valid();
    v["offers"][0]["valid_from"] = "2026-12-13T09:00:00".into();
    v["offers"][0]["valid_until"] = "2026-12-13T17:00".into();
    let c = input(v.clone())
        .parse("/campaign", chrono::Utc::now())
        .unwrap();
    let offer = &c.offers[0];
    let local = offer.local.unwrap();
    assert_eq!(local.from.to_string(), "2026-12-13 09:00:00");
    // Open somewhere from 09:00 at UTC+14 to 17:00 at UTC−12.
    assert_eq!(offer.valid_from.to_rfc3339(), "2026-12-12T19:00:00+00:00");
    assert_eq!(offer.valid_until.to_rfc3339(), "2026-12-14T05:00:00+00:00");
    assert_eq!(
        offer.window_in(chrono_tz::America::New_York).0.to_rfc3339(),
        "2026-12-13T14:00:00+00:00"
    );
    // Stored and read back as it was written.
    let stored = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<Campaign>(&stored).unwrap(), c);
    // An offset on one end only is refused, by the field.
    v["offers"][0]["valid_until"] = "2026-12-13T17:00:00+03:30".into();
    let errs = input(v.clone())
        .parse("/campaign", chrono::Utc::now())
        .unwrap_err();
    assert_eq!(errs[0].pointer, "/campaign/offers/0/valid_until");
    // An offset is an instant, whatever the offset.
    v["offers"][0]["valid_from"] = "2026-12-13T09:00:00+03:30".into();
    let c = input(v).parse("/campaign", chrono::Utc::now()).unwrap();
    assert_eq!(c.offers[0].local, None);
    assert_eq!(
        c.offers[0].valid_from.to_rfc3339(),
        "2026-12-13T05:30:00+00:00"
    );
    assert!("13/12/2026".parse::<WindowTime>().is_err());
    // Years a window's envelope could not hold are refused, not a panic later.
    for far in [
        "+262142-12-31T23:59:59",
        "9999-12-31T23:00:00+14:00x",
        "0001-01-01T00:00:00",
    ] {
        assert!(far.parse::<WindowTime>().is_err(), "{far}");
    }
    assert!("9999-12-31T23:00:00".parse::<WindowTime>().is_ok());
}

#[test]
fn window_running_backwards_names_valid_until() {
    let mut v = valid();
    v["offers"][0]["valid_until"] = "2026-11-01T00:00:00Z".into();
    let errs = input(v).parse("/campaign", chrono::Utc::now()).unwrap_err();
    assert_eq!(errs[0].pointer, "/campaign/offers/0/valid_until");
}

#[test]
fn duplicate_offer_ids_and_bad_min_available_are_named() {
    let mut v = valid();
    let offer = v["offers"][0].clone();
    v["offers"].as_array_mut().unwrap().push(offer);
    v["offers"][1]["items"][0]["min_available"] = 0.into();
    let errs = input(v).parse("/campaign", chrono::Utc::now()).unwrap_err();
    let pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        vec![
            "/campaign/offers/1/id",
            "/campaign/offers/1/items/0/min_available"
        ]
    );
}

#[test]
fn empty_ids_and_offers_are_refused() {
    let errs = input(serde_json::json!({"id": " ", "offers": []}))
        .parse("/campaign", chrono::Utc::now())
        .unwrap_err();
    let pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, vec!["/campaign/id", "/campaign/offers"]);
}
