//! The review forms' handlers: one finding (the form on its card), and the findings ticked on a
//! campaign page reviewed together with one note — all or none, as `POST /v1/findings/review`.
use super::layout::{Ctx, url_escape};
use super::page::{Access, MAX_FORM_BYTES, Page, access, read_form_pairs, signed_in};
use super::session;
use crate::domain::ReviewAction;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::services::analyst::{BulkReviewRequest, MAX_BULK_REVIEW, ReviewRequest};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use std::collections::HashMap;

/// The id of the bulk review's form: each finding's tick box belongs to it (`form=`), wherever
/// on the page the box is.
pub(super) const BULK_FORM: &str = "bulk-review";

/// The bulk form's body: 500 ticked ids of ~50 bytes each and a 4,000-character note,
/// percent-encoded, with room to spare.
const BULK_FORM_BYTES: usize = 128 * 1024;

pub(super) fn past_tense(action: ReviewAction) -> &'static str {
    match action {
        ReviewAction::Acknowledge => "acknowledged",
        ReviewAction::Override => "overrode",
        ReviewAction::Resolve => "resolved",
    }
}

/// What a review form asks (an action and a note), with the CSRF value and the campaign page
/// to go back to.
pub(super) fn review_fields(ctx: &Ctx<'_>, campaign_id: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(ctx.csrf);
        input type="hidden" name="campaign" value=(campaign_id);
        label {
            "Action"
            select name="action" {
                option value="acknowledge" { "Acknowledge" }
                option value="override" { "Override (note required)" }
                option value="resolve" { "Resolve" }
            }
        }
        label style="flex:1 1 16rem" { "Note" textarea name="note" rows="2" maxlength="4000" {} }
    }
}

/// The campaign page's form for the ticked findings: one action and one note for all.
pub(super) fn bulk_form(ctx: &Ctx<'_>, campaign_id: &str) -> Markup {
    html! {
        section.card aria-labelledby="bulk-h" {
            h2 id="bulk-h" { "Review the selected findings" }
            p.muted { "Tick " em { "Select" } " on the findings above (up to " (MAX_BULK_REVIEW) "); they are reviewed together with one note, or — if one can't be — none is." }
            form.review id=(BULK_FORM) method="post" action="/ui/findings/review" {
                (review_fields(ctx, campaign_id))
                button type="submit" { "Review selected" }
            }
        }
    }
}

/// The campaign page a review form came from (to go back to), else the list.
fn back_to(form: &HashMap<String, String>) -> String {
    form.get("campaign")
        .map(|c| format!("/ui/campaigns/{}", url_escape(c)))
        .unwrap_or_else(|| "/ui/campaigns".into())
}

pub(super) async fn review(
    req: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let finding_id = path.into_inner();
    let form: HashMap<String, String> = match read_form_pairs(&req, payload, MAX_FORM_BYTES).await {
        Ok(pairs) => pairs.into_iter().collect(),
        Err(e) => return page.error(Some(&analyst), e, Some("/ui/campaigns")),
    };
    let back = back_to(&form);
    let done = async {
        session::require_csrf(&req, &form)?;
        let reviewer = analyst.reviewer("review findings")?;
        let request = ReviewRequest {
            action: form.get("action").cloned().unwrap_or_default(),
            note: form.get("note").cloned(),
        };
        let command = request.command().map_err(ApiError::Invalid)?;
        Ok::<_, ApiError>(
            state
                .analysts
                .review(&reviewer, &finding_id, command)
                .await?,
        )
    }
    .await;
    match done {
        Ok(answer) => {
            let to = format!(
                "/ui/campaigns/{}#finding-{}",
                url_escape(&answer.review.campaign_id),
                url_escape(&finding_id)
            );
            page.see_other(&to)
        }
        Err(e) => page.error(Some(&analyst), e, Some(&back)),
    }
}

pub(super) async fn review_many(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&req, &state);
    let analyst = signed_in!(page);
    let pairs = match read_form_pairs(&req, payload, BULK_FORM_BYTES).await {
        Ok(pairs) => pairs,
        Err(e) => return page.error(Some(&analyst), e, Some("/ui/campaigns")),
    };
    let finding_ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "finding_id")
        .map(|(_, v)| v.clone())
        .collect();
    let form: HashMap<String, String> = pairs.into_iter().collect();
    let back = back_to(&form);
    let done = async {
        session::require_csrf(&req, &form)?;
        let reviewer = analyst.reviewer("review findings")?;
        let request = BulkReviewRequest {
            finding_ids,
            action: form.get("action").cloned().unwrap_or_default(),
            note: form.get("note").cloned(),
        };
        let command = request.command().map_err(ApiError::Invalid)?;
        Ok::<_, ApiError>(state.analysts.review_many(&reviewer, command).await?)
    }
    .await;
    match done {
        Ok(_) => page.see_other(&back),
        Err(e) => page.error(Some(&analyst), e, Some(&back)),
    }
}
