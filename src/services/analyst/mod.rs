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
use crate::store::Store;
use std::sync::Arc;

pub struct Analysts {
    store: Arc<dyn Store>,
    /// Manual re-checks run and are recorded like every check.
    checks: Arc<Checks>,
}

impl Analysts {
    pub fn new(store: Arc<dyn Store>, checks: Arc<Checks>) -> Self {
        Self { store, checks }
    }
}
