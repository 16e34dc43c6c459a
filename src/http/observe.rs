//! Every request, observed: a debug span, one log event for a rejected or failed request,
//! and the request metrics by route.
use super::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
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
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let request = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let span = tracing::debug_span!(
        "request",
        request,
        method = %method,
        path = loggable_path(req.path())
    );
    let res = next.call(req).instrument(span).await?;
    let status = res.status();
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
    if let Some(state) = state {
        let route = res.request().match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        let metrics = &state.metrics;
        metrics
            .http_requests
            .with_label_values(&[route, method.as_str(), status.as_str()])
            .inc();
        metrics
            .http_duration
            .with_label_values(&[route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

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
