//! The alert emails: a new block finding on a running campaign, a detractor's answer to a
//! campaign that broke a promise, a scheduled campaign's action, and survey mail paused for
//! its complaints — each as plain text and HTML.
use crate::domain::alert::{BlockedAlert, DetractorAlert, PausedAlert, ScheduledAlert};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use maud::{Markup, html};

/// `finding.blocked`, to `to`.
pub fn blocked(from: &Mailbox, to: &str, a: &BlockedAlert<'_>) -> Result<Message, String> {
    let f = a.finding;
    let title = a.campaign.title();
    let subject = format!("Blocked: {title} — {}", f.message);
    let text = format!(
        "A live re-check found a promise that cannot be kept in a running campaign.\n\n\
         Campaign: {title} ({campaign})\nOffer: {offer}\nRule: {rule}\n{message}\n\n\
         Review it: {url}\n",
        campaign = a.campaign.campaign_id,
        offer = f.offer_id,
        rule = f.rule.as_str(),
        message = f.message,
        url = a.url,
    );
    let html = html! {
        p { "A live re-check found a promise that cannot be kept in a running campaign." }
        dl {
            dt { "Campaign" } dd { (title) " (" code { (a.campaign.campaign_id) } ")" }
            dt { "Offer" } dd { code { (f.offer_id) } }
            dt { "Rule" } dd { code { (f.rule.as_str()) } }
        }
        p { strong { (f.message) } }
        p { a href=(a.url) { "Review it" } }
    };
    message(from, to, subject, text, html)
}

/// `campaign.blocked_scheduled` or `campaign.unscheduled`, to `to`.
pub fn scheduled(from: &Mailbox, to: &str, a: &ScheduledAlert<'_>) -> Result<Message, String> {
    let title = a.campaign.title();
    let when = a.send_time.format("%Y-%m-%d %H:%M UTC");
    let (subject, lead) = match a.action {
        "unscheduled" => (
            format!("Taken off the schedule: {title}"),
            format!(
                "promiseguard took this {} campaign off the schedule (it was to send {when}): it makes promises that cannot be kept. It is a draft again: fix it and schedule it anew.",
                a.platform
            ),
        ),
        _ => (
            format!("Scheduled to break promises: {title}"),
            format!(
                "This {} campaign is scheduled to send {when} and makes promises that cannot be kept.",
                a.platform
            ),
        ),
    };
    let failed = a
        .detail
        .map(|d| format!("Taking it off the schedule failed: {d}"));
    let broken: Vec<String> = a
        .findings
        .iter()
        .map(|f| format!("- {} ({}): {}", f.offer_id, f.rule.as_str(), f.message))
        .collect();
    let text = format!(
        "{lead}\n{failed}\nCampaign: {title} ({campaign})\n\n{broken}\n\nReview it: {url}\n",
        failed = failed.as_deref().unwrap_or(""),
        campaign = a.campaign.campaign_id,
        broken = broken.join("\n"),
        url = a.url,
    );
    let html = html! {
        p { (lead) }
        @if let Some(failed) = &failed { p { strong { (failed) } } }
        dl { dt { "Campaign" } dd { (title) " (" code { (a.campaign.campaign_id) } ")" } }
        ul {
            @for f in a.findings {
                li { code { (f.offer_id) } " · " code { (f.rule.as_str()) } ": " (f.message) }
            }
        }
        p { a href=(a.url) { "Review it" } }
    };
    message(from, to, subject, text, html)
}

/// `survey.detractor`, to `to`.
pub fn detractor(from: &Mailbox, to: &str, a: &DetractorAlert<'_>) -> Result<Message, String> {
    let title = a.campaign.title();
    let score = a.score.map_or_else(|| "?".to_owned(), |s| s.to_string());
    let reason = a.reason.unwrap_or("not given");
    let comment = a.comment.unwrap_or("");
    let subject = format!("Detractor: {title} — {score}/10 from {}", a.recipient);
    let broken: Vec<String> = a
        .findings
        .iter()
        .map(|f| format!("- {}", f.message))
        .collect();
    let text = format!(
        "A customer who clicked a campaign that broke a promise answered the survey as a \
         detractor.\n\nCampaign: {title} ({campaign})\nCustomer: {recipient}\nScore: \
         {score}/10\nWere they able to use the offer? {reason}\nComment: {comment}\n\n\
         Promises it broke:\n{broken}\n\nReview it: {url}\n",
        campaign = a.campaign.campaign_id,
        recipient = a.recipient,
        broken = broken.join("\n"),
        url = a.url,
    );
    let html = html! {
        p { "A customer who clicked a campaign that broke a promise answered the survey as a detractor." }
        dl {
            dt { "Campaign" } dd { (title) " (" code { (a.campaign.campaign_id) } ")" }
            dt { "Customer" } dd { (a.recipient) }
            dt { "Score" } dd { (score) "/10" }
            dt { "Were they able to use the offer?" } dd { (reason) }
            dt { "Comment" } dd dir="auto" { (comment) }
        }
        p { "Promises it broke:" }
        ul { @for f in a.findings { li { (f.message) } } }
        p { a href=(a.url) { "Review it" } }
    };
    message(from, to, subject, text, html)
}

/// `surveys.paused`, to `to`.
pub fn paused(from: &Mailbox, to: &str, a: &PausedAlert<'_>) -> Result<Message, String> {
    let subject = "Survey emails paused: too many spam complaints".to_owned();
    let lead = "promiseguard paused survey and reminder emails: recipients reported too many of them as spam. Nothing more is sent until a reviewer resumes it (POST /v1/surveys/resume with a note), after looking at what drew the complaints.";
    let text = format!(
        "{lead}\n\n{reason}\nPaused at: {at}\n\nStatus: {url}\n",
        reason = a.reason,
        at = a.paused_at.format("%Y-%m-%d %H:%M UTC"),
        url = a.url,
    );
    let html = html! {
        p { (lead) }
        p { strong { (a.reason) } }
        dl {
            dt { "Complaints" } dd { (a.complaints) }
            dt { "Survey emails sent" } dd { (a.sent) }
            dt { "Window" } dd { (a.window_days) " days" }
        }
        p { a href=(a.url) { "Status" } }
    };
    message(from, to, subject, text, html)
}

fn message(
    from: &Mailbox,
    to: &str,
    subject: String,
    text: String,
    html: Markup,
) -> Result<Message, String> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("{to} is not an address: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html.into_string()))
        .map_err(|e| e.to_string())
}
