//! Reading JSON into typed values, telling malformed JSON (the client sent something that is
//! not JSON) from a wrong field (well-formed, but a field is missing or invalid — named by its
//! JSON pointer, RFC 6901).
use super::FieldError;
use super::validation::escape_pointer_token;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("the body is not valid JSON: {0}")]
    Malformed(String),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    parse_json_at(bytes, "")
}

/// As `parse_json`, for a value found at `prefix` (e.g. `/17` for an array's 18th element).
pub fn parse_json_at<T: DeserializeOwned>(bytes: &[u8], prefix: &str) -> Result<T, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let pointer = format!("{prefix}{}", pointer_of(e.path()));
            let inner = e.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => data_error(pointer, &inner),
                _ if prefix.is_empty() => JsonError::Malformed(inner.to_string()),
                _ => JsonError::Malformed(format!("element {prefix}: {inner}")),
            });
        }
    };
    de.end().map_err(|e| JsonError::Malformed(e.to_string()))?;
    Ok(value)
}

/// A JSON value already parsed, read into `T`; a bad field is named by its pointer under
/// `prefix` (so a body is parsed once even when parts of it are read apart).
pub fn from_value_at<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = format!("{prefix}{}", pointer_of(e.path()));
        data_error(pointer, &e.into_inner())
    })
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
fn data_error(mut pointer: String, e: &serde_json::Error) -> JsonError {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(field));
        return JsonError::Invalid(vec![FieldError::new(pointer, "is required")]);
    }
    let pointer = if pointer.is_empty() {
        "/".to_owned()
    } else {
        pointer
    };
    JsonError::Invalid(vec![FieldError::new(pointer, message)])
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
            Err(JsonError::Invalid(e)) => e[0].pointer.clone(),
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
            Err(JsonError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(br#"{"campaign":{"offers":[]}} trailing"#),
            Err(JsonError::Malformed(_))
        ));
    }
}
