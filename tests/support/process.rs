//! The real `promiseguard serve`, as a child process the test can signal.
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct Served {
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Everything it has logged so far.
    pub log: Arc<Mutex<String>>,
}

/// Log lines without their colour codes.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Starts `promiseguard serve --config FILE` (listening on port 0) and waits until it says
/// which port it took.
pub async fn serve(config: &Path) -> Served {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .args(["serve", "--config"])
        .arg(config)
        .env("PROMISEGUARD_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let stderr = child.stderr.take().unwrap();
    let lines = log.clone();
    tokio::spawn(async move {
        let mut port_tx = Some(port_tx);
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            let line = plain(&line);
            if line.contains("promiseguard listening")
                && let Some(at) = line.find("port=")
            {
                let port: String = line[at + 5..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if let (Some(tx), Ok(port)) = (port_tx.take(), port.parse::<u16>()) {
                    let _ = tx.send(port);
                }
            }
            let mut log = lines.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let port = tokio::time::timeout(Duration::from_secs(30), port_rx)
        .await
        .unwrap_or_else(|_| panic!("serve did not start:\n{}", log.lock().unwrap()))
        .expect("serve said which port it listens on");
    Served {
        child,
        address: format!("http://127.0.0.1:{port}"),
        log,
    }
}

impl Served {
    /// Sends SIGTERM, as Kubernetes and Docker do.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the child is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; panics (with its log) if it takes longer than `within`.
    pub async fn exits_within(&mut self, within: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => status.unwrap(),
            Err(_) => panic!(
                "still running {within:?} after SIGTERM:\n{}",
                self.log.lock().unwrap()
            ),
        }
    }

    pub fn logged(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// Runs the `promiseguard` binary with `args` (no configuration from the environment, logs at
/// `warn`): its exit status, standard output and standard error.
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_promiseguard"))
        .args(args)
        .env_remove("PROMISEGUARD_CONFIG")
        .env("PROMISEGUARD_LOG", "warn")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Sends `SIGHUP` to `served` and waits until its log holds `logged` `times` times.
pub async fn hang_up(served: &Served, logged: &str, times: usize) {
    let pid = served.child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while served.log.lock().unwrap().matches(logged).count() < times {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {logged:?} in\n{}",
            served.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
