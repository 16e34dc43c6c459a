//! What analysts read and do: the campaign list (`list`), one campaign (`detail`), NPS and
//! the broken-vs-kept insight (`nps`), and the commands — reviews and manual re-checks
//! (`review`). The JSON API and the pages both call these; neither holds any of it.
mod detail;
mod list;
mod nps;
mod recipients;
mod review;

pub use detail::{AlertView, CampaignDetail, CheckDetail, CheckSummary, FindingView, HISTORY};
pub use list::{
    CampaignListItem, CampaignPage, DEFAULT_PAGE, LatestCheck, MAX_PAGE, encode_cursor,
    parse_list_query,
};
pub use nps::CampaignNps;
pub use review::{MAX_NOTE_CHARS, ReviewAnswer, ReviewCommand, ReviewRequest};

use super::checks::Checks;
use crate::store::{
    AlertStore, AnswerStore, CheckStore, ErasureStore, FindingStore, RecipientStore, ReviewStore,
    Store,
};
use std::sync::Arc;

/// The store's concerns analysts read and write: campaigns and their checks, findings, reviews,
/// alerts, answers, a recipient's data and its erasure.
pub struct AnalystStores {
    pub checks: Arc<dyn CheckStore>,
    pub findings: Arc<dyn FindingStore>,
    pub reviews: Arc<dyn ReviewStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub answers: Arc<dyn AnswerStore>,
    pub recipients: Arc<dyn RecipientStore>,
    pub erasure: Arc<dyn ErasureStore>,
}

pub struct Analysts {
    store: AnalystStores,
    /// Manual re-checks run and are recorded like every check.
    checks: Arc<Checks>,
}

impl Analysts {
    pub fn new(store: Arc<dyn Store>, checks: Arc<Checks>) -> Self {
        let store = AnalystStores {
            checks: store.clone(),
            findings: store.clone(),
            reviews: store.clone(),
            alerts: store.clone(),
            answers: store.clone(),
            recipients: store.clone(),
            erasure: store,
        };
        Self { store, checks }
    }
}
