//! Promises judged per click (issue 30): one campaign promising five branches, two of them
//! closed, and one that promised an open branch; clicks through SendGrid and `/v1/events`,
//! conversions through Shopify, survey answers over real SMTP. The per-branch table, the
//! click-basis insight and the conversion blocks give the figures worked out by hand below; the
//! CSV reads back (Python's `csv`) to the same rows; erasing a respondent and running retention
//! change none of them.
use crate::support::analysts::{REVIEWER, VIEWER, delete, get, python_csv, tokens};
use crate::support::app::TestApp;
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp, link_in, post_events, surveys_run_ok};
use chrono::{DateTime, Duration, Utc};
use promiseguard::signatures::shopify;
use promiseguard::store::Db;
use serde_json::{Value, json};

const SHOP_SECRET: &str = "shpss_promise_clicks_secret";
const FIVE: &str = "five-branches";
const OPEN: &str = "open-branch";

pub(crate) fn config() -> String {
    format!(
        "{}[promises]\nlocation_links = [\"https://rent.example.com/branches/{{location}}\"]\n\
         item_links = [\"https://shop.example.com/p/{{sku}}?store={{location}}\"]\n\
         [conversions.shopify]\nsecret = \"{SHOP_SECRET}\"\n",
        tokens()
    )
}

fn campaign(id: &str, locations: &[&str], items: Value) -> Value {
    let now = Utc::now();
    json!({"campaign": {"id": id, "name": id, "send_at": now.to_rfc3339(), "offers": [{
        "id": "free-day", "title": "A free day",
        "valid_from": (now - Duration::days(6)).to_rfc3339(),
        "valid_until": (now + Duration::days(10)).to_rfc3339(),
        "locations": locations, "items": items}]}, "mode": "enforce"})
}

fn click(id: &str, campaign: &str, who: &str, at: DateTime<Utc>, url: &str) -> Value {
    json!({"id": id, "type": "click", "campaign_id": campaign, "recipient": who,
           "occurred_at": at.to_rfc3339(), "url": url})
}

fn branch(location: &str) -> String {
    format!("https://rent.example.com/branches/{location}?utm_source=email")
}

/// A Shopify `orders/create` webhook for `who`, landing from `campaign`'s email, signed.
async fn order(app: &TestApp, id: u64, who: &str, at: DateTime<Utc>) {
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/providers/shopify/orders_create.json").unwrap(),
    )
    .unwrap();
    body["id"] = json!(id);
    body["email"] = json!(who);
    body["contact_email"] = json!(who);
    body["customer"]["email"] = json!(who);
    body["created_at"] = json!(at.to_rfc3339());
    body["landing_site"] = json!(format!("/?utm_source=email&utm_campaign={FIVE}"));
    let body = body.to_string();
    let res = app
        .client
        .post(format!("{}/v1/conversions/shopify", app.address))
        .header("content-type", "application/json")
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-shop-domain", "rentals-shop.myshopify.com")
        .header("x-shopify-event-id", format!("evt-{id}"))
        .header("x-shopify-webhook-id", format!("webhook-{id}"))
        .header(
            "x-shopify-hmac-sha256",
            shopify::sign(SHOP_SECRET.as_bytes(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Moves every stored time of `table`'s `columns` back by `days`.
async fn age(app: &TestApp, table: &str, columns: &[&str], days: i64) {
    let Db::Sqlite(pool) = app.store.db() else {
        unreachable!("the test app runs on SQLite")
    };
    let shift = days * 86_400_000;
    let set: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = {c} - {shift}"))
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET {}",
        set.join(", ")
    )))
    .execute(pool)
    .await
    .unwrap();
}

/// Everyone's clicks, conversions and survey answers, as described at the top.
pub(crate) async fn the_story(app: &TestApp, sink: &SmtpSink) {
    let five = campaign(
        FIVE,
        &["loc-101", "loc-102", "loc-201", "loc-202", "loc-203"],
        json!([{"sku": "SUV-STD", "location": "loc-201", "min_available": 1}]),
    );
    let res = app.presend(&five).await;
    assert_eq!(res.status(), 200);
    let result: Value = res.json().await.unwrap();
    assert_eq!(result["verdict"], "block", "loc-101 and loc-102 are closed");
    assert_eq!(
        app.presend(&campaign(OPEN, &["loc-203"], json!([])))
            .await
            .status(),
        200
    );
    // The checks ran at send, five days ago; the clicks came a day later.
    age(app, "checks", &["checked_at", "send_at"], 5).await;
    let t = Utc::now() - Duration::hours(96);
    let m = |minutes: i64| t + Duration::minutes(minutes);
    let sendgrid = json!([{"email": "ana@example.com", "timestamp": m(0).timestamp(), "event": "click",
        "sg_event_id": "sg-ana-1", "sg_message_id": "m1", "url": branch("loc-101"), "campaign_id": FIVE}]);
    let (status, _) = post_events(app, "/v1/events/sendgrid", sendgrid.as_array().unwrap()).await;
    assert_eq!(status, 200);
    let events = [
        click("ana-2", FIVE, "ana@example.com", m(1), &branch("loc-201")),
        click("ben-1", FIVE, "ben@example.com", m(2), &branch("loc-102")),
        click("ben-2", FIVE, "ben@example.com", m(3), &branch("loc-102")),
        click("cai-1", FIVE, "cai@example.com", m(4), &branch("loc-101")),
        click("dee-1", FIVE, "dee@example.com", m(5), &branch("loc-201")),
        click("dee-2", FIVE, "dee@example.com", m(6), &branch("loc-202")),
        click(
            "dee-3",
            FIVE,
            "dee@example.com",
            m(7),
            "https://shop.example.com/p/SUV-STD?store=loc-201",
        ),
        click("eli-1", FIVE, "eli@example.com", m(8), &branch("loc-203")),
        click("fay-1", FIVE, "fay@example.com", m(9), &branch("loc-202")),
        click(
            "gus-1",
            FIVE,
            "gus@example.com",
            m(10),
            "https://rent.example.com/about",
        ),
        click("hal-1", OPEN, "hal@example.com", m(11), &branch("loc-203")),
    ];
    let (status, recorded) = post_events(app, "/v1/events", &events).await;
    assert_eq!(status, 200, "{recorded}");
    order(app, 9001, "cai@example.com", m(60)).await;
    order(app, 9002, "eli@example.com", m(60)).await;

    surveys_run_ok(app).await;
    let answers = [
        ("ana", "2", "location_closed"),
        ("ben", "0", "location_closed"),
        ("dee", "9", "used"),
        ("fay", "10", "used"),
        ("gus", "5", ""),
        ("hal", "8", "used"),
    ];
    let mails = sink.delivered();
    assert_eq!(
        mails.len(),
        answers.len(),
        "the converters are not surveyed"
    );
    for (who, score, reason) in answers {
        let mail = mails
            .iter()
            .find(|m| m.recipients[0] == format!("{who}@example.com"))
            .unwrap_or_else(|| panic!("{who} was surveyed"));
        let link = link_in(&mail.data, 1).replace("https://cx.example.com", &app.address);
        let res = app
            .client
            .post(link.split('?').next().unwrap())
            .form(&[("score", score), ("reason", reason)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

async fn figures(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path, Some(VIEWER)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// A row of the per-branch answer: the fields worked out by hand.
fn row(v: &Value) -> Value {
    json!([
        v["location"],
        v["name"],
        v["clicks"],
        v["clickers"],
        v["broken_clicks"],
        v["converted"],
        v["conversion_rate"],
        v["conversion_interval"],
        v["responses"],
        v["nps"],
        v["reasons"]
    ])
}

#[tokio::test]
async fn clicks_are_judged_and_broken_promises_are_counted_per_person_and_per_branch() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, &config()).await;
    the_story(&app, &sink).await;

    // Each click judged at its own time; the invitation remembers what the person met.
    let (_, ana) = get(&app, "/v1/recipients/ana%40example.com", Some(REVIEWER)).await;
    let judged: Vec<(&str, &str)> = ana["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["location"].as_str().unwrap(),
                e["judgement"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        judged.contains(&("loc-101", "broken")) && judged.contains(&("loc-201", "kept")),
        "{ana}"
    );
    assert_eq!(ana["invitations"][0]["promise_state"], "broken");
    let (_, gus) = get(&app, "/v1/recipients/gus%40example.com", Some(REVIEWER)).await;
    assert_eq!(gus["events"][0]["judgement"], "unknown");
    assert_eq!(gus["invitations"][0]["promise_state"], "unknown");

    let locations = figures(&app, "/v1/insights/locations").await;
    let rows: Vec<Value> = locations["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(row)
        .collect();
    let closed = json!({"location_closed": 1.0});
    assert_eq!(
        rows,
        [
            json!([
                "loc-101",
                "Downtown",
                2,
                2,
                2,
                1,
                0.5,
                [0.0945, 0.9055],
                1,
                -100.0,
                closed
            ]),
            json!([
                "loc-102",
                "Riverside",
                2,
                1,
                2,
                0,
                0.0,
                [0.0, 0.7935],
                1,
                -100.0,
                closed
            ]),
            json!(["loc-201", "Midtown", 3, 2, 0, 0, 0.0, [0.0, 0.6576], 2, 0.0,
                   {"location_closed": 0.5, "used": 0.5}]),
            json!(["loc-202", "Eastside", 2, 2, 0, 0, 0.0, [0.0, 0.6576], 2, 100.0, {"used": 1.0}]),
            json!(["loc-203", "Westgate", 2, 2, 0, 1, 0.5, [0.0945, 0.9055], 1, 0.0, {"used": 1.0}]),
        ]
    );
    assert!(locations["locations"][0]["too_few"].as_bool().unwrap());
    // Within one campaign: the open-branch campaign's clicker is not counted at loc-203.
    let within = figures(&app, &format!("/v1/insights/locations?campaign_id={FIVE}")).await;
    let westgate = &within["locations"][4];
    assert_eq!(
        (
            &westgate["clickers"],
            &westgate["converted"],
            &westgate["responses"],
            &westgate["nps"]
        ),
        (&json!(1), &json!(1), &json!(0), &Value::Null)
    );
    let items = figures(&app, "/v1/insights/items").await;
    assert_eq!(
        json!([
            items["items"][0]["sku"],
            items["items"][0]["clickers"],
            items["items"][0]["nps"]
        ]),
        json!(["SUV-STD", 1, 100.0])
    );

    // Per person: ana, ben and cai met a closed branch; dee, eli, fay and hal only open ones.
    let click = figures(&app, "/v1/insights/promises?basis=click").await;
    assert_eq!(click["basis"], "click");
    assert_eq!(
        json!([
            click["broken"]["responses"],
            click["broken"]["nps"],
            click["broken"]["campaigns"],
            click["kept"]["responses"],
            click["kept"]["nps"],
            click["kept"]["campaigns"],
            click["difference"]
        ]),
        json!([2, -100.0, 1, 3, 66.7, 2, 166.7])
    );
    assert_eq!(
        click["conversion"],
        json!({"broken": {"clickers": 3, "converted": 1, "rate": 0.3333, "interval": [0.0615, 0.7923]},
               "kept": {"clickers": 4, "converted": 1, "rate": 0.25, "interval": [0.0456, 0.6994]},
               "difference": -0.0833, "difference_interval": [-0.5858, 0.4419], "too_few": true})
    );
    // Per campaign (today's sides): five-branches broke a promise, open-branch kept them.
    let campaign = figures(&app, "/v1/insights/promises").await;
    assert_eq!(
        json!([
            campaign["broken"]["responses"],
            campaign["broken"]["nps"],
            campaign["kept"]["nps"]
        ]),
        json!([5, -20.0, 0.0])
    );
    assert_eq!(
        campaign["conversion"],
        json!({"broken": {"clickers": 7, "converted": 2, "rate": 0.2857, "interval": [0.0822, 0.6411]},
               "kept": {"clickers": 1, "converted": 0, "rate": 0.0, "interval": [0.0, 0.7935]},
               "difference": -0.2857, "difference_interval": [-0.6411, 0.5334], "too_few": true})
    );

    // The CSV reads back to the same rows.
    let csv = app
        .client
        .get(format!("{}/v1/insights/locations?format=csv", app.address))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let parsed = python_csv(&csv.text().await.unwrap());
    assert_eq!(parsed.len(), 5);
    for (csv_row, json_row) in parsed
        .iter()
        .zip(locations["locations"].as_array().unwrap())
    {
        for (column, cell) in csv_row.as_object().unwrap() {
            assert_eq!(
                cell.as_str().unwrap(),
                expected_cell(json_row, column),
                "{column}"
            );
        }
    }

    // Neither erasing a respondent nor retention moves a figure.
    let paths = [
        "/v1/insights/locations",
        "/v1/insights/items",
        "/v1/insights/promises?basis=click",
        "/v1/insights/promises",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(figures(&app, path).await);
    }
    let (status, receipt) = delete(&app, "/v1/recipients/ana%40example.com", Some(REVIEWER)).await;
    assert_eq!(status, 200, "{receipt}");
    for (path, was) in paths.iter().zip(&before) {
        assert_eq!(&figures(&app, path).await, was, "after erasure: {path}");
    }
    age(&app, "events", &["occurred_at"], 401).await;
    age(&app, "clickers", &["first_click_at", "last_click_at"], 401).await;
    age(
        &app,
        "invitations",
        &["created_at", "sent_at", "answered_at"],
        401,
    )
    .await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .args(["retention", "run", "--config"])
        .arg(app.dir.path().join("promiseguard.toml"))
        .env("PROMISEGUARD_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 clickers' addresses removed"), "{stdout}");
    for (path, was) in paths.iter().zip(&before) {
        assert_eq!(&figures(&app, path).await, was, "after retention: {path}");
    }
}

/// The JSON value of `column` as the CSV writes it (an interval's ends, a reason's share).
fn expected_cell(row: &Value, column: &str) -> String {
    let value = if let Some(reason) = column.strip_prefix("reason_") {
        row["reasons"][reason].clone()
    } else if let Some(field) = column.strip_suffix("_low") {
        row[field][0].clone()
    } else if let Some(field) = column.strip_suffix("_high") {
        row[field][1].clone()
    } else {
        row[column].clone()
    };
    match value {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Number(n) => n
            .as_u64()
            .map_or_else(|| n.as_f64().unwrap().to_string(), |n| n.to_string()),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn insight_parameters_are_checked() {
    let app = crate::support::app::spawn_app(&tokens()).await;
    assert_eq!(get(&app, "/v1/insights/locations", None).await.0, 401);
    for (path, pointer) in [
        ("/v1/insights/locations?from=yesterday", "/from"),
        ("/v1/insights/items?format=xml", "/format"),
        ("/v1/insights/promises?basis=person", "/basis"),
        ("/v1/insights/locations?basis=click", "/basis"),
        (
            "/v1/insights/locations?from=2026-12-02&to=2026-12-01",
            "/to",
        ),
    ] {
        let (status, problem) = get(&app, path, Some(VIEWER)).await;
        assert_eq!(
            (status, &problem["errors"][0]["pointer"]),
            (400, &json!(pointer)),
            "{path}"
        );
    }
    let (status, _) = get(
        &app,
        "/v1/insights/locations?campaign_id=nope",
        Some(VIEWER),
    )
    .await;
    assert_eq!(status, 404);
    let (status, empty) = get(&app, "/v1/insights/locations", Some(VIEWER)).await;
    assert_eq!((status, empty), (200, json!({"locations": []})));
}
