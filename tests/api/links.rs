//! The links of a checked email fetched — only those of listed hosts, never an internal address
//! by way of a name — against local servers: a final 4xx (after redirects or not) or a redirect
//! loop is a `link_broken` finding, a link that does not answer in time or leaves the listed
//! hosts is a warning, and an answer is kept `link_max_age_s` for every later check.
use crate::support::app::{TestApp, spawn_app_resolving};
use crate::support::fake_server::{FakeResponse, FakeServer};
use futures::future::BoxFuture;
use promiseguard::sources::links::NameResolver;
use promiseguard::store::FindingStore;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Every name resolves to 127.0.0.1: a listed name made to point inside.
struct Inside;

impl NameResolver for Inside {
    fn lookup(&self, _host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async { Ok(vec![IpAddr::from([127, 0, 0, 1])]) })
    }
}

async fn site() -> FakeServer {
    FakeServer::start(|r| match r.path.as_str() {
        "/ok" => FakeResponse::text(200, "fine"),
        "/missing" => FakeResponse::text(404, "no such page"),
        "/moved" => FakeResponse::text(301, "").header("location", "/gone"),
        "/gone" => FakeResponse::text(410, "gone"),
        "/loop" => FakeResponse::text(302, "").header("location", "/loop-back"),
        "/loop-back" => FakeResponse::text(302, "").header("location", "/loop"),
        "/away" => FakeResponse::text(302, "").header("location", "http://127.0.0.2/ok"),
        "/slow" => FakeResponse::text(200, "late").after(Duration::from_secs(30)),
        _ => FakeResponse::text(500, "unexpected"),
    })
    .await
}

fn email(site: &str, other: &str, port: u16) -> String {
    let links = [
        format!("{site}/ok"),
        format!("{site}/ok"),
        format!("{site}/missing"),
        format!("{site}/moved"),
        format!("{site}/loop"),
        format!("{site}/away"),
        format!("{site}/slow"),
        format!("{other}/ok"),
        format!("http://127.0.0.2:{port}/ok"),
        format!("http://localhost:{port}/via-localhost"),
        format!("http://rent.example.com:{port}/via-name"),
        "https://unlisted.example.com/anything".to_owned(),
    ];
    let anchors: String = links
        .iter()
        .enumerate()
        .map(|(i, l)| format!("<p><a href=\"{l}\">Link {i}</a></p>"))
        .collect();
    format!("<html><body>{anchors}</body></html>")
}

fn body(id: &str, html: &str) -> Value {
    json!({"campaign": {
        "id": id, "send_at": "2026-12-10T17:00:00Z",
        "offers": [{"id": "o1", "valid_from": "2026-12-10T00:00:00Z",
                    "valid_until": "2026-12-11T00:00:00Z", "locations": ["loc-201"]}],
        "content": {"html": html}
    }})
}

async fn presend(app: &TestApp, body: &Value) -> Value {
    let res = app.presend(body).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn count(server: &FakeServer, path: &str) -> usize {
    server.requests().iter().filter(|r| r.path == path).count()
}

#[tokio::test]
async fn links_of_listed_hosts_are_checked_once_and_nothing_else_is_fetched() {
    let (site, other) = (site().await, site().await);
    let port: u16 = site.url.rsplit(':').next().unwrap().parse().unwrap();
    let app = spawn_app_resolving(
        &format!(
            "[promises]\ncheck_links_hosts = [\"127.0.0.1:{port}\", \"rent.example.com:{port}\"]\n\
             [check]\ndeadline_ms = 1500\n"
        ),
        Arc::new(Inside),
    )
    .await;
    let html = email(&site.url, &other.url, port);
    let answer = presend(&app, &body("links", &html)).await;

    assert_eq!(answer["verdict"], "flag", "{answer:#}");
    let broken: Vec<&Value> = answer["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "link_broken")
        .collect();
    let targets: Vec<&str> = broken
        .iter()
        .map(|f| f["target"]["link"].as_str().unwrap())
        .collect();
    let at = |p: &str| format!("{}{p}", site.url);
    assert_eq!(targets, [at("/missing"), at("/moved"), at("/loop")]);
    for f in &broken {
        assert_eq!(f["offer_id"], "email");
        assert_eq!(f["severity"], "flag");
    }
    let moved = &broken[1]["evidence"];
    assert_eq!(moved["status"], 410);
    assert_eq!(
        moved["redirects"],
        json!([{"url": at("/moved"), "status": 301}])
    );
    assert_eq!(moved["final_url"], at("/gone"));
    assert_eq!(
        moved["link"],
        json!({"href": at("/moved"), "text": "Link 3"})
    );
    assert!(
        broken[2]["message"]
            .as_str()
            .unwrap()
            .contains("redirects more than 5 times")
    );
    assert_eq!(
        broken[2]["evidence"]["redirects"].as_array().unwrap().len(),
        5
    );

    let warnings = answer["warnings"].to_string();
    assert!(
        warnings.contains(&format!("the link {} was not checked", at("/slow"))),
        "{warnings}"
    );
    assert!(
        warnings.contains("http://127.0.0.2/ok is not on a listed host"),
        "{warnings}"
    );
    assert!(
        warnings.contains("rent.example.com resolves to 127.0.0.1, an internal address"),
        "{warnings}"
    );

    // Each distinct link once (the repeated /ok too); nothing unlisted, nothing by the name
    // that resolved inside, nothing on another port of the listed IP.
    for path in ["/ok", "/missing", "/moved", "/gone", "/away", "/slow"] {
        assert_eq!(count(&site, path), 1, "{path}");
    }
    assert_eq!(count(&site, "/loop") + count(&site, "/loop-back"), 6);
    assert_eq!(
        count(&site, "/via-localhost") + count(&site, "/via-name"),
        0
    );
    assert_eq!(other.count(), 0);

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "promiseguard_link_refusals_total{reason=\"internal_address\"} 1",
        "promiseguard_link_refusals_total{reason=\"unlisted_host\"} 1",
        "promiseguard_link_results_total{class=\"4xx\"} 2",
        "promiseguard_link_results_total{class=\"2xx\"} 1",
        "promiseguard_link_results_total{class=\"too_many_redirects\"} 1",
    ] {
        assert!(metrics.contains(line), "{line}\n{metrics}");
    }

    // A second check within link_max_age_s fetches nothing again (but the link that never
    // answered, which is asked again).
    let before = site.count();
    let again = presend(&app, &body("links-again", &html)).await;
    assert_eq!(again["verdict"], "flag");
    assert_eq!(
        again["findings"].as_array().unwrap().len(),
        answer["findings"].as_array().unwrap().len()
    );
    assert_eq!(site.count() - before, count(&site, "/slow") - 1);
    assert_eq!(count(&site, "/slow"), 2);
    // So does a manual re-check of the stored campaign.
    let before = site.count();
    let res = app
        .client
        .post(format!("{}/v1/campaigns/links/recheck", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let recheck: Value = res.json().await.unwrap();
    let result = recheck.get("check").unwrap_or(&recheck);
    let rules: Vec<&Value> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["rule"])
        .collect();
    assert_eq!(rules, ["link_broken"; 3], "{recheck:#}");
    // The check's deadline may answer before the slow link's request has reached the site
    // (on a loaded host): wait a little for it to be counted, then count exactly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while site.count() == before && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        site.count() - before,
        1,
        "only the link that never answered"
    );

    // The findings are kept with the link they name.
    let kept = app
        .store
        .findings(answer["check_id"].as_str().unwrap())
        .await
        .unwrap();
    let kept: Vec<Value> = kept
        .iter()
        .map(|f| serde_json::to_value(&f.finding).unwrap())
        .collect();
    assert_eq!(Value::from(kept), answer["findings"]);
}

#[tokio::test]
async fn without_listed_hosts_no_link_is_fetched() {
    let site = site().await;
    let port: u16 = site.url.rsplit(':').next().unwrap().parse().unwrap();
    let app = spawn_app_resolving("", Arc::new(Inside)).await;
    let answer = presend(&app, &body("quiet", &email(&site.url, &site.url, port))).await;
    assert_eq!(answer["verdict"], "pass", "{answer:#}");
    assert_eq!(site.count(), 0);
}
