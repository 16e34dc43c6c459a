//! What a request says besides its body, read one way everywhere: a header's text, and the
//! paging parameters of the lists.
use super::error::ApiError;
use crate::domain::FieldError;
use actix_web::HttpRequest;

/// A header's value, when it is there and text.
pub fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `?limit=&offset=`, checked.
pub fn page(req: &HttpRequest) -> Result<(u32, u32), ApiError> {
    let (mut limit, mut offset) = (50u32, 0u32);
    let mut errors = Vec::new();
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match key.as_ref() {
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=500).contains(&n) => limit = n,
                _ => errors.push(FieldError::new("/limit", "must be 1 to 500")),
            },
            "offset" => match value.parse::<u32>() {
                Ok(n) => offset = n,
                _ => errors.push(FieldError::new("/offset", "must be a whole number")),
            },
            other => errors.push(FieldError::new(
                format!("/{other}"),
                "unknown parameter: expected limit or offset",
            )),
        }
    }
    if errors.is_empty() {
        Ok((limit, offset))
    } else {
        Err(ApiError::BadParams(errors))
    }
}
