//! A real Chromium, driven over the W3C WebDriver protocol through `chromedriver` — plain JSON
//! over HTTP, so no extra client library. Without chromedriver on the PATH the browser tests
//! say on stderr that they were skipped, unless `PROMISEGUARD_TEST_BROWSER=required` (as in
//! `.ci/run`), where a missing browser fails them.
use serde_json::{Value, json};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const REQUIRED_VAR: &str = "PROMISEGUARD_TEST_BROWSER";

pub struct Browser {
    client: reqwest::Client,
    session: String,
    _driver: tokio::process::Child,
}

pub struct Element(String);

fn chromium() -> Option<&'static str> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
}

impl Browser {
    /// A fresh headless browser, or `None` (with a SKIPPED line) when there is none here.
    pub async fn start(test: &str) -> Option<Browser> {
        let required = std::env::var(REQUIRED_VAR).is_ok_and(|v| v == "required");
        let driver = which("chromedriver");
        let (Some(driver), Some(binary)) = (driver, chromium()) else {
            assert!(
                !required,
                "{REQUIRED_VAR}=required but chromium/chromedriver are not installed"
            );
            eprintln!(
                "SKIPPED browser::{test}: install chromium and chromium-driver to run the browser tests"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ready = client.get(format!("{base}/status")).send().await;
            if let Ok(res) = ready {
                let status: Value = res.json().await.unwrap_or_default();
                if status["value"]["ready"] == true {
                    break;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900"]}
        }}});
        let res: Value = client
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {res}"))
            .to_owned();
        Some(Browser {
            client,
            session: format!("{base}/session/{session}"),
            _driver: child,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(error) = res["value"].get("error") {
            panic!("WebDriver {path}: {error}: {}", res["value"]["message"]);
        }
        res["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Element(e[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The first element matching `css`; panics (naming the selector) when there is none.
    pub async fn find(&self, css: &str) -> Element {
        self.find_all(css)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element matches `{css}`"))
    }

    pub async fn text(&self, el: &Element) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/text", el.0),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn page_text(&self) -> String {
        let v = self.eval("return document.body.innerText").await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn type_into(&self, el: &Element, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, el: &Element) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", el.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn click_css(&self, css: &str) {
        let el = self.find(css).await;
        self.click(&el).await;
    }

    /// Clicks something that loads a new page (a link, a submit button) and waits until the
    /// new page has loaded, so nothing of the old page is read by mistake.
    pub async fn navigate_by(&self, css: &str) {
        self.eval("window.__pgOldPage = true; return null").await;
        self.click_css(css).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let done = self
                .eval(
                    "return window.__pgOldPage === undefined && document.readyState === 'complete'",
                )
                .await;
            if done == true {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "clicking `{css}` loaded no page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs a script to *measure* the page (the pages themselves need no JavaScript).
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    pub async fn cookies(&self) -> Vec<Value> {
        self.call(reqwest::Method::GET, "/cookie", None)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Saves a PNG of the window to `target/screenshots/{name}.png` (for a person to look at
    /// after the run); returns the path.
    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub async fn quit(self) {
        let _ = self.client.delete(&self.session).send().await;
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(program))
        .find(|p| p.is_file())
}
