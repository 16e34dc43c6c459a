//! What analysts read and do: the campaign list (`list`), one campaign (`detail`), NPS and
//! the broken-vs-kept insight (`nps`), findings in bulk (`findings`: the export and the
//! findings page), the fleet `dashboard`, and the commands — reviews and manual re-checks
//! (`review`). The JSON API and the pages both call these; neither holds any of it.
mod bulk_review;
mod dashboard;
mod detail;
mod exemptions;
mod findings;
mod list;
mod nps;
mod recipients;
mod review;

pub use bulk_review::{BulkReviewAnswer, BulkReviewCommand, BulkReviewRequest, MAX_BULK_REVIEW};
pub use dashboard::{DASHBOARD_DAYS, Dashboard, ENDING_SOON_DAYS, TOP_LOCATIONS};
pub use detail::{AlertView, CampaignDetail, CheckDetail, CheckSummary, FindingView, HISTORY};
pub use exemptions::{ExemptionAnswer, ExemptionList};
pub use findings::{
    EXPORT_PAGE, ExportFormat, FindingList, FindingPages, FindingsRequest, LIST_PAGE,
    findings_cursor, parse_findings_query,
};
pub use list::{
    CampaignListItem, CampaignPage, DEFAULT_PAGE, LatestCheck, MAX_PAGE, encode_cursor,
    parse_list_query,
};
pub use nps::CampaignNps;
pub use review::{MAX_NOTE_CHARS, ReviewAnswer, ReviewCommand, ReviewRequest};

use super::ServiceError;
use super::checks::Checks;
use crate::store::{CampaignRow, Store};
use std::sync::Arc;

crate::services::store_concerns! {
    /// The store's concerns analysts read and write: campaigns and their checks, findings,
    /// reviews, alerts, answers, a recipient's data and its erasure, what the watch did, and
    /// the clickers the promise insights count.
    AnalystStores {
        checks: CheckStore,
        findings: FindingStore,
        export: FindingExportStore,
        dashboard: DashboardStore,
        reviews: ReviewStore,
        alerts: AlertStore,
        answers: AnswerStore,
        recipients: RecipientStore,
        erasure: ErasureStore,
        watch: WatchStore,
        clickers: ClickerStore,
        exemptions: ExemptionStore,
    }
}

pub struct Analysts {
    store: AnalystStores,
    /// Manual re-checks run and are recorded like every check.
    checks: Arc<Checks>,
    /// `[analysts] max_exemption_days`.
    max_exemption_days: i64,
}

impl Analysts {
    pub fn new(store: Arc<dyn Store>, checks: Arc<Checks>, max_exemption_days: i64) -> Self {
        let store = AnalystStores::of(&store);
        Self {
            store,
            checks,
            max_exemption_days,
        }
    }

    /// The campaign stored as `id`; `NotFound` when there is none.
    async fn known_campaign(&self, id: &str) -> Result<CampaignRow, ServiceError> {
        self.store
            .checks
            .campaign(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no campaign `{id}`")))
    }
}
