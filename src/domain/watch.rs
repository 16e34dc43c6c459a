//! Campaigns watched where they are scheduled (Klaviyo, Mailchimp, Braze): when a campaign's
//! first recipient can get it, when its content is read again, and what a check of it may do —
//! pure rules, no I/O (the `watch` service asks the platforms and the store).
use super::finding::Finding;
use super::review::ReviewState;
use super::rule::{Rule, Severity};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The platforms a campaign can be watched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformKind {
    Klaviyo,
    Mailchimp,
    Braze,
}

impl PlatformKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Klaviyo => "klaviyo",
            Self::Mailchimp => "mailchimp",
            Self::Braze => "braze",
        }
    }
}

impl FromStr for PlatformKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "klaviyo" => Ok(Self::Klaviyo),
            "mailchimp" => Ok(Self::Mailchimp),
            "braze" => Ok(Self::Braze),
            other => Err(format!(
                "unknown platform kind `{other}`: expected klaviyo, mailchimp or braze"
            )),
        }
    }
}

/// What a platform does when a scheduled campaign would break a promise (`on_block`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBlock {
    /// Queue an alert; the campaign stays scheduled.
    #[default]
    Alert,
    /// Inside `act_within_s` of the first delivery, take the campaign off the schedule.
    Unschedule,
}

/// The latest offset of any time zone: a campaign sent "at 9:00 in each recipient's zone"
/// reaches its first recipients at 9:00 in UTC+14.
const EARLIEST_OFFSET_HOURS: i64 = 14;

/// A scheduled campaign as a platform's list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    /// The platform's own campaign id.
    pub id: String,
    pub name: Option<String>,
    /// The subject line, where the list gives it (Mailchimp).
    pub subject: Option<String>,
    /// The planned send, as the platform states it.
    pub send_time: DateTime<Utc>,
    /// Sent at `send_time` read in each recipient's zone (Klaviyo `is_local`, Mailchimp
    /// Timewarp, Braze `local_time_zones`).
    pub local_time: bool,
    /// What changes when the content may have changed (Klaviyo's `updated_at` of the campaign
    /// and its messages); `None` where the list carries no such marker.
    pub marker: Option<String>,
    /// The email messages' ids, where content is read per message (Klaviyo).
    pub messages: Vec<String>,
    /// A Braze Canvas: listed, but its email bodies cannot be read through REST.
    pub unreadable: bool,
}

impl Scheduled {
    /// When the first recipient can get it: the send time, or — sent in recipients' local
    /// time — the send time's wall clock read in UTC+14.
    pub fn earliest_delivery(&self) -> DateTime<Utc> {
        if self.local_time {
            self.send_time - Duration::hours(EARLIEST_OFFSET_HOURS)
        } else {
            self.send_time
        }
    }
}

/// What the store remembers of a watched campaign from earlier ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub send_time: DateTime<Utc>,
    pub marker: Option<String>,
    /// When its content was last read (`None`: never, e.g. a Canvas).
    pub fetched_at: Option<DateTime<Utc>>,
}

/// The `[watch]` timings the rules below read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub horizon: Duration,
    pub refetch: Duration,
    pub act_within: Duration,
}

/// Why a campaign's content is read at this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchReason {
    FirstSeen,
    SendTimeChanged,
    ContentChanged,
    /// The list carries no change marker and `refetch_s` has passed.
    Refetch,
    /// Once more inside `act_within_s` of the first delivery, whatever else says.
    ActWindow,
}

impl Timing {
    /// Whether the campaign is watched at all: its first delivery is still ahead and within
    /// the horizon.
    pub fn watches(&self, scheduled: &Scheduled, now: DateTime<Utc>) -> bool {
        let earliest = scheduled.earliest_delivery();
        earliest > now && earliest - now <= self.horizon
    }

    /// Inside `act_within_s` of the first delivery at `now`.
    pub fn inside_act_window(&self, earliest: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        earliest - now <= self.act_within
    }

    /// Whether this tick reads the campaign's content, and why.
    pub fn fetch(
        &self,
        listed: &Scheduled,
        seen: Option<&Seen>,
        now: DateTime<Utc>,
    ) -> Option<FetchReason> {
        let Some(seen) = seen else {
            return Some(FetchReason::FirstSeen);
        };
        let Some(fetched_at) = seen.fetched_at else {
            return Some(FetchReason::FirstSeen);
        };
        if seen.send_time != listed.send_time {
            return Some(FetchReason::SendTimeChanged);
        }
        let earliest = listed.earliest_delivery();
        let act_from = earliest - self.act_within;
        if now >= act_from && fetched_at < act_from {
            return Some(FetchReason::ActWindow);
        }
        match &listed.marker {
            Some(marker) if seen.marker.as_ref() != Some(marker) => {
                Some(FetchReason::ContentChanged)
            }
            Some(_) => None,
            None if now - fetched_at >= self.refetch => Some(FetchReason::Refetch),
            None => None,
        }
    }
}

/// The rules a finding must be of for a campaign to be taken off the schedule: a promise that
/// will not be kept. Never `upstream_unavailable` (a source outage must not unschedule a
/// campaign), `link_broken` or `low_stock`, whatever the policy makes them.
pub const PROMISE_RULES: [Rule; 5] = [
    Rule::LocationClosed,
    Rule::LocationClosedWholeWindow,
    Rule::LocationUnknown,
    Rule::OutOfStock,
    Rule::OfferExpired,
];

/// What a check of a scheduled campaign leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Nothing,
    /// `campaign.blocked_scheduled` (once per content version).
    Alert,
    /// Take it off the schedule (once per content version), with a `campaign.unscheduled`
    /// alert.
    Unschedule,
}

/// Decides what a scheduled campaign's check leads to: unscheduled only inside the act window,
/// when the platform's `on_block` asks for it and a block finding of a promise rule stands
/// unreviewed (an acknowledged or overridden finding — a known and accepted one — never acts);
/// otherwise a block finding an analyst has not overridden alerts. A finding under an active
/// exemption does neither.
pub fn act(
    findings: &[(&Finding, ReviewState)],
    on_block: OnBlock,
    inside_act_window: bool,
) -> Act {
    // An exempted finding counts toward no verdict: it neither alerts nor acts.
    let findings = findings.iter().filter(|(f, _)| f.exemption.is_none());
    let blocks = findings
        .clone()
        .any(|(f, state)| f.severity == Severity::Block && *state != ReviewState::Overridden);
    let acting = findings.clone().any(|(f, state)| {
        f.severity == Severity::Block
            && PROMISE_RULES.contains(&f.rule)
            && *state == ReviewState::Open
    });
    match (on_block, inside_act_window) {
        (OnBlock::Unschedule, true) if acting => Act::Unschedule,
        _ if blocks => Act::Alert,
        _ => Act::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Target;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn listed(send: &str, local: bool, marker: Option<&str>) -> Scheduled {
        Scheduled {
            id: "c1".into(),
            name: None,
            subject: None,
            send_time: at(send),
            local_time: local,
            marker: marker.map(str::to_owned),
            messages: vec![],
            unreadable: false,
        }
    }

    const TIMING: Timing = Timing {
        horizon: Duration::days(14),
        refetch: Duration::hours(1),
        act_within: Duration::hours(2),
    };

    #[test]
    fn local_time_sends_reach_the_first_recipients_at_utc_plus_14() {
        let s = listed("2026-12-10T09:00:00Z", true, None);
        assert_eq!(s.earliest_delivery(), at("2026-12-09T19:00:00Z"));
        let s = listed("2026-12-10T09:00:00Z", false, None);
        assert_eq!(s.earliest_delivery(), at("2026-12-10T09:00:00Z"));
    }

    #[test]
    fn only_campaigns_ahead_within_the_horizon_are_watched() {
        let now = at("2026-12-01T00:00:00Z");
        assert!(TIMING.watches(&listed("2026-12-14T23:00:00Z", false, None), now));
        assert!(!TIMING.watches(&listed("2026-12-15T01:00:00Z", false, None), now));
        assert!(!TIMING.watches(&listed("2026-11-30T23:00:00Z", false, None), now));
        // Local time: 15 days ahead by the send time, inside by its earliest delivery.
        assert!(TIMING.watches(&listed("2026-12-15T10:00:00Z", true, None), now));
    }

    #[test]
    fn content_is_read_when_new_moved_changed_due_or_about_to_send() {
        let now = at("2026-12-01T12:00:00Z");
        let seen = |send: &str, marker: Option<&str>, fetched: &str| Seen {
            send_time: at(send),
            marker: marker.map(str::to_owned),
            fetched_at: Some(at(fetched)),
        };
        let klaviyo = listed("2026-12-08T09:00:00Z", false, Some("u1"));
        assert_eq!(
            TIMING.fetch(&klaviyo, None, now),
            Some(FetchReason::FirstSeen)
        );
        let fresh = seen("2026-12-08T09:00:00Z", Some("u1"), "2026-11-25T00:00:00Z");
        assert_eq!(
            TIMING.fetch(&klaviyo, Some(&fresh), now),
            None,
            "marker unchanged"
        );
        let edited = seen("2026-12-08T09:00:00Z", Some("u0"), "2026-12-01T11:59:00Z");
        assert_eq!(
            TIMING.fetch(&klaviyo, Some(&edited), now),
            Some(FetchReason::ContentChanged)
        );
        let moved = seen("2026-12-09T09:00:00Z", Some("u1"), "2026-12-01T11:59:00Z");
        assert_eq!(
            TIMING.fetch(&klaviyo, Some(&moved), now),
            Some(FetchReason::SendTimeChanged)
        );
        let mailchimp = listed("2026-12-08T09:00:00Z", false, None);
        let recent = seen("2026-12-08T09:00:00Z", None, "2026-12-01T11:30:00Z");
        assert_eq!(TIMING.fetch(&mailchimp, Some(&recent), now), None);
        let hour_ago = seen("2026-12-08T09:00:00Z", None, "2026-12-01T11:00:00Z");
        assert_eq!(
            TIMING.fetch(&mailchimp, Some(&hour_ago), now),
            Some(FetchReason::Refetch)
        );
        // Inside the act window, read once more — then not again (marker unchanged).
        let soon = at("2026-12-08T07:30:00Z");
        assert_eq!(
            TIMING.fetch(&klaviyo, Some(&fresh), soon),
            Some(FetchReason::ActWindow)
        );
        let read_inside = seen("2026-12-08T09:00:00Z", Some("u1"), "2026-12-08T07:10:00Z");
        assert_eq!(TIMING.fetch(&klaviyo, Some(&read_inside), soon), None);
    }

    fn finding(rule: Rule, severity: Severity) -> Finding {
        Finding {
            id: "f".into(),
            offer_id: "o".into(),
            rule,
            severity,
            target: Target::default(),
            message: String::new(),
            evidence: serde_json::Value::Null,
            exemption: None,
        }
    }

    #[test]
    fn only_an_unreviewed_broken_promise_inside_the_window_unschedules() {
        let closed = finding(Rule::LocationClosed, Severity::Block);
        let outage = finding(Rule::UpstreamUnavailable, Severity::Block);
        let link = finding(Rule::LinkBroken, Severity::Block);
        let low = finding(Rule::LowStock, Severity::Flag);
        let open = ReviewState::Open;
        use Act::*;
        assert_eq!(
            act(&[(&closed, open)], OnBlock::Unschedule, true),
            Unschedule
        );
        assert_eq!(act(&[(&closed, open)], OnBlock::Unschedule, false), Alert);
        assert_eq!(act(&[(&closed, open)], OnBlock::Alert, true), Alert);
        assert_eq!(act(&[(&outage, open)], OnBlock::Unschedule, true), Alert);
        assert_eq!(act(&[(&link, open)], OnBlock::Unschedule, true), Alert);
        assert_eq!(act(&[(&low, open)], OnBlock::Unschedule, true), Nothing);
        let overridden = ReviewState::Overridden;
        assert_eq!(
            act(&[(&closed, overridden)], OnBlock::Unschedule, true),
            Nothing
        );
        let acknowledged = ReviewState::Acknowledged;
        assert_eq!(
            act(&[(&closed, acknowledged)], OnBlock::Unschedule, true),
            Alert
        );
        assert_eq!(act(&[], OnBlock::Unschedule, true), Nothing);
        let mut exempted = closed.clone();
        exempted.exemption = Some(crate::domain::exemption::FindingExemption {
            id: "x".into(),
            category: crate::domain::exemption::ExemptionCategory::Waiver,
            expires_at: chrono::Utc::now(),
        });
        assert_eq!(
            act(&[(&exempted, open)], OnBlock::Unschedule, true),
            Nothing
        );
        assert_eq!(
            act(
                &[(&exempted, open), (&closed, open)],
                OnBlock::Unschedule,
                true
            ),
            Unschedule
        );
    }
}
