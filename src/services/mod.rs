//! The use cases: what the service does, whichever door asks — the pre-send webhook, the
//! analyst API and pages, the scheduled jobs, the CLI. Each door parses its input and renders
//! the answer; everything between (checking, recording, deciding, delivering) happens here,
//! once, on the machinery below (`check`, `lookup`, `sources`, `store`, `email`).
/// A service's part of the store: a field per concern it uses, each the concern's trait, all
/// filled from the whole store by `of` — so a service is built from the store, and holds no
/// more of it than it uses.
macro_rules! store_concerns {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $concern:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            $(pub $field: std::sync::Arc<dyn $crate::store::$concern>,)+
        }

        impl $name {
            pub fn of(store: &std::sync::Arc<dyn $crate::store::Store>) -> Self {
                Self {
                    $($field: store.clone(),)+
                }
            }
        }
    };
}
pub(crate) use store_concerns;

/// A JSON shape of the API and its mapping from the store record of the same fields, each
/// copied as it is (a shape whose fields differ from its record's maps them by hand).
macro_rules! mapped {
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $record:ty {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty ),*
        }

        impl From<$record> for $name {
            fn from(r: $record) -> Self {
                Self { $( $field: r.$field ),* }
            }
        }
    };
}
pub(crate) use mapped;

pub mod alerts;
pub mod analyst;
pub mod changes;
pub mod checks;
pub mod compliance;
pub mod engagement;
pub mod fleet;
pub mod health;
pub mod outbox;
pub mod quota;
pub mod retention;
pub mod sign_in;
pub mod sns;
pub mod surveys;
pub mod watch;

use crate::domain::FieldError;
use crate::domain::analyst::NotAReviewer;
use crate::store::StoreError;

/// Why a use case did not happen. Doors map it to their own answers (problem+json, a page,
/// an exit status).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request names something that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but cannot be done in the current state.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Forbidden(#[from] NotAReviewer),
    /// Fields of a request body, each named by its JSON pointer.
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    /// Query parameters, each named by its pointer (`/verdict`).
    #[error("the query has malformed parameters")]
    BadParams(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(pointer: &str, detail: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError::new(pointer, detail)])
    }
}
