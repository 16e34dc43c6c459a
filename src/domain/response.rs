//! Survey response webhooks (`[[surveys.webhooks]]`): which event an answer or an unsubscribe
//! is, and the body each destination receives — `{type, timestamp, data}` as Standard Webhooks
//! suggests. The body is written when the answer is recorded (in its transaction) and kept
//! until every destination has settled it, so a `created` delivered late still says what the
//! first answer said.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to a survey's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResponseEvent {
    /// The invitation's first answer.
    #[serde(rename = "survey_response.created")]
    Created,
    /// A later answer that changed the score, the reason or the comment.
    #[serde(rename = "survey_response.updated")]
    Updated,
    /// The recipient unsubscribed from surveys through the survey's own link.
    #[serde(rename = "survey.unsubscribed")]
    Unsubscribed,
}

impl ResponseEvent {
    pub const ALL: [ResponseEvent; 3] = [
        ResponseEvent::Created,
        ResponseEvent::Updated,
        ResponseEvent::Unsubscribed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "survey_response.created",
            Self::Updated => "survey_response.updated",
            Self::Unsubscribed => "survey.unsubscribed",
        }
    }

    /// The event an answer is, from the invitation's answer before and after it: `created` for
    /// the first, `updated` when it changed anything, nothing for an identical re-submission.
    pub fn of_answer(before: &AnswerState, after: &AnswerState) -> Option<Self> {
        if before.score.is_none() {
            Some(Self::Created)
        } else if before != after {
            Some(Self::Updated)
        } else {
            None
        }
    }
}

impl std::str::FromStr for ResponseEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown survey webhook event `{s}`"))
    }
}

/// What an answer says, compared before and after it is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnswerState {
    pub score: Option<u8>,
    /// As the form value (`location_closed`).
    pub reason: Option<String>,
    pub comment: Option<String>,
}

/// One destination of response webhooks: its URL and the events it wants (its key stays in
/// the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHook {
    pub url: String,
    pub events: Vec<ResponseEvent>,
}

impl ResponseHook {
    pub fn wants(&self, event: ResponseEvent) -> bool {
        self.events.contains(&event)
    }
}

/// `data` of a response webhook: the answer as it stood when the event happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseData {
    pub invitation_id: String,
    pub campaign_id: String,
    pub campaign_name: Option<String>,
    pub recipient: String,
    /// The survey's language (`en`, `ar`, …); null: the default.
    pub locale: Option<String>,
    /// 0–10; null for an unsubscribe before any answer.
    pub score: Option<u8>,
    pub reason: Option<String>,
    pub comment: Option<String>,
    /// What the click the survey followed met (`kept`, `broken`, …); null when not judged.
    pub promise_state: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// The whole body, as signed and sent (the same bytes on every retry).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseBody {
    #[serde(rename = "type")]
    pub kind: ResponseEvent,
    pub timestamp: DateTime<Utc>,
    pub data: ResponseData,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(score: Option<u8>, comment: Option<&str>) -> AnswerState {
        AnswerState {
            score,
            reason: None,
            comment: comment.map(str::to_owned),
        }
    }

    #[test]
    fn the_first_answer_creates_a_change_updates_a_repeat_says_nothing() {
        let first = state(Some(3), None);
        assert_eq!(
            ResponseEvent::of_answer(&state(None, None), &first),
            Some(ResponseEvent::Created)
        );
        assert_eq!(ResponseEvent::of_answer(&first, &first), None);
        assert_eq!(
            ResponseEvent::of_answer(&first, &state(Some(3), Some("closed"))),
            Some(ResponseEvent::Updated)
        );
        let with_reason = AnswerState {
            reason: Some("location_closed".into()),
            ..first.clone()
        };
        assert_eq!(
            ResponseEvent::of_answer(&first, &with_reason),
            Some(ResponseEvent::Updated)
        );
    }

    #[test]
    fn events_read_and_write_their_documented_names() {
        for event in ResponseEvent::ALL {
            assert_eq!(event.as_str().parse::<ResponseEvent>(), Ok(event));
            assert_eq!(
                serde_json::to_value(event).unwrap(),
                serde_json::json!(event.as_str())
            );
        }
        assert!("unsubscribe.created".parse::<ResponseEvent>().is_err());
    }
}
