//! Sessions and CSRF for the analyst pages.
//!
//! A session is a cookie `pg_session` = `name.expires.mac`: the analyst's name, a Unix expiry,
//! and an HMAC over both *and the analyst's current token*, so removing or rotating a token in
//! the configuration ends its sessions. It is HttpOnly and SameSite=Strict.
//!
//! A sign-in through the OpenID provider (`[analysts.oidc]`) is a cookie of the same name,
//! `o.name.role.expires.mac`: the name and role the ID token gave, an expiry at most
//! `session_hours` ahead, and an HMAC over the three. While the browser is away at the provider,
//! `pg_oidc` (SameSite=Lax, so it comes back with the provider's redirect) holds the sign-in's
//! `Pending` — state, nonce, PKCE verifier — signed the same way.
//!
//! Every form carries the value of the `pg_csrf` cookie (random, HttpOnly, SameSite=Strict) in
//! a hidden field, and a POST whose field does not match the cookie is refused: a page on
//! another site can neither read the cookie nor make a matching form.
use crate::config::AnalystToken;
use crate::domain::Analyst;
use crate::http::auth::token_holder;
use crate::http::error::ApiError;
use crate::services::sign_in::Pending;
use crate::signatures::constant_time_eq;
use actix_web::HttpRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const SESSION_COOKIE: &str = "pg_session";
pub const CSRF_COOKIE: &str = "pg_csrf";
pub const PENDING_COOKIE: &str = "pg_oidc";
/// How long a sign-in lasts.
pub const SESSION_SECS: i64 = 12 * 3600;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value scoped to the pages; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/ui; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// As `set_cookie`, SameSite=Lax: sent back on the provider's redirect to the callback.
pub fn set_lax_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    set_cookie(name, value, max_age, secure).replace("SameSite=Strict", "SameSite=Lax")
}

fn mac(key: &[u8], name: &str, expires: i64, token: &str) -> Vec<u8> {
    crate::signatures::hmac_sha256(
        key,
        &[
            b"promiseguard-session\0",
            name.as_bytes(),
            b"\0",
            expires.to_string().as_bytes(),
            b"\0",
            token.as_bytes(),
        ],
    )
    .to_vec()
}

/// The session value for `analyst_token`, valid until `now + SESSION_SECS`.
pub fn issue(key: &[u8], token: &AnalystToken, now: i64) -> String {
    let expires = now + SESSION_SECS;
    format!(
        "{}.{expires}.{}",
        URL_SAFE_NO_PAD.encode(&token.name),
        URL_SAFE_NO_PAD.encode(mac(key, &token.name, expires, token.token.expose()))
    )
}

/// The analyst a session value names, if it is intact, unexpired, and its token still exists.
pub fn verify(key: &[u8], tokens: &[AnalystToken], value: &str, now: i64) -> Option<Analyst> {
    let mut parts = value.split('.');
    let (name, expires, given) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let name = String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()?;
    let expires: i64 = expires.parse().ok()?;
    let given = URL_SAFE_NO_PAD.decode(given).ok()?;
    if expires <= now {
        return None;
    }
    let token = tokens.iter().find(|t| t.name == name)?;
    if !constant_time_eq(&mac(key, &name, expires, token.token.expose()), &given) {
        return None;
    }
    token_holder(std::slice::from_ref(token), token.token.expose())
}

fn keyed(key: &[u8], purpose: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut all: Vec<&[u8]> = vec![purpose];
    for p in parts {
        all.push(b"\0");
        all.push(p);
    }
    crate::signatures::hmac_sha256(key, &all).to_vec()
}

/// The session value of someone the OpenID provider signed in, valid until `expires`.
pub fn issue_signed_in(key: &[u8], analyst: &Analyst, expires: i64) -> String {
    let name = URL_SAFE_NO_PAD.encode(&analyst.name);
    let role = analyst.role.as_str();
    let mac = keyed(
        key,
        b"promiseguard-oidc-session",
        &[
            name.as_bytes(),
            role.as_bytes(),
            expires.to_string().as_bytes(),
        ],
    );
    format!("o.{name}.{role}.{expires}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// The analyst an OpenID session value names, if it is intact and unexpired.
pub fn verify_signed_in(key: &[u8], value: &str, now: i64) -> Option<Analyst> {
    let rest = value.strip_prefix("o.")?;
    let parts: Vec<&str> = rest.split('.').collect();
    let [name, role, expires, given] = parts[..] else {
        return None;
    };
    let expected = keyed(
        key,
        b"promiseguard-oidc-session",
        &[name.as_bytes(), role.as_bytes(), expires.as_bytes()],
    );
    let given = URL_SAFE_NO_PAD.decode(given).ok()?;
    if !constant_time_eq(&expected, &given) || expires.parse::<i64>().ok()? <= now {
        return None;
    }
    Some(Analyst {
        name: String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()?,
        role: role.parse().ok()?,
    })
}

/// A sign-in's `Pending`, signed, for the `pg_oidc` cookie.
pub fn seal_pending(key: &[u8], pending: &Pending) -> String {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(pending).unwrap_or_default());
    let mac = keyed(key, b"promiseguard-oidc-pending", &[body.as_bytes()]);
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// The `Pending` a `pg_oidc` value holds, if it is intact.
pub fn open_pending(key: &[u8], value: &str) -> Option<Pending> {
    let (body, given) = value.split_once('.')?;
    let expected = keyed(key, b"promiseguard-oidc-pending", &[body.as_bytes()]);
    if !constant_time_eq(&expected, &URL_SAFE_NO_PAD.decode(given).ok()?) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
}

/// A fresh CSRF value.
pub fn new_csrf() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A form whose `csrf` field does not match the request's CSRF cookie is refused (403).
pub fn require_csrf(
    req: &HttpRequest,
    form: &std::collections::HashMap<String, String>,
) -> Result<(), ApiError> {
    if csrf_ok(req, form.get("csrf").map(String::as_str)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form expired; reload the page and try again".into(),
        ))
    }
}

/// True when the form's `csrf` field matches the request's CSRF cookie.
pub fn csrf_ok(req: &HttpRequest, field: Option<&str>) -> bool {
    match (cookie(req, CSRF_COOKIE), field) {
        (Some(cookie), Some(field)) if !cookie.is_empty() => {
            constant_time_eq(cookie.as_bytes(), field.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn an_openid_session_names_its_analyst_until_it_expires_and_cannot_be_altered() {
        let key = b"0123456789abcdef0123456789abcdef";
        let dana = Analyst {
            name: "dana@retail.example".into(),
            role: Role::Viewer,
        };
        let value = issue_signed_in(key, &dana, 2_000);
        let back = verify_signed_in(key, &value, 1_999).unwrap();
        assert_eq!(
            (back.name.as_str(), back.role),
            ("dana@retail.example", Role::Viewer)
        );
        assert!(verify_signed_in(key, &value, 2_000).is_none(), "expired");
        let promoted = value.replace(".viewer.", ".reviewer.");
        assert!(verify_signed_in(key, &promoted, 1_000).is_none());
        let later = value.replace(".2000.", ".9000.");
        assert!(verify_signed_in(key, &later, 1_000).is_none());
        assert!(verify_signed_in(b"another key of 32 bytes, really!", &value, 1_000).is_none());
        assert!(
            verify(key, &[], &value, 1_000).is_none(),
            "not a token session"
        );

        let pending = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "v".into(),
            next: "/ui/".into(),
            expires: 5,
        };
        let sealed = seal_pending(key, &pending);
        assert_eq!(open_pending(key, &sealed), Some(pending));
        let (body, mac) = sealed.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD
            .encode(br#"{"state":"x","nonce":"n","verifier":"v","next":"/ui/","expires":5}"#);
        assert!(open_pending(key, &format!("{other}.{mac}")).is_none());
        assert!(open_pending(key, body).is_none());
    }

    fn token(name: &str, role: Role, value: &str) -> AnalystToken {
        AnalystToken::new(name, role, value)
    }

    #[test]
    fn a_session_names_its_analyst_until_it_expires_or_the_token_changes() {
        let key = b"0123456789abcdef0123456789abcdef";
        let tokens = [
            token("dana", Role::Reviewer, "t-dana"),
            token("vic", Role::Viewer, "t-vic"),
        ];
        let now = 1_790_000_000;
        let value = issue(key, &tokens[0], now);
        let dana = verify(key, &tokens, &value, now + 60).unwrap();
        assert_eq!((dana.name.as_str(), dana.role), ("dana", Role::Reviewer));
        assert!(
            verify(key, &tokens, &value, now + SESSION_SECS).is_none(),
            "expired"
        );
        assert!(verify(b"another key of 32 bytes, really!", &tokens, &value, now).is_none());
        let rotated = [token("dana", Role::Reviewer, "t-dana-2")];
        assert!(
            verify(key, &rotated, &value, now).is_none(),
            "token rotated"
        );
        // Claiming another name with dana's MAC fails.
        let forged = value.replacen(
            &URL_SAFE_NO_PAD.encode("dana"),
            &URL_SAFE_NO_PAD.encode("vic"),
            1,
        );
        assert!(verify(key, &tokens, &forged, now).is_none());
        for junk in ["", "a.b", "a.b.c.d", "ZGFuYQ.soon.xx"] {
            assert!(verify(key, &tokens, junk, now).is_none(), "{junk}");
        }
    }
}
