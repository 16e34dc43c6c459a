//! Calling the analyst API as a reviewer or a viewer.
use crate::support::app::TestApp;
use serde_json::Value;

pub const REVIEWER: &str = "reviewer-token-0123456789";
pub const VIEWER: &str = "viewer-token-0123456789ab";

pub fn tokens() -> String {
    format!(
        "[analysts]\ntokens = [{{ name = \"dana\", role = \"reviewer\", token = \"{REVIEWER}\" }}, \
         {{ name = \"vic\", role = \"viewer\", token = \"{VIEWER}\" }}]\n"
    )
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub async fn delete(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = app.client.delete(format!("{}{path}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub fn fixture(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("fixtures/campaigns/{name}.json")).unwrap(),
    )
    .unwrap()
}

/// `text` read by Python's `csv.DictReader`, as JSON.
pub fn python_csv(text: &str) -> Vec<Value> {
    use std::io::Write;
    let mut python = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.read(), newline='')))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 on the PATH");
    python
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}
