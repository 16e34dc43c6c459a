//! `[promises]`: how the links of an email say what they promise, and which of them are
//! fetched to see that they lead somewhere.
use crate::domain::content::LinkTemplates;
use crate::domain::link::LinkHosts;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PromisesConfig {
    /// URL templates of branch pages: `https://rent.example.com/branches/{location}`.
    pub location_links: Vec<String>,
    /// URL templates of product pages: `https://shop.example.com/p/{sku}?store={location}`;
    /// without `{location}` the item is promised `online`.
    pub item_links: Vec<String>,
    /// Hosts whose links are fetched (`rent.example.com`, `127.0.0.1:8080`); empty (the
    /// default): no link is fetched.
    pub check_links_hosts: Vec<String>,
    /// How long a link's answer is kept and shared by every check, in seconds.
    pub link_max_age_s: u64,
    /// Link fetches a minute, paced evenly (every redirect counts); none: unpaced.
    pub link_requests_per_minute: Option<u32>,
    #[serde(skip)]
    templates: LinkTemplates,
    #[serde(skip)]
    hosts: LinkHosts,
}

impl Default for PromisesConfig {
    fn default() -> Self {
        Self {
            location_links: Vec::new(),
            item_links: Vec::new(),
            check_links_hosts: Vec::new(),
            link_max_age_s: 3600,
            link_requests_per_minute: None,
            templates: LinkTemplates::default(),
            hosts: LinkHosts::default(),
        }
    }
}

impl PromisesConfig {
    /// The templates, parsed by `validate`.
    pub fn templates(&self) -> &LinkTemplates {
        &self.templates
    }

    /// The hosts whose links are fetched, parsed by `validate`.
    pub fn link_hosts(&self) -> &LinkHosts {
        &self.hosts
    }

    pub(super) fn validate(&mut self) -> Result<(), super::ConfigError> {
        self.templates = LinkTemplates::new(&self.location_links, &self.item_links)
            .map_err(|(key, why)| super::ConfigError::new(&format!("promises.{key}"), why))?;
        self.hosts = LinkHosts::new(&self.check_links_hosts).map_err(|(i, why)| {
            super::ConfigError::new(&format!("promises.check_links_hosts[{i}]"), why)
        })?;
        if self.link_requests_per_minute == Some(0) {
            return Err(super::ConfigError::new(
                "promises.link_requests_per_minute",
                "must be at least 1 (leave it out for no pacing)",
            ));
        }
        Ok(())
    }
}
