use super::*;
use crate::domain::campaign::CampaignInput;
use serde_json::json;

fn templates() -> LinkTemplates {
    LinkTemplates::new(
        &["https://rent.example.com/branches/{location}".into()],
        &["https://shop.example.com/p/{sku}".into()],
    )
    .unwrap()
}

fn campaign(input: serde_json::Value) -> Campaign {
    let now = "2026-12-04T15:00:00Z".parse().unwrap();
    serde_json::from_value::<CampaignInput>(input)
        .unwrap()
        .parse("/campaign", now)
        .unwrap()
}

const EMAIL: &str = r#"<title>Title tag</title>
    <a href="https://rent.example.com/branches/loc-1">One</a>
    <a href="https://rent.example.com/branches/loc-2">Two</a>
    <a href="https://shop.example.com/p/TENT">Tent</a>"#;

#[test]
fn content_makes_the_offer_email_over_the_assumed_send_day() {
    let c = campaign(json!({"id": "c", "content": {"html": EMAIL, "subject": "Subject line"}}));
    assert!(c.window_assumed);
    let p = c.promised(&templates(), "/campaign").unwrap();
    let offer = &p.campaign.offers[0];
    assert_eq!(offer.id, "email");
    assert_eq!(offer.title.as_deref(), Some("Subject line"));
    assert_eq!(offer.locations, ["loc-1", "loc-2"]);
    assert_eq!(offer.items[0].key().to_string(), "TENT@online");
    let local = offer.local.unwrap();
    assert_eq!(local.from.to_string(), "2026-12-04 00:00:00");
    assert_eq!(local.until.to_string(), "2026-12-05 00:00:00");
    assert!(p.warnings[0].contains("2026-12-04"), "{:?}", p.warnings);
    assert_eq!(p.extracted.len(), 3);
    assert_eq!(p.extracted[0].text.as_deref(), Some("One"));
    let report = p.content.unwrap();
    assert_eq!((report.links, report.promising_links), (3, 3));
    // The title falls back to the HTML's, never to the campaign's name.
    let c = campaign(json!({"id": "c", "name": "internal", "content": {"html": EMAIL}}));
    assert_eq!(c.offer_title().as_deref(), Some("Title tag"));
    let p = c.promised(&templates(), "").unwrap();
    assert_eq!(p.campaign.offers[0].title.as_deref(), Some("Title tag"));
}

#[test]
fn a_promise_a_json_offer_names_attaches_to_it_and_the_rest_forms_the_email_offer() {
    let c = campaign(json!({
        "id": "c",
        "valid_from": "2026-12-10T00:00:00Z", "valid_until": "2026-12-11T00:00:00Z",
        "offers": [{"id": "free-day", "valid_from": "2026-12-01T00:00:00Z",
                    "valid_until": "2026-12-20T00:00:00Z", "locations": ["loc-1"]}],
        "content": {"html": EMAIL}
    }));
    assert!(!c.window_assumed);
    let p = c.promised(&templates(), "/campaign").unwrap();
    assert_eq!(p.campaign.offers.len(), 2);
    assert_eq!(p.campaign.offers[0].locations, ["loc-1"]);
    assert_eq!(p.campaign.offers[1].locations, ["loc-2"]);
    assert_eq!(
        p.campaign.offers[1].valid_from.to_rfc3339(),
        "2026-12-10T00:00:00+00:00"
    );
    let owners: Vec<&str> = p.extracted.iter().map(|e| e.offer_id.as_str()).collect();
    assert_eq!(owners, ["free-day", "email", "email"]);
    assert!(p.warnings.is_empty());
}

#[test]
fn the_assumed_window_is_said_only_of_an_offer_that_runs_over_it() {
    let grouped = r#"<div data-promise-offer="weekend" data-promise-valid-from="2026-12-12T09:00:00"
        data-promise-valid-until="2026-12-13T18:00:00">
        <a href="https://rent.example.com/branches/loc-2">Two</a></div>"#;
    let c = campaign(json!({"id": "c", "content": {"html": grouped}}));
    assert!(c.window_assumed);
    let p = c.promised(&templates(), "").unwrap();
    assert_eq!(p.campaign.offers[0].id, "weekend");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let loose = format!(r#"{grouped}<a href="https://rent.example.com/branches/loc-3">Three</a>"#);
    let c = campaign(json!({"id": "c", "content": {"html": loose}}));
    let p = c.promised(&templates(), "").unwrap();
    assert_eq!(p.warnings.len(), 1);
}

#[test]
fn content_promising_nothing_is_nothing_and_bad_windows_are_named() {
    let c = campaign(json!({"id": "c", "content": {"html": "<p>Hello</p>"}}));
    let p = c.promised(&templates(), "/campaign").unwrap();
    assert!(p.nothing());
    let e = nothing_promised("/campaign", &p.content.unwrap());
    assert_eq!(e.pointer, "/campaign/content");
    let bad = |v: serde_json::Value| {
        serde_json::from_value::<CampaignInput>(v)
            .unwrap()
            .parse("/campaign", chrono::Utc::now())
            .unwrap_err()[0]
            .pointer
            .clone()
    };
    let html = json!({"html": EMAIL});
    assert_eq!(
        bad(
            json!({"id": "c", "content": html, "valid_from": "2026-12-11T00:00:00Z",
                   "valid_until": "2026-12-10T00:00:00Z"})
        ),
        "/campaign/valid_until"
    );
    assert_eq!(
        bad(json!({"id": "c", "content": html, "valid_from": "2026-12-11T00:00:00Z"})),
        "/campaign/valid_until"
    );
    assert_eq!(bad(json!({"id": "c"})), "/campaign/offers");
    let markup = json!({"id": "c", "content": {"html": "<a data-promise-sku=S data-promise-quantity=0>x</a>"}});
    let errors = campaign(markup)
        .promised(&templates(), "/campaign")
        .unwrap_err();
    assert_eq!(errors[0].pointer, "/campaign/content/html");
}

#[test]
fn each_web_link_once_with_the_offer_it_belongs_to() {
    let html = r#"<a href="https://rent.example.com/branches/loc-1">One</a>
        <div data-promise-offer="spring"><a href="https://rent.example.com/branches/loc-2">Two</a>
          <a href="https://rent.example.com/about">About</a></div>
        <a href="https://rent.example.com/about">About again</a>
        <a href="https://rent.example.com/u/{{ person.id }}">Personalised</a>
        <a href="mailto:help@example.com">Mail</a>
        <a href="https://elsewhere.example.com/">Elsewhere</a>"#;
    let c = campaign(json!({
        "id": "c",
        "valid_from": "2026-12-10T00:00:00Z", "valid_until": "2026-12-11T00:00:00Z",
        "offers": [{"id": "free-day", "valid_from": "2026-12-01T00:00:00Z",
                    "valid_until": "2026-12-20T00:00:00Z", "locations": ["loc-1"]}],
        "content": {"html": html, "text": "Or see https://rent.example.com/faq."}
    }));
    let p = c.promised(&templates(), "").unwrap();
    let links: Vec<(&str, &str, Option<&str>)> = p
        .links
        .iter()
        .map(|l| (l.offer_id.as_str(), l.href.as_str(), l.text.as_deref()))
        .collect();
    assert_eq!(
        links,
        [
            (
                "free-day",
                "https://rent.example.com/branches/loc-1",
                Some("One")
            ),
            (
                "spring",
                "https://rent.example.com/branches/loc-2",
                Some("Two")
            ),
            ("spring", "https://rent.example.com/about", Some("About")),
            ("email", "https://elsewhere.example.com/", Some("Elsewhere")),
            ("email", "https://rent.example.com/faq", None),
        ]
    );
}
