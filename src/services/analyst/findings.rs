//! Findings in bulk: the query the export (`GET /v1/findings`) and the findings page share, the
//! export read a page at a time (constant memory however many rows), and a page of the list
//! with the count of everything that matches.
use super::Analysts;
use super::list::{DATE, decode_cursor, encode_cursor, parse_date, read_params};
use crate::domain::{FieldError, Rule};
use crate::services::ServiceError;
use crate::store::{
    ExportedFinding, FindingCursor, FindingExportStore, FindingQuery, ReviewFilter,
};
use std::sync::Arc;

/// Rows read per page of an export: one short read each.
pub const EXPORT_PAGE: u32 = 1000;
/// Rows the findings page shows at once.
pub const LIST_PAGE: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object a line.
    Jsonl,
    /// RFC 4180 with a header row.
    Csv,
}

/// A findings query as asked: which findings, in which format, from where on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingsRequest {
    pub query: FindingQuery,
    pub format: Option<ExportFormat>,
    /// The findings page's place (`cursor`): after this finding.
    pub after: Option<FindingCursor>,
}

/// The parameters every findings query takes; the page adds `cursor`.
const PARAMETERS: &str = "format, from, to, rule, severity, review, campaign_id, location, history";

/// Parses `format` (jsonl|csv), `from` and `to` (the check time: a date or an RFC 3339 time),
/// `rule`, `severity`, `review` (open|reviewed), `campaign_id`, `location`, `history`
/// (true|false) and, where `cursor` is allowed (the page), `cursor`. Empty values count as
/// absent; every malformed parameter is reported.
pub fn parse_findings_query(query: &str, cursor: bool) -> Result<FindingsRequest, Vec<FieldError>> {
    let mut request = FindingsRequest::default();
    let r = &mut request;
    let mut errors = read_params(query, |name, value| {
        let q = &mut r.query;
        match name {
            "format" => {
                r.format = Some(match value {
                    "jsonl" => ExportFormat::Jsonl,
                    "csv" => ExportFormat::Csv,
                    _ => return Err("must be jsonl or csv".into()),
                });
            }
            "from" | "to" => {
                let t = parse_date(value).ok_or(DATE)?;
                *(if name == "from" {
                    &mut q.from
                } else {
                    &mut q.to
                }) = Some(t);
            }
            "rule" => {
                q.rule = Some(value.parse().map_err(|_| {
                    format!("must be one of {}", Rule::ALL.map(Rule::as_str).join(", "))
                })?);
            }
            "severity" => q.severity = Some(value.parse().or(Err("must be flag or block"))?),
            "review" => {
                q.review = Some(match value {
                    "open" => ReviewFilter::Open,
                    "reviewed" => ReviewFilter::Reviewed,
                    _ => return Err("must be open or reviewed".into()),
                });
            }
            "campaign_id" => q.campaign_id = Some(value.to_owned()),
            "location" => q.location = Some(value.to_owned()),
            "history" => q.history = value.parse().or(Err("must be true or false"))?,
            "cursor" if cursor => {
                let (checked_at, finding_id) =
                    decode_cursor(value).ok_or("is not a cursor this page gave out")?;
                r.after = Some(FindingCursor {
                    checked_at,
                    finding_id,
                });
            }
            _ if cursor => {
                return Err(format!(
                    "unknown parameter: expected {PARAMETERS} or cursor"
                ));
            }
            _ => return Err(format!("unknown parameter: expected {PARAMETERS}")),
        }
        Ok(())
    });
    if let (Some(from), Some(to)) = (request.query.from, request.query.to)
        && to <= from
    {
        errors.push(FieldError::new("/to", "must be after `from`"));
    }
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(errors)
    }
}

/// The findings page's cursor for the row after `last`.
pub fn findings_cursor(last: &ExportedFinding) -> String {
    encode_cursor(last.checked_at, &last.finding_id)
}

/// An export being read: each `next` is one page, read when asked for (so a slow reader
/// holds at most one page in memory, and nothing open in the database between pages).
pub struct FindingPages {
    store: Arc<dyn FindingExportStore>,
    query: FindingQuery,
    after: Option<FindingCursor>,
    done: bool,
}

impl FindingPages {
    /// The next page, `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Vec<ExportedFinding>>, ServiceError> {
        if self.done {
            return Ok(None);
        }
        let rows = self
            .store
            .findings_page(&self.query, self.after.as_ref(), EXPORT_PAGE)
            .await?;
        self.done = rows.len() < EXPORT_PAGE as usize;
        match rows.last() {
            Some(last) => {
                self.after = Some(last.cursor());
                Ok(Some(rows))
            }
            None => Ok(None),
        }
    }
}

/// A page of the findings list, with how many match in all.
#[derive(Debug)]
pub struct FindingList {
    pub total: u64,
    pub rows: Vec<ExportedFinding>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

impl Analysts {
    /// Every finding `query` matches, page by page in the export's order.
    pub fn export_findings(&self, query: FindingQuery) -> FindingPages {
        FindingPages {
            store: self.store.export.clone(),
            query,
            after: None,
            done: false,
        }
    }

    /// How many findings match, and a page of them after `after`.
    pub async fn findings_list(
        &self,
        query: &FindingQuery,
        after: Option<&FindingCursor>,
    ) -> Result<FindingList, ServiceError> {
        let total = self.store.export.count_findings(query).await?;
        let mut rows = self
            .store
            .export
            .findings_page(query, after, LIST_PAGE + 1)
            .await?;
        let more = rows.len() > LIST_PAGE as usize;
        rows.truncate(LIST_PAGE as usize);
        let next_cursor = rows.last().filter(|_| more).map(findings_cursor);
        Ok(FindingList {
            total,
            rows,
            next_cursor,
        })
    }
}
