//! Pure types and rules: no I/O happens in here.
pub mod attribution;
pub mod campaign;
pub mod check;
pub mod event;
pub mod finding;
pub mod insight;
pub mod nps;
pub mod observation;
pub mod policy;
pub mod rule;
pub mod validation;
pub mod verdict;

pub use campaign::{Campaign, ItemKey, ItemPromise, Offer};
pub use check::{Mode, Phase};
pub use finding::{Finding, Target};
pub use observation::{LocationReport, LocationStatus, LookupFailure, StockReport};
pub use policy::{Action, Policy};
pub use rule::{Rule, Severity};
pub use validation::FieldError;
pub use verdict::Verdict;
