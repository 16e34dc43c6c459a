//! What each kind of source needs, checked once at start: the keys its kind requires, the
//! keys that belong to one kind or role only, quotas, shops, store codes and accounts — each
//! error naming its key.
use super::ConfigError;
use super::sources::{LocationIds, SourceConfig, SourceKind, SourcesConfig};

impl SourceConfig {
    fn validate(&self, key: &str, role: &str) -> Result<(), ConfigError> {
        let need = |field: &str, present: bool| {
            if present {
                Ok(())
            } else {
                Err(ConfigError::new(
                    &format!("{key}.{field}"),
                    format!("is required for kind {:?}", self.kind),
                ))
            }
        };
        let wrong_role = |kind: &str| {
            Err(ConfigError::new(
                &format!("{key}.kind"),
                format!("{kind} is not a {role} source"),
            ))
        };
        match (self.kind, role) {
            (SourceKind::GoogleBusinessProfile, "inventory") => {
                return wrong_role("google-business-profile");
            }
            (
                SourceKind::Square | SourceKind::Shopify | SourceKind::ShopifyGraphql,
                "locations",
            ) => {
                return wrong_role("square/shopify");
            }
            (SourceKind::SquareLocations, "inventory") => {
                return wrong_role("square-locations");
            }
            _ => {}
        }
        if self.timeout_ms == 0 {
            return Err(ConfigError::new(
                &format!("{key}.timeout_ms"),
                "must be more than 0",
            ));
        }
        match self.kind {
            SourceKind::GoogleBusinessProfile
            | SourceKind::SquareLocations
            | SourceKind::Square
            | SourceKind::Shopify => {
                need("base_url", self.base_url.is_some())?;
                need("token", self.token.is_some())?;
                if let Some(url) = &self.base_url {
                    url::Url::parse(url)
                        .map_err(|e| ConfigError::new(&format!("{key}.base_url"), e.to_string()))?;
                }
            }
            SourceKind::ShopifyGraphql => {
                need("token", self.token.is_some())?;
                self.validate_shop(key)?;
            }
            SourceKind::HttpJson => {
                need("url", self.url.is_some())?;
                if role == "locations" {
                    need("status_pointer", self.status_pointer.is_some())?;
                } else {
                    need("available_pointer", self.available_pointer.is_some())?;
                }
            }
            SourceKind::Static => need("path", self.path.is_some())?,
        }
        self.validate_pace(key)?;
        self.validate_account(key)?;
        self.validate_ids(key, role)?;
        if self.webhook_secret.is_some()
            && (self.kind != SourceKind::ShopifyGraphql || role != "inventory")
        {
            return Err(ConfigError::new(
                &format!("{key}.webhook_secret"),
                "is for a shopify-graphql inventory source only (its pushes of stock changes)",
            ));
        }
        if self.shop.is_some() && self.kind != SourceKind::ShopifyGraphql {
            return Err(ConfigError::new(
                &format!("{key}.shop"),
                "is for shopify-graphql only",
            ));
        }
        if role == "inventory" && (self.timezone.is_some() || !self.timezones.is_empty()) {
            return Err(ConfigError::new(
                &format!("{key}.timezone"),
                "time zones belong to [sources.locations]",
            ));
        }
        if self.batch_size == Some(0) {
            return Err(ConfigError::new(
                &format!("{key}.batch_size"),
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// `requests_per_minute` and `burst`: each at least 1, the burst within the rate.
    fn validate_pace(&self, key: &str) -> Result<(), ConfigError> {
        if self.requests_per_minute == Some(0) {
            return Err(ConfigError::new(
                &format!("{key}.requests_per_minute"),
                "must be at least 1 (leave it out for no quota)",
            ));
        }
        if self.burst == Some(0) {
            return Err(ConfigError::new(
                &format!("{key}.burst"),
                "must be at least 1",
            ));
        }
        if let Some((rpm, burst)) = self.pace()
            && burst > rpm
        {
            return Err(ConfigError::new(
                &format!("{key}.burst"),
                format!("must be at most requests_per_minute ({rpm})"),
            ));
        }
        Ok(())
    }

    /// `shopify-graphql`: `shop` (a myshopify name) or `base_url` (tests, a proxy), and `shop`
    /// for that kind only.
    fn validate_shop(&self, key: &str) -> Result<(), ConfigError> {
        let field = format!("{key}.shop");
        match (&self.shop, &self.base_url) {
            (None, None) => Err(ConfigError::new(
                &field,
                "is required for kind shopify-graphql (the shop's name, as in acme.myshopify.com)",
            )),
            (Some(shop), _) => {
                let name = shop.strip_suffix(".myshopify.com").unwrap_or(shop);
                let good =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if good {
                    Ok(())
                } else {
                    Err(ConfigError::new(
                        &field,
                        "must be the shop's myshopify name (acme or acme.myshopify.com)",
                    ))
                }
            }
            (None, Some(url)) => url::Url::parse(url)
                .map(|_| ())
                .map_err(|e| ConfigError::new(&format!("{key}.base_url"), e.to_string())),
        }
    }

    /// `ids = "store_code"`: a location source that knows store codes — Google through the
    /// account's list (which gives `storeCode`), a file's or an API's own field.
    fn validate_ids(&self, key: &str, role: &str) -> Result<(), ConfigError> {
        if self.ids == LocationIds::Name {
            return Ok(());
        }
        let error = |message: &str| Err(ConfigError::new(&format!("{key}.ids"), message));
        match (role, self.kind) {
            ("inventory", _) => error("belongs to [sources.locations]"),
            (_, SourceKind::SquareLocations) => {
                error("square-locations has no store code: use ids = \"name\"")
            }
            (_, SourceKind::GoogleBusinessProfile) if self.account.is_none() => {
                Err(ConfigError::new(
                    &format!("{key}.account"),
                    "is required with ids = \"store_code\": only the account's location list gives storeCode",
                ))
            }
            _ => Ok(()),
        }
    }

    /// `account` (Google Business Profile's list call): `accounts/{id}`, for that kind only.
    fn validate_account(&self, key: &str) -> Result<(), ConfigError> {
        if let Some(account) = &self.account {
            if self.kind != SourceKind::GoogleBusinessProfile {
                return Err(ConfigError::new(
                    &format!("{key}.account"),
                    "is for google-business-profile only",
                ));
            }
            let id = account.strip_prefix("accounts/").unwrap_or_default();
            if id.is_empty() || id.contains('/') {
                return Err(ConfigError::new(
                    &format!("{key}.account"),
                    "must be accounts/{id}, as the Business Profile APIs name it",
                ));
            }
        }
        Ok(())
    }
}

impl SourcesConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        self.locations.validate("sources.locations", "locations")?;
        self.inventory.validate("sources.inventory", "inventory")
    }
}
