//! The `recheck` job: every campaign whose offer window is open is checked again (phase `live`)
//! against the same sources, and stored like any check — findings that the campaign's previous
//! check did not have are stored as new, so analysts see what broke after the send, and a new
//! `block` finding on a running campaign queues alerts (delivered by the `alerts` job).
use super::Job;
use crate::check::{CheckResult, Checker};
use crate::domain::{Campaign, Mode, Phase, Policy};
use crate::metrics::Metrics;
use crate::store::{AlertTarget, NewCheck, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Recheck {
    pub store: Arc<dyn Store>,
    pub checker: Checker,
    pub policy: Policy,
    pub metrics: Metrics,
    /// Where alerts about new block findings go (`[alerts]`).
    pub alert_to: Vec<AlertTarget>,
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
            match self.recheck(&row.definition, Phase::Live, now).await {
                Ok(Some(_)) => checked += 1,
                Ok(None) => {}
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
    /// Checks the offers of one stored campaign that have not ended, now, in `phase` (`live`
    /// or `manual`); `None` when every offer has ended. New block findings queue alerts when an
    /// offer is running (its window has started).
    pub async fn recheck(
        &self,
        definition: &str,
        phase: Phase,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<CheckResult>> {
        let campaign: Campaign = serde_json::from_str(definition)?;
        let unfinished = campaign.unfinished_at(now);
        if unfinished.offers.is_empty() {
            return Ok(None);
        }
        let running = unfinished.offers.iter().any(|o| o.valid_from <= now);
        let result = run_check(&self.checker, &unfinished, phase, now, &self.policy).await;
        let alert_to = if running { &self.alert_to[..] } else { &[] };
        store_result(self.store.as_ref(), &campaign, &result, alert_to).await?;
        self.metrics
            .verdicts
            .with_label_values(&[phase.as_str(), result.verdict.as_str()])
            .inc();
        Ok(Some(result))
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
    alert_to: &[AlertTarget],
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
        alert_to,
    };
    store.record_check(&check, None).await?;
    Ok(())
}
