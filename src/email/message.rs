//! The survey email: one question, eleven score links, and a one-click unsubscribe.
use super::SurveyLinks;
use crate::domain::wording::Wording;
use crate::i18n::Locale;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use maud::{DOCTYPE, html};

pub struct SurveyEmail<'a> {
    pub invitation_id: &'a str,
    pub recipient: &'a str,
    /// Who asks, and about which offer.
    pub wording: &'a Wording,
    /// The invitation's language.
    pub locale: &'a Locale,
    /// `Some(days)`: the invitation's one reminder, `days` after the first email — the same
    /// links, a subject that says so.
    pub reminder: Option<i64>,
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
    let l = email.locale;
    let title = email.wording.offer.as_deref();
    let brand = email.wording.brand.as_str();
    let offer = l.offer(title);
    let words = [("brand", brand.into()), ("offer", offer.as_str().into())];
    let opening = match email.reminder {
        Some(days) => l.text("email-reminder-opening", &[("days", days.into())]),
        None => l.text("email-greeting", &[]),
    };
    let intro = l.text("email-intro", &words);
    let question = l.text("survey-question", &words);
    let unsubscribe_label = l.text("email-unsubscribe", &[]);
    let unsubscribe = links.unsubscribe_url(email.invitation_id);
    let scores: Vec<(u8, String, String)> = (0..=10)
        .map(|s| {
            let label = l.text("email-score-label", &[("score", s.into())]);
            (s, links.survey_url(email.invitation_id, s), label)
        })
        .collect();

    let mut text = format!("{opening}\n\n{intro}\n{question}\n\n");
    for (_, url, label) in &scores {
        text.push_str(&format!("{label}: {url}\n"));
    }
    text.push_str(&format!(
        "\n{}\n\n{unsubscribe_label}: {unsubscribe}\n",
        l.text("email-scale-ends", &[])
    ));

    // Mail clients drop `<html>`'s attributes and ignore logical CSS: the direction goes on
    // the wrapper and the scale's table as `dir` and `align`, and the text alignment inline.
    let (dir, start) = (l.dir(), l.start());
    let html = html! {
        (DOCTYPE)
        html lang=(l.tag()) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (l.text("email-title", &[])) }
            }
            body style="margin: 0; padding: 0;" {
                div dir=(dir) align=(start) style=(format!("font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 36rem; margin: 0 auto; padding: 1rem; text-align: {start};")) {
                    p { (opening) }
                    p { (intro) }
                    p style="font-weight: 600;" { (question) }
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
                    p style="font-size: 0.875rem; color: #444; clear: both;" { (l.text("email-scale-ends", &[])) }
                    p style="font-size: 0.75rem; color: #555;" {
                        a href=(unsubscribe) style="color: #555;" { (unsubscribe_label) }
                    }
                }
            }
        }
    };

    // The subject is a header: no isolation marks.
    let header_offer = l.offer_in_header(title);
    let header_words = [
        ("brand", brand.into()),
        ("offer", header_offer.as_str().into()),
    ];
    let subject = match email.reminder {
        Some(_) => l.header("email-subject-reminder", &header_words),
        None => l.header("email-subject", &header_words),
    };
    let domain = from.email.domain().to_owned();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(format!(
            "<{}-{}@{domain}>",
            if email.reminder.is_some() {
                "reminder"
            } else {
                "invitation"
            },
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

    fn email<'a>(
        wording: &'a Wording,
        locale: &'a Locale,
        reminder: Option<i64>,
    ) -> SurveyEmail<'a> {
        SurveyEmail {
            invitation_id: "inv-9",
            recipient: "dana@example.com",
            wording,
            locale,
            reminder,
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
        let (wording, en) = (acme(), Locale::english());
        let raw = build(&email(&wording, &en, None), &from, &links)
            .unwrap()
            .formatted();
        let headers = String::from_utf8_lossy(&raw);
        assert!(
            headers.contains("Message-ID: <invitation-inv-9@example.com>"),
            "{headers}"
        );
        assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
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
    fn an_arabic_reminder_runs_right_to_left_and_says_it_is_a_reminder() {
        let links = SurveyLinks::new(b"k".repeat(32), "https://cx.example.com");
        let from: Mailbox = "Acme CX <cx@example.com>".parse().unwrap();
        let (wording, ar) = (acme(), Locale::negotiate("ar").unwrap());
        let raw = build(&email(&wording, &ar, Some(3)), &from, &links)
            .unwrap()
            .formatted();
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
