//! How a survey names its sender and the offer it asks about: the same words in the email and
//! on the survey page.

/// The brand that asks and the offer asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    /// The campaign's `brand`, else `[surveys] brand`, else `[email] from`'s display name.
    pub brand: String,
    /// The campaign's first offer title (written for customers), if it has one — never the
    /// campaign's internal name.
    pub offer: Option<String>,
}

impl Wording {
    /// "“A free day”", or "our recent offer" without a title.
    pub fn about(&self) -> String {
        match self.offer.as_deref().map(str::trim) {
            Some(title) if !title.is_empty() => format!("“{title}”"),
            _ => "our recent offer".to_owned(),
        }
    }

    /// The question, with the brand.
    pub fn question(&self) -> String {
        format!(
            "How likely are you to recommend {} to a friend or colleague?",
            self.brand
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brand_asks_about_the_offer_by_its_title() {
        let w = Wording {
            brand: "Acme Rentals".into(),
            offer: Some("A free day".into()),
        };
        assert_eq!(
            w.question(),
            "How likely are you to recommend Acme Rentals to a friend or colleague?"
        );
        assert_eq!(w.about(), "“A free day”");
        let untitled = Wording {
            offer: Some("  ".into()),
            ..w
        };
        assert_eq!(untitled.about(), "our recent offer");
    }
}
