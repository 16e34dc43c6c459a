//! Who may use the analyst API. With `[analysts] tokens` configured, a bearer token from that
//! list (compared in constant time); with none configured, only callers on loopback — so a
//! fresh install is never an open analyst API on a public interface.
use super::AppState;
use super::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Viewer,
    Reviewer,
}

#[derive(Debug, Clone)]
pub struct Analyst {
    pub name: String,
    pub role: Role,
}

impl Analyst {
    /// Viewers read; reviewers also review and re-check.
    pub fn require_reviewer(&self, what: &str) -> Result<(), ApiError> {
        match self.role {
            Role::Reviewer => Ok(()),
            Role::Viewer => Err(ApiError::Forbidden(format!(
                "{} is a viewer: only a reviewer may {what}",
                self.name
            ))),
        }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authenticate(req: &HttpRequest) -> Result<Analyst, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let tokens = state
        .config
        .analysts
        .as_ref()
        .map(|a| a.tokens.as_slice())
        .unwrap_or_default();
    if tokens.is_empty() {
        let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
        return if loopback {
            Ok(Analyst {
                name: "local".into(),
                role: Role::Reviewer,
            })
        } else {
            Err(ApiError::Forbidden(
                "no analyst tokens are configured, so the analyst API answers only on loopback"
                    .into(),
            ))
        };
    }
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::Unauthorized("an analyst bearer token is required".into()))?;
    // Compare against every token, so timing does not tell which one nearly matched.
    let mut found = None;
    for t in tokens {
        if constant_time_eq(t.token.expose().as_bytes(), presented.trim().as_bytes()) {
            found = Some(t);
        }
    }
    let t = found.ok_or_else(|| ApiError::Unauthorized("unknown analyst token".into()))?;
    Ok(Analyst {
        name: t.name.clone(),
        role: if t.role == "reviewer" {
            Role::Reviewer
        } else {
            Role::Viewer
        },
    })
}

impl FromRequest for Analyst {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}
