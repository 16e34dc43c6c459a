//! Reading request bodies: a hard size limit (413 before the whole body is read), and JSON
//! parsing that tells malformed JSON (400) from a wrong field (422, named by JSON pointer).
use super::error::ApiError;
use crate::domain::FieldError;
use crate::domain::validation::escape_pointer_token;
use actix_web::HttpRequest;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures::StreamExt;
use serde::de::DeserializeOwned;

/// 413 before reading anything when the body declares a length over `limit`.
pub fn refuse_declared_over(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
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
    let ndjson = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("ndjson"));
    if ndjson { Ok(()) } else { require_json(req) }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_json_at(bytes, "")
}

/// As `parse_json`, for a value found at `prefix` (e.g. `/17` for an array's 18th element).
pub fn parse_json_at<T: DeserializeOwned>(bytes: &[u8], prefix: &str) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let pointer = format!("{prefix}{}", pointer_of(e.path()));
            let inner = e.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => data_error(pointer, &inner),
                _ if prefix.is_empty() => ApiError::MalformedJson(inner.to_string()),
                _ => ApiError::MalformedJson(format!("element {prefix}: {inner}")),
            });
        }
    };
    de.end()
        .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    Ok(value)
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape_pointer_token(key))),
            Segment::Enum { variant } => {
                pointer.push_str(&format!("/{}", escape_pointer_token(variant)))
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

/// serde names a missing field in its message, at the path of the object that lacks it; the
/// pointer should name the field itself.
fn data_error(mut pointer: String, e: &serde_json::Error) -> ApiError {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(field));
        return ApiError::Invalid(vec![FieldError::new(pointer, "is required")]);
    }
    let pointer = if pointer.is_empty() {
        "/".to_owned()
    } else {
        pointer
    };
    ApiError::Invalid(vec![FieldError::new(pointer, message)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        campaign: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        offers: Vec<Leaf>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Leaf {
        valid_until: chrono::DateTime<chrono::Utc>,
    }

    fn pointer(body: &str) -> String {
        match parse_json::<Outer>(body.as_bytes()) {
            Err(ApiError::Invalid(e)) => e[0].pointer.clone(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn names_wrong_and_missing_fields_by_pointer() {
        assert_eq!(
            pointer(r#"{"campaign":{"offers":[{"valid_until":"soon"}]}}"#),
            "/campaign/offers/0/valid_until"
        );
        assert_eq!(
            pointer(r#"{"campaign":{"offers":[{}]}}"#),
            "/campaign/offers/0/valid_until"
        );
        assert_eq!(pointer(r#"{"campaign":{}}"#), "/campaign/offers");
        assert_eq!(pointer(r#"[]"#), "/");
    }

    #[test]
    fn malformed_json_is_not_a_field_error() {
        assert!(matches!(
            parse_json::<Outer>(b"{\"campaign\":"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(br#"{"campaign":{"offers":[]}} trailing"#),
            Err(ApiError::MalformedJson(_))
        ));
    }
}
