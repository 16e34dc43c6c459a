//! The `recheck` job: every campaign whose offer window is open is checked again (phase `live`)
//! against the same sources, and stored like any check — findings that the campaign's previous
//! check did not have are stored as new, so analysts see what broke after the send.
use super::Job;
use crate::check::{CheckResult, Checker};
use crate::domain::{Campaign, Mode, Phase, Policy};
use crate::metrics::Metrics;
use crate::store::{NewCheck, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Recheck {
    pub store: Arc<dyn Store>,
    pub checker: Checker,
    pub policy: Policy,
    pub metrics: Metrics,
}

#[async_trait]
impl Job for Recheck {
    fn name(&self) -> &'static str {
        "recheck"
    }

    async fn run(&self, _tick: DateTime<Utc>) -> anyhow::Result<String> {
        let now = Utc::now();
        let campaigns = self.store.live_campaigns(now).await?;
        let (mut checked, mut failed) = (0, 0);
        for row in campaigns {
            match self.recheck(&row.definition, now).await {
                Ok(true) => checked += 1,
                Ok(false) => {}
                Err(e) => {
                    failed += 1;
                    tracing::error!(campaign = %row.id, error = format!("{e:#}"), "live re-check failed");
                }
            }
        }
        if failed > 0 {
            anyhow::bail!("{checked} campaigns re-checked, {failed} failed");
        }
        Ok(format!("{checked} live campaigns re-checked"))
    }
}

impl Recheck {
    /// Checks one stored campaign now; false when none of its offers is still running.
    pub async fn recheck(&self, definition: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let campaign: Campaign = serde_json::from_str(definition)?;
        let live = campaign.unfinished_at(now);
        if live.offers.is_empty() {
            return Ok(false);
        }
        let result = run_check(&self.checker, &live, Phase::Live, now, &self.policy).await;
        store_result(self.store.as_ref(), &campaign, &result).await?;
        self.metrics
            .verdicts
            .with_label_values(&[Phase::Live.as_str(), result.verdict.as_str()])
            .inc();
        Ok(true)
    }
}

/// Runs one check of `campaign` in `phase` (enforced) at `send_at`.
pub async fn run_check(
    checker: &Checker,
    campaign: &Campaign,
    phase: Phase,
    send_at: DateTime<Utc>,
    policy: &Policy,
) -> CheckResult {
    let evaluation = checker.check(campaign, send_at, policy).await;
    CheckResult::new(
        uuid::Uuid::new_v4().to_string(),
        campaign.id.clone(),
        phase,
        Mode::Enforce,
        send_at,
        evaluation,
    )
}

/// Stores a check result under the campaign's full definition (not only the live offers, so
/// the stored campaign keeps every offer it was sent with).
pub async fn store_result(
    store: &dyn Store,
    campaign: &Campaign,
    result: &CheckResult,
) -> anyhow::Result<()> {
    let json = serde_json::to_string(result)?;
    let check = NewCheck {
        id: &result.check_id,
        campaign,
        phase: result.phase,
        mode: result.mode,
        verdict: result.verdict,
        send_at: result.send_at,
        checked_at: result.checked_at,
        findings: &result.findings,
        result: &json,
    };
    store.record_check(&check, None).await?;
    Ok(())
}
