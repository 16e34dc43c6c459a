//! A scheduled campaign's email checked as the platform will send it: every variation read as
//! one email (each promise naming the variations that make it), the check stored with phase
//! `scheduled`, and the content version an action is claimed for.
use super::{CampaignError, Watch};
use crate::check::{CheckResult, CheckSpec};
use crate::domain::campaign::CampaignInput;
use crate::domain::content::{Extracted, LinkTemplates, extract};
use crate::domain::watch::Scheduled;
use crate::domain::{Campaign, Mode, Phase};
use crate::sources::platforms::{Platform, Variation};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

impl Watch {
    /// Checks the campaign's email — every variation at once — as it will be sent (phase
    /// `scheduled`), and records it; `None` when it promises nothing.
    pub(super) async fn check(
        &self,
        platform: &dyn Platform,
        scheduled: &Scheduled,
        variations: &[Variation],
        now: DateTime<Utc>,
    ) -> Result<Option<CheckResult>, CampaignError> {
        let campaign = campaign(platform, scheduled, variations, now)?;
        // Kept as received (its content read again at each re-check), as a pre-send's is.
        let definition =
            serde_json::to_string(&campaign).map_err(|e| CampaignError::Check(e.to_string()))?;
        let templates = self.checks.templates.clone();
        let labeled: Vec<Variation> = variations
            .iter()
            .filter(|v| v.label.is_some())
            .cloned()
            .collect();
        let promised = tokio::task::spawn_blocking(move || {
            let mut promised = campaign.into_promised(&templates, "")?;
            label_variations(&mut promised.extracted, &labeled, &templates);
            Ok::<_, Vec<crate::domain::FieldError>>(promised)
        })
        .await
        .map_err(|e| CampaignError::Check(e.to_string()))?
        .map_err(|e| CampaignError::Check(format!("its email: {}", e[0].detail)))?;
        if promised.nothing() {
            return Ok(None);
        }
        let policy = self.checks.policy.clone();
        let spec = CheckSpec {
            phase: Phase::Scheduled,
            mode: Mode::Enforce,
            send_at: scheduled.send_time,
            policy: &policy,
        };
        let mut result = self
            .checks
            .checker
            .run_promised(&promised.campaign, &promised, spec)
            .await;
        self.checks
            .exempt(&mut result)
            .await
            .map_err(|e| CampaignError::Check(e.to_string()))?;
        let body =
            serde_json::to_string(&result).map_err(|e| CampaignError::Check(e.to_string()))?;
        self.checks
            .record(
                (&promised.campaign, Some(&definition)),
                &result,
                &body,
                &[],
                None,
            )
            .await
            .map_err(|e| CampaignError::Check(e.to_string()))?;
        Ok(Some(result))
    }
}

/// The campaign as the platform will send it: its id and name, the platform's kind, the send
/// time, and every variation's email (one document each, read as one).
fn campaign(
    platform: &dyn Platform,
    scheduled: &Scheduled,
    variations: &[Variation],
    now: DateTime<Utc>,
) -> Result<Campaign, CampaignError> {
    let html = variations
        .iter()
        .map(|v| v.html.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let text: Vec<&str> = variations
        .iter()
        .filter_map(|v| v.text.as_deref())
        .collect();
    let subject = variations
        .iter()
        .find_map(|v| v.subject.clone())
        .or_else(|| scheduled.subject.clone());
    let input = CampaignInput {
        id: scheduled.id.clone(),
        name: scheduled.name.clone(),
        platform: Some(platform.kind().as_str().to_owned()),
        send_at: Some(scheduled.send_time),
        audience_size: None,
        brand: None,
        locale: None,
        offers: Vec::new(),
        content: Some(crate::domain::campaign::Content {
            html,
            text: (!text.is_empty()).then(|| text.join("\n")),
            subject,
        }),
        valid_from: None,
        valid_until: None,
    };
    input
        .parse("", now)
        .map_err(|e| CampaignError::Check(format!("{}: {}", e[0].pointer, e[0].detail)))
}

/// Names, on each promise, the variations that make it (read once more, each on its own).
fn label_variations(extracted: &mut [Extracted], labeled: &[Variation], templates: &LinkTemplates) {
    for variation in labeled {
        let Some(label) = &variation.label else {
            continue;
        };
        let Ok(found) = extract::extract(&variation.html, variation.text.as_deref(), templates)
        else {
            continue;
        };
        for e in extracted.iter_mut() {
            let made = found
                .offers
                .iter()
                .flat_map(|o| &o.promises)
                .any(|p| e.location.as_deref() == Some(p.location.as_str()) && e.sku == p.sku);
            if made {
                e.variations.push(label.clone());
            }
        }
    }
}

/// The content version: a hash over every variation's subject, HTML and text.
pub(super) fn version(variations: &[Variation]) -> String {
    let mut hash = Sha256::new();
    for v in variations {
        for part in [
            v.label.as_deref(),
            v.subject.as_deref(),
            Some(&v.html),
            v.text.as_deref(),
        ] {
            let part = part.unwrap_or("");
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
    }
    crate::signatures::hex(&hash.finalize())
}
