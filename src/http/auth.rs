//! Who may use the analyst API. With `[analysts] tokens` configured, a bearer token from that
//! list (compared in constant time); with none configured, only callers on loopback — so a
//! fresh install is never an open analyst API on a public interface.
use super::AppState;
use super::error::ApiError;
use crate::config::AnalystToken;
use crate::domain::Analyst;
use crate::domain::Role;
use crate::signatures::constant_time_eq;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};
use std::net::IpAddr;

fn authenticate(req: &HttpRequest) -> Result<Analyst, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let authorization =
        super::request::header(req, actix_web::http::header::AUTHORIZATION.as_str());
    authorize(
        &state.credentials.current().analysts,
        state.limits.client(req),
        authorization,
    )
}

/// Who is asking: with no tokens configured, anyone on loopback (as the reviewer `local`) and
/// nobody else (403); with tokens, the holder of a `Bearer` token from the list (401 without).
pub fn authorize(
    tokens: &[AnalystToken],
    peer: Option<IpAddr>,
    authorization: Option<&str>,
) -> Result<Analyst, ApiError> {
    if tokens.is_empty() {
        return local_reviewer(peer).ok_or_else(|| {
            ApiError::Forbidden(
                "no analyst tokens are configured, so the analyst API answers only on loopback"
                    .into(),
            )
        });
    }
    let presented = authorization
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::Unauthorized("an analyst bearer token is required".into()))?;
    token_holder(tokens, presented.trim())
        .ok_or_else(|| ApiError::Unauthorized("unknown analyst token".into()))
}

/// With no analyst tokens configured: the reviewer `local` for a caller on loopback, nobody
/// for anyone else (the API and the pages alike).
pub fn local_reviewer(peer: Option<IpAddr>) -> Option<Analyst> {
    peer.is_some_and(|ip| ip.is_loopback()).then(|| Analyst {
        name: "local".into(),
        role: Role::Reviewer,
    })
}

/// The analyst a token belongs to. Compares against every token, so timing does not tell which
/// one nearly matched.
pub fn token_holder(tokens: &[AnalystToken], presented: &str) -> Option<Analyst> {
    let mut found = None;
    for t in tokens {
        if constant_time_eq(t.token.expose().as_bytes(), presented.as_bytes()) {
            found = Some(t);
        }
    }
    found.map(|t| Analyst {
        name: t.name.clone(),
        role: t.role,
    })
}

impl FromRequest for Analyst {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, role: Role, value: &str) -> AnalystToken {
        AnalystToken::new(name, role, value)
    }

    #[test]
    fn without_tokens_only_loopback_is_let_in() {
        let local = authorize(&[], Some("127.0.0.1".parse().unwrap()), None).unwrap();
        assert_eq!((local.name.as_str(), local.role), ("local", Role::Reviewer));
        assert!(authorize(&[], Some("::1".parse().unwrap()), None).is_ok());
        for peer in [Some("10.0.0.7".parse().unwrap()), None] {
            let err = authorize(&[], peer, Some("Bearer anything")).unwrap_err();
            assert!(matches!(err, ApiError::Forbidden(_)), "{err:?}");
        }
    }

    #[test]
    fn with_tokens_the_bearer_token_names_the_analyst_and_role() {
        let tokens = [
            token("dana", Role::Reviewer, "secret-dana"),
            token("vic", Role::Viewer, "secret-vic"),
        ];
        let peer = Some("10.0.0.7".parse().unwrap());
        let vic = authorize(&tokens, peer, Some("Bearer secret-vic")).unwrap();
        assert_eq!((vic.name.as_str(), vic.role), ("vic", Role::Viewer));
        assert!(vic.reviewer("review").is_err());
        let dana = authorize(&tokens, peer, Some("Bearer secret-dana")).unwrap();
        assert!(dana.reviewer("review").is_ok());
        // Tokens configured: loopback is no longer enough.
        let loopback = Some("127.0.0.1".parse().unwrap());
        for header in [
            None,
            Some("Bearer secret-d"),
            Some("secret-dana"),
            Some("Basic x"),
        ] {
            let err = authorize(&tokens, loopback, header).unwrap_err();
            assert!(matches!(err, ApiError::Unauthorized(_)), "{header:?}");
        }
    }
}
