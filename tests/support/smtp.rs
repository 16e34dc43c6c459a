//! A small SMTP server for tests: speaks enough of RFC 5321 for a real client (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT, and AUTH PLAIN with its initial response), records every
//! message whose DATA it read with the credentials its session signed in with, and answers the
//! end of DATA as the test's script says (250, or a 4xx/5xx), after an optional delay.
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub data: String,
    /// The reply the sink gave at the end of DATA.
    pub code: u16,
    /// When the end of DATA was read.
    pub at: std::time::Instant,
    /// `user:password` its session gave with AUTH PLAIN, if it signed in.
    pub auth: Option<String>,
}

/// Decides the reply to a message: (recipient, how many times DATA was sent for it before).
pub type Script = dyn Fn(&str, usize) -> (u16, &'static str) + Send + Sync;

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    connections: usize,
    /// Counting mode (benchmarks): keep the number of accepted messages, not the messages.
    count_only: bool,
    accepted: usize,
}

pub struct SmtpSink {
    pub url: String,
    state: Arc<Mutex<State>>,
    /// A sink that runs on threads of its own, as a separate server would (benchmarks).
    own_runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(runtime) = self.own_runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::scripted(Arc::new(|_, _| (250, "2.0.0 OK queued")), Duration::ZERO).await
    }

    /// Accepts everything and only counts it (for benchmarks: no message is kept). It runs on
    /// a runtime of its own with `threads` threads, like a separate server, so the client being
    /// measured does not share its threads with the sink.
    pub async fn counting(threads: usize) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("smtp-sink")
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let mut sink = handle
            .spawn(Self::with(
                Arc::new(|_, _| (250, "2.0.0 OK")),
                Duration::ZERO,
                true,
            ))
            .await
            .unwrap();
        sink.own_runtime = Some(runtime);
        sink
    }

    pub async fn scripted(script: Arc<Script>, delay: Duration) -> Self {
        Self::with(script, delay, false).await
    }

    async fn with(script: Arc<Script>, delay: Duration, count_only: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            count_only,
            ..State::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                shared.lock().unwrap().connections += 1;
                let (state, script) = (shared.clone(), script.clone());
                tokio::spawn(async move {
                    let _ = session(socket, state, script, delay).await;
                });
            }
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            state,
            own_runtime: None,
        }
    }

    /// Messages the sink accepted (answered 250).
    pub fn delivered(&self) -> Vec<Received> {
        self.state
            .lock()
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.code == 250)
            .cloned()
            .collect()
    }

    /// Every message whose DATA arrived, whatever the answer.
    pub fn all(&self) -> Vec<Received> {
        self.state.lock().unwrap().messages.clone()
    }

    /// Messages accepted (in counting mode too).
    pub fn accepted(&self) -> usize {
        self.state.lock().unwrap().accepted
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// How many messages with DATA completed went to `address`.
    pub fn count_to(&self, address: &str) -> usize {
        self.all()
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r == address))
            .count()
    }
}

/// Acknowledges what was read at once, rather than after Linux's delayed-ACK timer, once per
/// read from the socket (when the buffer is drained): lettre sends the end of DATA as a small
/// write behind an unacknowledged one, and Nagle holds it until that ACK arrives — ~40 ms per
/// message on loopback, which would measure the timer, not the sink. Once per line instead of
/// once per read would send an ACK packet for every line of every message.
fn ack_if_drained(lines: &BufReader<tokio::net::tcp::OwnedReadHalf>) {
    if lines.buffer().is_empty() {
        let _ = lines.get_ref().as_ref().set_quickack(true);
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    state: Arc<Mutex<State>>,
    script: Arc<Script>,
    delay: Duration,
) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let count_only = state.lock().unwrap().count_only;
    let mut recipients: Vec<String> = Vec::new();
    let mut auth: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        ack_if_drained(&lines);
        let upper = line.trim_end().to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(
                    b"250-sink.test\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SIZE 10485760\r\n",
                )
                .await?;
        } else if upper.starts_with("AUTH PLAIN ") {
            // RFC 4616: authzid NUL authcid NUL passwd, base64 in the initial response.
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&line.trim_end().as_bytes()["AUTH PLAIN ".len()..])
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded
                .as_deref()
                .map(|d| d.split('\0').collect::<Vec<_>>())
            {
                Some(parts) if parts.len() == 3 => {
                    auth = Some(format!("{}:{}", parts[1], parts[2]));
                    write
                        .write_all(b"235 2.7.0 Authentication successful\r\n")
                        .await?;
                }
                _ => write.write_all(b"501 5.5.2 cannot decode\r\n").await?,
            }
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("MAIL FROM") {
            recipients.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            let address = line
                .split('<')
                .nth(1)
                .and_then(|r| r.split('>').next())
                .unwrap_or_default()
                .to_ascii_lowercase();
            recipients.push(address);
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                ack_if_drained(&lines);
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                if !count_only {
                    data.push_str(&line);
                }
            }
            let first = recipients.first().cloned().unwrap_or_default();
            let (code, text) = {
                let mut s = state.lock().unwrap();
                let before = s
                    .messages
                    .iter()
                    .filter(|m| m.recipients.contains(&first))
                    .count();
                let (code, text) = script(&first, before);
                if code == 250 {
                    s.accepted += 1;
                }
                // Recorded as soon as DATA is in: a client killed while waiting for the reply
                // has still handed the message over.
                if !s.count_only {
                    s.messages.push(Received {
                        recipients: recipients.clone(),
                        data,
                        code,
                        at: std::time::Instant::now(),
                        auth: auth.clone(),
                    });
                }
                (code, text)
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            write
                .write_all(format!("{code} {text}\r\n").as_bytes())
                .await?;
        } else if upper.starts_with("RSET") {
            recipients.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"500 unrecognized command\r\n").await?;
        }
    }
}

impl SmtpSink {
    /// The first recipient of every message delivered (accepted), in order.
    pub fn delivered_to(&self) -> Vec<String> {
        self.delivered()
            .iter()
            .map(|m| m.recipients[0].clone())
            .collect()
    }
}
