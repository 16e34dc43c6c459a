//! Every rule under every policy action, and verdicts per offer.
use super::*;

/// Every rule under every action: `ignore` drops the finding, `flag` and `block` set severity,
/// and the verdict is the worst severity left.
#[test]
fn every_rule_under_every_action() {
    let cases: Vec<(Rule, Campaign, Observations)> = {
        let mut v = Vec::new();
        let mut expired = offer(&[], &[]);
        expired.valid_until = t("2026-11-23T00:00:00Z");
        expired.valid_from = t("2026-11-01T00:00:00Z");
        v.push((
            Rule::OfferExpired,
            campaign(vec![expired]),
            Observations::default(),
        ));
        let one = campaign(vec![offer(&["a"], &[])]);
        v.push((
            Rule::LocationClosed,
            one.clone(),
            obs_locations(vec![(
                "a",
                location(LocationStatus::ClosedPermanently, "CLOSED_PERMANENTLY", &[]),
            )]),
        ));
        v.push((
            Rule::LocationUnknown,
            one.clone(),
            obs_locations(vec![(
                "a",
                location(LocationStatus::Unknown, "NOT_FOUND", &[]),
            )]),
        ));
        v.push((
            Rule::LocationClosedDuringWindow,
            one.clone(),
            open_a_closed_on(&[("2026-11-25", "2026-11-25")]),
        ));
        v.push((
            Rule::LocationClosedWholeWindow,
            one.clone(),
            open_a_closed_on(&[("2026-11-24", "2026-11-30")]),
        ));
        v.push((
            Rule::UpstreamUnavailable,
            one,
            obs_locations(vec![("a", failed())]),
        ));
        let item = campaign(vec![offer(&[], &[("S", "l", 3)])]);
        for (rule, q) in [(Rule::OutOfStock, 0.0), (Rule::LowStock, 1.0)] {
            let mut obs = Observations::default();
            obs.items.insert(ItemKey::new("S", "l"), stock(q));
            v.push((rule, item.clone(), obs));
        }
        v
    };
    // `link_broken` is judged beside the evaluation, on what links answered (check/links.rs,
    // under every action there).
    assert_eq!(cases.len(), Rule::ALL.len() - 1);
    for (rule, c, obs) in &cases {
        for (action, verdict) in [
            (Action::Block, Verdict::Block),
            (Action::Flag, Verdict::Flag),
            (Action::Ignore, Verdict::Pass),
        ] {
            if *rule == Rule::UpstreamUnavailable && action == Action::Ignore {
                continue; // refused by the policy parser, tested there
            }
            let key = rule.as_str().to_string();
            let value = serde_json::to_value(action).unwrap();
            let policy = Policy::default()
                .with_overrides(&BTreeMap::from([(key, value)]), "/policy")
                .unwrap();
            let e = run(c, &policy, obs);
            assert_eq!(e.verdict, verdict, "{rule} under {action:?}");
            assert_eq!(
                e.findings.len(),
                usize::from(action != Action::Ignore),
                "{rule} under {action:?}"
            );
            assert_eq!(
                e.warnings.len(),
                usize::from(action == Action::Flag),
                "{rule} under {action:?}"
            );
            if let Some(f) = e.findings.first() {
                assert_eq!(f.rule, *rule);
            }
        }
    }
}

#[test]
fn verdict_is_per_offer_and_worst_overall() {
    let c = campaign(vec![
        offer(&["a"], &[]),
        Offer {
            id: "second".into(),
            ..offer(&["b"], &[])
        },
        Offer {
            id: "third".into(),
            ..offer(&["c"], &[])
        },
    ]);
    let obs = obs_locations(vec![
        ("a", open()),
        (
            "b",
            location(
                LocationStatus::Open,
                "OPEN",
                &[("2026-11-25", "2026-11-25")],
            ),
        ),
        (
            "c",
            location(LocationStatus::ClosedTemporarily, "CLOSED_TEMPORARILY", &[]),
        ),
    ]);
    let e = run(&c, &Policy::default(), &obs);
    let per_offer: Vec<_> = e.offers.iter().map(|o| o.verdict).collect();
    assert_eq!(
        per_offer,
        vec![Verdict::Pass, Verdict::Flag, Verdict::Block]
    );
    assert_eq!(e.verdict, Verdict::Block);
}
