use serde::Serialize;

/// One wrong field of a request, named by its JSON pointer (RFC 6901).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    pub pointer: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// The longest id (campaign, offer, location, sku) accepted.
pub const MAX_ID_LEN: usize = 256;

/// Why `value` cannot be an id — of a campaign, an offer, a location, a sku — if it cannot: one
/// rule wherever ids come from (JSON, markup, a link).
pub fn id_problem(value: &str) -> Option<String> {
    let most = MAX_ID_LEN;
    if value.trim().is_empty() {
        Some("must not be empty".into())
    } else if value.len() > most {
        Some(format!("must be at most {most} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not contain control characters".into())
    } else {
        None
    }
}

/// Adds the error of an id that cannot be one, named by `pointer`.
pub fn check_id(value: &str, pointer: String, errors: &mut Vec<FieldError>) {
    if let Some(why) = id_problem(value) {
        errors.push(FieldError::new(pointer, why));
    }
}

/// Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A BCP 47 language tag as written (`ar`, `ar-EG`, `fa-Arab-IR`), checked for shape only:
/// subtags of 1 to 8 ASCII letters and digits joined by `-`, the first of 2 to 8 letters, at
/// most 35 characters. Which catalog it gets is decided where the catalogs are (`i18n`);
/// `None` if it is not a tag.
pub fn language_tag(raw: &str) -> Option<String> {
    let tag = raw.trim();
    let mut subtags = tag.split('-');
    let first = subtags.next()?;
    let first_ok = (2..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    (first_ok && rest_ok && tag.len() <= 35).then(|| tag.to_owned())
}

/// An optional `locale` field: absent or blank is `None`; a value that is not a tag is named
/// at `pointer`.
/// An IANA time zone name (`America/Chicago`) as `chrono-tz` knows it, in its canonical
/// spelling; `None` if it is not one.
pub fn time_zone(raw: &str) -> Option<String> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .ok()
        .map(|tz| tz.name().to_owned())
}

/// An optional time zone: absent or blank is `None`; anything else must be an IANA name.
pub fn optional_time_zone(
    raw: Option<&str>,
    pointer: String,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let zone = time_zone(raw);
    if zone.is_none() {
        errors.push(FieldError::new(
            pointer,
            "is not an IANA time zone (e.g. `America/Chicago`)",
        ));
    }
    zone
}

pub fn optional_language_tag(
    raw: Option<&str>,
    pointer: String,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let tag = language_tag(raw);
    if tag.is_none() {
        errors.push(FieldError::new(
            pointer,
            "is not a BCP 47 language tag (e.g. `ar` or `fa-IR`)",
        ));
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_for_shape() {
        for good in [
            "ar",
            "ar-EG",
            " fa-IR ",
            "fa-Arab-IR",
            "en-US-x-twain",
            "zh-Hant",
        ] {
            assert_eq!(language_tag(good).as_deref(), Some(good.trim()), "{good}");
        }
        for bad in [
            "",
            "a",
            "ar_EG",
            "ar-",
            "-ar",
            "ar--EG",
            "ar-EGYPTIANS",
            "12",
            "fa IR",
            "ع",
        ] {
            assert_eq!(language_tag(bad), None, "{bad}");
        }
    }
}
