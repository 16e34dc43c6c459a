//! Shared-secret tokens presented by a caller: `Authorization: Bearer <token>`, or the password
//! of HTTP Basic (any user name — many providers can only put credentials in the URL, as
//! `https://user:token@host/path`). Compared in constant time against every configured token.
use super::constant_time_eq;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The secret an `Authorization` header presents: a bearer token, or a Basic password.
pub fn presented(authorization: Option<&str>) -> Option<String> {
    let value = authorization?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(rest).ok()?).ok()?;
        let (_user, password) = decoded.split_once(':')?;
        return (!password.is_empty()).then(|| password.to_owned());
    }
    None
}

/// The name of the token `presented` matches, looking at every token so the time taken does
/// not tell which one nearly matched.
pub fn holder<'a>(
    tokens: impl IntoIterator<Item = (&'a str, &'a str)>,
    presented: &str,
) -> Option<&'a str> {
    let mut found = None;
    for (name, token) in tokens {
        if constant_time_eq(token.as_bytes(), presented.as_bytes()) {
            found = Some(name);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_present_a_token() {
        assert_eq!(presented(Some("Bearer abc")).as_deref(), Some("abc"));
        assert_eq!(presented(Some("bearer  abc ")).as_deref(), Some("abc"));
        // `curl -u braze:s3cret` and `https://braze:s3cret@host/`
        let basic = format!("Basic {}", STANDARD.encode("braze:s3cret:with-colon"));
        assert_eq!(
            presented(Some(&basic)).as_deref(),
            Some("s3cret:with-colon")
        );
        let no_user = format!("Basic {}", STANDARD.encode(":s3cret"));
        assert_eq!(presented(Some(&no_user)).as_deref(), Some("s3cret"));
        for nothing in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some("Token abc"),
            Some("Basic %%%"),
            Some("Basic dXNlcg=="), // "user", no colon
        ] {
            assert_eq!(presented(nothing), None, "{nothing:?}");
        }
    }

    #[test]
    fn the_holder_is_the_token_that_matches_exactly() {
        let tokens = [
            ("mailgun", "token-one-0123456789"),
            ("braze", "token-two-0123456789"),
        ];
        assert_eq!(holder(tokens, "token-two-0123456789"), Some("braze"));
        assert_eq!(holder(tokens, "token-two-012345678"), None);
        assert_eq!(holder(tokens, ""), None);
    }
}
