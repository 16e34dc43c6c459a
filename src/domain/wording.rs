//! How a survey names its sender and the offer it asks about: the same names in the email and
//! on the survey page, in whichever language (`i18n`) the reader gets.

/// The brand that asks and the offer asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    /// The campaign's `brand`, else `[surveys] brand`, else `[email] from`'s display name.
    pub brand: String,
    /// The campaign's first offer title (written for customers), if it has one — never the
    /// campaign's internal name.
    pub offer: Option<String>,
}
