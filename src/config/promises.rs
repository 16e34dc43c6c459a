//! `[promises]`: how the links of an email say what they promise.
use crate::domain::content::LinkTemplates;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PromisesConfig {
    /// URL templates of branch pages: `https://rent.example.com/branches/{location}`.
    pub location_links: Vec<String>,
    /// URL templates of product pages: `https://shop.example.com/p/{sku}?store={location}`;
    /// without `{location}` the item is promised `online`.
    pub item_links: Vec<String>,
    #[serde(skip)]
    templates: LinkTemplates,
}

impl PromisesConfig {
    /// The templates, parsed by `validate`.
    pub fn templates(&self) -> &LinkTemplates {
        &self.templates
    }

    pub(super) fn validate(&mut self) -> Result<(), super::ConfigError> {
        self.templates = LinkTemplates::new(&self.location_links, &self.item_links)
            .map_err(|(key, why)| super::ConfigError::new(&format!("promises.{key}"), why))?;
        Ok(())
    }
}
