//! Starts the real service on port 0 with a fresh SQLite database of its own.
use promiseguard::config::{self, Config};
use promiseguard::services::changes::Changes;
use promiseguard::sources::links::NameResolver;
use promiseguard::startup::{Application, Seams};
use promiseguard::store::{SqlStore, Store};
use std::sync::Arc;
use tempfile::TempDir;

pub struct TestApp {
    pub config: Config,
    pub address: String,
    pub client: reqwest::Client,
    pub store: SqlStore,
    pub handle: actix_web::dev::ServerHandle,
    /// The pushed changes and their re-checks, to run at a time the test chooses.
    pub changes: Arc<Changes>,
    pub dir: TempDir,
}

/// The configuration a test app runs with: `extra` is TOML appended after the base keys (so it
/// may open tables such as `[sources.locations]`).
pub fn test_config(dir: &TempDir, extra: &str) -> Config {
    let db = format!("sqlite://{}", dir.path().join("promiseguard.db").display());
    test_config_on(dir, &db, extra)
}

/// As `test_config`, on the database `database_url` names.
pub fn test_config_on(dir: &TempDir, database_url: &str, extra: &str) -> Config {
    config_file(dir, "127.0.0.1:0", database_url, extra)
}

/// `line` in table `table` of a configuration's text: under its header if it has one, else in
/// a table of its own at the end.
pub fn with_key(text: &str, table: &str, line: &str) -> String {
    let header = format!("[{table}]\n");
    match text.find(&header) {
        Some(at) => {
            let (before, after) = text.split_at(at + header.len());
            format!("{before}{line}\n{after}")
        }
        None => format!("{text}\n{header}{line}\n"),
    }
}

/// The defaults every test configuration gets unless its `extra` says otherwise.
pub fn test_defaults(mut text: String, extra: &str) -> String {
    if !extra.contains("send_window") {
        text = with_key(&text, "surveys", "send_window = \"always\"");
    }
    if !extra.contains("survey_delivery") {
        text = with_key(&text, "schedule", "survey_delivery = \"off\"");
    }
    text
}

/// Writes `promiseguard.toml` in `dir` (listening on `listen`) and reads it back. Unless a
/// test sets them, surveys go at any hour (`send_window = "always"`: a test's outcome must not
/// depend on the hour it runs at) and the minute delivery tick is off (tests run deliveries
/// themselves).
pub fn config_file(dir: &TempDir, listen: &str, database_url: &str, extra: &str) -> Config {
    let mut text =
        format!("listen = \"{listen}\"\nworkers = 2\ndatabase_url = \"{database_url}\"\n{extra}\n");
    text = test_defaults(text, extra);
    let file = dir.path().join("promiseguard.toml");
    std::fs::write(&file, text).unwrap();
    config::load(Some(&file), Vec::new()).expect("test config is valid")
}

pub async fn spawn_app(extra: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(&dir, extra);
    start(dir, config).await
}

/// The service listening on `listen` (e.g. all interfaces, as in the Docker image); tests still
/// reach it on 127.0.0.1.
pub async fn spawn_app_listening(listen: &str, extra: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("promiseguard.db").display());
    let config = config_file(&dir, listen, &db, extra);
    start(dir, config).await
}

/// An instance on a shared database (several instances behind one load balancer).
pub async fn spawn_app_on(database_url: &str, extra: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config_on(&dir, database_url, extra);
    start(dir, config).await
}

async fn start(dir: TempDir, config: Config) -> TestApp {
    start_with(dir, config, Seams::default()).await
}

async fn start_with(dir: TempDir, config: Config, seams: Seams) -> TestApp {
    let app = Application::build_with(config.clone(), seams)
        .await
        .expect("app builds");
    let port = app.port();
    let store = app.store().clone();
    let handle = app.handle();
    let changes = app.changes();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        config,
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        store,
        handle,
        changes,
        dir,
    }
}

impl TestApp {
    pub async fn presend(&self, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}/v1/presend", self.address))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The pre-send check's answer, which must be a 200.
    pub async fn presend_answer(&self, body: &serde_json::Value) -> serde_json::Value {
        let res = self.presend(body).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    pub async fn checks_stored(&self) -> i64 {
        crate::support::store::count_checks(&self.store).await
    }
}

/// A campaign body with the given offers, sent on 2026-11-24 (so fixtures never expire).
pub fn presend_body(offers: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "campaign": {
            "id": "c-test", "name": "Test", "platform": "braze",
            "send_at": "2026-11-24T09:00:00Z",
            "offers": offers
        }
    })
}

/// One offer over the given locations and items (`(sku, location, min_available)`).
pub fn offer(id: &str, locations: &[&str], items: &[(&str, &str, i64)]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(s, l, m)| serde_json::json!({"sku": s, "location": l, "min_available": m}))
        .collect();
    serde_json::json!({
        "id": id, "valid_from": "2026-11-24T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z",
        "locations": locations, "items": items
    })
}

/// An offer whose window is open now (for live re-checks, which only look at running offers).
pub fn live_offer(id: &str, locations: &[&str]) -> serde_json::Value {
    let now = chrono::Utc::now();
    serde_json::json!({
        "id": id,
        "valid_from": (now - chrono::Duration::hours(1)).to_rfc3339(),
        "valid_until": (now + chrono::Duration::days(7)).to_rfc3339(),
        "locations": locations
    })
}

/// SNS, offline: answers each URL from a map, and remembers every URL it was asked for.
#[derive(Default)]
pub struct FakeSns {
    pub answers: std::collections::HashMap<String, Vec<u8>>,
    pub asked: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl promiseguard::services::sns::SnsFetcher for FakeSns {
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        self.asked.lock().unwrap().push(url.to_owned());
        self.answers
            .get(url)
            .cloned()
            .ok_or_else(|| format!("{url}: connection refused"))
    }
}

/// The service with SNS's certificates and confirmations fetched from `sns`.
pub async fn spawn_app_with_sns(extra: &str, sns: Arc<FakeSns>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(&dir, extra);
    let seams = Seams {
        sns_fetcher: Some(sns as Arc<dyn promiseguard::services::sns::SnsFetcher>),
        ..Seams::default()
    };
    start_with(dir, config, seams).await
}

/// The service with the host names of emails' links resolved by `resolver`.
pub async fn spawn_app_resolving(extra: &str, resolver: Arc<dyn NameResolver>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(&dir, extra);
    let seams = Seams {
        resolver: Some(resolver),
        ..Seams::default()
    };
    start_with(dir, config, seams).await
}
