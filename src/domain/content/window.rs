//! The windows of the content's promises: the campaign's (assumed when it gives none) and a
//! group's own.
use crate::domain::campaign::{CampaignInput, WindowTime};
use crate::domain::validation::FieldError;
use chrono::{DateTime, Utc};

impl CampaignInput {
    /// The window of the content's promises: as given (both ends, forwards), or — with content
    /// and none given — the send day local to each location (assumed).
    pub(in crate::domain) fn content_window(
        &self,
        base: &str,
        now: DateTime<Utc>,
        errors: &mut Vec<FieldError>,
    ) -> Option<(WindowTime, WindowTime, bool)> {
        match (self.valid_from, self.valid_until) {
            (Some(from), Some(until)) => match WindowTime::window(from, until) {
                Ok(_) => Some((from, until, false)),
                Err(why) => {
                    errors.push(FieldError::new(format!("{base}/valid_until"), why));
                    None
                }
            },
            (None, None) if self.content.is_some() => {
                let day = self.send_at.unwrap_or(now).date_naive();
                if !(1000..=9999).contains(&chrono::Datelike::year(&day)) {
                    errors.push(FieldError::new(
                        format!("{base}/send_at"),
                        "must be in the years 1000 to 9999",
                    ));
                    return None;
                }
                let from = day.and_time(chrono::NaiveTime::MIN);
                Some((
                    WindowTime::Local(from),
                    WindowTime::Local(from + chrono::Duration::days(1)),
                    true,
                ))
            }
            (None, None) => None,
            (Some(_), None) => {
                errors.push(FieldError::new(
                    format!("{base}/valid_until"),
                    "valid_from needs valid_until",
                ));
                None
            }
            (None, Some(_)) => {
                errors.push(FieldError::new(
                    format!("{base}/valid_from"),
                    "valid_until needs valid_from",
                ));
                None
            }
        }
    }
}

/// The window a `data-promise-offer` element gives (`data-promise-valid-from` / `-until`, both
/// or neither), or why it gives none that can be used.
pub(super) fn group_window(
    id: &str,
    from: Option<&str>,
    until: Option<&str>,
) -> Result<Option<(WindowTime, WindowTime)>, String> {
    let time = |name: &str, value: &str| {
        let value = value.trim();
        value
            .parse::<WindowTime>()
            .map_err(|e| format!("data-promise-offer=\"{id}\": {name}={value:?}: {e}"))
    };
    match (from, until) {
        (None, None) => Ok(None),
        (Some(from), Some(until)) => {
            let from = time("data-promise-valid-from", from)?;
            let until = time("data-promise-valid-until", until)?;
            WindowTime::window(from, until)
                .map(|_| Some((from, until)))
                .map_err(|why| {
                    format!("data-promise-offer=\"{id}\": data-promise-valid-until {why}")
                })
        }
        _ => Err(format!(
            "data-promise-offer=\"{id}\": give both data-promise-valid-from and \
             data-promise-valid-until, or neither"
        )),
    }
}
