//! Who clicked and did not convert. A click converts if a conversion by the same recipient
//! follows within the attribution window (inclusive). A conversion without a campaign belongs
//! to the recipient's most recent click before it, if that click is within the window. A
//! recipient becomes eligible for a campaign's survey once the window after their last click on
//! it has closed with no conversion after any of their clicks on it.
use super::judgement::Judgement;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    Click {
        campaign: String,
        at: DateTime<Utc>,
        /// The language the click's event named, if any.
        locale: Option<String>,
        /// The recipient's own zone, as the click's event gave it (Braze's `user.timezone`).
        zone: Option<String>,
        /// What the click reached for and how it was judged (`domain::judgement`).
        promise: ClickedPromise,
    },
    Conversion {
        campaign: Option<String>,
        at: DateTime<Utc>,
    },
}

impl Touch {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Touch::Click { at, .. } | Touch::Conversion { at, .. } => *at,
        }
    }
}

/// What `latest_click` shows `pick` of one click.
struct ClickFacts<'a> {
    locale: Option<&'a str>,
    zone: Option<&'a str>,
    promise: &'a ClickedPromise,
}

/// What `pick` finds in a recipient's latest click on `campaign` in which it finds anything.
fn latest_click<'a>(
    touches: &'a [Touch],
    campaign: &str,
    pick: impl Fn(ClickFacts<'a>) -> Option<&'a str>,
) -> Option<&'a str> {
    touches
        .iter()
        .filter_map(|t| match t {
            Touch::Click {
                campaign: c,
                at,
                locale,
                zone,
                promise,
            } if c == campaign => pick(ClickFacts {
                locale: locale.as_deref(),
                zone: zone.as_deref(),
                promise,
            })
            .map(|found| (*at, found)),
            _ => None,
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, found)| found)
}

/// The branch a recipient's latest click on `campaign` that named one reached for.
pub fn click_location<'a>(touches: &'a [Touch], campaign: &str) -> Option<&'a str> {
    latest_click(touches, campaign, |click| {
        click.promise.location.as_deref().filter(|l| *l != "online")
    })
}

/// The zone the recipient's latest click on `campaign` that gave one said they are in.
pub fn click_zone<'a>(touches: &'a [Touch], campaign: &str) -> Option<&'a str> {
    latest_click(touches, campaign, |click| click.zone)
}

/// The language of a recipient's latest click on `campaign` that named one.
pub fn click_locale<'a>(touches: &'a [Touch], campaign: &str) -> Option<&'a str> {
    latest_click(touches, campaign, |click| click.locale)
}

/// The location (and sku) a click named, and its judgement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClickedPromise {
    pub location: Option<String>,
    pub sku: Option<String>,
    pub judgement: Option<Judgement>,
}

/// A clicker's clicks on one branch or one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseClicks {
    pub clicks: u64,
    pub broken_clicks: u64,
    pub first_click_at: DateTime<Utc>,
}

/// One (campaign, recipient) once the window after their last click closed: what their clicks
/// met, and whether they converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub campaign: String,
    pub first_click_at: DateTime<Utc>,
    pub last_click_at: DateTime<Utc>,
    pub clicks: u64,
    pub broken_clicks: u64,
    pub kept_clicks: u64,
    /// Their clicks taken together (`Judgement::of_person`).
    pub judgement: Judgement,
    pub converted: bool,
    /// Per location every click naming it (item links too), per sku every item click.
    pub locations: BTreeMap<String, PromiseClicks>,
    pub items: BTreeMap<String, PromiseClicks>,
}

/// Each campaign one recipient clicked, with its click times and whether a conversion was
/// attributed to it (within the window after one of its clicks).
fn attributed(touches: &[Touch], window: Duration) -> BTreeMap<&str, (Vec<DateTime<Utc>>, bool)> {
    let mut touches: Vec<&Touch> = touches.iter().collect();
    touches.sort_by_key(|t| t.at());
    let mut clicks: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut last_click: Option<(&str, DateTime<Utc>)> = None;
    let mut conversions: Vec<(&str, DateTime<Utc>)> = Vec::new();
    for t in &touches {
        match t {
            Touch::Click { campaign, at, .. } => {
                clicks.entry(campaign.as_str()).or_default().push(*at);
                last_click = Some((campaign.as_str(), *at));
            }
            Touch::Conversion {
                campaign: Some(c),
                at,
            } => conversions.push((c.as_str(), *at)),
            Touch::Conversion { campaign: None, at } => {
                if let Some((c, click_at)) = last_click
                    && *at - click_at <= window
                {
                    conversions.push((c, *at));
                }
            }
        }
    }
    clicks
        .into_iter()
        .map(|(campaign, times)| {
            let converted = conversions.iter().any(|(c, conv)| {
                *c == campaign
                    && times
                        .iter()
                        .any(|click| *conv >= *click && *conv - *click <= window)
            });
            (campaign, (times, converted))
        })
        .collect()
}

/// Campaigns (sorted) whose survey one recipient is eligible for, from all their clicks and
/// conversions.
pub fn eligible_campaigns(touches: &[Touch], window: Duration, now: DateTime<Utc>) -> Vec<String> {
    attributed(touches, window)
        .into_iter()
        .filter(|(_, (times, converted))| {
            let last = times.iter().max().copied().unwrap_or_default();
            !converted && now > last + window
        })
        .map(|(c, _)| c.to_owned())
        .collect()
}

/// What one recipient's clicks on `campaign` met, taken together (`Judgement::of_person`).
pub fn person_judgement(touches: &[Touch], campaign: &str) -> Judgement {
    Judgement::of_person(touches.iter().filter_map(|t| match t {
        Touch::Click {
            campaign: c,
            promise,
            ..
        } if c == campaign => Some(promise.judgement.unwrap_or(Judgement::Unknown)),
        _ => None,
    }))
}

/// What one recipient's clicks on `campaign` met and whether they converted, once the window
/// after their last click on it has closed at `now`; none before (or with no click on it).
pub fn decide(
    touches: &[Touch],
    campaign: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Option<Decided> {
    let converted = attributed(touches, window).get(campaign)?.1;
    let clicks: Vec<(DateTime<Utc>, &ClickedPromise)> = touches
        .iter()
        .filter_map(|t| match t {
            Touch::Click {
                campaign: c,
                at,
                promise,
                ..
            } if c == campaign => Some((*at, promise)),
            _ => None,
        })
        .collect();
    let first_click_at = clicks.iter().map(|(at, _)| *at).min()?;
    let last_click_at = clicks.iter().map(|(at, _)| *at).max()?;
    if now <= last_click_at + window {
        return None;
    }
    let judged = |p: &ClickedPromise| p.judgement.unwrap_or(Judgement::Unknown);
    let count = |j: Judgement| clicks.iter().filter(|(_, p)| judged(p) == j).count() as u64;
    let mut decided = Decided {
        campaign: campaign.to_owned(),
        first_click_at,
        last_click_at,
        clicks: clicks.len() as u64,
        broken_clicks: count(Judgement::Broken),
        kept_clicks: count(Judgement::Kept),
        judgement: Judgement::of_person(clicks.iter().map(|(_, p)| judged(p))),
        converted,
        locations: BTreeMap::new(),
        items: BTreeMap::new(),
    };
    for (at, p) in &clicks {
        let broken = u64::from(judged(p) == Judgement::Broken);
        let named = [
            (&mut decided.locations, &p.location),
            (&mut decided.items, &p.sku),
        ];
        for (per, target) in named {
            if let Some(target) = target {
                let entry = per.entry(target.clone()).or_insert(PromiseClicks {
                    clicks: 0,
                    broken_clicks: 0,
                    first_click_at: *at,
                });
                entry.clicks += 1;
                entry.broken_clicks += broken;
                entry.first_click_at = entry.first_click_at.min(*at);
            }
        }
    }
    Some(decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        "2026-11-20T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
    }
    fn click(c: &str, h: i64) -> Touch {
        Touch::Click {
            campaign: c.into(),
            at: t(h),
            locale: None,
            zone: None,
            promise: ClickedPromise::default(),
        }
    }
    fn conv(c: Option<&str>, h: i64) -> Touch {
        Touch::Conversion {
            campaign: c.map(Into::into),
            at: t(h),
        }
    }
    const W: Duration = Duration::hours(72);

    #[test]
    fn a_click_with_no_conversion_is_eligible_once_the_window_closes() {
        let touches = [click("c", 0)];
        assert!(
            eligible_campaigns(&touches, W, t(72)).is_empty(),
            "window still open at its last instant"
        );
        assert_eq!(eligible_campaigns(&touches, W, t(73)), vec!["c"]);
    }

    #[test]
    fn the_window_runs_from_the_last_click() {
        let touches = [click("c", 0), click("c", 48)];
        assert!(eligible_campaigns(&touches, W, t(100)).is_empty());
        assert_eq!(eligible_campaigns(&touches, W, t(121)), vec!["c"]);
    }

    #[test]
    fn a_conversion_just_inside_the_window_converts_and_just_outside_does_not() {
        assert!(eligible_campaigns(&[click("c", 0), conv(Some("c"), 72)], W, t(200)).is_empty());
        assert_eq!(
            eligible_campaigns(&[click("c", 0), conv(Some("c"), 73)], W, t(200)),
            vec!["c"]
        );
    }

    #[test]
    fn a_conversion_after_any_click_counts() {
        // Converted 10 h after the first click; clicked again later and did not convert again.
        assert!(
            eligible_campaigns(
                &[click("c", 0), conv(Some("c"), 10), click("c", 20)],
                W,
                t(200)
            )
            .is_empty()
        );
    }

    #[test]
    fn a_conversion_without_campaign_goes_to_the_most_recent_click() {
        let touches = [click("a", 0), click("b", 5), conv(None, 6)];
        assert_eq!(
            eligible_campaigns(&touches, W, t(200)),
            vec!["a"],
            "b converted"
        );
        // Too long after the last click: attributed to nobody.
        let touches = [click("a", 0), conv(None, 80)];
        assert_eq!(eligible_campaigns(&touches, W, t(200)), vec!["a"]);
    }

    #[test]
    fn a_conversion_before_the_click_does_not_count() {
        assert_eq!(
            eligible_campaigns(&[conv(Some("c"), 0), click("c", 1)], W, t(200)),
            vec!["c"]
        );
    }
}
