//! Promises in the branch's own calendar, against fake Google Business Profile and Square
//! Locations servers in their real formats: zones from the override, the source and the
//! default, weekly and special hours, windows with and without an offset, and the lookup's
//! local "today".
use crate::support::app::{TestApp, presend_body, spawn_app};
use crate::support::fake_server::FakeServer;
use crate::support::upstreams::{
    TOKEN, gbp_branch, google_business_profile, square_location, square_locations,
};
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Google, with `loc-la` pinned to Los Angeles by `[sources.locations.timezones]` and every
/// other branch in the default zone, Tehran (UTC+3:30). Both keep Monday–Saturday 08:00–18:00
/// and are closed on Wednesday 16 December 2026.
async fn on_google(gbp: &FakeServer) -> TestApp {
    spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\n\
         token = \"{TOKEN}\"\ntimezone = \"Asia/Tehran\"\n\
         [sources.locations.timezones]\nloc-la = \"America/Los_Angeles\"\n",
        gbp.url
    ))
    .await
}

fn branches() -> HashMap<String, Value> {
    HashMap::from([
        (
            "loc-la".into(),
            gbp_branch("loc-la", "Midtown", &["2026-12-16"]),
        ),
        (
            "loc-thr".into(),
            gbp_branch("loc-thr", "Vanak", &["2026-12-16"]),
        ),
    ])
}

fn window(id: &str, locations: &[&str], from: &str, until: &str) -> Value {
    json!({"id": id, "title": "A free day", "valid_from": from, "valid_until": until,
           "locations": locations})
}

/// (location, rule) of every finding.
fn found(body: &Value) -> Vec<(String, String)> {
    body["findings"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|f| {
            (
                f["target"]["location"].as_str().unwrap_or("").to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn presend(app: &TestApp, offers: Value) -> Value {
    let res = app.presend(&presend_body(offers)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn googles_hours_are_judged_in_each_branchs_zone() {
    let gbp = FakeServer::start(google_business_profile(branches())).await;
    let app = on_google(&gbp).await;
    // Tuesday 15 Dec 10:00–17:00 Los Angeles ends past UTC midnight, on no closed local day.
    let tuesday = presend(
        &app,
        json!([window(
            "tue",
            &["loc-la"],
            "2026-12-15T10:00:00-08:00",
            "2026-12-15T17:00:00-08:00"
        )]),
    )
    .await;
    assert_eq!(tuesday["verdict"], "pass", "{tuesday}");
    assert_eq!(tuesday["warnings"], json!([]));
    // Sunday 13 Dec 09:00–17:00 Los Angeles at a branch closed every Sunday: blocked, named.
    let sunday = presend(
        &app,
        json!([window(
            "sun",
            &["loc-la"],
            "2026-12-13T17:00:00Z",
            "2026-12-14T01:00:00Z"
        )]),
    )
    .await;
    assert_eq!(sunday["verdict"], "block", "{sunday}");
    assert_eq!(
        found(&sunday),
        [(
            "loc-la".to_owned(),
            "location_closed_whole_window".to_owned()
        )]
    );
    let finding = &sunday["findings"][0];
    assert_eq!(
        finding["message"],
        "Midtown (loc-la) has no open hour in the offer window, \
         Sun 13 Dec 09:00 – Sun 13 Dec 17:00 (America/Los_Angeles)"
    );
    assert_eq!(finding["evidence"]["name"], "Midtown");
    assert_eq!(finding["evidence"]["zone"], "America/Los_Angeles");
    assert_eq!(sunday["offers"][0]["keepable_locations"], json!([]));
    // Wholly on the special closed Wednesday, in Tehran's calendar: blocked there; the same
    // instants are Tuesday evening in Los Angeles, after closing: blocked too.
    let wednesday = presend(
        &app,
        json!([window(
            "wed",
            &["loc-thr", "loc-la"],
            "2026-12-16T10:00:00+03:30",
            "2026-12-16T17:00:00+03:30"
        )]),
    )
    .await;
    assert_eq!(
        found(&wednesday),
        [
            (
                "loc-thr".to_owned(),
                "location_closed_whole_window".to_owned()
            ),
            (
                "loc-la".to_owned(),
                "location_closed_whole_window".to_owned()
            )
        ],
        "{wednesday}"
    );
    assert_eq!(
        wednesday["findings"][0]["evidence"]["closed_dates"],
        json!(["2026-12-16"])
    );
    // A week with the closed Wednesday and open days elsewhere: the pinned flag, in local
    // dates, with the name.
    let week = presend(
        &app,
        json!([window(
            "week",
            &["loc-thr"],
            "2026-12-14T00:00:00+03:30",
            "2026-12-19T00:00:00+03:30"
        )]),
    )
    .await;
    assert_eq!(week["verdict"], "flag", "{week}");
    assert_eq!(
        week["warnings"],
        json!(["week: Vanak (loc-thr) is closed on Wed 16 Dec, inside the offer window"])
    );
    // Google was asked with a readMask naming what this needs.
    let mask = gbp.requests()[0].query("readMask").unwrap().to_owned();
    for field in [
        "title",
        "storeCode",
        "latlng",
        "regularHours",
        "specialHours",
    ] {
        assert!(mask.split(',').any(|f| f == field), "{mask}");
    }
}

#[tokio::test]
async fn a_window_without_an_offset_is_one_window_in_every_branchs_own_zone() {
    // Square Locations says each branch's zone; New York opens Sundays 10:00–16:00.
    let weekdays = |end: &'static str| {
        ["MON", "TUE", "WED", "THU", "FRI", "SAT"]
            .into_iter()
            .map(move |d| (d, "8:00:00", end))
            .collect::<Vec<_>>()
    };
    let mut ny_hours = weekdays("18:00:00");
    ny_hours.push(("SUN", "10:00:00", "16:00:00"));
    let square = FakeServer::start(square_locations(HashMap::from([
        (
            "L-LA".into(),
            square_location(
                "L-LA",
                "Midtown",
                "ACTIVE",
                "America/Los_Angeles",
                &weekdays("18:00:00"),
            ),
        ),
        (
            "L-NY".into(),
            square_location(
                "L-NY",
                "Union Square",
                "ACTIVE",
                "America/New_York",
                &ny_hours,
            ),
        ),
        (
            "L-OLD".into(),
            square_location("L-OLD", "Harbor", "INACTIVE", "America/New_York", &[]),
        ),
    ])))
    .await;
    let app = spawn_app(&format!(
        "[sources.locations]\nkind = \"square-locations\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         id_map = {{ la = \"L-LA\", ny = \"L-NY\", old = \"L-OLD\" }}\n",
        square.url
    ))
    .await;
    let body = presend(
        &app,
        json!([window(
            "sunday",
            &["la", "ny", "old", "gone"],
            "2026-12-13T09:00:00",
            "2026-12-13T17:00:00"
        )]),
    )
    .await;
    assert_eq!(
        found(&body),
        [
            ("la".to_owned(), "location_closed_whole_window".to_owned()),
            ("old".to_owned(), "location_closed".to_owned()),
            ("gone".to_owned(), "location_unknown".to_owned())
        ],
        "{body}"
    );
    assert_eq!(body["offers"][0]["keepable_locations"], json!(["ny"]));
    // The evidence echoes the instants used at Los Angeles: 09:00 and 17:00 there.
    assert_eq!(
        body["findings"][0]["evidence"]["window"],
        json!({"from": "2026-12-13T17:00:00Z", "until": "2026-12-14T01:00:00Z"})
    );
    assert_eq!(body["findings"][1]["evidence"]["status"], "INACTIVE");
    // Square was asked as Square asks to be: bearer token and a Square-Version.
    let asked = square.requests();
    assert_eq!(asked.len(), 4);
    for req in &asked {
        assert!(req.path.starts_with("/v2/locations/"), "{}", req.path);
        assert!(req.header("square-version").is_some());
    }
    assert!(asked.iter().any(|r| r.path == "/v2/locations/L-LA"));
}

#[tokio::test]
async fn square_errors_are_named_from_its_envelope() {
    let square = FakeServer::start(square_locations(HashMap::new())).await;
    let app = spawn_app(&format!(
        "[sources.locations]\nkind = \"square-locations\"\nbase_url = \"{}\"\ntoken = \"wrong\"\n",
        square.url
    ))
    .await;
    let body = presend(
        &app,
        json!([window(
            "o",
            &["la"],
            "2026-12-13T09:00:00Z",
            "2026-12-13T17:00:00Z"
        )]),
    )
    .await;
    assert_eq!(
        found(&body),
        [("la".to_owned(), "upstream_unavailable".to_owned())]
    );
    let message = body["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 401") && message.contains("AUTHENTICATION_ERROR/UNAUTHORIZED"),
        "{message}"
    );
}

#[tokio::test]
async fn hours_with_no_zone_known_are_judged_in_utc_and_the_check_says_so() {
    // No zone configured, none from Google, and no coordinates set by the owner.
    let mut branches = branches();
    for branch in branches.values_mut() {
        branch.as_object_mut().unwrap().remove("latlng");
    }
    let gbp = FakeServer::start(google_business_profile(branches)).await;
    let app = spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n",
        gbp.url
    ))
    .await;
    let body = presend(
        &app,
        json!([window(
            "tue",
            &["loc-la"],
            "2026-12-15T10:00:00Z",
            "2026-12-15T17:00:00Z"
        )]),
    )
    .await;
    assert_eq!(body["verdict"], "pass", "{body}");
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("loc-la: no time zone is known"),
        "{body}"
    );
}

#[tokio::test]
async fn the_lookup_judges_today_in_each_branchs_zone_and_a_named_window_whole() {
    // Kiritimati (UTC+14) and Pago Pago (UTC−11) are 25 hours apart: their dates always differ.
    let kiritimati = Utc::now()
        .with_timezone(&chrono_tz::Pacific::Kiritimati)
        .date_naive()
        .to_string();
    let branches = HashMap::from([
        ("east".into(), gbp_branch("east", "East", &[&kiritimati])),
        ("west".into(), gbp_branch("west", "West", &[&kiritimati])),
    ]);
    let gbp = FakeServer::start(google_business_profile(branches)).await;
    let app = spawn_app(&format!(
        "[sources.locations]\nkind = \"google-business-profile\"\nbase_url = \"{}\"\ntoken = \"{TOKEN}\"\n\
         [sources.locations.timezones]\neast = \"Pacific/Kiritimati\"\nwest = \"Pacific/Pago_Pago\"\n",
        gbp.url
    ))
    .await;
    let answer: Value = app
        .get("/v1/lookup?locations=east,west")
        .await
        .json()
        .await
        .unwrap();
    // Today is the special closed day in Kiritimati only. Weekly hours (closed Sundays,
    // closed at night) never break a lookup that names no window.
    assert_eq!(answer["locations"]["broken"], json!(["east"]), "{answer}");
    assert_eq!(answer["locations"]["keepable"], json!(["west"]));
    // Naming the window applies the whole-window judgement: next Sunday, all day, local.
    let today = Utc::now().date_naive();
    let sunday = today
        + chrono::Duration::days(
            i64::from(7 - chrono::Datelike::weekday(&today).num_days_from_sunday()) + 7,
        );
    let q = format!("/v1/lookup?locations=west&from={sunday}T00:00:00&until={sunday}T23:59:00");
    let answer: Value = app.get(&q).await.json().await.unwrap();
    assert_eq!(answer["locations"]["broken"], json!(["west"]), "{answer}");
    let monday = sunday + chrono::Duration::days(1);
    let q = format!("/v1/lookup?locations=west&from={monday}T09:00:00&until={monday}T10:00:00");
    let answer: Value = app.get(&q).await.json().await.unwrap();
    assert_eq!(answer["locations"]["keepable"], json!(["west"]), "{answer}");
    let res = app
        .get("/v1/lookup?locations=west&from=2026-12-13T09:00:00&until=2026-12-13T08:00:00")
        .await;
    assert_eq!(res.status(), 400);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/until", "{problem}");
}
