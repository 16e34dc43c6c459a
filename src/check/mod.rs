//! The validation engine: plan the lookups a campaign needs, run them against the sources under
//! one deadline, and evaluate the rules on what came back.
pub mod engine;
pub mod evaluate;
pub mod links;
pub mod plan;
pub mod result;

pub use engine::{Asking, CheckLimits, CheckSpec, Checker};
pub use evaluate::{Evaluation, Observations, OfferOutcome, evaluate};
pub use links::LinkAnswers;
pub use plan::LookupPlan;
pub use result::{CheckResult, OfferResult};
