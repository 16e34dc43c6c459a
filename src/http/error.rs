//! One error type for the whole HTTP layer, answered as `application/problem+json` (RFC 9457).
//! What the client got wrong is named precisely (a JSON pointer per bad field); what went
//! wrong inside is logged in full and answered as a bare 500, so internals never leak and a
//! client's mistake is never disguised as our failure (or the other way round).
use crate::domain::FieldError;
use crate::domain::analyst::NotAReviewer;
use crate::domain::json::JsonError;
use crate::services::ServiceError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("the query has malformed parameters")]
    BadParams(Vec<FieldError>),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    TooMany(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    /// This client's requests at this door are over `[limits]`: try again after the wait.
    #[error("too many requests from this address: try again in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// Something we depend on did not answer (the caller may retry).
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The problem document.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn invalid(pointer: &str, detail: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(pointer, detail)])
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::MalformedJson(_) => ("malformed-json", "Malformed JSON"),
            ApiError::Invalid(_) => ("invalid-fields", "Invalid fields"),
            ApiError::BadParams(_) => ("malformed-parameters", "Malformed parameters"),
            ApiError::TooLarge(_) => ("body-too-large", "Body too large"),
            ApiError::TooMany(_) => ("too-many-items", "Too many items"),
            ApiError::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::BadRequest(_) => ("bad-request", "Bad request"),
            ApiError::RateLimited { .. } => ("rate-limited", "Too many requests"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            ApiError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            ApiError::Invalid(errors) | ApiError::BadParams(errors) if errors.len() == 1 => {
                format!("{}: {}", errors[0].pointer, errors[0].detail)
            }
            ApiError::Invalid(errors) | ApiError::BadParams(errors) => {
                format!("{} fields are invalid", errors.len())
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("urn:promiseguard:problem:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors: match self {
                ApiError::Invalid(errors) | ApiError::BadParams(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) | ApiError::BadRequest(_) | ApiError::BadParams(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLarge(_) | ApiError::TooMany(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed inside the service");
        }
        let mut answer = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited { retry_after_s } = self {
            answer.insert_header(("Retry-After", retry_after_s.to_string()));
        }
        answer
            .content_type("application/problem+json")
            .json(self.problem())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            // A replayed one-time token is the caller's, not ours.
            crate::store::StoreError::TokenReplayed(why) => ApiError::Unauthorized(why),
            e => ApiError::Internal(e.into()),
        }
    }
}

impl From<JsonError> for ApiError {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Malformed(detail) => ApiError::MalformedJson(detail),
            JsonError::Invalid(errors) => ApiError::Invalid(errors),
        }
    }
}

impl From<NotAReviewer> for ApiError {
    fn from(e: NotAReviewer) -> Self {
        ApiError::Forbidden(e.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(detail) => ApiError::NotFound(detail),
            ServiceError::Conflict(detail) => ApiError::Conflict(detail),
            ServiceError::Forbidden(e) => e.into(),
            ServiceError::Invalid(errors) => ApiError::Invalid(errors),
            ServiceError::BadParams(errors) => ApiError::BadParams(errors),
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(e) => ApiError::Internal(e),
        }
    }
}
