//! Outgoing email: the survey message, the alert emails, signed links, and the transports
//! (`smtp`, `file`).
pub mod alerts;
pub mod links;
pub mod message;
pub mod pace;
pub mod transport;

pub use links::SurveyLinks;
pub use transport::{Mailer, Relay, build_mailer};
