//! Exemptions: kept with who made them, read back whole, active until they expire or are
//! revoked (revoked once, with who and when).
use crate::fixtures::at;
use chrono::Duration;
use promiseguard::domain::Rule;
use promiseguard::domain::exemption::{
    ExemptionCategory, ExemptionScope, ExemptionState, NewExemption,
};
use promiseguard::store::{ExemptionStore, SqlStore};

pub async fn exemptions_are_active_until_they_expire_or_are_revoked(store: SqlStore) {
    let now = at("2026-12-06T10:00:00Z");
    let new = |scope: ExemptionScope, days: i64| NewExemption {
        scope,
        category: ExemptionCategory::Waiver,
        reason: "renovation until the 30th".into(),
        ticket: Some("CX-42".into()),
        expires_at: now + Duration::days(days),
    };
    let branch = ExemptionScope {
        location: Some("loc-101".into()),
        rule: Some(Rule::LocationClosed),
        ..ExemptionScope::default()
    };
    let campaign = ExemptionScope {
        campaign_id: Some("c1".into()),
        ..ExemptionScope::default()
    };
    let a = store
        .create_exemption(&new(branch.clone(), 10), "dana", now)
        .await
        .unwrap();
    assert_eq!(a.scope, branch);
    assert_eq!((a.created_by.as_str(), a.created_at), ("dana", now));
    assert_eq!(a.ticket.as_deref(), Some("CX-42"));
    let b = store
        .create_exemption(&new(campaign, 2), "eli", now)
        .await
        .unwrap();

    let all = store.exemptions().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [b.id.as_str(), a.id.as_str()], "ending soonest first");
    assert_eq!(store.active_exemptions(now).await.unwrap().len(), 2);
    let in_three_days = now + Duration::days(3);
    let active = store.active_exemptions(in_three_days).await.unwrap();
    assert_eq!(active.len(), 1, "b expired");
    assert_eq!(active[0].id, a.id);

    let later = now + Duration::hours(1);
    let revoked = store
        .revoke_exemption(&a.id, "fay", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.state(later), ExemptionState::Revoked);
    assert_eq!(
        (revoked.revoked_by.as_deref(), revoked.revoked_at),
        (Some("fay"), Some(later))
    );
    let again = store
        .revoke_exemption(&a.id, "gus", later + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_by.as_deref(), Some("fay"), "revoked once");
    assert!(
        store
            .active_exemptions(later)
            .await
            .unwrap()
            .iter()
            .all(|e| e.id != a.id)
    );
    assert!(
        store
            .revoke_exemption("nope", "fay", later)
            .await
            .unwrap()
            .is_none()
    );
}

/// A check's finding under an exemption is kept carrying it, alerts nobody and is not open.
pub async fn an_exempted_finding_is_kept_with_it_but_alerts_nobody_and_is_not_open(
    store: SqlStore,
) {
    use crate::fixtures::Draft;
    use promiseguard::domain::exemption::FindingExemption;
    use promiseguard::domain::{AlertChannel, AlertTarget, Phase, Severity};
    use promiseguard::store::{AlertStore, CheckStore, FindingStore, ReviewStore};
    let targets = [AlertTarget {
        channel: AlertChannel::Email,
        target: "cx@example.com".into(),
    }];
    let mark = FindingExemption {
        id: "x1".into(),
        category: ExemptionCategory::Mitigated,
        expires_at: at("2026-12-20T00:00:00Z"),
    };
    let mut draft = Draft::new("ex1", 1, "2026-12-06T10:00:00Z");
    draft.phase = Phase::Live;
    assert_eq!(draft.findings[0].severity, Severity::Block);
    draft.findings[0].exemption = Some(mark.clone());
    let mut check = draft.check();
    check.alert_to = &targets;
    store.record_check(&check, None).await.unwrap();
    assert!(
        store.alerts("ex1").await.unwrap().is_empty(),
        "alerts nobody"
    );
    let open = store.open_findings().await.unwrap();
    assert_eq!(
        open.get(&Severity::Block).copied().unwrap_or(0),
        0,
        "not open"
    );
    let stored = store.findings(&draft.id).await.unwrap();
    assert_eq!(stored[0].finding.exemption, Some(mark));
}
