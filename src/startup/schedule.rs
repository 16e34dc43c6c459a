//! The scheduled jobs of one instance, from `[schedule]`.
use super::Services;
use crate::jobs::scheduler::instance_name;
use crate::jobs::{
    AlertsJob, ChangesJob, RecheckJob, RetentionJob, Scheduler, SurveyDeliveryJob, SurveysJob,
    WatchJob,
};
use std::sync::Arc;
use std::time::Duration;

impl Services {
    /// The scheduled jobs this instance runs (`[schedule]`; `"off"` leaves a job out).
    pub(super) fn scheduler(&self) -> Scheduler {
        let schedule = &self.config.schedule;
        let mut scheduler = Scheduler::new(Arc::new(self.store.clone()), instance_name())
            .with_lease_ttl(Duration::from_secs(schedule.lease_ttl_s))
            .reporting(self.metrics.clone());
        scheduler.add(&schedule.recheck, Arc::new(RecheckJob(self.checks.clone())));
        scheduler.add(
            &schedule.surveys,
            Arc::new(SurveysJob(self.surveys.clone())),
        );
        scheduler.add(
            &schedule.survey_delivery,
            Arc::new(SurveyDeliveryJob(self.surveys.clone())),
        );
        scheduler.add(&schedule.alerts, Arc::new(AlertsJob(self.alerts.clone())));
        scheduler.add(
            &schedule.retention,
            Arc::new(RetentionJob(self.retention.clone())),
        );
        // Only a Shopify GraphQL inventory source has changes pushed in.
        if self.config.sources.inventory.kind == crate::config::SourceKind::ShopifyGraphql {
            scheduler.add(
                &schedule.changes,
                Arc::new(ChangesJob(self.changes.clone())),
            );
        }
        if !self.watch.platforms().is_empty() {
            scheduler.add(&schedule.watch, Arc::new(WatchJob(self.watch.clone())));
        }
        scheduler
    }
}
