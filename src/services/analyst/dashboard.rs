//! The state of the fleet, as the first analyst page shows it: open findings by severity and by
//! rule, the branches with the most open findings, checks and blocks per day, what the watch
//! took off a schedule or found blocking, exemptions ending soon — each panel one query, run
//! together.
use super::Analysts;
use crate::domain::{Rule, Severity};
use crate::services::ServiceError;
use crate::store::{DayCount, LocationCount};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Days the checks-per-day panel covers, today included.
pub const DASHBOARD_DAYS: i64 = 30;
/// Branches the busiest-branches panel lists.
pub const TOP_LOCATIONS: u32 = 10;
/// Exemptions ending within this many days count as ending soon.
pub const ENDING_SOON_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// Block first, then flag; both always present.
    pub open_by_severity: Vec<(Severity, u64)>,
    /// Most first; rules with none left out.
    pub open_by_rule: Vec<(Rule, u64)>,
    pub top_locations: Vec<LocationCount>,
    /// One entry a UTC day, oldest first, `DASHBOARD_DAYS` of them (days without checks at 0).
    pub days: Vec<DayCount>,
    pub unscheduled: u64,
    pub scheduled_blocking: u64,
    pub exemptions_ending: u64,
}

impl Dashboard {
    pub fn open_total(&self) -> u64 {
        self.open_by_severity.iter().map(|(_, n)| n).sum()
    }
}

/// `DASHBOARD_DAYS` days ending with `today`, each with what `counted` has for it.
fn every_day(today: NaiveDate, counted: &[DayCount]) -> Vec<DayCount> {
    (0..DASHBOARD_DAYS)
        .rev()
        .map(|back| {
            let day = today - Duration::days(back);
            counted
                .iter()
                .find(|d| d.day == day)
                .copied()
                .unwrap_or(DayCount {
                    day,
                    checks: 0,
                    blocks: 0,
                })
        })
        .collect()
}

impl Analysts {
    pub async fn dashboard(&self, now: DateTime<Utc>) -> Result<Dashboard, ServiceError> {
        let today = now.date_naive();
        let first_day = (today - Duration::days(DASHBOARD_DAYS - 1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let s = &self.store;
        let (severity, by_rule, top, days, unscheduled, scheduled_blocking, ending) = tokio::try_join!(
            s.reviews.open_findings(),
            s.dashboard.open_by_rule(),
            s.dashboard.top_open_locations(TOP_LOCATIONS),
            s.dashboard.checks_per_day(first_day),
            s.dashboard.unscheduled_campaigns(),
            s.dashboard.scheduled_blocking(),
            s.dashboard
                .exemptions_ending(now, now + Duration::days(ENDING_SOON_DAYS)),
        )?;
        Ok(Dashboard {
            open_by_severity: [Severity::Block, Severity::Flag]
                .into_iter()
                .map(|sev| (sev, severity.get(&sev).copied().unwrap_or(0)))
                .collect(),
            open_by_rule: by_rule,
            top_locations: top,
            days: every_day(today, &days),
            unscheduled,
            scheduled_blocking,
            exemptions_ending: ending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_fills_the_days_without_checks() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let counted = [
            DayCount {
                day: today,
                checks: 4,
                blocks: 1,
            },
            DayCount {
                day: today - Duration::days(29),
                checks: 2,
                blocks: 0,
            },
        ];
        let days = every_day(today, &counted);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0], counted[1]);
        assert_eq!(days[29], counted[0]);
        assert_eq!(days[1].checks + days[28].checks, 0);
        assert_eq!(days[1].day, today - Duration::days(28));
    }
}
