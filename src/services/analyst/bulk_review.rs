//! Many findings reviewed with one decision and one note (`POST /v1/findings/review`): all of
//! them or none, in one transaction.
use super::Analysts;
use super::review::{Review, ReviewCommand, ReviewRequest};
use crate::domain::review::Decision;
use crate::domain::{FieldError, ReviewState, Reviewer};
use crate::services::ServiceError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most findings one bulk review takes.
pub const MAX_BULK_REVIEW: usize = 500;

/// A bulk review as the API's JSON body (and the campaign page's form) carries it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReviewRequest {
    /// The findings to review: at least one, at most 500, each once.
    #[serde(default)]
    pub finding_ids: Vec<String>,
    /// acknowledge, override or resolve.
    pub action: String,
    /// Why, kept with every review; required for an override.
    #[serde(default)]
    pub note: Option<String>,
}

/// A bulk review that may be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkReviewCommand {
    pub finding_ids: Vec<String>,
    pub review: ReviewCommand,
}

impl BulkReviewRequest {
    /// The command this request asks for; every problem is named by its pointer.
    pub fn command(self) -> Result<BulkReviewCommand, Vec<FieldError>> {
        let review = ReviewRequest {
            action: self.action,
            note: self.note,
        }
        .command();
        let mut errors = review.as_ref().err().cloned().unwrap_or_default();
        if self.finding_ids.is_empty() {
            errors.push(FieldError::new("/finding_ids", "name at least one finding"));
        } else if self.finding_ids.len() > MAX_BULK_REVIEW {
            errors.push(FieldError::new(
                "/finding_ids",
                format!(
                    "at most {MAX_BULK_REVIEW} findings a request ({} given)",
                    self.finding_ids.len()
                ),
            ));
        } else {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, id) in self.finding_ids.iter().enumerate() {
                let pointer = format!("/finding_ids/{i}");
                if id.trim().is_empty() {
                    errors.push(FieldError::new(pointer, "a finding id, not empty"));
                } else if let Some(first) = seen.insert(id.as_str(), i) {
                    seen.insert(id.as_str(), first);
                    errors.push(FieldError::new(
                        pointer,
                        format!("listed already at /finding_ids/{first}"),
                    ));
                }
            }
        }
        match review {
            Ok(review) if errors.is_empty() => Ok(BulkReviewCommand {
                finding_ids: self.finding_ids,
                review,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkReviewAnswer {
    /// One review a finding, in the request's order.
    pub reviews: Vec<Review>,
    /// The findings' state after these reviews.
    pub review_state: ReviewState,
}

impl Analysts {
    /// Records one decision about many findings, all or nothing: an id that names no finding
    /// is refused at its pointer and nothing is reviewed.
    pub async fn review_many(
        &self,
        reviewer: &Reviewer,
        command: BulkReviewCommand,
    ) -> Result<BulkReviewAnswer, ServiceError> {
        let BulkReviewCommand {
            finding_ids,
            review,
        } = command;
        let decision = Decision {
            action: review.action,
            note: review.note.as_deref(),
            reviewer: reviewer.name(),
        };
        let now = crate::clock::record_time();
        let rows = self
            .store
            .reviews
            .review_findings(&finding_ids, decision, now)
            .await?
            .map_err(|index| {
                ServiceError::Invalid(vec![FieldError::new(
                    format!("/finding_ids/{index}"),
                    format!("no finding `{}`: nothing was reviewed", finding_ids[index]),
                )])
            })?;
        tracing::info!(findings = rows.len(), analyst = %reviewer.name(), action = review.action.as_str(), "findings reviewed together");
        Ok(BulkReviewAnswer {
            reviews: rows.into_iter().map(Review::from).collect(),
            review_state: review.action.state(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ids: Vec<String>, action: &str, note: Option<&str>) -> BulkReviewRequest {
        BulkReviewRequest {
            finding_ids: ids,
            action: action.into(),
            note: note.map(str::to_owned),
        }
    }

    fn pointers(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.pointer.as_str()).collect()
    }

    #[test]
    fn every_problem_of_a_bulk_review_is_named_by_its_pointer() {
        let ok = request(vec!["f1".into(), "f2".into()], "resolve", None)
            .command()
            .unwrap();
        assert_eq!(ok.finding_ids, ["f1", "f2"]);
        let errors = request(vec![], "override", None).command().unwrap_err();
        assert_eq!(pointers(&errors), ["/note", "/finding_ids"]);
        let ids = vec!["a".into(), " ".into(), "b".into(), "a".into()];
        let errors = request(ids, "acknowledge", None).command().unwrap_err();
        assert_eq!(pointers(&errors), ["/finding_ids/1", "/finding_ids/3"]);
        assert!(errors[1].detail.contains("/finding_ids/0"), "{errors:?}");
        let many: Vec<String> = (0..=MAX_BULK_REVIEW).map(|i| format!("f{i}")).collect();
        let errors = request(many, "acknowledge", None).command().unwrap_err();
        assert_eq!(pointers(&errors), ["/finding_ids"]);
        let at_most: Vec<String> = (0..MAX_BULK_REVIEW).map(|i| format!("f{i}")).collect();
        assert!(request(at_most, "acknowledge", None).command().is_ok());
    }
}
