//! `GET /v1/findings?format=jsonl|csv`: every finding a filter matches, streamed a page at a
//! time — each page one short read, written out before the next is read — so memory stays flat
//! however many rows there are. Ordered by check time, then finding id.
use super::AppState;
use super::csv::{Cell, Csv};
use super::error::ApiError;
use crate::domain::Analyst;
use crate::domain::exemption::FindingExemption;
use crate::services::analyst::{ExportFormat, FindingPages, parse_findings_query};
use crate::store::{ExportedFinding, FindingQuery};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One line of the JSONL export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingLine {
    pub finding_id: String,
    pub campaign_id: String,
    pub campaign_name: Option<String>,
    pub offer_id: String,
    #[schema(example = "location_closed")]
    pub rule: &'static str,
    #[schema(example = "block")]
    pub severity: &'static str,
    pub location_id: Option<String>,
    /// As the location source named it when the finding's check ran.
    pub location_name: Option<String>,
    pub sku: Option<String>,
    /// The email's link the finding came from, for a `link_broken` finding.
    pub link: Option<String>,
    pub message: String,
    pub check_id: String,
    #[schema(example = "live")]
    pub phase: &'static str,
    pub checked_at: DateTime<Utc>,
    #[schema(example = "open")]
    pub review_state: &'static str,
    /// The latest review of this finding in its campaign.
    pub last_review: Option<LastReviewLine>,
    /// The exemption the finding was under when its check ran.
    pub exemption: Option<FindingExemption>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LastReviewLine {
    #[schema(example = "acknowledge")]
    pub action: &'static str,
    pub reviewer: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<ExportedFinding> for FindingLine {
    fn from(f: ExportedFinding) -> Self {
        Self {
            finding_id: f.finding_id,
            campaign_id: f.campaign_id,
            campaign_name: f.campaign_name,
            offer_id: f.offer_id,
            rule: f.rule.as_str(),
            severity: f.severity.as_str(),
            location_id: f.location_id,
            location_name: f.location_name,
            sku: f.sku,
            link: f.link,
            message: f.message,
            check_id: f.check_id,
            phase: f.phase.as_str(),
            checked_at: f.checked_at,
            review_state: f.review_state.as_str(),
            last_review: f.last_review.map(|r| LastReviewLine {
                action: r.action.as_str(),
                reviewer: r.reviewer,
                note: r.note,
                at: r.at,
            }),
            exemption: f.exemption,
        }
    }
}

/// The CSV's columns, in order.
pub const CSV_COLUMNS: [&str; 22] = [
    "finding_id",
    "campaign_id",
    "campaign_name",
    "offer_id",
    "rule",
    "severity",
    "location_id",
    "location_name",
    "sku",
    "link",
    "message",
    "check_id",
    "phase",
    "checked_at",
    "review_state",
    "last_review_action",
    "last_review_by",
    "last_review_at",
    "last_review_note",
    "exemption_id",
    "exemption_category",
    "exemption_expires_at",
];

fn time(t: DateTime<Utc>) -> Cell<'static> {
    Cell::Value(Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
}

fn text(t: &Option<String>) -> Cell<'_> {
    t.as_deref().map_or(Cell::Value(None), Cell::Text)
}

fn word(w: &'static str) -> Cell<'static> {
    Cell::Value(Some(w.to_owned()))
}

fn csv_row(csv: &mut Csv, f: &ExportedFinding) {
    let review = f.last_review.as_ref();
    let exemption = f.exemption.as_ref();
    csv.row([
        Cell::Text(&f.finding_id),
        Cell::Text(&f.campaign_id),
        text(&f.campaign_name),
        Cell::Text(&f.offer_id),
        word(f.rule.as_str()),
        word(f.severity.as_str()),
        text(&f.location_id),
        text(&f.location_name),
        text(&f.sku),
        text(&f.link),
        Cell::Text(&f.message),
        Cell::Text(&f.check_id),
        word(f.phase.as_str()),
        time(f.checked_at),
        word(f.review_state.as_str()),
        review.map_or(Cell::Value(None), |r| word(r.action.as_str())),
        review.map_or(Cell::Value(None), |r| Cell::Text(&r.reviewer)),
        review.map_or(Cell::Value(None), |r| time(r.at)),
        review.map_or(Cell::Value(None), |r| text(&r.note)),
        exemption.map_or(Cell::Value(None), |e| Cell::Text(&e.id)),
        exemption.map_or(Cell::Value(None), |e| word(e.category.as_str())),
        exemption.map_or(Cell::Value(None), |e| time(e.expires_at)),
    ]);
}

/// One page written out: CSV rows (after the header on the first page) or JSON lines.
fn chunk(format: ExportFormat, rows: Vec<ExportedFinding>, first: bool) -> Bytes {
    match format {
        ExportFormat::Csv => {
            let mut csv = if first {
                Csv::with_header(&CSV_COLUMNS)
            } else {
                Csv::default()
            };
            for f in &rows {
                csv_row(&mut csv, f);
            }
            Bytes::from(csv.finish())
        }
        ExportFormat::Jsonl => {
            let mut out = Vec::with_capacity(rows.len() * 512);
            for f in rows {
                // A line of plain strings, numbers and times always serializes.
                if serde_json::to_writer(&mut out, &FindingLine::from(f)).is_ok() {
                    out.push(b'\n');
                }
            }
            Bytes::from(out)
        }
    }
}

/// What the stream carries between pages.
struct Streaming {
    pages: FindingPages,
    format: ExportFormat,
    /// The first page, read before the answer began (so a failing database is an error
    /// answer, not a cut stream).
    first: Option<Vec<ExportedFinding>>,
    started: bool,
}

async fn next_chunk(mut s: Streaming) -> Result<Option<(Bytes, Streaming)>, ApiError> {
    let first = !s.started;
    s.started = true;
    let rows = match s.first.take() {
        Some(rows) => Some(rows),
        None => s.pages.next().await.inspect_err(|e| {
            tracing::error!(error = %e, "the findings export stopped part way: the answer is cut short");
        })?,
    };
    Ok(match rows {
        Some(rows) => Some((chunk(s.format, rows, first), s)),
        // An empty CSV export is still its header.
        None if first && s.format == ExportFormat::Csv => {
            Some((chunk(s.format, Vec::new(), true), s))
        }
        None => None,
    })
}

/// Every finding of the campaigns' latest checks (or of every check, `history=true`) that the
/// filters match, as JSON lines or CSV, streamed. Ordered by check time, then finding id; CSV
/// cells beginning with `=`, `+`, `-` or `@` start with `'`. Any analyst.
#[utoipa::path(
    get,
    path = "/v1/findings",
    params(
        ("format" = Option<String>, Query, description = "`jsonl` (default: one `FindingLine` object a line) or `csv` (RFC 4180, a header row, the same fields flattened)"),
        ("from" = Option<String>, Query, description = "Findings of checks run at or after (a date or an RFC 3339 time)"),
        ("to" = Option<String>, Query, description = "… and before"),
        ("rule" = Option<String>, Query, description = "One rule, e.g. `location_closed`"),
        ("severity" = Option<String>, Query, description = "`flag` or `block`"),
        ("review" = Option<String>, Query, description = "`open` (reviewed by nobody, under no exemption) or `reviewed`"),
        ("campaign_id" = Option<String>, Query, description = "One campaign"),
        ("location" = Option<String>, Query, description = "Findings about one location (or an item at it)"),
        ("history" = Option<bool>, Query, description = "`true`: the findings of every check, not only of each campaign's latest"),
    ),
    responses(
        (status = 200, description = "The findings, streamed", body = FindingLine, content_type = "application/x-ndjson"),
        (status = 400, description = "Malformed parameters (each at its pointer)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn export(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let request = parse_findings_query(req.query_string(), false).map_err(ApiError::BadParams)?;
    stream_findings(&state, request.query, request.format).await
}

/// The export's answer, streamed (the API's and the pages' download); JSON lines unless
/// `format` says CSV.
pub async fn stream_findings(
    state: &AppState,
    query: FindingQuery,
    format: Option<ExportFormat>,
) -> Result<HttpResponse, ApiError> {
    let format = format.unwrap_or(ExportFormat::Jsonl);
    let mut pages = state.analysts.export_findings(query);
    let first = pages.next().await?;
    let streaming = Streaming {
        pages,
        format,
        first,
        started: false,
    };
    let body = futures::stream::try_unfold(streaming, next_chunk);
    let mut answer = HttpResponse::Ok();
    match format {
        ExportFormat::Jsonl => answer.content_type("application/x-ndjson; charset=utf-8"),
        ExportFormat::Csv => answer
            .content_type("text/csv; charset=utf-8; header=present")
            .insert_header((
                "Content-Disposition",
                "attachment; filename=\"promiseguard-findings.csv\"",
            )),
    };
    Ok(answer.streaming(body))
}
