//! Every request, observed: a debug span, one log event for a rejected or failed request,
//! and the request metrics by route.
use super::AppState;
use crate::metrics::Metrics;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{Histogram, IntCounter};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// Numbers the requests this process serves, for the `request` field of their log span.
static REQUESTS: AtomicU64 = AtomicU64::new(1);

/// A request's path as it may be logged: survey and unsubscribe links carry a signed token that
/// answers for a recipient, so their paths are logged as the route, without the token.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/s/") {
        "/s/{token}"
    } else if path.starts_with("/u/") {
        "/u/{token}"
    } else {
        path
    }
}

/// Wraps every request: a `debug` log span (`request` number, method, path) that every event
/// inside the request carries when debug logging is on; one event for a rejected (4xx, at
/// `info`) or failed (5xx, at `error`) request, naming its number, method, path, status and
/// error; and the request count and latency by route pattern (not by raw path, which would let a
/// client create unbounded label values). At the default `info` level the span is disabled and
/// costs next to nothing — the send-time lookup answers tens of thousands of requests a second,
/// and formatting a span for each of them cost it a fifth of its throughput (bench/README.md).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let span = tracing::debug_span!(
        "request",
        request,
        method = %req.method(),
        path = loggable_path(req.path())
    );
    let res = next.call(req).instrument(span).await?;
    let status = res.status();
    let method = res.request().method();
    if status.is_client_error() || status.is_server_error() {
        let error = res.response().error().map(|e| e.to_string());
        let error = error.as_deref().unwrap_or("");
        let path = loggable_path(res.request().path());
        let code = status.as_u16();
        if status.is_server_error() {
            tracing::error!(request, %method, path, status = code, error, "request failed");
        } else {
            tracing::info!(request, %method, path, status = code, error, "request rejected");
        }
    }
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        let route = res.request().app_data::<RouteLabel>();
        let route = route.map_or("unmatched", |r| r.0);
        let seconds = started.elapsed().as_secs_f64();
        record(&state.metrics, route, method, status, seconds);
    }
    Ok(res)
}

/// The pattern a request's route was registered under (`/v1/campaigns/{id}`), kept as data of
/// its resource (`Routes::add`), so observing a request needs no second walk of the route
/// table and no allocation.
#[derive(Debug, Clone, Copy)]
pub struct RouteLabel(pub &'static str);

/// One route's request metrics, resolved from their vectors.
struct RouteMetrics {
    requests: IntCounter,
    duration: Histogram,
}

/// At most this many resolved handles per worker thread (a client can make up methods).
const MOST_RESOLVED: usize = 1024;

/// A resolved handle's key: the registry, the route (by its pattern's address: patterns are
/// the route table's own strings), the method's place among the standard ones, the status.
type Key = (u64, usize, u8, u16);

thread_local! {
    /// Each worker thread's resolved request metrics by (registry, route, method, status).
    /// Resolving a labelled metric hashes its labels and takes the vector's lock, which every
    /// worker shares; the send-time lookup answers tens of thousands of requests a second, so
    /// each worker keeps the handles it resolved and only counts.
    static RESOLVED: RefCell<HashMap<Key, RouteMetrics, BuildHasherDefault<Mix>>> =
        RefCell::new(HashMap::default());
}

/// A hasher for the small integer keys above (SipHash's defence against chosen keys is not
/// needed: routes come from the table, methods from the standard nine, statuses are ours).
#[derive(Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A standard method's place, or none for one a client made up (not kept: unbounded).
fn method_place(method: &Method) -> Option<u8> {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::PATCH,
        Method::TRACE,
    ];
    STANDARD.iter().position(|m| m == method).map(|i| i as u8)
}

/// Counts one request of `route` and observes its latency.
fn record(metrics: &Metrics, route: &str, method: &Method, status: StatusCode, seconds: f64) {
    RESOLVED.with_borrow_mut(|resolved| {
        let key = method_place(method)
            .map(|m| (metrics.id(), route.as_ptr() as usize, m, status.as_u16()));
        if let Some(handles) = key.as_ref().and_then(|k| resolved.get(k)) {
            handles.requests.inc();
            handles.duration.observe(seconds);
            return;
        }
        let handles = RouteMetrics {
            requests: metrics.http_requests.with_label_values(&[
                route,
                method.as_str(),
                status.as_str(),
            ]),
            duration: metrics.http_duration.with_label_values(&[route]),
        };
        handles.requests.inc();
        handles.duration.observe(seconds);
        if let Some(key) = key
            && resolved.len() < MOST_RESOLVED
        {
            resolved.insert(key, handles);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{Method, Metrics, StatusCode, loggable_path, record};

    #[test]
    fn resolved_handles_count_every_request_in_their_own_registry() {
        let (one, two) = (Metrics::new(), Metrics::new());
        let lookup = || "/v1/lookup";
        for _ in 0..3 {
            record(&one, lookup(), &Method::GET, StatusCode::OK, 0.002);
        }
        record(&two, lookup(), &Method::GET, StatusCode::OK, 0.002);
        record(&one, lookup(), &Method::GET, StatusCode::BAD_REQUEST, 0.002);
        let count = |m: &Metrics, status: &str| {
            m.http_requests
                .with_label_values(&["/v1/lookup", "GET", status])
                .get()
        };
        assert_eq!((count(&one, "200"), count(&one, "400")), (3, 1));
        assert_eq!((count(&two, "200"), count(&two, "400")), (1, 0));
        let observed = one
            .http_duration
            .with_label_values(&["/v1/lookup"])
            .get_sample_count();
        assert_eq!(observed, 4);
    }

    #[test]
    fn survey_and_unsubscribe_tokens_stay_out_of_the_logs() {
        assert_eq!(loggable_path("/s/abc.def"), "/s/{token}");
        assert_eq!(loggable_path("/u/abc.def"), "/u/{token}");
        assert_eq!(
            loggable_path("/v1/campaigns/spring/nps"),
            "/v1/campaigns/spring/nps"
        );
        assert_eq!(loggable_path("/ui/campaigns"), "/ui/campaigns");
    }
}
