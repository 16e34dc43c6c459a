//! `promiseguard retention run` (the daily `retention` job, once): after a real survey's rows
//! have aged past `[retention]`, they are gone, and the numbers the API and the analyst page
//! show — the promise insights on both bases and per branch too — are the same as before.
use crate::support::app::TestApp;
use crate::support::smtp::SmtpSink;
use crate::support::surveys::{app_with_smtp, clicks, link_in, post_events, surveys_run_ok};
use promiseguard::store::Db;
use serde_json::Value;

async fn json(app: &TestApp, path: &str) -> Value {
    let res = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn html(app: &TestApp, path: &str) -> String {
    let res = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// The page's section that starts at `from`, up to its end (or to `until` inside it).
fn section<'a>(page: &'a str, from: &str, until: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("{from} in the page"));
    let rest = &page[start..];
    let end = [rest.find(until), rest.find("</section>")]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
    &rest[..end]
}

#[tokio::test]
async fn aged_rows_go_and_every_number_stays() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink, "[retention]\nbatch = 1\n").await;
    let campaign: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/campaigns/block.json").unwrap())
            .unwrap();
    assert_eq!(app.presend(&campaign).await.status(), 200);
    let id = campaign["campaign"]["id"].as_str().unwrap().to_owned();
    post_events(
        &app,
        "/v1/events",
        &clicks(&id, &["dana@example.com", "bob@example.com"], 100),
    )
    .await;
    surveys_run_ok(&app).await;
    for (mail, (score, reason)) in sink
        .delivered()
        .iter()
        .zip([("2", "location_closed"), ("9", "used")])
    {
        let link = link_in(&mail.data, 1).replace("https://cx.example.com", &app.address);
        let res = app
            .client
            .post(link.split('?').next().unwrap())
            .form(&[
                ("score", score),
                ("reason", reason),
                ("comment", "It was shut"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let nps_path = format!("/v1/campaigns/{id}/nps");
    let page_path = format!("/ui/campaigns/{id}");
    let nps_before = json(&app, &nps_path).await;
    let figures = [
        "/v1/insights/promises",
        "/v1/insights/promises?basis=click",
        "/v1/insights/locations",
        "/v1/insights/items",
    ];
    let mut figures_before = Vec::new();
    for path in figures {
        figures_before.push(json(&app, path).await);
    }
    assert_eq!(figures_before[0]["conversion"]["broken"]["clickers"], 2);
    let page_before = html(&app, &page_path).await;
    assert!(page_before.contains("It was shut"));

    // Everything ages: events and invitations past 400 days, the check past 800.
    let Db::Sqlite(pool) = app.store.db() else {
        unreachable!("the test app runs on SQLite")
    };
    let day = 86_400_000i64;
    for sql in [
        format!(
            "UPDATE events SET occurred_at = occurred_at - {}",
            401 * day
        ),
        format!(
            "UPDATE clickers SET first_click_at = first_click_at - {d}, last_click_at = last_click_at - {d}",
            d = 401 * day
        ),
        format!(
            "UPDATE invitations SET created_at = created_at - {d}, sent_at = sent_at - {d}, answered_at = answered_at - {d}",
            d = 401 * day
        ),
        format!("UPDATE checks SET checked_at = checked_at - {}", 801 * day),
        format!(
            "UPDATE findings SET created_at = created_at - {}",
            801 * day
        ),
        format!(
            "UPDATE idempotency_keys SET created_at = created_at - {}",
            801 * day
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap();
    }

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .args(["retention", "run", "--config"])
        .arg(app.dir.path().join("promiseguard.toml"))
        .env("PROMISEGUARD_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 events deleted, 2 clickers' addresses removed, 2 invitations anonymised, 0 comments deleted, 1 checks' evidence cleared"),
        "{stdout}"
    );

    // The numbers: the same.
    let nps_after = json(&app, &nps_path).await;
    for key in [
        "invited",
        "responses",
        "promoters",
        "detractors",
        "nps",
        "distribution",
        "moe",
        "interval",
        "reasons",
    ] {
        assert_eq!(nps_after[key], nps_before[key], "{key}");
    }
    assert_eq!(nps_after["comments"], serde_json::json!([]));
    for (path, before) in figures.iter().zip(&figures_before) {
        assert_eq!(&json(&app, path).await, before, "{path}");
    }
    let page_after = html(&app, &page_path).await;
    for (from, until) in [
        (r#"aria-labelledby="nps-h""#, "<h3>Comments"),
        (r#"aria-labelledby="insight-h""#, "</section>"),
    ] {
        assert_eq!(
            section(&page_after, from, until),
            section(&page_before, from, until),
            "{from}"
        );
    }
    assert!(!page_after.contains("It was shut"));
    assert!(
        page_after.contains("Evidence removed after"),
        "the findings stay, without evidence"
    );
    let person = json(&app, "/v1/recipients/dana%40example.com").await;
    assert_eq!(
        (&person["events"], &person["invitations"]),
        (&serde_json::json!([]), &serde_json::json!([]))
    );
}
