//! A programmable HTTP server in this process: each request is recorded and answered by a
//! closure, optionally after a delay — the third-party APIs we talk to, faked on loopback.
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct FakeRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl FakeRequest {
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone)]
pub struct FakeResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl FakeResponse {
    pub fn json(status: u16, value: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Text answers in turn, then 200 `ok` to every later request (a webhook receiver that fails
/// a few times, then takes deliveries).
pub fn in_turn(
    answers: Vec<(u16, &'static str)>,
) -> impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    move |_| {
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (status, body) = answers.get(n).copied().unwrap_or((200, "ok"));
        FakeResponse::text(status, body)
    }
}

type Handler = dyn Fn(&FakeRequest) -> FakeResponse + Send + Sync;

pub struct FakeServer {
    pub url: String,
    requests: Arc<Mutex<Vec<FakeRequest>>>,
    handle: ServerHandle,
}

struct Shared {
    handler: Box<Handler>,
    requests: Arc<Mutex<Vec<FakeRequest>>>,
    /// Added to every answer (the benchmark's per-call latency).
    base_delay: Duration,
}

async fn serve(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request = FakeRequest {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    shared.requests.lock().unwrap().push(request.clone());
    let answer = (shared.handler)(&request);
    let delay = answer.delay + shared.base_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut response =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.status).unwrap());
    for (k, v) in &answer.headers {
        response.insert_header((k.as_str(), v.as_str()));
    }
    response.body(answer.body)
}

impl FakeServer {
    pub async fn start(
        handler: impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static,
    ) -> Self {
        Self::start_with_delay(handler, Duration::ZERO).await
    }

    pub async fn start_with_delay(
        handler: impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static,
        base_delay: Duration,
    ) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = web::Data::new(Shared {
            handler: Box::new(handler),
            requests: requests.clone(),
            base_delay,
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(serve))
        })
        .listen(listener)
        .unwrap()
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            handle,
        }
    }

    pub fn requests(&self) -> Vec<FakeRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until it has been called `n` times.
    pub async fn wait_for(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.count() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "called {} times, not {n}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn reset(&self) {
        self.requests.lock().unwrap().clear();
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}
