//! The survey email: one question, eleven score links, and a one-click unsubscribe.
use super::SurveyLinks;
use crate::domain::complaint::MARKER;
use crate::domain::wording::Wording;
use crate::i18n::Locale;
use lettre::Message;
use lettre::message::MessageBuilder;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use maud::{DOCTYPE, html};

/// The words of a survey email that are the same for every recipient of one campaign in one
/// language — greeting, question, score labels, subject — formatted once and then filled with
/// each recipient's links. A sweep sends thousands of the same email: formatting its twenty
/// Fluent messages for every one of them was most of the cost of building it.
pub struct SurveyWords {
    lang: String,
    dir: &'static str,
    start: &'static str,
    title: String,
    opening: String,
    intro: String,
    question: String,
    /// The label of each score, 0 to 10 (`7 of 10`).
    score_labels: Vec<String>,
    scale_ends: String,
    unsubscribe_label: String,
    subject: String,
    reminder: bool,
}

impl SurveyWords {
    /// `reminder`: `Some(days)` for the invitation's one reminder, `days` after the first
    /// email — the same links, a subject that says so.
    pub fn new(wording: &Wording, l: &Locale, reminder: Option<i64>) -> Self {
        let title = wording.offer.as_deref();
        let brand = wording.brand.as_str();
        let offer = l.offer(title);
        let words = [("brand", brand.into()), ("offer", offer.as_str().into())];
        // The subject is a header: no isolation marks.
        let header_offer = l.offer_in_header(title);
        let header_words = [
            ("brand", brand.into()),
            ("offer", header_offer.as_str().into()),
        ];
        Self {
            lang: l.tag(),
            dir: l.dir(),
            start: l.start(),
            title: l.text("email-title", &[]),
            opening: match reminder {
                Some(days) => l.text("email-reminder-opening", &[("days", days.into())]),
                None => l.text("email-greeting", &[]),
            },
            intro: l.text("email-intro", &words),
            question: l.text("survey-question", &words),
            score_labels: (0..=10u8)
                .map(|s| l.text("email-score-label", &[("score", s.into())]))
                .collect(),
            scale_ends: l.text("email-scale-ends", &[]),
            unsubscribe_label: l.text("email-unsubscribe", &[]),
            subject: match reminder {
                Some(_) => l.header("email-subject-reminder", &header_words),
                None => l.header("email-subject", &header_words),
            },
            reminder: reminder.is_some(),
        }
    }
}

/// One recipient's survey email.
pub struct SurveyEmail<'a> {
    pub invitation_id: &'a str,
    pub recipient: &'a str,
    /// Who asks, about which offer, in the invitation's language.
    pub words: &'a SurveyWords,
}

/// The headers that carry the invitation id (`domain::complaint::MARKER`) to each relay that
/// echoes such a value back in its events — SendGrid's unique args, Mailgun's variables,
/// Postmark's metadata, SES's message tags (published with a configuration set) — so a spam
/// complaint about a survey email is known as one. Each relay reads its own and strips it;
/// another relay passes them on as harmless `X-` headers.
pub fn markers(invitation_id: &str) -> [(&'static str, String); 4] {
    // The id as a JSON string: ours are UUIDs, which need no escaping (written directly, as a
    // sweep writes thousands); any other is escaped by serde_json.
    let plain = invitation_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let quoted = if plain {
        format!("\"{invitation_id}\"")
    } else {
        serde_json::Value::from(invitation_id).to_string()
    };
    let object = format!("{{\"{MARKER}\":{quoted}}}");
    [
        ("X-SMTPAPI", format!("{{\"unique_args\":{object}}}")),
        ("X-Mailgun-Variables", object),
        (
            "X-PM-Metadata-promiseguard_invitation",
            invitation_id.to_owned(),
        ),
        ("X-SES-MESSAGE-TAGS", format!("{MARKER}={invitation_id}")),
    ]
}

/// `builder` with the invitation's markers as headers.
fn marked(mut builder: MessageBuilder, invitation_id: &str) -> MessageBuilder {
    for (name, value) in markers(invitation_id) {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str(name),
            value,
        ));
    }
    builder
}

pub fn build(
    email: &SurveyEmail<'_>,
    from: &Mailbox,
    links: &SurveyLinks,
) -> Result<Message, String> {
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|e| format!("recipient {} is not an address: {e}", email.recipient))?;
    let w = email.words;
    let links = links.for_invitation(email.invitation_id);
    let unsubscribe = links.unsubscribe_url();
    let scores: Vec<(u8, String, &str)> = (0..=10u8)
        .zip(&w.score_labels)
        .map(|(s, label)| (s, links.survey_url(s), label.as_str()))
        .collect();

    let mut text = format!("{}\n\n{}\n{}\n\n", w.opening, w.intro, w.question);
    for (_, url, label) in &scores {
        text.push_str(&format!("{label}: {url}\n"));
    }
    text.push_str(&format!(
        "\n{}\n\n{}: {unsubscribe}\n",
        w.scale_ends, w.unsubscribe_label
    ));

    // Mail clients drop `<html>`'s attributes and ignore logical CSS: the direction goes on
    // the wrapper and the scale's table as `dir` and `align`, and the text alignment inline.
    let (dir, start) = (w.dir, w.start);
    let html = html! {
        (DOCTYPE)
        html lang=(w.lang) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (w.title) }
            }
            body style="margin: 0; padding: 0;" {
                div dir=(dir) align=(start) style=(format!("font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 36rem; margin: 0 auto; padding: 1rem; text-align: {start};")) {
                    p { (w.opening) }
                    p { (w.intro) }
                    p style="font-weight: 600;" { (w.question) }
                    table role="presentation" dir=(dir) align=(start) style="border-collapse: collapse;" {
                        tr {
                            @for (score, url, label) in &scores {
                                td style="padding: 1px;" {
                                    a href=(url) style="display: inline-block; min-width: 1.5rem; padding: 0.6rem 0; text-align: center; border: 1px solid #666; border-radius: 4px; color: #1a1a1a; text-decoration: none;"
                                        aria-label=(label) { (score) }
                                }
                            }
                        }
                    }
                    p style="font-size: 0.875rem; color: #444; clear: both;" { (w.scale_ends) }
                    p style="font-size: 0.75rem; color: #555;" {
                        a href=(unsubscribe) style="color: #555;" { (w.unsubscribe_label) }
                    }
                }
            }
        }
    };

    let domain = from.email.domain().to_owned();
    marked(Message::builder(), email.invitation_id)
        .from(from.clone())
        .to(to)
        .subject(w.subject.as_str())
        .message_id(Some(format!(
            "<{}-{}@{domain}>",
            if w.reminder { "reminder" } else { "invitation" },
            email.invitation_id
        )))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{unsubscribe}>"),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.into_string()),
                ),
        )
        .map_err(|e| format!("cannot build the message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn email(words: &SurveyWords) -> SurveyEmail<'_> {
        SurveyEmail {
            invitation_id: "inv-9",
            recipient: "dana@example.com",
            words,
        }
    }

    fn acme() -> Wording {
        Wording {
            brand: "Acme Rentals".into(),
            offer: Some("A free day".into()),
        }
    }

    /// Subject, plain text and HTML, decoded as a mail client decodes them.
    fn read(raw: &[u8]) -> (String, String, String) {
        let m = MessageParser::default().parse(raw).expect("a message");
        (
            m.subject().unwrap_or_default().to_owned(),
            m.body_text(0).unwrap_or_default().into_owned(),
            m.body_html(0).unwrap_or_default().into_owned(),
        )
    }

    #[test]
    fn the_message_has_both_parts_eleven_links_and_unsubscribe_headers() {
        let links = SurveyLinks::new(b"k".repeat(32), "https://cx.example.com");
        let from: Mailbox = "Acme CX <cx@example.com>".parse().unwrap();
        let words = SurveyWords::new(&acme(), &Locale::english(), None);
        let raw = build(&email(&words), &from, &links).unwrap().formatted();
        let headers = String::from_utf8_lossy(&raw);
        assert!(
            headers.contains("Message-ID: <invitation-inv-9@example.com>"),
            "{headers}"
        );
        assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        let parsed = MessageParser::default().parse(&raw).unwrap();
        let header = |name: &str| parsed.header_raw(name).map(str::trim).map(str::to_owned);
        assert_eq!(
            header("X-SMTPAPI").as_deref(),
            Some(r#"{"unique_args":{"promiseguard_invitation":"inv-9"}}"#)
        );
        assert_eq!(
            header("X-Mailgun-Variables").as_deref(),
            Some(r#"{"promiseguard_invitation":"inv-9"}"#)
        );
        assert_eq!(
            header("X-PM-Metadata-promiseguard_invitation").as_deref(),
            Some("inv-9")
        );
        assert_eq!(
            header("X-SES-MESSAGE-TAGS").as_deref(),
            Some("promiseguard_invitation=inv-9")
        );
        assert!(headers.contains(&format!(
            "List-Unsubscribe: <{}>",
            links.unsubscribe_url("inv-9")
        )));
        let (subject, text, html) = read(&raw);
        assert_eq!(subject, "Acme Rentals: one question about “A free day”");
        for score in 0..=10 {
            let url = links.survey_url("inv-9", score);
            assert!(text.contains(&url), "link for {score} in the text");
            assert!(html.contains(&url), "link for {score} in the HTML");
        }
        // Body text isolates the brand (FSI … PDI); the subject, a header, does not.
        let question = "How likely are you to recommend \u{2068}Acme Rentals\u{2069} to a friend or colleague?";
        assert!(text.contains(question), "{text}");
        assert!(html.contains(question), "{html}");
        assert!(html.contains(r#"<html lang="en" dir="ltr">"#), "{html}");
        assert!(html.contains(r#"<div dir="ltr" align="left""#), "{html}");
        assert!(text.starts_with("Hi,"), "{text}");
    }

    #[test]
    fn a_marker_is_json_whatever_the_id() {
        for id in ["0193a7c2-1b2c-7d3e", "odd \"id\" \\ here"] {
            let headers = markers(id);
            let mailgun: serde_json::Value = serde_json::from_str(&headers[1].1).unwrap();
            assert_eq!(mailgun["promiseguard_invitation"], id);
            let smtpapi: serde_json::Value = serde_json::from_str(&headers[0].1).unwrap();
            assert_eq!(smtpapi["unique_args"]["promiseguard_invitation"], id);
        }
    }

    #[test]
    fn an_arabic_reminder_runs_right_to_left_and_says_it_is_a_reminder() {
        let links = SurveyLinks::new(b"k".repeat(32), "https://cx.example.com");
        let from: Mailbox = "Acme CX <cx@example.com>".parse().unwrap();
        let words = SurveyWords::new(&acme(), &Locale::negotiate("ar").unwrap(), Some(3));
        let raw = build(&email(&words), &from, &links).unwrap().formatted();
        assert!(String::from_utf8_lossy(&raw).contains("Message-ID: <reminder-inv-9@example.com>"));
        let (subject, text, html) = read(&raw);
        assert_eq!(subject, "تذكير — Acme Rentals: سؤال واحد عن «A free day»");
        assert!(!subject.contains(['\u{2068}', '\u{2069}']));
        let unmarked = text.replace(['\u{2068}', '\u{2069}'], "");
        assert!(unmarked.contains("قبل 3 أيام"), "{text}");
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
        assert!(html.contains(r#"<div dir="rtl" align="right""#), "{html}");
        assert!(html.contains("text-align: right;"), "{html}");
        assert!(
            html.contains(r#"<table role="presentation" dir="rtl" align="right""#),
            "{html}"
        );
        assert!(
            html.replace(['\u{2068}', '\u{2069}'], "")
                .contains(r#"aria-label="7 من 10""#),
            "{html}"
        );
        assert!(text.contains(&links.unsubscribe_url("inv-9")));
    }
}
