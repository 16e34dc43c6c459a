//! The survey email: one question, eleven score links, and a one-click unsubscribe.
use super::SurveyLinks;
use crate::domain::wording::Wording;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use maud::{DOCTYPE, html};

pub struct SurveyEmail<'a> {
    pub invitation_id: &'a str,
    pub recipient: &'a str,
    /// Who asks, and about which offer.
    pub wording: &'a Wording,
    /// The invitation's one reminder: the same links, a subject that says so.
    pub reminder: bool,
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
    let about = email.wording.about();
    let question = email.wording.question();
    let brand = &email.wording.brand;
    let unsubscribe = links.unsubscribe_url(email.invitation_id);
    let scores: Vec<(u8, String)> = (0..=10)
        .map(|s| (s, links.survey_url(email.invitation_id, s)))
        .collect();

    let opening = if email.reminder {
        "A short reminder, in case our first email got buried."
    } else {
        "Hi,"
    };
    let mut text = format!(
        "{opening}\n\nYou recently looked at {about} from {brand}. One question, one click:\n\
         {question}\n\n"
    );
    for (score, url) in &scores {
        let label = match score {
            0 => " (not at all likely)",
            10 => " (extremely likely)",
            _ => "",
        };
        text.push_str(&format!("{score}{label}: {url}\n"));
    }
    text.push_str(&format!("\nNo more of these surveys: {unsubscribe}\n"));

    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "One question" }
            }
            body style="font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 36rem; margin: 0 auto; padding: 1rem;" {
                p { (opening) }
                p { "You recently looked at " (about) " from " (brand) ". One question, one click:" }
                p style="font-weight: 600;" { (question) }
                table role="presentation" style="border-collapse: collapse;" {
                    tr {
                        @for (score, url) in &scores {
                            td style="padding: 1px;" {
                                a href=(url) style="display: inline-block; min-width: 1.5rem; padding: 0.6rem 0; text-align: center; border: 1px solid #666; border-radius: 4px; color: #1a1a1a; text-decoration: none;"
                                    aria-label=(format!("{score} out of 10")) { (score) }
                            }
                        }
                    }
                }
                p style="font-size: 0.875rem; color: #444;" { "0 = not at all likely, 10 = extremely likely" }
                p style="font-size: 0.75rem; color: #555;" {
                    a href=(unsubscribe) style="color: #555;" { "No more of these surveys" }
                }
            }
        }
    };

    let domain = from.email.domain().to_owned();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(if email.reminder {
            format!("Reminder — {brand}: one question about {about}")
        } else {
            format!("{brand}: one question about {about}")
        })
        .message_id(Some(format!(
            "<{}-{}@{domain}>",
            if email.reminder {
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

    #[test]
    fn the_message_has_both_parts_eleven_links_and_unsubscribe_headers() {
        let links = SurveyLinks::new(b"k".repeat(32), "https://cx.example.com");
        let from: Mailbox = "Acme CX <cx@example.com>".parse().unwrap();
        let email = SurveyEmail {
            invitation_id: "inv-9",
            recipient: "dana@example.com",
            wording: &Wording {
                brand: "Acme Rentals".into(),
                offer: Some("A free day".into()),
            },
            reminder: false,
        };
        let raw = String::from_utf8(build(&email, &from, &links).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <invitation-inv-9@example.com>"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains(&format!(
            "List-Unsubscribe: <{}>",
            links.unsubscribe_url("inv-9")
        )));
        assert!(
            raw.contains("Content-Type: text/plain") && raw.contains("Content-Type: text/html")
        );
        assert!(
            raw.contains("Subject: Acme Rentals: one question about =?utf-8?")
                || raw.contains("Subject: Acme Rentals: one question about “A free day”"),
            "{raw}"
        );
        let unfolded = raw.replace("=\r\n", "").replace("=3D", "=");
        for score in 0..=10 {
            assert!(
                unfolded.contains(&links.survey_url("inv-9", score)),
                "link for {score}"
            );
        }
        assert!(
            unfolded
                .contains("How likely are you to recommend Acme Rentals to a friend or colleague?"),
            "{unfolded}"
        );
    }
}
