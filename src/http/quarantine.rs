//! The quarantine: events a provider endpoint (or `?partial=true`) could not take. Reviewers
//! only — the payloads are personal data. `GET /v1/quarantine` lists them, `POST
//! /v1/quarantine/{id}/replay` parses one again (as stored, or as corrected in the request
//! body) and stores it, `DELETE /v1/quarantine/{id}` drops it.
use super::AppState;
use super::body::read_limited;
use super::error::ApiError;
use super::schema::{EventsRecorded, Quarantined};
use crate::domain::Analyst;
use actix_web::{HttpRequest, HttpResponse, web};

/// Quarantined events, newest first.
#[utoipa::path(
    get,
    path = "/v1/quarantine",
    params(
        ("limit" = Option<u32>, Query, description = "1 to 500, default 50"),
        ("offset" = Option<u32>, Query, description = "Rows to skip, default 0"),
    ),
    responses(
        (status = 200, body = [Quarantined]),
        (status = 400, description = "A malformed parameter, named by its pointer", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not read quarantined payloads", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn list(
    req: HttpRequest,
    analyst: Analyst,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    analyst.reviewer("read quarantined events")?;
    let (limit, offset) = super::request::page(&req)?;
    let entries = state.engagement.quarantined(limit, offset).await?;
    let entries: Vec<Quarantined> = entries.into_iter().map(Quarantined::from).collect();
    Ok(HttpResponse::Ok().json(entries))
}

/// Replays one quarantined entry: its payload (or, when the request has a body, that corrected
/// payload) parsed as its endpoint parses events, stored, and the entry dropped. Still wrong:
/// 422 naming what, and the entry stays.
#[utoipa::path(
    post,
    path = "/v1/quarantine/{id}/replay",
    params(("id" = String, Path, description = "The quarantine entry")),
    request_body(content = Object, description = "Optional: the corrected event (or body) to replay instead of the stored one", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored", body = EventsRecorded),
        (status = 400, description = "The stored or corrected body is not JSON in the endpoint's shape (e.g. not an array)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The corrected body is over the size limit", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not replay", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "This version cannot replay entries of the entry's endpoint", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Still not an event the endpoint takes", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn replay(
    req: HttpRequest,
    analyst: Analyst,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("replay quarantined events")?;
    let corrected = read_limited(&req, payload, state.config.max_body_bytes).await?;
    let entry = state
        .engagement
        .quarantined_one(&path)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no quarantined entry `{}`", path.as_str())))?;
    let body: &[u8] = if corrected.trim_ascii().is_empty() {
        entry.payload.as_bytes()
    } else {
        &corrected
    };
    let events = super::inbound::by_path(&entry.endpoint)
        .and_then(|door| door.replay(&state, body))
        .unwrap_or_else(|| {
            Err(ApiError::Conflict(format!(
                "events quarantined by {} cannot be replayed by this version",
                entry.endpoint
            )))
        })?;
    let recorded = state
        .engagement
        .replay(&entry, events, reviewer.name())
        .await?;
    Ok(HttpResponse::Ok().json(EventsRecorded::from(recorded)))
}

/// Drops one quarantined entry.
#[utoipa::path(
    delete,
    path = "/v1/quarantine/{id}",
    params(("id" = String, Path, description = "The quarantine entry")),
    responses(
        (status = 204, description = "Dropped"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not drop", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn drop_one(
    analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("drop quarantined events")?;
    if state
        .engagement
        .drop_quarantined(&path, reviewer.name())
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!(
            "no quarantined entry `{}`",
            path.as_str()
        )))
    }
}
