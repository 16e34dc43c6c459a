//! The links of an email checked: each distinct link of a listed host asked once (through the
//! observations' shelf), and what it answered turned into `link_broken` findings — a final 4xx
//! or 5xx, or redirects without end — on the offer the link belongs to, or into warnings: a
//! link that did not answer in time, or that was refused (a redirect off the listed hosts, a
//! name resolving to an internal address). Never an error of the check.
use super::engine::{Asking, CheckSpec, Checker};
use super::result::CheckResult;
use crate::domain::content::{EmailLink, Promised};
use crate::domain::link::{Hop, LinkAnswer, MAX_REDIRECTS};
use crate::domain::{Campaign, Finding, Mode, Policy, Rule, Severity, Target, Verdict};
use crate::observations::shelf::{Seen, Served};
use serde_json::json;
use std::collections::HashMap;
use tokio::time::Instant;

/// What each fetched link answered, by its href.
pub type LinkAnswers = HashMap<String, Served<LinkAnswer>>;

impl Checker {
    /// Checks `campaign` — what `promised` makes, or the part of it not ended — and, at the
    /// same time, the links of its content; the result says what was read from the content.
    pub async fn run_promised(
        &self,
        campaign: &Campaign,
        promised: &Promised,
        spec: CheckSpec<'_>,
    ) -> CheckResult {
        let asking = Asking {
            urgency: super::engine::urgency(spec.phase),
            deadline: Instant::now() + self.limits().deadline,
            max_age: None,
        };
        let (result, links) = futures::join!(
            self.run(campaign, spec),
            self.links(&promised.links, asking)
        );
        result
            .with_promised(promised)
            .with_links(&promised.links, &links, spec.policy)
    }

    /// Asks every link of `links` whose host is listed, each once, by `asking`'s deadline;
    /// nothing when no host is listed.
    pub async fn links<'a>(
        &self,
        links: impl IntoIterator<Item = &'a EmailLink>,
        asking: Asking,
    ) -> LinkAnswers {
        let Some(fetching) = self.observer().links() else {
            return LinkAnswers::new();
        };
        let hrefs = links.into_iter().map(|l| l.href.as_str());
        let concurrency = self.limits().concurrency;
        fetching
            .answers(hrefs, asking.deadline, asking.urgency, concurrency)
            .await
    }
}

impl CheckResult {
    /// With what the links of the email answered: a `link_broken` finding (at the policy's
    /// severity; none when it ignores the rule) for each that leads nowhere, a warning for
    /// each that could not be checked, and the verdicts raised to match.
    pub fn with_links(
        mut self,
        links: &[EmailLink],
        answers: &LinkAnswers,
        policy: &Policy,
    ) -> Self {
        for link in links {
            let seen = match answers.get(&link.href) {
                None => continue,
                Some(Served::Unknown(why)) => {
                    self.warnings.push(format!(
                        "{}: the link {} was not checked: {why}",
                        link.offer_id, link.href
                    ));
                    continue;
                }
                Some(Served::Hit(s) | Served::Fetched(s) | Served::Stale(s)) => s,
            };
            if let LinkAnswer::Refused { detail, .. } = &seen.value {
                self.warnings.push(format!(
                    "{}: the link {} was not checked: {detail}",
                    link.offer_id, link.href
                ));
            } else if seen.value.is_broken()
                && let Some(severity) = policy.severity(Rule::LinkBroken)
            {
                self.add_finding(broken(link, seen, severity));
            }
        }
        self
    }

    /// Adds a finding to the check and to its offer's result, and raises both verdicts.
    fn add_finding(&mut self, finding: Finding) {
        if finding.severity == Severity::Flag {
            self.warnings
                .push(format!("{}: {}", finding.offer_id, finding.message));
        }
        let raised = Verdict::of([&finding]);
        if let Some(offer) = self
            .offers
            .iter_mut()
            .find(|o| o.offer_id == finding.offer_id)
        {
            offer.findings.push(finding.id.clone());
            offer.verdict = offer.verdict.max(raised);
        }
        self.verdict = self.verdict.max(raised);
        self.allowed = !(self.verdict == Verdict::Block && self.mode == Mode::Enforce);
        self.findings.push(finding);
    }
}

/// The `link_broken` finding of a link that answered 4xx or 5xx, or redirected too often.
fn broken(link: &EmailLink, seen: &Seen<LinkAnswer>, severity: Severity) -> Finding {
    let hops = seen.value.hops();
    let named = match &link.text {
        Some(text) => format!("the link “{text}” ({})", link.href),
        None => format!("the link {}", link.href),
    };
    let message = match &seen.value {
        LinkAnswer::TooManyRedirects { .. } => {
            format!("{named} redirects more than {MAX_REDIRECTS} times")
        }
        _ => {
            let status = seen.value.status().unwrap_or_default();
            match hops.len().saturating_sub(1) {
                0 => format!("{named} answers {status}"),
                n => format!("{named} answers {status} after {n} redirect(s)"),
            }
        }
    };
    let mut named_link = serde_json::Map::new();
    named_link.insert("href".into(), link.href.clone().into());
    if let Some(text) = &link.text {
        named_link.insert("text".into(), text.clone().into());
    }
    Finding {
        id: uuid::Uuid::new_v4().to_string(),
        offer_id: link.offer_id.clone(),
        rule: Rule::LinkBroken,
        severity,
        target: Target::link(&link.href),
        message,
        evidence: json!({
            "link": named_link,
            "status": seen.value.status(),
            "redirects": hops.iter().take(hops.len().saturating_sub(1)).collect::<Vec<&Hop>>(),
            "final_url": hops.last().map(|h| h.url.as_str()),
            "fetched_at": seen.at,
        }),
        exemption: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Evaluation, OfferOutcome};
    use crate::domain::link::Refusal;
    use crate::domain::{Action, Phase};
    use chrono::{DateTime, Utc};

    fn at() -> DateTime<Utc> {
        "2026-12-05T10:00:00Z".parse().unwrap()
    }

    fn result(mode: Mode) -> CheckResult {
        let offer = OfferOutcome {
            offer_id: "email".into(),
            verdict: Verdict::Pass,
            keepable_locations: vec!["loc-1".into()],
            findings: Vec::new(),
        };
        let evaluation = Evaluation {
            verdict: Verdict::Pass,
            offers: vec![offer],
            findings: Vec::new(),
            warnings: Vec::new(),
            covered: Default::default(),
        };
        CheckResult::new(
            "k".into(),
            "c".into(),
            Phase::PreSend,
            mode,
            at(),
            evaluation,
            at(),
        )
    }

    fn link(path: &str) -> EmailLink {
        EmailLink {
            offer_id: "email".into(),
            href: format!("https://rent.example.com{path}"),
            text: Some(format!("to {path}")),
        }
    }

    fn hop(path: &str, status: u16) -> Hop {
        Hop {
            url: format!("https://rent.example.com{path}"),
            status,
        }
    }

    fn answers() -> (Vec<EmailLink>, LinkAnswers) {
        let seen = |value| Served::Fetched(Seen { value, at: at() });
        let answered = |hops| seen(LinkAnswer::Answered { hops });
        let list = [
            ("/ok", answered(vec![hop("/ok", 200)])),
            (
                "/moved",
                answered(vec![hop("/moved", 301), hop("/gone", 404)]),
            ),
            (
                "/loop",
                seen(LinkAnswer::TooManyRedirects {
                    hops: (0..6).map(|_| hop("/loop", 302)).collect(),
                }),
            ),
            (
                "/away",
                seen(LinkAnswer::Refused {
                    reason: Refusal::UnlistedHost,
                    detail: "https://elsewhere.example.com/ is not on a listed host".into(),
                    hops: vec![hop("/away", 302)],
                }),
            ),
            ("/slow", Served::Unknown("no answer in time".into())),
        ];
        let mut links: Vec<EmailLink> = list.iter().map(|(p, _)| link(p)).collect();
        // A link of a host that is not listed was not asked: nothing is said of it.
        links.push(link("/not-asked"));
        let answers = list.into_iter().map(|(p, a)| (link(p).href, a)).collect();
        (links, answers)
    }

    fn policy(action: Action) -> Policy {
        let overrides = [(
            "link_broken".to_owned(),
            serde_json::to_value(action).unwrap(),
        )];
        Policy::default()
            .with_overrides(&overrides.into_iter().collect(), "/policy")
            .unwrap()
    }

    #[test]
    fn broken_links_are_findings_at_the_policys_severity() {
        let (links, answers) = answers();
        for (action, verdict) in [
            (Action::Block, Verdict::Block),
            (Action::Flag, Verdict::Flag),
            (Action::Ignore, Verdict::Pass),
        ] {
            let r = result(Mode::Enforce).with_links(&links, &answers, &policy(action));
            assert_eq!(r.verdict, verdict, "{action:?}");
            assert_eq!(r.offers[0].verdict, verdict);
            assert_eq!(r.allowed, verdict != Verdict::Block);
            let targets: Vec<_> = r.findings.iter().map(|f| f.target.link.clone()).collect();
            let expected = match action {
                Action::Ignore => vec![],
                _ => vec![Some(link("/moved").href), Some(link("/loop").href)],
            };
            assert_eq!(targets, expected);
            assert_eq!(r.offers[0].findings.len(), expected.len());
            // Keepable locations are the locations' business, not the links'.
            assert_eq!(r.offers[0].keepable_locations, ["loc-1"]);
            // What could not be checked is said, whatever the policy.
            let warnings = r.warnings.join("\n");
            assert!(warnings.contains("/slow was not checked: no answer in time"));
            assert!(warnings.contains("/away was not checked: https://elsewhere"));
            assert!(!warnings.contains("/not-asked") && !warnings.contains("/ok "));
            assert_eq!(
                warnings.contains("answers 404 after 1 redirect(s)"),
                action == Action::Flag
            );
        }
        let r = result(Mode::DryRun).with_links(&links, &answers, &policy(Action::Block));
        assert_eq!((r.verdict, r.allowed), (Verdict::Block, true));
        let moved = &r.findings[0];
        assert_eq!(
            moved.message,
            "the link “to /moved” (https://rent.example.com/moved) answers 404 after 1 redirect(s)"
        );
        assert_eq!(moved.evidence["redirects"][0]["status"], 301);
        assert_eq!(moved.evidence["final_url"], "https://rent.example.com/gone");
        assert!(
            r.findings[1]
                .message
                .ends_with("redirects more than 5 times")
        );
        assert!(
            moved
                .fingerprint()
                .ends_with("|https://rent.example.com/moved")
        );
    }
}
