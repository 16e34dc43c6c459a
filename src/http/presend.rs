//! `POST /v1/presend` — the pre-send webhook (SPEC, pinned). The handler authenticates the
//! delivery, answers a retry from its first answer, parses the body; `services::checks` does
//! the check.
use super::AppState;
use super::body::{read_limited, require_json};
use super::error::ApiError;
use crate::check::CheckResult;
use crate::domain::content::nothing_promised;
use crate::domain::json::parse_json;
use crate::services::checks::{Answer, Idempotency, Presend, PresendRequest};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use sha2::{Digest, Sha256};

/// Check a campaign before it is sent.
#[utoipa::path(
    post,
    path = "/v1/presend",
    request_body = PresendRequest,
    responses(
        (status = 200, description = "The verdict, findings and keepable locations", body = CheckResult),
        (status = 400, description = "Malformed JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, bad or stale webhook signature", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    params(
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks message id; a retry returns the first answer"),
        ("webhook-timestamp" = Option<String>, Header, description = "Unix seconds"),
        ("webhook-signature" = Option<String>, Header, description = "`v1,<base64>` HMAC-SHA256"),
        ("Idempotency-Key" = Option<String>, Header, description = "Alternative to webhook-id for unsigned callers"),
    )
)]
#[tracing::instrument(skip_all, fields(webhook_id))]
pub async fn presend(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let header = |name: &str| super::request::header(&req, name);
    let keys = state.credentials.current();
    if let Some(key) = &keys.webhook {
        key.verify(
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
            &body,
            Utc::now().timestamp(),
        )
        .map_err(|e| ApiError::Unauthorized(format!("webhook signature: {e}")))?;
    }
    let idempotency = header("webhook-id")
        .or_else(|| header("idempotency-key"))
        .map(|k| Idempotency {
            key: format!("presend:{k}"),
            request_hash: crate::signatures::hex(&Sha256::digest(&body)),
        });
    tracing::Span::current().record("webhook_id", idempotency.as_ref().map(|i| i.key.as_str()));
    if let Some(idempotency) = &idempotency
        && let Some(first) = state.checks.replay(idempotency).await?
    {
        return respond(first);
    }
    require_json(&req)?;
    let request: PresendRequest = parse_json(&body)?;
    match state.checks.presend(request, idempotency.as_ref()).await? {
        Presend::Answered(answer) => respond(answer),
        Presend::NothingPromised(report) => Err(ApiError::Invalid(vec![nothing_promised(
            "/campaign",
            &report,
        )])),
    }
}

fn respond(answer: Answer) -> Result<HttpResponse, ApiError> {
    let status =
        actix_web::http::StatusCode::from_u16(answer.status).map_err(anyhow::Error::from)?;
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if answer.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.body(answer.body))
}
