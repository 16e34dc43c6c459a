use super::*;
use crate::domain::{Severity, Target};

fn now() -> DateTime<Utc> {
    "2026-12-06T10:00:00Z".parse().unwrap()
}

fn request(scope: serde_json::Value, expires_at: &str) -> ExemptionRequest {
    serde_json::from_value(serde_json::json!({
        "scope": scope, "category": "waiver", "reason": " renovation until the 30th ",
        "expires_at": expires_at
    }))
    .unwrap()
}

fn pointers(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.pointer.as_str()).collect()
}

fn closed(location: &str) -> Finding {
    Finding {
        id: "f".into(),
        offer_id: "free-day".into(),
        rule: Rule::LocationClosed,
        severity: Severity::Block,
        target: Target::location(location),
        message: String::new(),
        evidence: serde_json::Value::Null,
        exemption: None,
    }
}

#[test]
fn an_exemption_names_a_campaign_a_location_or_a_sku_and_ends_soon_enough() {
    let ok = request(
        serde_json::json!({"campaign_id": "c1", "rule": "location_closed"}),
        "2027-02-01T00:00:00Z",
    )
    .validated(now(), 90)
    .unwrap();
    assert_eq!(ok.reason, "renovation until the 30th");
    assert_eq!(ok.scope.rule, Some(Rule::LocationClosed));
    for (scope, expires, pointer) in [
        (
            serde_json::json!({"rule": "location_closed"}),
            "2026-12-20T00:00:00Z",
            "/scope",
        ),
        (serde_json::json!({}), "2026-12-20T00:00:00Z", "/scope"),
        (
            serde_json::json!({"location": "loc-101"}),
            "2027-01-06T00:00:01Z",
            "/expires_at",
        ),
        (
            serde_json::json!({"campaign_id": "c1"}),
            "2027-03-07T00:00:00Z",
            "/expires_at",
        ),
        (
            serde_json::json!({"campaign_id": "c1"}),
            "2026-12-06T09:59:59Z",
            "/expires_at",
        ),
        (
            serde_json::json!({"campaign_id": "c1"}),
            "next week",
            "/expires_at",
        ),
    ] {
        let errors = request(scope.clone(), expires)
            .validated(now(), 90)
            .unwrap_err();
        assert_eq!(pointers(&errors), [pointer], "{scope} {expires}");
    }
    // A location for 30 days is fine; for a campaign, up to max_exemption_days.
    assert!(
        request(
            serde_json::json!({"location": "loc-101"}),
            "2027-01-05T00:00:00Z"
        )
        .validated(now(), 90)
        .is_ok()
    );
    let missing: ExemptionRequest =
        serde_json::from_value(serde_json::json!({"scope": {"sku": "SUV"}})).unwrap();
    let errors = missing.validated(now(), 90).unwrap_err();
    assert_eq!(pointers(&errors), ["/category", "/reason", "/expires_at"]);
    let bad: ExemptionRequest = serde_json::from_value(serde_json::json!({
        "scope": {"sku": "SUV"}, "category": "forever", "reason": "x",
        "expires_at": "2026-12-07T00:00:00Z"
    }))
    .unwrap();
    assert_eq!(
        pointers(&bad.validated(now(), 90).unwrap_err()),
        ["/category"]
    );
}

#[test]
fn a_scope_covers_the_findings_every_part_it_gives_matches() {
    let scope = |v: serde_json::Value| serde_json::from_value::<ExemptionScope>(v).unwrap();
    let f = closed("loc-101");
    assert!(scope(serde_json::json!({"location": "loc-101"})).covers("c1", &f));
    assert!(
        scope(serde_json::json!({"campaign_id": "c1", "offer_id": "free-day"})).covers("c1", &f)
    );
    assert!(!scope(serde_json::json!({"campaign_id": "c2"})).covers("c1", &f));
    assert!(!scope(serde_json::json!({"location": "loc-102"})).covers("c1", &f));
    assert!(!scope(serde_json::json!({"location": "loc-101", "sku": "SUV"})).covers("c1", &f));
    assert!(
        !scope(serde_json::json!({"campaign_id": "c1", "rule": "out_of_stock"})).covers("c1", &f)
    );
}

#[test]
fn an_exemption_is_active_until_it_expires_or_is_revoked() {
    let mut e = Exemption {
        id: "x".into(),
        scope: ExemptionScope::default(),
        category: ExemptionCategory::Mitigated,
        reason: "r".into(),
        ticket: None,
        expires_at: now() + Duration::hours(1),
        created_by: "dana".into(),
        created_at: now(),
        revoked_by: None,
        revoked_at: None,
    };
    assert_eq!(e.state(now()), ExemptionState::Active);
    assert_eq!(e.state(now() + Duration::hours(1)), ExemptionState::Expired);
    e.revoked_at = Some(now());
    assert_eq!(e.state(now()), ExemptionState::Revoked);
}
