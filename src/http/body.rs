//! Reading request bodies: a hard size limit (413 before the whole body is read), and the
//! content types a JSON endpoint accepts. Parsing JSON is `domain::json`'s.
use super::error::ApiError;
use super::request::header;
use actix_web::HttpRequest;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut, Payload};
use futures::StreamExt;

/// 413 before reading anything when the body declares a length over `limit`.
pub fn refuse_declared_over(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = header(req, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge(limit));
    }
    Ok(())
}

pub async fn read_limited(
    req: &HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    refuse_declared_over(req, limit)?;
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Refuses a declared content type that is not JSON (none declared is accepted).
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(ct) = req.headers().get(actix_web::http::header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "expected application/json, got {essence}"
        )))
    }
}

/// As `require_json`, also accepting NDJSON (`application/x-ndjson`).
pub fn require_json_or_ndjson(req: &HttpRequest) -> Result<(), ApiError> {
    let ndjson = header(req, CONTENT_TYPE.as_str())
        .is_some_and(|v| v.to_ascii_lowercase().contains("ndjson"));
    if ndjson { Ok(()) } else { require_json(req) }
}
