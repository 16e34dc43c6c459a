//! NPS per campaign (pinned shape), and the insight: NPS of respondents whose campaign broke a
//! promise next to those whose campaign kept them.
use super::Analysts;
use crate::domain::clicked::{
    ItemFigures, LocationFigures, PromiseFigures, Tally, ranked, side_scores,
};
use crate::domain::insight::{Basis, CampaignInsight, PromiseInsight};
use crate::domain::nps::NpsSummary;
use crate::domain::proportion::ConversionComparison;
use crate::services::ServiceError;
use crate::store::{ClickerFilter, PromiseKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One answer's comment, as `nps` lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NpsComment {
    pub score: u8,
    pub comment: String,
    pub answered_at: DateTime<Utc>,
}

/// `GET /v1/campaigns/{id}/nps` (pinned shape).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignNps {
    pub campaign_id: String,
    /// Survey emails sent (including ones that may have gone out before a crash).
    pub invited: u64,
    /// `responses`, `promoters`, `passives`, `detractors`, `nps` (% promoters − % detractors,
    /// −100 to 100; null with no responses) and `distribution` (responses per score, 0 to 10).
    #[serde(flatten)]
    pub summary: NpsSummary,
    /// Newest first, at most 100.
    pub comments: Vec<NpsComment>,
}

impl Analysts {
    /// NPS of a campaign's respondents; `NotFound` when there is no such campaign.
    pub async fn nps(&self, id: &str) -> Result<CampaignNps, ServiceError> {
        self.known_campaign(id).await?;
        self.campaign_nps(id).await
    }

    pub(super) async fn campaign_nps(&self, id: &str) -> Result<CampaignNps, ServiceError> {
        let report = self.store.answers.nps(id).await?;
        Ok(CampaignNps {
            campaign_id: id.to_owned(),
            invited: report.invited,
            summary: report.summary,
            comments: report
                .comments
                .into_iter()
                .map(|c| NpsComment {
                    score: c.score,
                    comment: c.comment,
                    answered_at: c.answered_at,
                })
                .collect(),
        })
    }
}

impl Analysts {
    /// Broken against kept promises, overall or for one campaign (`NotFound` when it does not
    /// exist), on `basis`, with the conversions of each side's clickers.
    pub async fn insight(
        &self,
        campaign_id: Option<&str>,
        basis: Basis,
    ) -> Result<PromiseInsight, ServiceError> {
        if let Some(id) = campaign_id {
            self.known_campaign(id).await?;
        }
        let answers = self.store.answers.promise_answers(campaign_id).await?;
        let by_campaign = basis == Basis::Campaign;
        let (counts, reasons) = self
            .store
            .clickers
            .clicker_counts(by_campaign, campaign_id)
            .await?;
        let tallies = Tally::per_key(&counts, &reasons);
        let side = |key: &str| tallies.get(key).cloned().unwrap_or_default().conversions();
        let conversion = ConversionComparison::of(side("broken"), side("kept"));
        Ok(match basis {
            Basis::Campaign => PromiseInsight::from_campaigns(&answers, basis, conversion),
            Basis::Click => {
                let sides = side_scores(&counts, &reasons);
                let mut insight = PromiseInsight::from_campaigns(&sides, basis, conversion);
                // The campaign list stays per campaign: whether each broke any promise.
                insight.campaigns = CampaignInsight::list(&answers);
                insight
            }
        })
    }

    /// Clickers per branch they clicked, most broken clicks first, each branch named as the
    /// latest check saw it.
    pub async fn locations(
        &self,
        filter: &ClickerFilter,
    ) -> Result<Vec<LocationFigures>, ServiceError> {
        let (rows, names) = self.promise_rows(PromiseKind::Location, filter).await?;
        Ok(rows
            .into_iter()
            .map(|(location, figures)| LocationFigures {
                name: names.get(&location).cloned(),
                location,
                figures,
            })
            .collect())
    }

    /// Clickers per item they clicked (the sku at any branch), most broken clicks first.
    pub async fn items(&self, filter: &ClickerFilter) -> Result<Vec<ItemFigures>, ServiceError> {
        let (rows, _) = self.promise_rows(PromiseKind::Item, filter).await?;
        Ok(rows
            .into_iter()
            .map(|(sku, figures)| ItemFigures { sku, figures })
            .collect())
    }

    async fn promise_rows(
        &self,
        kind: PromiseKind,
        filter: &ClickerFilter,
    ) -> Result<(Vec<(String, PromiseFigures)>, BTreeMap<String, String>), ServiceError> {
        if let Some(id) = &filter.campaign_id {
            self.known_campaign(id).await?;
        }
        let read = self.store.clickers.promise_counts(kind, filter).await?;
        Ok((ranked(read.tallies), read.names))
    }
}
