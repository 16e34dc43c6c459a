//! Analyst API: the campaign list, a campaign's detail, a manual re-check, and NPS per
//! campaign. The pages under `/ui/` render the same views.
use super::AppState;
use super::auth::Analyst;
use super::error::ApiError;
use crate::check::{CheckResult, OfferResult};
use crate::domain::{FieldError, Finding, Mode, Phase, Verdict};
use crate::store::{
    AlertChannel, AlertStatus, CampaignFilter, CampaignSummary, NpsComment, ReviewFilter,
    ReviewRow, ReviewState,
};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// Campaigns per page unless `limit` says otherwise, and the most `limit` may ask for.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;
/// Checks listed in a campaign's history (newest first).
pub const HISTORY: usize = 100;

/// Parses the list's query: `verdict`, `review` (open|reviewed), `phase`, `from`, `to`
/// (RFC 3339 or YYYY-MM-DD: the offer window overlaps them), `cursor`, `limit`. Empty values
/// count as absent (a form's "any"). Every malformed parameter is reported.
pub fn parse_list_query(query: &str) -> Result<CampaignFilter, Vec<FieldError>> {
    let mut filter = CampaignFilter {
        limit: DEFAULT_PAGE,
        ..CampaignFilter::default()
    };
    let mut errors = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let pointer = format!("/{name}");
        let mut bad = |detail: &str| errors.push(FieldError::new(pointer.clone(), detail));
        match name.as_ref() {
            "verdict" => match value.parse::<Verdict>() {
                Ok(v) => filter.verdict = Some(v),
                Err(_) => bad("must be pass, flag or block"),
            },
            "review" => match value {
                "open" => filter.review = Some(ReviewFilter::Open),
                "reviewed" => filter.review = Some(ReviewFilter::Reviewed),
                _ => bad("must be open or reviewed"),
            },
            "phase" => match value.parse::<Phase>() {
                Ok(p) => filter.phase = Some(p),
                Err(_) => bad("must be pre_send, live or manual"),
            },
            "from" | "to" => match parse_date(value) {
                Some(t) if name == "from" => filter.from = Some(t),
                Some(t) => filter.to = Some(t),
                None => bad("must be a date (2026-11-24) or an RFC 3339 time"),
            },
            "cursor" => match decode_cursor(value) {
                Some(after) => filter.after = Some(after),
                None => bad("is not a cursor this API gave out"),
            },
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => filter.limit = n,
                _ => bad("must be a whole number from 1 to 200"),
            },
            _ => {
                bad("unknown parameter: expected verdict, review, phase, from, to, cursor or limit")
            }
        }
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

fn parse_date(value: &str) -> Option<DateTime<Utc>> {
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

fn decode_cursor(value: &str) -> Option<(DateTime<Utc>, String)> {
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
}

impl From<CampaignSummary> for CampaignListItem {
    fn from(c: CampaignSummary) -> Self {
        let latest_check = match (c.latest_check_id, c.latest_verdict, c.latest_phase) {
            (Some(check_id), Some(verdict), Some(phase)) => Some(LatestCheck {
                check_id,
                phase,
                verdict,
                checked_at: c.latest_checked_at.unwrap_or(c.created_at),
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
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignPage {
    pub campaigns: Vec<CampaignListItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// One page of the list for `filter`.
pub async fn list_page(
    state: &AppState,
    filter: &CampaignFilter,
) -> Result<CampaignPage, ApiError> {
    let mut wanted = filter.clone();
    wanted.limit = filter.limit + 1;
    let mut rows = state.store.list_campaigns(&wanted).await?;
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

/// Campaigns, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/campaigns",
    params(
        ("verdict" = Option<String>, Query, description = "Latest check's verdict: pass, flag or block"),
        ("review" = Option<String>, Query, description = "open: the latest check has unreviewed findings; reviewed: it has findings, all reviewed"),
        ("phase" = Option<String>, Query, description = "Latest check's phase: pre_send, live or manual"),
        ("from" = Option<String>, Query, description = "Offer window ends after this (date or RFC 3339)"),
        ("to" = Option<String>, Query, description = "Offer window starts before this (date or RFC 3339)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, description = "1 to 200, default 50"),
    ),
    responses(
        (status = 200, body = CampaignPage),
        (status = 400, description = "Malformed parameters", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn list(
    _analyst: Analyst,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = parse_list_query(req.query_string()).map_err(ApiError::BadParams)?;
    Ok(HttpResponse::Ok().json(list_page(&state, &filter).await?))
}

/// A finding with its review state and every review of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: Finding,
    /// The campaign's previous check did not have it (or an analyst had resolved it).
    pub is_new: bool,
    pub review_state: ReviewState,
    /// Reviews of this finding in any check of the campaign, newest first.
    pub reviews: Vec<ReviewRow>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckDetail {
    pub check_id: String,
    #[schema(value_type = String)]
    pub phase: Phase,
    #[schema(value_type = String)]
    pub mode: Mode,
    #[schema(value_type = String)]
    pub verdict: Verdict,
    pub send_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    pub offers: Vec<OfferResult>,
    pub warnings: Vec<String>,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckSummary {
    pub check_id: String,
    #[schema(value_type = String)]
    pub phase: Phase,
    #[schema(value_type = String)]
    pub mode: Mode,
    #[schema(value_type = String)]
    pub verdict: Verdict,
    pub checked_at: DateTime<Utc>,
    pub findings: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub finding_id: String,
    pub channel: AlertChannel,
    pub target: String,
    /// queued, sending, sent, failed or unknown.
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignDetail {
    pub id: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    pub created_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The campaign as last received: its offers, windows, locations and items.
    #[schema(value_type = Object)]
    pub campaign: serde_json::Value,
    /// Null for a campaign known only from engagement events.
    pub latest_check: Option<CheckDetail>,
    /// The last 100 checks, newest first.
    pub checks: Vec<CheckSummary>,
    pub nps: CampaignNps,
    pub alerts: Vec<AlertView>,
}

fn status_name(s: AlertStatus) -> &'static str {
    match s {
        AlertStatus::Queued => "queued",
        AlertStatus::Sending => "sending",
        AlertStatus::Sent => "sent",
        AlertStatus::Failed => "failed",
        AlertStatus::Unknown => "unknown",
    }
}

fn stored_result(raw: &str) -> Result<CheckResult, ApiError> {
    serde_json::from_str(raw)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored check result is unreadable: {e}")))
}

/// Everything about one campaign; `NotFound` when there is no such campaign.
pub async fn campaign_detail(state: &AppState, id: &str) -> Result<CampaignDetail, ApiError> {
    let campaign = state
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no campaign `{id}`")))?;
    let checks = state.store.checks(id).await?;
    let reviews = state.store.reviews(id).await?;
    let latest_check = match checks.first() {
        None => None,
        Some(check) => {
            let result = stored_result(&check.result)?;
            let findings = state
                .store
                .findings(&check.id)
                .await?
                .into_iter()
                .map(|stored| {
                    let fingerprint = stored.finding.fingerprint();
                    FindingView {
                        reviews: reviews
                            .iter()
                            .filter(|(f, _)| *f == fingerprint)
                            .map(|(_, r)| r.clone())
                            .collect(),
                        finding: stored.finding,
                        is_new: stored.is_new,
                        review_state: stored.review_state,
                    }
                })
                .collect();
            Some(CheckDetail {
                check_id: check.id.clone(),
                phase: check.phase,
                mode: check.mode,
                verdict: check.verdict,
                send_at: check.send_at,
                checked_at: check.checked_at,
                offers: result.offers,
                warnings: result.warnings,
                findings,
            })
        }
    };
    let history = checks
        .iter()
        .take(HISTORY)
        .map(|c| {
            Ok(CheckSummary {
                check_id: c.id.clone(),
                phase: c.phase,
                mode: c.mode,
                verdict: c.verdict,
                checked_at: c.checked_at,
                findings: stored_result(&c.result)?.findings.len() as u64,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let alerts = state
        .store
        .alerts(id)
        .await?
        .into_iter()
        .map(|a| AlertView {
            finding_id: a.finding_id,
            channel: a.channel,
            target: a.target,
            status: status_name(a.status).to_owned(),
            attempts: a.attempts,
            last_error: a.last_error,
        })
        .collect();
    Ok(CampaignDetail {
        id: campaign.id.clone(),
        name: campaign.name,
        platform: campaign.platform,
        created_at: campaign.created_at,
        valid_from: campaign.window_start,
        valid_until: campaign.window_end,
        campaign: serde_json::from_str(&campaign.definition).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("stored campaign is unreadable: {e}"))
        })?,
        latest_check,
        checks: history,
        nps: campaign_nps(state, &campaign.id).await?,
        alerts,
    })
}

/// A campaign: its latest check with findings and their reviews, the history of checks, NPS
/// and alerts.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = CampaignDetail),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn detail(
    _analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(campaign_detail(&state, &path.into_inner()).await?))
}

/// Runs a `manual` check of a campaign's unfinished offers now; the stored check.
pub async fn run_recheck(state: &AppState, id: &str) -> Result<CheckResult, ApiError> {
    let campaign = state
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no campaign `{id}`")))?;
    if campaign.latest_check_id.is_none() {
        return Err(ApiError::Conflict(format!(
            "campaign `{id}` is known only from engagement events: there are no offers to check"
        )));
    }
    state
        .recheck
        .recheck(&campaign.definition, Phase::Manual, Utc::now())
        .await
        .map_err(ApiError::Internal)?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "every offer of campaign `{id}` has ended: there is nothing left to check"
            ))
        })
}

/// Checks a campaign's offers that have not ended, now (phase `manual`). Reviewers only.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/recheck",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = CheckResult),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer may not re-check", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Every offer has ended, or the campaign has no offers", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn recheck(
    analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    analyst.require_reviewer("re-check a campaign")?;
    let id = path.into_inner();
    let result = run_recheck(&state, &id).await?;
    tracing::info!(campaign = %id, analyst = %analyst.name, verdict = result.verdict.as_str(), "manual re-check");
    Ok(HttpResponse::Ok().json(result))
}

/// `GET /v1/campaigns/{id}/nps` (pinned shape).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignNps {
    pub campaign_id: String,
    /// Survey emails sent (including ones that may have gone out before a crash).
    pub invited: u64,
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// % promoters − % detractors, −100 to 100; null with no responses.
    pub nps: Option<f64>,
    /// Responses per score, 0 to 10.
    pub distribution: [u64; 11],
    /// Newest first, at most 100.
    pub comments: Vec<NpsComment>,
}

async fn campaign_nps(state: &AppState, id: &str) -> Result<CampaignNps, ApiError> {
    let report = state.store.nps(id).await?;
    let s = report.summary;
    Ok(CampaignNps {
        campaign_id: id.to_owned(),
        invited: report.invited,
        responses: s.responses,
        promoters: s.promoters,
        passives: s.passives,
        detractors: s.detractors,
        nps: s.nps,
        distribution: s.distribution,
        comments: report.comments,
    })
}

/// NPS of a campaign's survey respondents.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/nps",
    params(("id" = String, Path, description = "The platform's campaign id")),
    responses(
        (status = 200, body = CampaignNps),
        (status = 401, description = "Analyst token missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = super::error::Problem, content_type = "application/problem+json"),
    ),
    security(("analyst_token" = []))
)]
pub async fn nps(
    _analyst: Analyst,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if state.store.campaign(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no campaign `{id}`")));
    }
    Ok(HttpResponse::Ok().json(campaign_nps(&state, &id).await?))
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
