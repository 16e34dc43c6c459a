//! Who clicked and did not convert. A click converts if a conversion by the same recipient
//! follows within the attribution window (inclusive). A conversion without a campaign belongs
//! to the recipient's most recent click before it, if that click is within the window. A
//! recipient becomes eligible for a campaign's survey once the window after their last click on
//! it has closed with no conversion after any of their clicks on it.
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    Click {
        campaign: String,
        at: DateTime<Utc>,
        /// The language the click's event named, if any.
        locale: Option<String>,
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

/// The language of a recipient's latest click on `campaign` that named one.
pub fn click_locale<'a>(touches: &'a [Touch], campaign: &str) -> Option<&'a str> {
    touches
        .iter()
        .filter_map(|t| match t {
            Touch::Click {
                campaign: c,
                at,
                locale: Some(l),
            } if c == campaign => Some((*at, l.as_str())),
            _ => None,
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, l)| l)
}

/// Campaigns (sorted) whose survey one recipient is eligible for, from all their clicks and
/// conversions.
pub fn eligible_campaigns(touches: &[Touch], window: Duration, now: DateTime<Utc>) -> Vec<String> {
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
        .filter(|(campaign, times)| {
            let converted = conversions.iter().any(|(c, conv)| {
                c == campaign
                    && times
                        .iter()
                        .any(|click| *conv >= *click && *conv - *click <= window)
            });
            let last = times.iter().max().copied().unwrap_or_default();
            !converted && now > last + window
        })
        .map(|(c, _)| c.to_owned())
        .collect()
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
