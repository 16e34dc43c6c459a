//! The promise insights: `GET /v1/insights/promises` (pinned) — NPS and conversions of
//! respondents who met broken promises next to those who met kept ones, per campaign or per
//! click — and per branch (`/v1/insights/locations`) and per item (`/v1/insights/items`), as
//! JSON or CSV.
use super::AppState;
use super::csv::{Cell, Csv};
use super::error::ApiError;
use crate::domain::clicked::{ItemFigures, LocationFigures, PromiseFigures};
use crate::domain::insight::{Basis, PromiseInsight};
use crate::domain::nps::Reason;
use crate::domain::{Analyst, FieldError};
use crate::store::ClickerFilter;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The query of an insight, each parameter checked.
#[derive(Debug, Default)]
struct Query {
    filter: ClickerFilter,
    basis: Basis,
    csv: bool,
}

/// Reads `query` taking only `allowed` parameters.
fn parse(query: &str, allowed: &[&str]) -> Result<Query, ApiError> {
    let mut q = Query::default();
    let mut errors = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let pointer = format!("/{name}");
        if !allowed.contains(&name.as_ref()) {
            let expected = allowed.join(", ");
            errors.push(FieldError::new(
                pointer,
                format!("unknown parameter: expected one of {expected}"),
            ));
            continue;
        }
        match (name.as_ref(), value.as_ref()) {
            (_, "") => errors.push(FieldError::new(pointer, "must not be empty")),
            ("campaign_id", v) => q.filter.campaign_id = Some(v.to_owned()),
            ("basis", "campaign") => q.basis = Basis::Campaign,
            ("basis", "click") => q.basis = Basis::Click,
            ("basis", _) => errors.push(FieldError::new(pointer, "must be campaign or click")),
            ("format", "json") => q.csv = false,
            ("format", "csv") => q.csv = true,
            ("format", _) => errors.push(FieldError::new(pointer, "must be json or csv")),
            (bound, v) => match instant(v) {
                Some(at) if bound == "from" => q.filter.from = Some(at),
                Some(at) => q.filter.to = Some(at),
                None => errors.push(FieldError::new(
                    pointer,
                    "must be a date (2026-12-01) or an RFC 3339 time",
                )),
            },
        }
    }
    if let (Some(from), Some(to)) = (q.filter.from, q.filter.to)
        && from >= to
    {
        errors.push(FieldError::new("/to", "must be after from"));
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::BadParams(errors))
    }
}

/// An RFC 3339 time, or a date (its start, UTC).
fn instant(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let day = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
            Some(day.and_hms_opt(0, 0, 0)?.and_utc())
        })
}

/// Broken against kept promises, in NPS and conversions: overall, or `?campaign_id=` for one
/// campaign; `?basis=click` puts each respondent on the side of the clicks they made.
#[utoipa::path(
    get,
    path = "/v1/insights/promises",
    params(
        ("campaign_id" = Option<String>, Query, description = "Narrow to one campaign"),
        ("basis" = Option<Basis>, Query, description = "`campaign` (default): whether the campaign broke any promise; `click`: whether the person clicked a broken one"),
    ),
    responses(
        (status = 200, body = PromiseInsight),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn promises(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = parse(req.query_string(), &["campaign_id", "basis"])?;
    let insight = state
        .analysts
        .insight(q.filter.campaign_id.as_deref(), q.basis)
        .await?;
    Ok(HttpResponse::Ok().json(insight))
}

/// `GET /v1/insights/locations`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LocationsInsight {
    /// Most broken clicks first, then by location. A clicker counts once in every row whose
    /// branch they clicked, so rows do not sum to the totals.
    pub locations: Vec<LocationFigures>,
}

/// `GET /v1/insights/items`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemsInsight {
    /// Most broken clicks first, then by sku; a clicker counts once in every row whose item
    /// they clicked.
    pub items: Vec<ItemFigures>,
}

const FILTERS: &[&str] = &["campaign_id", "from", "to", "format"];

/// Per branch: the clicks that named it, how many met a broken promise, and its clickers'
/// conversions and survey answers.
#[utoipa::path(
    get,
    path = "/v1/insights/locations",
    params(
        ("campaign_id" = Option<String>, Query, description = "Within one campaign"),
        ("from" = Option<String>, Query, description = "Clickers whose first click on the branch is at or after (date or RFC 3339)"),
        ("to" = Option<String>, Query, description = "… and before"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv` (RFC 4180, a header row, the same columns)"),
    ),
    responses(
        (status = 200, body = LocationsInsight),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn locations(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = parse(req.query_string(), FILTERS)?;
    let locations = state.analysts.locations(&q.filter).await?;
    if q.csv {
        let mut csv = Csv::with_header(&columns(&["location", "name"]));
        for l in &locations {
            let name = l.name.as_deref().map_or(Cell::Value(None), Cell::Text);
            csv.row(
                [Cell::Text(&l.location), name]
                    .into_iter()
                    .chain(cells(&l.figures)),
            );
        }
        return Ok(csv_response(csv, "locations"));
    }
    Ok(HttpResponse::Ok().json(LocationsInsight { locations }))
}

/// Per item: as per branch, for the item links (the sku at any branch).
#[utoipa::path(
    get,
    path = "/v1/insights/items",
    params(
        ("campaign_id" = Option<String>, Query, description = "Within one campaign"),
        ("from" = Option<String>, Query, description = "Clickers whose first click on the item is at or after (date or RFC 3339)"),
        ("to" = Option<String>, Query, description = "… and before"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`"),
    ),
    responses(
        (status = 200, body = ItemsInsight),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn items(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = parse(req.query_string(), FILTERS)?;
    let items = state.analysts.items(&q.filter).await?;
    if q.csv {
        let mut csv = Csv::with_header(&columns(&["sku"]));
        for i in &items {
            csv.row(std::iter::once(Cell::Text(&i.sku)).chain(cells(&i.figures)));
        }
        return Ok(csv_response(csv, "items"));
    }
    Ok(HttpResponse::Ok().json(ItemsInsight { items }))
}

/// The CSV columns: `first`, then the figures' (an interval as its two ends, each reason's
/// share as a column of its own).
fn columns(first: &[&'static str]) -> Vec<&'static str> {
    let mut columns = first.to_vec();
    columns.extend([
        "clicks",
        "clickers",
        "broken_clicks",
        "converted",
        "conversion_rate",
        "conversion_interval_low",
        "conversion_interval_high",
        "responses",
        "nps",
        "moe",
        "interval_low",
        "interval_high",
        "too_few",
    ]);
    columns.extend(REASON_COLUMNS);
    columns
}

/// `reason_{reason}`, in `Reason::ALL`'s order.
const REASON_COLUMNS: [&str; 6] = [
    "reason_used",
    "reason_location_closed",
    "reason_unavailable",
    "reason_offer_ended",
    "reason_did_not_try",
    "reason_other",
];

fn cells(f: &PromiseFigures) -> Vec<Cell<'static>> {
    let low = |i: Option<[f64; 2]>| Cell::num(i.map(|[l, _]| l));
    let high = |i: Option<[f64; 2]>| Cell::num(i.map(|[_, h]| h));
    let mut cells = vec![
        Cell::num(Some(f.clicks)),
        Cell::num(Some(f.clickers)),
        Cell::num(Some(f.broken_clicks)),
        Cell::num(Some(f.converted)),
        Cell::num(f.conversion_rate),
        low(f.conversion_interval),
        high(f.conversion_interval),
        Cell::num(Some(f.responses)),
        Cell::num(f.nps),
        Cell::num(f.moe),
        low(f.interval),
        high(f.interval),
        Cell::num(Some(f.too_few)),
    ];
    cells.extend(Reason::ALL.iter().map(|r| Cell::num(f.reasons.get(r))));
    cells
}

fn csv_response(csv: Csv, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"promiseguard-{name}.csv\""),
        ))
        .body(csv.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_columns_follow_the_reasons() {
        for (r, column) in Reason::ALL.iter().zip(REASON_COLUMNS) {
            assert_eq!(column, format!("reason_{}", r.as_str()));
        }
    }

    #[test]
    fn parameters_are_checked_with_their_pointers() {
        let q = parse(
            "campaign_id=c&from=2026-12-01&to=2026-12-02T00:00:00Z&format=csv",
            FILTERS,
        )
        .unwrap();
        assert!(q.csv);
        assert_eq!(q.filter.from, Some("2026-12-01T00:00:00Z".parse().unwrap()));
        let Err(ApiError::BadParams(errors)) = parse("from=yesterday&basis=x&format=xml", FILTERS)
        else {
            panic!("refused");
        };
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/from", "/basis", "/format"]);
        assert!(parse("from=2026-12-02&to=2026-12-01", FILTERS).is_err());
        assert!(parse("basis=click", &["campaign_id", "basis"]).is_ok());
    }
}
