//! The complaint guard's rules: which spam complaints count against the survey mail, and when
//! their rate pauses it. Gmail's and Yahoo's bulk-sender rules ask for complaints below 0.1 %
//! and never 0.3 %; the guard pauses survey and reminder mail above `[surveys]
//! pause_complaint_rate` until a reviewer resumes it.
use serde_json::Value;

/// The name under which each survey email carries its invitation id to the relay — SendGrid's
/// unique args, Mailgun's variables, Postmark's metadata, SES's message tags — and under which
/// the relay's events give it back.
pub const MARKER: &str = "promiseguard_invitation";

/// The marker as a relay echoes it: an invitation id (a UUID: letters, digits and hyphens, as
/// SES's tag values allow), else nothing — a value of any other shape is not ours.
pub fn marker_value(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.trim(),
        // SES gives each tag as a list of values.
        Value::Array(values) => return marker_value(values.first()),
        _ => return None,
    };
    let ours = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ours.then(|| text.to_owned())
}

/// What the guard weighs: the survey emails handed to the relay in its window, and the
/// complaints counted against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComplaintFigures {
    pub sent: u64,
    pub complaints: u64,
}

/// `[surveys] pause_complaint_rate` and `complaint_min_sent`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComplaintLimit {
    pub rate: f64,
    pub min_sent: u64,
}

impl ComplaintFigures {
    /// Complaints over mail sent (0 when nothing was sent).
    pub fn rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.complaints as f64 / self.sent as f64
        }
    }

    /// Whether these figures pause the survey mail: enough sent to judge by, and a rate above
    /// the limit.
    pub fn over(&self, limit: ComplaintLimit) -> bool {
        self.sent >= limit.min_sent && self.complaints > 0 && self.rate() > limit.rate
    }

    /// Why the guard paused, for the alert, the status and the health answer.
    pub fn reason(&self, limit: ComplaintLimit, window_days: u32) -> String {
        format!(
            "{} spam complaints on {} survey emails in {window_days} days ({:.2} %), above the {:.2} % limit",
            self.complaints,
            self.sent,
            self.rate() * 100.0,
            limit.rate * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMIT: ComplaintLimit = ComplaintLimit {
        rate: 0.001,
        min_sent: 200,
    };

    #[test]
    fn two_complaints_on_250_pause_and_too_few_sent_do_not() {
        let two = ComplaintFigures {
            sent: 250,
            complaints: 2,
        };
        assert!(two.over(LIMIT));
        assert_eq!(
            two.reason(LIMIT, 7),
            "2 spam complaints on 250 survey emails in 7 days (0.80 %), above the 0.10 % limit"
        );
        let early = ComplaintFigures {
            sent: 150,
            complaints: 2,
        };
        assert!(!early.over(LIMIT), "fewer than complaint_min_sent sent");
        let under = ComplaintFigures {
            sent: 5000,
            complaints: 5,
        };
        assert!(!under.over(LIMIT), "exactly 0.1 % is not above it");
        assert!(!ComplaintFigures::default().over(LIMIT));
        assert_eq!(ComplaintFigures::default().rate(), 0.0);
    }

    #[test]
    fn a_marker_is_an_id_shaped_string_or_an_ses_tag_list() {
        assert_eq!(
            marker_value(Some(&json!("0193a7c2-1b2c-7d3e-8f40-123456789abc"))).as_deref(),
            Some("0193a7c2-1b2c-7d3e-8f40-123456789abc")
        );
        assert_eq!(
            marker_value(Some(&json!(["inv-1"]))).as_deref(),
            Some("inv-1")
        );
        assert_eq!(marker_value(Some(&json!("a b"))), None);
        assert_eq!(marker_value(Some(&json!(42))), None);
        assert_eq!(marker_value(Some(&json!(""))), None);
        assert_eq!(marker_value(None), None);
    }
}
