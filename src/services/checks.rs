//! Running a check and recording it — the pre-send webhook, the live re-check of every running
//! campaign, a manual re-check. One path for all of them: `Checker::run` checks (and names the
//! check), `record` stores the check with its findings, campaign, idempotency record and alerts
//! in one transaction, and counts its verdict.
use super::ServiceError;
use crate::check::{CheckResult, CheckSpec, Checker};
use crate::domain::campaign::CampaignInput;
use crate::domain::content::{ContentReport, LinkTemplates, Promised};
use crate::domain::{AlertTarget, Campaign, FieldError, Mode, Phase, Policy};
use crate::metrics::Metrics;
use crate::store::{
    CampaignRow, CheckStore, ExemptionStore, NewAnswer, NewCheck, Recorded, ReviewStore, Store,
    StoreError, StoredAnswer,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The pre-send webhook's body (SPEC, pinned).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PresendRequest {
    pub campaign: CampaignInput,
    /// `enforce` (default) or `dry_run`.
    #[serde(default)]
    pub mode: Mode,
    /// Per-request policy: rule name (or `failure_policy`) → `block` | `flag` | `ignore`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub policy: Option<BTreeMap<String, serde_json::Value>>,
}

impl PresendRequest {
    /// The campaign and the policy to check it under (`base` with the request's overrides);
    /// every bad field is named by its pointer. `now`: the send day when none is given.
    pub fn validated(
        self,
        base: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Campaign, Mode, Policy), Vec<FieldError>> {
        let campaign = self.campaign.parse("/campaign", now)?;
        let policy = match &self.policy {
            Some(overrides) => base.with_overrides(overrides, "/policy")?,
            None => base.clone(),
        };
        Ok((campaign, self.mode, policy))
    }
}

/// A delivery's idempotency key (namespaced, e.g. `presend:<webhook-id>`) and the hash of its
/// body: a retry gets the first answer, a different body under the same key is refused.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// How a pre-send request ends: answered (a check, or the first answer to a retry), or with
/// nothing to check — no offer given and none found in the content, which the HTTP and CLI
/// edges refuse (422) and a platform watcher records.
#[derive(Debug, Clone, PartialEq)]
pub enum Presend {
    Answered(Answer),
    NothingPromised(ContentReport),
}

/// What the webhook answers: the status and JSON body, and whether it is a replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

pub struct Checks {
    pub(super) store: Arc<dyn CheckStore>,
    /// The open findings' counts, for the gauge after a fleet re-check.
    pub(super) reviews: Arc<dyn ReviewStore>,
    /// Read at each check: a finding an active one covers counts toward no verdict.
    pub(super) exemptions: Arc<dyn ExemptionStore>,
    pub(super) checker: Checker,
    pub(super) policy: Policy,
    /// Where alerts about new block findings on running campaigns go (`[alerts]`).
    pub(super) alert_to: Vec<AlertTarget>,
    pub(super) metrics: Metrics,
    /// How a campaign's content says what it promises (`[promises]`).
    pub(super) templates: Arc<LinkTemplates>,
}

impl Checks {
    pub fn new(
        store: Arc<dyn Store>,
        checker: Checker,
        policy: Policy,
        alert_to: Vec<AlertTarget>,
        metrics: Metrics,
        templates: LinkTemplates,
    ) -> Self {
        Self {
            store: store.clone(),
            exemptions: store.clone(),
            reviews: store,
            checker,
            policy,
            alert_to,
            metrics,
            templates: Arc::new(templates),
        }
    }

    /// What a stored or submitted campaign promises, its content read with `[promises]` — on a
    /// blocking thread when there is content: parsing a large email takes tens of
    /// milliseconds, which a request worker (serving send-time lookups) must not wait out.
    pub async fn promised(
        &self,
        campaign: Campaign,
        base: &'static str,
    ) -> Result<Promised, ServiceError> {
        if campaign.content.is_none() {
            return campaign
                .into_promised(&self.templates, base)
                .map_err(ServiceError::Invalid);
        }
        let templates = self.templates.clone();
        tokio::task::spawn_blocking(move || campaign.into_promised(&templates, base))
            .await
            .map_err(anyhow::Error::from)?
            .map_err(ServiceError::Invalid)
    }

    /// The configured policy, before any request's overrides.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The first answer to a retried delivery, if this key was seen.
    pub async fn replay(&self, idempotency: &Idempotency) -> Result<Option<Answer>, ServiceError> {
        match self.store.idempotent_answer(&idempotency.key).await? {
            Some(first) => replayed(first, idempotency).map(Some),
            None => Ok(None),
        }
    }

    /// The pre-send webhook: checks the campaign as sent (phase `pre_send`) and records it
    /// under the delivery's idempotency key. A concurrent delivery of the same key that was
    /// stored first is answered instead, so any number of retries store one check.
    #[tracing::instrument(skip_all, fields(campaign, verdict))]
    pub async fn presend(
        &self,
        request: PresendRequest,
        idempotency: Option<&Idempotency>,
    ) -> Result<Presend, ServiceError> {
        let (campaign, mode, policy) = request
            .validated(&self.policy, Utc::now())
            .map_err(ServiceError::Invalid)?;
        tracing::Span::current().record("campaign", campaign.id.as_str());
        let promised = self.promised(campaign.clone(), "/campaign").await?;
        if promised.nothing() {
            return Ok(Presend::NothingPromised(
                promised.content.unwrap_or_default(),
            ));
        }
        let spec = CheckSpec {
            phase: Phase::PreSend,
            mode,
            send_at: campaign.send_at.unwrap_or_else(Utc::now),
            policy: &policy,
        };
        let mut result = self
            .checker
            .run_promised(&promised.campaign, &promised, spec)
            .await;
        self.exempt(&mut result).await?;
        let body = serde_json::to_string(&result).map_err(anyhow::Error::from)?;
        // With content, the campaign is kept as given (its content read again at each
        // re-check); the window stored beside it is that of every offer it makes.
        let definition = match promised.content {
            Some(_) => Some(serde_json::to_string(&campaign).map_err(anyhow::Error::from)?),
            None => None,
        };
        let answer = idempotency.map(|i| NewAnswer {
            key: &i.key,
            request_hash: &i.request_hash,
            status: 200,
            body: &body,
        });
        let stored = (&promised.campaign, definition.as_deref());
        if let Recorded::Replayed(first) = self
            .record(stored, &result, &body, &[], answer.as_ref())
            .await?
        {
            // `answer` is Some whenever a replay is possible.
            let idempotency = idempotency.ok_or_else(|| {
                anyhow::anyhow!("a check without an idempotency key was answered as a replay")
            })?;
            return replayed(first, idempotency).map(Presend::Answered);
        }
        tracing::Span::current().record("verdict", result.verdict.as_str());
        tracing::info!(check = %result.check_id, findings = result.findings.len(), "pre-send check");
        Ok(Presend::Answered(Answer {
            status: 200,
            body,
            replayed: false,
        }))
    }

    /// Checks the offers of a stored campaign that have not ended, at `now`, in `phase` (`live`
    /// or `manual`), and records it under the campaign's full definition; `None` when every
    /// offer has ended. New block findings queue alerts when an offer is running.
    pub async fn recheck(
        &self,
        stored: &CampaignRow,
        phase: Phase,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<CheckResult>> {
        let promised = match self.promised(stored.campaign()?, "").await {
            Ok(promised) => promised,
            Err(ServiceError::Invalid(e)) => {
                anyhow::bail!("the stored campaign's content: {}", e[0].detail)
            }
            Err(e) => return Err(anyhow::anyhow!(e.to_string())),
        };
        let campaign = &promised.campaign;
        let unfinished = campaign.unfinished_at(now);
        if unfinished.offers.is_empty() {
            return Ok(None);
        }
        let running = unfinished.offers.iter().any(|o| o.valid_from <= now);
        let spec = CheckSpec {
            phase,
            mode: Mode::Enforce,
            send_at: now,
            policy: &self.policy,
        };
        let mut result = self
            .checker
            .run_promised(&unfinished, &promised, spec)
            .await;
        self.exempt(&mut result).await?;
        let body = serde_json::to_string(&result)?;
        let alert_to = if running { &self.alert_to[..] } else { &[] };
        let kept = (campaign, Some(stored.definition.as_str()));
        self.record(kept, &result, &body, alert_to, None).await?;
        Ok(Some(result))
    }

    /// Marks the findings the active exemptions cover, and counts the verdicts without them.
    pub(super) async fn exempt(&self, result: &mut CheckResult) -> Result<(), StoreError> {
        let active = self.exemptions.active_exemptions(result.checked_at).await?;
        result.exempt(&active);
        Ok(())
    }

    /// Stores a check (`body` is its result as JSON) of `campaign` — the offers it makes, kept
    /// as `definition` when given (the campaign as submitted) — and counts its verdict.
    pub(super) async fn record(
        &self,
        (campaign, definition): (&Campaign, Option<&str>),
        result: &CheckResult,
        body: &str,
        alert_to: &[AlertTarget],
        idempotency: Option<&NewAnswer<'_>>,
    ) -> Result<Recorded, ServiceError> {
        let check = self.new_check(campaign, result, body, alert_to, definition);
        let recorded = self.store.record_check(&check, idempotency).await?;
        if recorded == Recorded::Stored {
            self.count(result);
        }
        Ok(recorded)
    }

    /// A check as stored: under the campaign's full definition (not only the offers checked),
    /// so the stored campaign keeps every offer it was sent with.
    pub(super) fn new_check<'a>(
        &self,
        campaign: &'a Campaign,
        result: &'a CheckResult,
        body: &'a str,
        alert_to: &'a [AlertTarget],
        definition: Option<&'a str>,
    ) -> NewCheck<'a> {
        NewCheck {
            id: &result.check_id,
            campaign,
            phase: result.phase,
            mode: result.mode,
            verdict: result.verdict,
            send_at: result.send_at,
            checked_at: result.checked_at,
            findings: &result.findings,
            result: body,
            alert_to,
            definition,
            covered: Some(&result.covered),
        }
    }

    /// Counts a stored check's verdict.
    pub(super) fn count(&self, result: &CheckResult) {
        self.metrics
            .verdicts
            .with_label_values(&[result.phase.as_str(), result.verdict.as_str()])
            .inc();
    }
}

/// The first answer to a retried delivery, byte for byte — unless the retry carries another
/// body, which is a client bug worth hearing about rather than silently answering.
fn replayed(first: StoredAnswer, idempotency: &Idempotency) -> Result<Answer, ServiceError> {
    if first.request_hash != idempotency.request_hash {
        return Err(ServiceError::invalid(
            "",
            "this webhook-id / Idempotency-Key was already used with a different body",
        ));
    }
    Ok(Answer {
        status: first.status,
        body: first.body,
        replayed: true,
    })
}
