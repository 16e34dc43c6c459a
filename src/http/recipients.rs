//! `GET /v1/recipients/{address}`: everything stored about one person, as one JSON document
//! (an access request); `DELETE`: erase it. Reviewers only: it is personal data.
use super::AppState;
use super::error::ApiError;
use super::schema::{ErasureReceipt, RecipientData};
use crate::domain::{Analyst, FieldError};
use actix_web::{HttpResponse, web};

/// Everything stored about an address: events, invitations (status, answer, comment, reason,
/// reminder), suppression, and the campaigns concerned. Matched case-insensitively (ASCII).
#[utoipa::path(
    get,
    path = "/v1/recipients/{address}",
    params(("address" = String, Path, description = "An email address (percent-encoded)")),
    responses(
        (status = 200, body = RecipientData),
        (status = 400, description = "Not an address", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not read a person's data", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn access(
    analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("read a person's data")?;
    let address = address_of(&path)?;
    let data = state.analysts.recipient_data(&reviewer, address).await?;
    Ok(HttpResponse::Ok().json(RecipientData::from(data)))
}

fn address_of(path: &str) -> Result<&str, ApiError> {
    let trimmed = path.trim();
    if trimmed.is_empty() || !trimmed.contains('@') || trimmed.len() > 320 {
        return Err(ApiError::BadParams(vec![FieldError::new(
            "/address",
            "must be an email address",
        )]));
    }
    Ok(trimmed)
}

/// Erases an address from everything stored: events deleted; invitations anonymised, their
/// comments deleted, their scores and reasons kept in the campaign's counts; suppressions and
/// detractor alerts deleted. The address's keyed hash goes on a do-not-contact list, so later
/// events for it are stored nowhere and it is never emailed again. The answer is a receipt,
/// counted by kind; erasing twice is harmless (`already_erased`).
#[utoipa::path(
    delete,
    path = "/v1/recipients/{address}",
    params(("address" = String, Path, description = "An email address (percent-encoded)")),
    responses(
        (status = 200, body = ErasureReceipt),
        (status = 400, description = "Not an address", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not erase a person's data", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn erase(
    analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reviewer = analyst.reviewer("erase a person's data")?;
    let address = address_of(&path)?;
    let receipt = state.analysts.erase(reviewer.name(), address).await?;
    Ok(HttpResponse::Ok().json(ErasureReceipt::from(receipt)))
}
