//! The campaign list: its query (`verdict`, `review`, `phase`, `action`, `from`, `to`, `cursor`,
//! `limit`, as the API and the pages' filter form send it) and its pages, newest first.
use super::Analysts;
use crate::domain::{FieldError, Phase, Verdict};
use crate::services::ServiceError;
use crate::store::{CampaignFilter, CampaignSummary, ReviewFilter};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// Campaigns per page unless `limit` says otherwise, and the most `limit` may ask for.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// Parses the list's query: `verdict`, `review` (open|reviewed), `phase`, `action` (the watch's
/// last action: unscheduled|alerted|failed|pending), `from`, `to`
/// (RFC 3339 or YYYY-MM-DD: the offer window overlaps them), `cursor`, `limit`. Empty values
/// count as absent (a form's "any"). Every malformed parameter is reported.
pub fn parse_list_query(query: &str) -> Result<CampaignFilter, Vec<FieldError>> {
    let mut filter = CampaignFilter {
        limit: DEFAULT_PAGE,
        ..CampaignFilter::default()
    };
    let errors = read_params(query, |name, value| {
        match name {
            "verdict" => {
                filter.verdict = Some(value.parse().or(Err("must be pass, flag or block"))?)
            }
            "review" => {
                filter.review = Some(match value {
                    "open" => ReviewFilter::Open,
                    "reviewed" => ReviewFilter::Reviewed,
                    _ => return Err("must be open or reviewed".into()),
                })
            }
            "phase" => {
                filter.phase = Some(
                    value
                        .parse()
                        .or(Err("must be pre_send, live, manual or scheduled"))?,
                );
            }
            "action" => match value {
                "unscheduled" | "alerted" | "failed" | "pending" => {
                    filter.last_action = Some(value.to_owned());
                }
                _ => return Err("must be unscheduled, alerted, failed or pending".into()),
            },
            "from" | "to" => {
                let t = parse_date(value).ok_or(DATE)?;
                *(if name == "from" {
                    &mut filter.from
                } else {
                    &mut filter.to
                }) = Some(t);
            }
            "cursor" => {
                filter.after =
                    Some(decode_cursor(value).ok_or("is not a cursor this API gave out")?)
            }
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => filter.limit = n,
                _ => return Err("must be a whole number from 1 to 200".into()),
            },
            _ => {
                return Err(
                    "unknown parameter: expected verdict, review, phase, action, from, to, cursor or limit"
                        .into(),
                );
            }
        }
        Ok(())
    });
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

/// What a bad `from` or `to` is told.
pub(super) const DATE: &str = "must be a date (2026-11-24) or an RFC 3339 time";

/// Reads a query's parameters in order — an empty value counts as absent (a form's "any") —
/// giving `read` each name and trimmed value; every complaint it makes, at `/{name}`.
pub(super) fn read_params(
    query: &str,
    mut read: impl FnMut(&str, &str) -> Result<(), String>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if let Err(detail) = read(&name, value) {
            errors.push(FieldError::new(format!("/{name}"), detail));
        }
    }
    errors
}

pub(super) fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

pub fn encode_cursor(created_at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\n{id}", created_at.timestamp_millis()))
}

pub(super) fn decode_cursor(value: &str) -> Option<(DateTime<Utc>, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(value).ok()?).ok()?;
    let (ms, id) = raw.split_once('\n')?;
    Some((
        DateTime::from_timestamp_millis(ms.parse().ok()?)?,
        id.to_owned(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LatestCheck {
    pub check_id: String,
    #[schema(value_type = String, example = "live")]
    pub phase: Phase,
    #[schema(value_type = String, example = "block")]
    pub verdict: Verdict,
    pub checked_at: DateTime<Utc>,
    /// The send time it judged: for a `scheduled` check, when the platform will send.
    pub send_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignListItem {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    /// The earliest start and latest end of the offers' windows.
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Null for a campaign known only from engagement events.
    pub latest_check: Option<LatestCheck>,
    /// Findings of the latest check, and how many nobody has reviewed yet.
    pub findings: u64,
    pub open_findings: u64,
    /// What the watch did about it last, where it is scheduled (`unscheduled`, `alerted`,
    /// `failed`, `pending`); absent when nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_action: Option<String>,
}

impl From<CampaignSummary> for CampaignListItem {
    fn from(c: CampaignSummary) -> Self {
        let latest_check = match (c.latest_check_id, c.latest_verdict, c.latest_phase) {
            (Some(check_id), Some(verdict), Some(phase)) => Some(LatestCheck {
                check_id,
                phase,
                verdict,
                checked_at: c.latest_checked_at.unwrap_or(c.created_at),
                send_at: c.latest_send_at.unwrap_or(c.created_at),
            }),
            _ => None,
        };
        Self {
            id: c.id,
            name: c.name,
            platform: c.platform,
            valid_from: c.window_start,
            valid_until: c.window_end,
            created_at: c.created_at,
            latest_check,
            findings: c.findings,
            open_findings: c.open_findings,
            last_action: c.last_action,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignPage {
    pub campaigns: Vec<CampaignListItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl Analysts {
    /// One page of the campaign list for `filter`, newest first.
    pub async fn list(&self, filter: &CampaignFilter) -> Result<CampaignPage, ServiceError> {
        let mut wanted = filter.clone();
        wanted.limit = filter.limit + 1;
        let mut rows = self.store.reviews.list_campaigns(&wanted).await?;
        let more = rows.len() > filter.limit as usize;
        rows.truncate(filter.limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|c| encode_cursor(c.created_at, &c.id)))
            .flatten();
        Ok(CampaignPage {
            campaigns: rows.into_iter().map(CampaignListItem::from).collect(),
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_parse_and_name_every_bad_parameter() {
        let f = parse_list_query("verdict=block&review=open&phase=live&from=2026-11-01&limit=10")
            .unwrap();
        assert_eq!(f.verdict, Some(Verdict::Block));
        assert_eq!(f.review, Some(ReviewFilter::Open));
        assert_eq!(f.phase, Some(Phase::Live));
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(f.limit, 10);
        // Empty values are "any" (a filter form's default).
        assert_eq!(parse_list_query("verdict=&review=").unwrap().verdict, None);
        let errors =
            parse_list_query("verdict=red&limit=0&to=soon&cursor=zz&colour=1").unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/verdict", "/limit", "/to", "/cursor", "/colour"]
        );
    }

    #[test]
    fn cursors_round_trip() {
        let t = DateTime::from_timestamp_millis(1_790_000_000_123).unwrap();
        let c = encode_cursor(t, "camp/1 é");
        let f = parse_list_query(&format!("cursor={c}")).unwrap();
        assert_eq!(f.after, Some((t, "camp/1 é".to_owned())));
    }
}
