//! `POST /v1/presend` — the pre-send webhook (SPEC, pinned).
use super::AppState;
use super::body::{parse_json, read_limited, require_json};
use super::error::ApiError;
use super::signature;
use crate::check::CheckResult;
use crate::domain::campaign::CampaignInput;
use crate::domain::{Mode, Phase};
use crate::store::{NewAnswer, NewCheck, Recorded, StoredAnswer};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PresendRequest {
    pub campaign: CampaignInput,
    /// `enforce` (default) or `dry_run`.
    #[serde(default)]
    pub mode: Mode,
    /// Per-request policy: rule name (or `failure_policy`) → `block` | `flag` | `ignore`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub policy: Option<BTreeMap<String, serde_json::Value>>,
}

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
#[tracing::instrument(skip_all, fields(campaign, verdict, webhook_id))]
pub async fn presend(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(key) = &state.signing_key {
        signature::verify(
            key,
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
            &body,
            Utc::now().timestamp(),
        )
        .map_err(|e| ApiError::Unauthorized(format!("webhook signature: {e}")))?;
    }
    let idempotency_key = header("webhook-id")
        .or_else(|| header("idempotency-key"))
        .map(|k| format!("presend:{k}"));
    tracing::Span::current().record("webhook_id", idempotency_key.as_deref());
    let request_hash = hex(&Sha256::digest(&body));
    if let Some(key) = &idempotency_key
        && let Some(first) = state.store.idempotent_answer(key).await?
    {
        return replay(first, &request_hash);
    }

    require_json(&req)?;
    let request: PresendRequest = parse_json(&body)?;
    let campaign = request
        .campaign
        .parse("/campaign")
        .map_err(ApiError::Invalid)?;
    let policy = match &request.policy {
        Some(overrides) => state
            .config
            .policy()
            .with_overrides(overrides, "/policy")
            .map_err(ApiError::Invalid)?,
        None => state.config.policy().clone(),
    };
    tracing::Span::current().record("campaign", campaign.id.as_str());

    let send_at = campaign.send_at.unwrap_or_else(Utc::now);
    let evaluation = state.checker.check(&campaign, send_at, &policy).await;
    let check_id = uuid::Uuid::new_v4().to_string();
    let result = CheckResult::new(
        check_id,
        campaign.id.clone(),
        Phase::PreSend,
        request.mode,
        send_at,
        evaluation,
    );
    let json = serde_json::to_string(&result).map_err(anyhow::Error::from)?;
    let check = NewCheck {
        id: &result.check_id,
        campaign: &campaign,
        phase: Phase::PreSend,
        mode: request.mode,
        verdict: result.verdict,
        send_at,
        checked_at: result.checked_at,
        findings: &result.findings,
        result: &json,
        alert_to: &[],
    };
    let answer = idempotency_key.as_deref().map(|key| NewAnswer {
        key,
        request_hash: &request_hash,
        status: 200,
        body: &json,
    });
    match state.store.record_check(&check, answer.as_ref()).await? {
        Recorded::Replayed(first) => return replay(first, &request_hash),
        Recorded::Stored => {}
    }
    tracing::Span::current().record("verdict", result.verdict.as_str());
    tracing::info!(check = %result.check_id, findings = result.findings.len(), "pre-send check");
    state
        .metrics
        .verdicts
        .with_label_values(&[Phase::PreSend.as_str(), result.verdict.as_str()])
        .inc();
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json))
}

/// The first answer to a retried delivery, byte for byte — unless the retry carries another
/// body, which is a client bug worth hearing about rather than silently answering.
fn replay(first: StoredAnswer, request_hash: &str) -> Result<HttpResponse, ApiError> {
    if first.request_hash != request_hash {
        return Err(ApiError::invalid(
            "",
            "this webhook-id / Idempotency-Key was already used with a different body",
        ));
    }
    let status =
        actix_web::http::StatusCode::from_u16(first.status).map_err(anyhow::Error::from)?;
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .insert_header(("Idempotent-Replayed", "true"))
        .body(first.body))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
