//! The findings export: 100,000 findings streamed as JSON lines and as CSV, both reading back
//! to the same rows in one order, request after request; a formula-looking campaign name
//! escaped in CSV and intact in JSON; filters as exact sets; parameters checked.
use crate::support::analysts::{VIEWER, get, python_csv, tokens};
use crate::support::app::{TestApp, spawn_app};
use crate::support::findings::{Fleet, seed};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde_json::Value;
use sqlx::{Connection, SqliteConnection};

const FORMULA: &str = "=HYPERLINK(\"https://evil.example\",\"Spring sale\")";

async fn download(app: &TestApp, query: &str) -> (reqwest::header::HeaderMap, String) {
    let res = app
        .client
        .get(format!("{}/v1/findings?{query}", app.address))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{query}");
    let headers = res.headers().clone();
    (headers, res.text().await.unwrap())
}

fn time(r: &Value) -> DateTime<Utc> {
    r["checked_at"].as_str().unwrap().parse().unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_hundred_thousand_findings_stream_as_jsonl_and_csv_to_the_same_rows() {
    let app = spawn_app(&tokens()).await;
    let name = |i: usize| {
        if i == 0 {
            FORMULA.to_owned()
        } else {
            format!("Weekend, rentals {i}")
        }
    };
    let fleet = Fleet {
        campaigns: 100,
        checks_per_campaign: 2,
        findings_per_check: 500,
        locations: 40,
        last: Utc::now(),
        step: Duration::seconds(1),
        name: &name,
    };
    assert_eq!(seed(&app.store, &fleet).await, 100_000);

    // The latest checks: 100 campaigns × 500. Streamed (no length), one object a line.
    let (headers, jsonl) = download(&app, "format=jsonl").await;
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-ndjson")
    );
    assert!(
        headers.get("content-length").is_none(),
        "streamed, not buffered"
    );
    let rows = lines(&jsonl);
    assert_eq!(rows.len(), 50_000);
    let key = |r: &Value| (time(r), r["finding_id"].as_str().unwrap().to_owned());
    assert!(
        rows.windows(2).all(|w| key(&w[0]) < key(&w[1])),
        "check time, then id"
    );
    let (_, again) = download(&app, "").await;
    assert_eq!(
        again, jsonl,
        "the same order every time (JSON lines by default)"
    );

    // Every check: 100,000 rows, as JSON lines and as CSV, the same rows in the same order.
    let (_, jsonl) = download(&app, "format=jsonl&history=true").await;
    let rows = lines(&jsonl);
    assert_eq!(rows.len(), 100_000);
    let (headers, csv) = download(&app, "format=csv&history=true").await;
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.starts_with("finding_id,campaign_id,campaign_name,offer_id,rule,severity,"));
    let parsed = python_csv(&csv);
    assert_eq!(parsed.len(), rows.len());
    for (c, j) in parsed.iter().zip(&rows) {
        for column in [
            "finding_id",
            "campaign_id",
            "offer_id",
            "rule",
            "severity",
            "location_id",
            "location_name",
            "sku",
            "message",
            "check_id",
            "phase",
            "checked_at",
            "review_state",
        ] {
            let want = j[column].as_str().unwrap_or("");
            assert_eq!(
                c[column].as_str().unwrap(),
                want,
                "{column} of {}",
                j["finding_id"]
            );
        }
        let name = j["campaign_name"].as_str().unwrap();
        let cell = c["campaign_name"].as_str().unwrap();
        if name == FORMULA {
            assert_eq!(
                cell,
                format!("'{FORMULA}"),
                "a formula is not a formula in CSV"
            );
        } else {
            assert_eq!(cell, name);
        }
    }
    assert!(
        rows.iter().any(|r| r["campaign_name"] == FORMULA),
        "intact in JSON"
    );
    assert_eq!(rows[0]["location_name"], "Branch number 0");
    assert_eq!(rows[0]["last_review"], Value::Null);

    // Paused part way, the export holds no read transaction open: a write lands, and SQLite's
    // checkpoint moves the whole WAL back into the database and truncates it (a reader holding
    // a snapshot would make it answer "busy"). (A client of its own: the pooled connection may
    // have idled past the server's keep-alive while Python read the CSV.)
    let res = reqwest::Client::new()
        .get(format!(
            "{}/v1/findings?format=csv&history=true",
            app.address
        ))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    let mut body = res.bytes_stream();
    let mut received = body.next().await.unwrap().unwrap().len();
    let one = Fleet {
        campaigns: 1,
        checks_per_campaign: 1,
        findings_per_check: 3,
        ..fleet
    };
    assert_eq!(seed(&app.store, &one).await, 3);
    let db = app.dir.path().join("promiseguard.db");
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(busy, 0, "nothing held the WAL");
    while let Some(chunk) = body.next().await {
        received += chunk.unwrap().len();
    }
    assert!(received >= csv.len(), "the rest streamed after the pause");
}

#[tokio::test]
async fn export_filters_are_exact_and_parameters_are_checked() {
    let app = spawn_app(&tokens()).await;
    let name = |i: usize| format!("Campaign {i}");
    let fleet = Fleet {
        campaigns: 3,
        checks_per_campaign: 2,
        findings_per_check: 8,
        locations: 3,
        last: Utc::now(),
        step: Duration::hours(1),
        name: &name,
    };
    seed(&app.store, &fleet).await;
    let (_, all) = download(&app, "history=true").await;
    let all = lines(&all);
    assert_eq!(all.len(), 48);
    let cut = time(&all[24]);
    let at_cut = cut.to_rfc3339().replace('+', "%2B");
    let exact = |keep: &dyn Fn(&Value) -> bool| -> Vec<Value> {
        all.iter().filter(|r| keep(r)).cloned().collect()
    };
    for (query, want) in [
        (
            "history=true&rule=low_stock".to_owned(),
            exact(&|r| r["rule"] == "low_stock"),
        ),
        (
            "history=true&severity=flag".to_owned(),
            exact(&|r| r["severity"] == "flag"),
        ),
        (
            "history=true&campaign_id=c-00001".to_owned(),
            exact(&|r| r["campaign_id"] == "c-00001"),
        ),
        (
            "history=true&location=loc-2".to_owned(),
            exact(&|r| r["location_id"] == "loc-2"),
        ),
        (
            format!("history=true&from={at_cut}"),
            exact(&|r| time(r) >= cut),
        ),
        (
            format!("history=true&to={at_cut}"),
            exact(&|r| time(r) < cut),
        ),
        ("review=open".to_owned(), all[24..].to_vec()),
        ("review=reviewed".to_owned(), Vec::new()),
    ] {
        assert!(want.len() < 48, "{query} narrows the set");
        assert_eq!(want.is_empty(), query == "review=reviewed", "{query}");
        let (_, text) = download(&app, &query).await;
        assert_eq!(lines(&text), want, "{query}");
    }

    // Nobody without a token; each bad parameter at its pointer.
    assert_eq!(get(&app, "/v1/findings", None).await.0, 401);
    let (status, problem) = get(
        &app,
        "/v1/findings?format=xlsx&rule=closed&review=maybe&from=yesterday&history=yes&limit=5",
        Some(VIEWER),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/format", "/rule", "/review", "/from", "/history", "/limit"]
    );
    let (_, empty) = download(&app, "format=csv&campaign_id=nobody").await;
    assert!(
        empty.starts_with("finding_id,") && empty.lines().count() == 1,
        "a header only"
    );
}

#[tokio::test]
async fn the_findings_page_counts_and_downloads_what_the_api_exports() {
    // No tokens: the API and the pages answer on loopback alone.
    let app = spawn_app("").await;
    let name = |i: usize| format!("Campaign {i}");
    let fleet = Fleet {
        campaigns: 4,
        checks_per_campaign: 1,
        findings_per_check: 30,
        locations: 3,
        last: Utc::now(),
        step: Duration::minutes(5),
        name: &name,
    };
    seed(&app.store, &fleet).await;
    let query = "review=open&severity=block&location=loc-1";
    let api = app.get(&format!("/v1/findings?{query}&format=csv")).await;
    let page = app
        .get(&format!("/ui/findings/export?{query}&format=csv"))
        .await;
    assert_eq!(page.status(), 200);
    let (api, page) = (api.text().await.unwrap(), page.text().await.unwrap());
    assert_eq!(page, api);
    let rows = api.lines().count() - 1;
    assert!(rows > 10, "{rows}");
    let list = app.get(&format!("/ui/findings?{query}")).await;
    let list = list.text().await.unwrap();
    assert!(
        list.contains(&format!("<strong>{rows} findings</strong> match")),
        "{list}"
    );
    let bad = app.get("/ui/findings?severity=purple").await;
    assert_eq!(bad.status(), 400);
}
