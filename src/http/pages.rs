//! Public survey and unsubscribe pages, reached through signed links in the survey email.
//! A GET never records anything: mail security scanners fetch every link in a message before
//! a person does. Answers and unsubscribes take a POST.
use super::AppState;
use super::document::document;
use crate::domain::nps::Reason;
use crate::domain::wording::Wording;
use crate::services::surveys::{AnswerProblem, Answered, MAX_COMMENT};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

const MAX_FORM_BYTES: usize = 16 * 1024;

fn page(title: &str, body: Markup) -> Markup {
    document("en", title, CSS, html! { main { (body) } })
}

const CSS: &str = "body{font-family:system-ui,sans-serif;color:#1a1a1a;background:#fafafa;margin:0}\
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}h1{font-size:1.35rem;line-height:1.3}\
fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;margin-bottom:.5rem}\
.scores{display:flex;flex-wrap:wrap;gap:.35rem}.scores label{display:flex;flex-direction:column;align-items:center;\
min-width:2.6rem;padding:.45rem 0;border:1px solid #666;border-radius:6px;background:#fff;cursor:pointer}\
.scores input{margin:0 0 .2rem}.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#444}\
textarea{width:100%;box-sizing:border-box;min-height:6rem;font:inherit;padding:.5rem}\
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}\
.reasons label{display:block;padding:.5rem .6rem;margin:.3rem 0;border:1px solid #ccc;border-radius:6px;\
background:#fff;cursor:pointer}.error{color:#b91c1c;font-weight:600}";

fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(markup.into_string())
}

fn not_found() -> HttpResponse {
    respond(
        StatusCode::NOT_FOUND,
        page(
            "Link not found",
            html! { h1 { "This link is not valid" } p { "It may have been copied incompletely." } },
        ),
    )
}

fn survey_form(
    wording: &Wording,
    token: &str,
    selected: Option<u8>,
    comment: &str,
    reason: Option<Reason>,
    error: Option<&str>,
) -> Markup {
    page(
        "One question",
        html! {
            h1 { (wording.question()) }
            p { "About " (wording.about()) " from " (wording.brand) "." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action=(format!("/s/{token}")) {
                fieldset {
                    legend { "Your score, from 0 (not at all likely) to 10 (extremely likely)" }
                    div.scores {
                        @for s in 0u8..=10 {
                            label {
                                input type="radio" name="score" value=(s) required checked[selected == Some(s)];
                                (s)
                            }
                        }
                    }
                    div.ends aria-hidden="true" { span { "Not at all likely" } span { "Extremely likely" } }
                }
                fieldset.reasons {
                    legend { "Were you able to use the offer? (optional)" }
                    @for r in Reason::ALL {
                        label {
                            input type="radio" name="reason" value=(r.as_str()) checked[reason == Some(r)];
                            " " (r.label())
                        }
                    }
                }
                p {
                    label for="comment" { "Anything you would like to tell us? (optional)" }
                    textarea id="comment" name="comment" maxlength=(MAX_COMMENT) { (comment) }
                }
                button type="submit" { "Send" }
            }
        },
    )
}

/// `GET /s/{token}?score=N`: the question with N selected. Records nothing.
pub async fn survey(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::ApiError> {
    let Some(inv) = state.surveys.invitation(&token).await? else {
        return Ok(not_found());
    };
    let wording = state.surveys.wording(&inv.campaign_id).await?;
    let score = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "score")
        .and_then(|(_, v)| v.parse::<u8>().ok())
        .filter(|s| *s <= 10)
        .or(inv.score);
    let comment = inv.comment.clone().unwrap_or_default();
    let reason = inv.reason.as_deref().and_then(|r| r.parse().ok());
    Ok(respond(
        StatusCode::OK,
        survey_form(&wording, &token, score, &comment, reason, None),
    ))
}

/// `POST /s/{token}` with `score=N&comment=…`: records the answer (the last one wins).
pub async fn answer(
    token: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::ApiError> {
    let Some(inv) = state.surveys.invitation(&token).await? else {
        return Ok(not_found());
    };
    let wording = state.surveys.wording(&inv.campaign_id).await?;
    if body.len() > MAX_FORM_BYTES {
        return Ok(respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            survey_form(
                &wording,
                &token,
                None,
                "",
                None,
                Some("That was too long to send."),
            ),
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
                AnswerProblem::NoScore => (None, "Please choose a score from 0 to 10."),
                AnswerProblem::CommentTooLong { score } => (
                    Some(score),
                    "Please keep the comment under 2,000 characters.",
                ),
                AnswerProblem::UnknownReason { score } => (
                    Some(score),
                    "Please choose one of the answers offered about using the offer.",
                ),
            };
            return Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                survey_form(&wording, &token, score, comment, reason, Some(message)),
            ));
        }
    };
    state.surveys.answer(&inv, &answer).await?;
    let score = answer.score;
    Ok(respond(
        StatusCode::OK,
        page(
            "Thank you",
            html! {
                h1 { "Thank you" }
                p { (wording.brand) " got your answer (" (score) " out of 10). You can change it from the same link at any time." }
            },
        ),
    ))
}

/// `GET /u/{token}`: asks to confirm. Records nothing.
pub async fn unsubscribe_page(
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::ApiError> {
    let Some(inv) = state.surveys.invitation(&token).await? else {
        return Ok(not_found());
    };
    Ok(respond(
        StatusCode::OK,
        page(
            "Unsubscribe",
            html! {
                h1 { "No more surveys?" }
                p { "We will not ask " (inv.recipient) " for feedback again." }
                form method="post" action=(format!("/u/{}", token.as_str())) {
                    button type="submit" { "Unsubscribe" }
                }
            },
        ),
    ))
}

/// `POST /u/{token}`: unsubscribes (also RFC 8058 one-click, body `List-Unsubscribe=One-Click`).
pub async fn unsubscribe(
    token: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::ApiError> {
    let Some(inv) = state.surveys.invitation(&token).await? else {
        return Ok(not_found());
    };
    state.surveys.unsubscribe(&inv).await?;
    Ok(respond(
        StatusCode::OK,
        page(
            "Unsubscribed",
            html! { h1 { "You are unsubscribed" } p { "You will not get these surveys again." } },
        ),
    ))
}
