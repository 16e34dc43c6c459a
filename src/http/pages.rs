//! Public survey and unsubscribe pages, reached through signed links in the survey email.
//! A GET never records anything: mail security scanners fetch every link in a message before
//! a person does. Answers and unsubscribes take a POST.
use super::AppState;
use super::document::document;
use super::limits::Door;
use crate::domain::nps::Reason;
use crate::domain::wording::Wording;
use crate::i18n::Locale;
use crate::services::surveys::{AnswerProblem, Answered, MAX_COMMENT};
use crate::store::InvitationRow;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

/// What a survey or unsubscribe page answers: the page, or the error a page says.
type Answer = Result<HttpResponse, super::error::ApiError>;

const MAX_FORM_BYTES: usize = 16 * 1024;

/// A page in the reader's language, laid out in its direction.
fn page(l: &Locale, title: &str, body: Markup) -> Markup {
    document(&l.tag(), l.dir(), title, CSS, html! { main { (body) } })
}

const CSS: &str = "body{font-family:system-ui,sans-serif;color:#1a1a1a;background:#fafafa;margin:0}\
main{max-inline-size:34rem;margin-inline:auto;padding-block:1.5rem;padding-inline:1rem}h1{font-size:1.35rem;line-height:1.3}\
fieldset{border:0;padding:0;margin:0;margin-block-end:1rem}legend{font-weight:600;margin-block-end:.5rem}\
.scores{display:flex;flex-wrap:wrap;gap:.35rem}.scores label{display:flex;flex-direction:column;align-items:center;\
min-inline-size:2.6rem;padding-block:.45rem;border:1px solid #666;border-radius:6px;background:#fff;cursor:pointer}\
.scores input{margin:0;margin-block-end:.2rem}.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#444}\
textarea{inline-size:100%;box-sizing:border-box;min-block-size:6rem;font:inherit;padding:.5rem}\
button{font:inherit;padding-block:.6rem;padding-inline:1.2rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}\
.reasons label{display:block;padding-block:.5rem;padding-inline:.6rem;margin-block:.3rem;border:1px solid #ccc;border-radius:6px;\
background:#fff;cursor:pointer}.error{color:#b91c1c;font-weight:600}";

fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(markup.into_string())
}

/// A link whose token does not verify: no invitation, so no reader's language — the default's.
fn not_found(l: &Locale) -> HttpResponse {
    message(l, StatusCode::NOT_FOUND, "not-found", &[], html! {})
}

/// The invitation and its reader's language, as `opened` finds them — or, from the handler,
/// the page saying the link is not (or no longer) valid.
macro_rules! opened {
    ($state:expr, $token:expr) => {
        match opened(&$state, &$token).await? {
            Ok(opened) => opened,
            Err(not_found) => return Ok(not_found),
        }
    };
}

/// The invitation a link's token names, its wording and its language.
async fn opened(
    state: &AppState,
    token: &str,
) -> Result<Result<(InvitationRow, Locale), HttpResponse>, super::error::ApiError> {
    match state.surveys.invitation(token).await? {
        Some(inv) => {
            let l = state.surveys.locale_of(inv.locale.as_deref());
            Ok(Ok((inv, l)))
        }
        None => Ok(Err(not_found(&state.surveys.surveys.default_locale))),
    }
}

/// A page of a heading and a paragraph — the words `{key}-title`, `{key}-heading` and
/// `{key}-body` (with `args`) — and what follows them.
fn message(
    l: &Locale,
    status: StatusCode,
    key: &str,
    args: &[crate::i18n::Arg<'_>],
    more: Markup,
) -> HttpResponse {
    respond(
        status,
        page(
            l,
            &l.text(&format!("{key}-title"), &[]),
            html! {
                h1 { (l.text(&format!("{key}-heading"), &[])) }
                p { (l.text(&format!("{key}-body"), args)) }
                (more)
            },
        ),
    )
}

/// What the survey form shows again: the score and answers a reader chose, and what was wrong.
#[derive(Default)]
struct Filled<'a> {
    score: Option<u8>,
    comment: &'a str,
    reason: Option<Reason>,
    error: Option<String>,
}

fn survey_form(l: &Locale, wording: &Wording, token: &str, filled: Filled<'_>) -> Markup {
    let offer = l.offer(wording.offer.as_deref());
    let words = [
        ("brand", wording.brand.as_str().into()),
        ("offer", offer.as_str().into()),
    ];
    page(
        l,
        &l.text("survey-title", &[]),
        html! {
            h1 { (l.text("survey-question", &words)) }
            p { (l.text("survey-about", &words)) }
            @if let Some(e) = &filled.error { p.error role="alert" { (e) } }
            form method="post" action=(format!("/s/{token}")) {
                fieldset {
                    legend { (l.text("survey-score-legend", &[])) }
                    // A flex row follows the page's direction: 0 sits at the reader's start
                    // (the right, in Arabic and Persian), and so does the label under it.
                    div.scores {
                        @for s in 0u8..=10 {
                            label {
                                input type="radio" name="score" value=(s) required checked[filled.score == Some(s)];
                                (s)
                            }
                        }
                    }
                    div.ends aria-hidden="true" {
                        span { (l.text("survey-end-low", &[])) }
                        span { (l.text("survey-end-high", &[])) }
                    }
                }
                fieldset.reasons {
                    legend { (l.text("survey-reason-legend", &[])) }
                    @for r in Reason::ALL {
                        label {
                            input type="radio" name="reason" value=(r.as_str()) checked[filled.reason == Some(r)];
                            " " (l.text(&format!("reason-{}", r.as_str()), &[]))
                        }
                    }
                }
                p {
                    label for="comment" { (l.text("survey-comment-label", &[])) }
                    textarea id="comment" name="comment" maxlength=(MAX_COMMENT) dir="auto" { (filled.comment) }
                }
                button type="submit" { (l.text("survey-send", &[])) }
            }
        },
    )
}

/// `GET /s/{token}?score=N`: the question with N selected. Records nothing.
#[utoipa::path(
    get,
    path = "/s/{token}",
    params(
        ("token" = String, Path, description = "The signed token of the survey email's link"),
        ("score" = Option<u8>, Query, description = "0 to 10: the score the email's link chose, shown selected"),
    ),
    responses(
        (status = 200, description = "The question, in the reader's language", content_type = "text/html"),
        (status = 404, description = "The link is not (or no longer) valid", content_type = "text/html"),
        (status = 429, description = "Too many requests from this address ([limits] per_ip_per_minute); Retry-After says when to come back", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn survey(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Answer {
    state.limits.check(Door::Pages, &req)?;
    let (inv, l) = opened!(state, token);
    let wording = state.surveys.wording(&inv.campaign_id).await?;
    let score = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "score")
        .and_then(|(_, v)| v.parse::<u8>().ok())
        .filter(|s| *s <= 10)
        .or(inv.score);
    let filled = Filled {
        score,
        comment: inv.comment.as_deref().unwrap_or_default(),
        reason: inv.reason.as_deref().and_then(|r| r.parse().ok()),
        error: None,
    };
    Ok(respond(
        StatusCode::OK,
        survey_form(&l, &wording, &token, filled),
    ))
}

/// `POST /s/{token}` with `score=N&comment=…`: records the answer (the last one wins).
#[utoipa::path(
    post,
    path = "/s/{token}",
    params(("token" = String, Path, description = "The signed token of the survey email's link")),
    request_body(content = String, description = "`score=N&comment=…&reason=…`", content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Recorded (the last answer wins): a thank-you page", content_type = "text/html"),
        (status = 404, description = "The link is not (or no longer) valid", content_type = "text/html"),
        (status = 413, description = "The form is over its size limit: the form again, saying so", content_type = "text/html"),
        (status = 422, description = "No score, a comment too long or an unknown reason: the form again, saying what", content_type = "text/html"),
        (status = 429, description = "Too many requests from this address ([limits] per_ip_per_minute); Retry-After says when to come back", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn answer(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Answer {
    state.limits.check(Door::Pages, &req)?;
    let (inv, l) = opened!(state, token);
    let wording = state.surveys.wording(&inv.campaign_id).await?;
    if body.len() > MAX_FORM_BYTES {
        let filled = Filled {
            error: Some(l.text("survey-error-too-long", &[])),
            ..Filled::default()
        };
        return Ok(respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            survey_form(&l, &wording, &token, filled),
        ));
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let answer = match Answered::parse(field("score"), field("comment"), field("reason")) {
        Ok(answer) => answer,
        Err(problem) => {
            let comment = field("comment").unwrap_or_default().trim();
            let reason = field("reason").and_then(|r| r.parse().ok());
            let (score, message) = match problem {
                AnswerProblem::NoScore => (None, l.text("survey-error-no-score", &[])),
                AnswerProblem::CommentTooLong { score } => (
                    Some(score),
                    l.text(
                        "survey-error-comment-too-long",
                        &[("limit", MAX_COMMENT.into())],
                    ),
                ),
                AnswerProblem::UnknownReason { score } => {
                    (Some(score), l.text("survey-error-unknown-reason", &[]))
                }
            };
            let filled = Filled {
                score,
                comment,
                reason,
                error: Some(message),
            };
            return Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                survey_form(&l, &wording, &token, filled),
            ));
        }
    };
    state.surveys.answer(&inv, &answer).await?;
    let words = [
        ("brand", wording.brand.as_str().into()),
        ("score", answer.score.into()),
    ];
    Ok(message(&l, StatusCode::OK, "thanks", &words, html! {}))
}

/// `GET /u/{token}`: asks to confirm. Records nothing.
#[utoipa::path(
    get,
    path = "/u/{token}",
    params(("token" = String, Path, description = "The signed token of the email's unsubscribe link")),
    responses(
        (status = 200, description = "Asks to confirm", content_type = "text/html"),
        (status = 404, description = "The link is not (or no longer) valid", content_type = "text/html"),
        (status = 429, description = "Too many requests from this address ([limits] per_ip_per_minute); Retry-After says when to come back", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unsubscribe_page(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Answer {
    state.limits.check(Door::Pages, &req)?;
    let (inv, l) = opened!(state, token);
    let address = [("address", inv.recipient.as_str().into())];
    let confirm = html! {
        form method="post" action=(format!("/u/{}", token.as_str())) {
            button type="submit" { (l.text("unsubscribe-button", &[])) }
        }
    };
    Ok(message(
        &l,
        StatusCode::OK,
        "unsubscribe",
        &address,
        confirm,
    ))
}

/// `POST /u/{token}`: unsubscribes (also RFC 8058 one-click, body `List-Unsubscribe=One-Click`).
#[utoipa::path(
    post,
    path = "/u/{token}",
    params(("token" = String, Path, description = "The signed token of the email's unsubscribe link")),
    request_body(content = String, description = "Empty, or `List-Unsubscribe=One-Click` (RFC 8058)", content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Unsubscribed", content_type = "text/html"),
        (status = 404, description = "The link is not (or no longer) valid", content_type = "text/html"),
        (status = 429, description = "Too many requests from this address ([limits] per_ip_per_minute); Retry-After says when to come back", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unsubscribe(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Answer {
    // A valid token is never limited: mailbox providers send one-click unsubscribes from a few
    // addresses. Only a token that opens nothing counts against the page limit.
    let (inv, l) = match opened(&state, &token).await? {
        Ok(opened) => opened,
        Err(not_found) => {
            state.limits.check(Door::Pages, &req)?;
            return Ok(not_found);
        }
    };
    state.surveys.unsubscribe(&inv).await?;
    Ok(message(&l, StatusCode::OK, "unsubscribed", &[], html! {}))
}
