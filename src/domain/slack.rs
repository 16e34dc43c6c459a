//! The alerts as Slack incoming-webhook messages: a `text` (the notification's words) and
//! Block Kit `blocks` — a section with the title and lead, the facts as fields, what a
//! customer wrote quoted, the broken promises listed, and a button to the page. Text from
//! outside (customers' comments, campaign names, finding messages) has `&`, `<` and `>`
//! escaped as Slack asks, so nothing in it can ping `<!channel>` or forge a link, and is cut
//! to stay well inside Slack's limits (3,000 characters a section, 2,000 a field).
use super::alert::{BlockedAlert, DetractorAlert, PausedAlert, ScheduledAlert};
use serde::Serialize;
use serde_json::{Value, json};

/// What a customer wrote, at most this many characters.
const MAX_QUOTE: usize = 500;
/// A field's value or a listed finding, at most this many characters.
const MAX_LINE: usize = 300;
/// Findings listed, at most; the rest counted.
const MAX_LISTED: usize = 10;

/// An incoming webhook's body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    pub text: String,
    pub blocks: Vec<Value>,
}

/// `&`, `<` and `>` as Slack's entities; nothing else.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, an ellipsis where it was cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Outside text as a message shows it: cut, then escaped.
fn shown(text: &str, max: usize) -> String {
    escape(&cut(text, max))
}

/// One alert's message before it becomes blocks; every string already escaped.
struct Card {
    title: String,
    lead: String,
    fields: Vec<(&'static str, String)>,
    quote: Option<String>,
    list: Vec<String>,
    url: String,
}

impl Card {
    fn message(self) -> SlackMessage {
        let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*{}*\n{}", self.title, self.lead)}})];
        if !self.fields.is_empty() {
            let fields: Vec<Value> = self
                .fields
                .iter()
                .map(|(label, value)| json!({"type": "mrkdwn", "text": format!("*{label}*\n{value}")}))
                .collect();
            blocks.push(json!({"type": "section", "fields": fields}));
        }
        if let Some(quote) = &self.quote {
            let quoted = quote.replace('\n', "\n>");
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(">{quoted}")}}));
        }
        if !self.list.is_empty() {
            let listed = self.list.join("\n");
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": listed}}));
        }
        blocks.push(json!({"type": "actions", "elements": [{"type": "button",
            "text": {"type": "plain_text", "text": "Open in promiseguard"}, "url": self.url}]}));
        SlackMessage {
            text: format!("{}: {}", self.title, self.lead),
            blocks,
        }
    }
}

/// The findings as listed lines: at most `MAX_LISTED`, then how many more.
fn listed(findings: &[super::Finding]) -> Vec<String> {
    let mut lines: Vec<String> = findings
        .iter()
        .take(MAX_LISTED)
        .map(|f| format!("• `{}` {}", f.rule.as_str(), shown(&f.message, MAX_LINE)))
        .collect();
    if findings.len() > MAX_LISTED {
        lines.push(format!("… and {} more", findings.len() - MAX_LISTED));
    }
    lines
}

/// `finding.blocked`.
pub fn blocked(a: &BlockedAlert<'_>) -> SlackMessage {
    Card {
        title: format!("Blocked: {}", shown(a.campaign.title(), MAX_LINE)),
        lead: "A live re-check found a promise that cannot be kept in a running campaign.".into(),
        fields: vec![
            ("Offer", shown(&a.finding.offer_id, MAX_LINE)),
            ("Rule", a.finding.rule.as_str().to_owned()),
        ],
        quote: None,
        list: listed(std::slice::from_ref(a.finding)),
        url: a.url.to_owned(),
    }
    .message()
}

/// `survey.detractor`.
pub fn detractor(a: &DetractorAlert<'_>) -> SlackMessage {
    let score = a.score.map_or_else(|| "?".to_owned(), |s| s.to_string());
    Card {
        title: format!(
            "Detractor: {} — {score}/10",
            shown(a.campaign.title(), MAX_LINE)
        ),
        lead: "A customer who clicked a campaign that broke a promise answered the survey as a detractor.".into(),
        fields: vec![
            ("Customer", shown(a.recipient, MAX_LINE)),
            ("Were they able to use the offer?", shown(a.reason.unwrap_or("not given"), MAX_LINE)),
        ],
        quote: a.comment.filter(|c| !c.trim().is_empty()).map(|c| shown(c, MAX_QUOTE)),
        list: listed(a.findings),
        url: a.url.to_owned(),
    }
    .message()
}

/// `campaign.blocked_scheduled` or `campaign.unscheduled`.
pub fn scheduled(a: &ScheduledAlert<'_>) -> SlackMessage {
    let when = a.send_time.format("%Y-%m-%d %H:%M UTC");
    let title = shown(a.campaign.title(), MAX_LINE);
    let (title, lead) = match a.action {
        "unscheduled" => (
            format!("Taken off the schedule: {title}"),
            format!(
                "It was to send {when} on {} and makes promises that cannot be kept. It is a draft again.",
                a.platform
            ),
        ),
        _ => (
            format!("Scheduled to break promises: {title}"),
            format!(
                "It sends {when} on {} and makes promises that cannot be kept.",
                a.platform
            ),
        ),
    };
    let mut fields = vec![("Platform", escape(a.platform))];
    if let Some(detail) = a.detail {
        fields.push(("Taking it off failed", shown(detail, MAX_LINE)));
    }
    Card {
        title,
        lead,
        fields,
        quote: None,
        list: listed(a.findings),
        url: a.url.to_owned(),
    }
    .message()
}

/// `surveys.paused`.
pub fn paused(a: &PausedAlert<'_>) -> SlackMessage {
    Card {
        title: "Survey emails paused".into(),
        lead: format!(
            "{} Nothing more is sent until a reviewer resumes it (POST /v1/surveys/resume).",
            escape(a.reason)
        ),
        fields: vec![
            ("Complaints", a.complaints.to_string()),
            ("Survey emails sent", a.sent.to_string()),
            ("Window", format!("{} days", a.window_days)),
        ],
        quote: None,
        list: Vec::new(),
        url: a.url.to_owned(),
    }
    .message()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::AlertCampaign;

    #[test]
    fn only_slacks_three_control_characters_are_escaped() {
        assert_eq!(
            escape("<!channel> & <@U123> \"quoted\" 'it's'"),
            "&lt;!channel&gt; &amp; &lt;@U123&gt; \"quoted\" 'it's'"
        );
        assert_eq!(cut("ünïcode", 3), "ünï…");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn a_detractors_comment_is_quoted_escaped_and_cut() {
        let comment = format!("<!channel> the branch was shut & dark {}", "x".repeat(900));
        let alert = DetractorAlert {
            campaign: AlertCampaign {
                campaign_id: "c-1",
                campaign_name: Some("Spring <rentals>"),
            },
            recipient: "dana@example.com",
            score: Some(2),
            reason: Some("location_closed"),
            comment: Some(&comment),
            findings: &[],
            url: "https://cx.example.com/ui/campaigns/c-1",
        };
        let message = detractor(&alert);
        let body = serde_json::to_value(&message).unwrap();
        assert_eq!(
            body["text"].as_str().unwrap(),
            "Detractor: Spring &lt;rentals&gt; — 2/10: A customer who clicked a campaign that broke a promise answered the survey as a detractor."
        );
        let quote = body["blocks"][2]["text"]["text"].as_str().unwrap();
        assert!(
            quote.starts_with(">&lt;!channel&gt; the branch was shut &amp; dark"),
            "{quote}"
        );
        assert!(!quote.contains("<!channel>"));
        assert!(
            quote.chars().count() < 3000 && quote.ends_with('…'),
            "{quote}"
        );
        let button = &body["blocks"][3]["elements"][0];
        assert_eq!(button["url"], "https://cx.example.com/ui/campaigns/c-1");
        assert_eq!(body["blocks"][3]["type"], "actions");
    }
}
