//! Tests of `domain::judgement`.
use super::*;
use chrono::Duration;

fn t(minutes: i64) -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
}
fn branch(l: &str) -> LinkPromise {
    LinkPromise::Location(l.into())
}
fn item(sku: &str, l: &str) -> LinkPromise {
    LinkPromise::Item {
        sku: sku.into(),
        location: l.into(),
    }
}
fn covering(at: i64, locations: &[&str], items: &[(&str, &str)]) -> CheckedPromises {
    CheckedPromises {
        checked_at: t(at),
        covered: Some(Coverage {
            locations: locations.iter().map(|l| l.to_string()).collect(),
            items: items
                .iter()
                .map(|(s, l)| (s.to_string(), l.to_string()))
                .collect(),
            names: BTreeMap::new(),
            zones: BTreeMap::new(),
        }),
        broken: Vec::new(),
    }
}
fn closed(l: &str) -> FoundBroken {
    FoundBroken {
        sku: None,
        location: Some(l.into()),
        fingerprint: format!("o|location_closed||{l}"),
    }
}

#[test]
fn each_judgement_is_stored_as_its_own_code() {
    for j in [Judgement::Unknown, Judgement::Broken, Judgement::Kept] {
        assert_eq!(Judgement::from_code(j.code()), Ok(j));
    }
    assert_eq!(Judgement::Broken.code(), 1);
    assert!(Judgement::from_code(3).is_err());
}

#[test]
fn a_click_before_any_check_is_unknown() {
    let timeline = Timeline {
        checks: vec![covering(10, &["loc-1"], &[])],
        reviews: vec![],
    };
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(5)),
        Judgement::Unknown
    );
    assert_eq!(
        Timeline::default().judge(Some(&branch("loc-1")), t(5)),
        Judgement::Unknown
    );
}

#[test]
fn between_a_pass_and_a_block_the_earlier_check_speaks() {
    let mut block = covering(20, &["loc-1", "loc-2"], &[]);
    block.broken.push(closed("loc-1"));
    let timeline = Timeline {
        checks: vec![covering(10, &["loc-1", "loc-2"], &[]), block],
        reviews: vec![],
    };
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(15)),
        Judgement::Kept
    );
    // At the block check's own instant, and after it.
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(20)),
        Judgement::Broken
    );
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(90)),
        Judgement::Broken
    );
    // The other branch of the same check was kept.
    assert_eq!(
        timeline.judge(Some(&branch("loc-2")), t(90)),
        Judgement::Kept
    );
    // A branch the campaign never promised.
    assert_eq!(
        timeline.judge(Some(&branch("loc-9")), t(90)),
        Judgement::Unknown
    );
}

#[test]
fn an_override_before_the_click_keeps_it_and_one_after_does_not() {
    let mut block = covering(20, &["loc-1"], &[]);
    block.broken.push(closed("loc-1"));
    let timeline = Timeline {
        checks: vec![block],
        reviews: vec![ReviewMark {
            fingerprint: "o|location_closed||loc-1".into(),
            action: ReviewAction::Override,
            at: t(30),
        }],
    };
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(25)),
        Judgement::Broken
    );
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(30)),
        Judgement::Kept
    );
    // An override resolved later counts no more after the resolve.
    let mut resolved = timeline.clone();
    resolved.reviews.push(ReviewMark {
        fingerprint: "o|location_closed||loc-1".into(),
        action: ReviewAction::Resolve,
        at: t(40),
    });
    assert_eq!(
        resolved.judge(Some(&branch("loc-1")), t(35)),
        Judgement::Kept
    );
    assert_eq!(
        resolved.judge(Some(&branch("loc-1")), t(45)),
        Judgement::Broken
    );
}

#[test]
fn a_late_click_is_judged_at_its_own_time() {
    // Arrived after a later check that found the branch closed; clicked before it.
    let mut block = covering(60, &["loc-1"], &[]);
    block.broken.push(closed("loc-1"));
    let timeline = Timeline {
        checks: vec![covering(0, &["loc-1"], &[]), block],
        reviews: vec![],
    };
    assert_eq!(
        timeline.judge(Some(&branch("loc-1")), t(30)),
        Judgement::Kept
    );
}

#[test]
fn an_item_click_meets_its_items_finding_and_its_branchs() {
    let mut check = covering(
        0,
        &["loc-1", "loc-2"],
        &[("sku-1", "loc-1"), ("sku-1", "loc-2")],
    );
    check.broken.push(FoundBroken {
        sku: Some("sku-1".into()),
        location: Some("loc-2".into()),
        fingerprint: "o|out_of_stock|sku-1|loc-2".into(),
    });
    let timeline = Timeline {
        checks: vec![check.clone()],
        reviews: vec![],
    };
    assert_eq!(
        timeline.judge(Some(&item("sku-1", "loc-1")), t(5)),
        Judgement::Kept
    );
    assert_eq!(
        timeline.judge(Some(&item("sku-1", "loc-2")), t(5)),
        Judgement::Broken
    );
    // The item's finding does not break the branch link.
    assert_eq!(
        timeline.judge(Some(&branch("loc-2")), t(5)),
        Judgement::Kept
    );
    // An item never promised at that branch.
    assert_eq!(
        timeline.judge(Some(&item("sku-9", "loc-1")), t(5)),
        Judgement::Unknown
    );
    // A closed branch breaks its items.
    check.broken = vec![closed("loc-1")];
    let timeline = Timeline {
        checks: vec![check],
        reviews: vec![],
    };
    assert_eq!(
        timeline.judge(Some(&item("sku-1", "loc-1")), t(5)),
        Judgement::Broken
    );
}

#[test]
fn a_url_that_names_nothing_is_unknown_and_an_old_check_knows_nothing_kept() {
    let timeline = Timeline {
        checks: vec![covering(0, &["loc-1"], &[])],
        reviews: vec![],
    };
    assert_eq!(timeline.judge(None, t(5)), Judgement::Unknown);
    let old = Timeline {
        checks: vec![CheckedPromises {
            checked_at: t(0),
            covered: None,
            broken: vec![closed("loc-1")],
        }],
        reviews: vec![],
    };
    assert_eq!(old.judge(Some(&branch("loc-1")), t(5)), Judgement::Broken);
    assert_eq!(old.judge(Some(&branch("loc-2")), t(5)), Judgement::Unknown);
}

#[test]
fn a_person_is_broken_by_one_broken_click_and_kept_only_by_kept_ones() {
    use Judgement::*;
    assert_eq!(Judgement::of_person([Kept, Broken, Unknown]), Broken);
    assert_eq!(Judgement::of_person([Kept, Unknown]), Kept);
    assert_eq!(Judgement::of_person([Unknown]), Unknown);
    assert_eq!(Judgement::of_person([]), Unknown);
}
