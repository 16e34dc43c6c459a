//! `[[platforms]]` (where campaigns are scheduled: Klaviyo, Mailchimp, Braze) and `[watch]`
//! (how the `watch` job reads them).
use super::{ConfigError, Secret};
use crate::domain::watch::{OnBlock, PlatformKind, Timing};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Unique: the platform's campaigns, metrics and logs are named by it.
    pub name: String,
    #[serde(deserialize_with = "super::text::parsed")]
    pub kind: PlatformKind,
    pub api_key: Secret,
    /// Klaviyo `https://a.klaviyo.com`; Mailchimp's from the key's data-centre suffix; Braze:
    /// required (the instance's REST endpoint).
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub on_block: OnBlock,
    /// Klaviyo 150, Braze 4000; Mailchimp is limited by requests in flight (10) instead.
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Klaviyo's API revision header.
    #[serde(default)]
    pub revision: Option<String>,
}

/// Klaviyo's revision when none is configured.
pub const KLAVIYO_REVISION: &str = "2026-07-15";
/// Mailchimp: at most this many requests in flight per key.
pub const MAILCHIMP_IN_FLIGHT: usize = 10;

impl PlatformConfig {
    /// The REST base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        let url = match (&self.base_url, self.kind) {
            (Some(url), _) => url.clone(),
            (None, PlatformKind::Klaviyo) => "https://a.klaviyo.com".into(),
            (None, PlatformKind::Mailchimp) => format!(
                "https://{}.api.mailchimp.com",
                mailchimp_data_centre(self.api_key.expose()).unwrap_or_default()
            ),
            // Refused by `validate`.
            (None, PlatformKind::Braze) => String::new(),
        };
        url.trim_end_matches('/').to_owned()
    }

    /// Requests a minute, paced evenly; `None` for Mailchimp (bounded in flight instead).
    pub fn requests_per_minute(&self) -> Option<u32> {
        match self.kind {
            PlatformKind::Klaviyo => Some(self.requests_per_minute.unwrap_or(150)),
            PlatformKind::Braze => Some(self.requests_per_minute.unwrap_or(4000)),
            PlatformKind::Mailchimp => self.requests_per_minute,
        }
    }

    pub fn revision(&self) -> &str {
        self.revision.as_deref().unwrap_or(KLAVIYO_REVISION)
    }
}

/// A Mailchimp key ends in its data centre: `…-us6` → `us6`.
fn mailchimp_data_centre(key: &str) -> Option<&str> {
    let (_, dc) = key.trim().rsplit_once('-')?;
    (!dc.is_empty() && dc.chars().all(|c| c.is_ascii_alphanumeric())).then_some(dc)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    /// Campaigns whose first delivery is at most this many days ahead are watched.
    pub horizon_days: u64,
    /// Content of a platform whose list carries no change marker (Mailchimp, Braze) is read
    /// again at most this often, in seconds.
    pub refetch_s: u64,
    /// Inside this many seconds of the first delivery the content is read once more, and a
    /// block may take the campaign off the schedule.
    pub act_within_s: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            horizon_days: 14,
            refetch_s: 3600,
            act_within_s: 7200,
        }
    }
}

impl WatchConfig {
    pub fn timing(&self) -> Timing {
        let seconds = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        Timing {
            horizon: chrono::Duration::days(self.horizon_days as i64),
            refetch: seconds(self.refetch_s),
            act_within: seconds(self.act_within_s),
        }
    }
}

pub(super) fn validate(
    platforms: &[PlatformConfig],
    watch: &WatchConfig,
) -> Result<(), ConfigError> {
    for (i, p) in platforms.iter().enumerate() {
        let key = |field: &str| format!("platforms[{i}].{field}");
        if p.name.trim().is_empty() {
            return Err(ConfigError::new(&key("name"), "must not be empty"));
        }
        if platforms[..i].iter().any(|o| o.name == p.name) {
            return Err(ConfigError::new(
                &key("name"),
                format!("`{}` is named twice", p.name),
            ));
        }
        if p.api_key.expose().trim().is_empty() {
            return Err(ConfigError::new(&key("api_key"), "must not be empty"));
        }
        match (&p.base_url, p.kind) {
            (Some(url), _) => {
                let parsed = url::Url::parse(url)
                    .map_err(|e| ConfigError::new(&key("base_url"), e.to_string()))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new(
                        &key("base_url"),
                        "must be an http or https URL",
                    ));
                }
            }
            (None, PlatformKind::Braze) => {
                return Err(ConfigError::new(
                    &key("base_url"),
                    "is required for Braze: the instance's REST endpoint, e.g. https://rest.iad-01.braze.com",
                ));
            }
            (None, PlatformKind::Mailchimp)
                if mailchimp_data_centre(p.api_key.expose()).is_none() =>
            {
                return Err(ConfigError::new(
                    &key("api_key"),
                    "a Mailchimp key ends in its data centre (…-us6); set base_url otherwise (the key is not shown)",
                ));
            }
            (None, _) => {}
        }
        if p.kind == PlatformKind::Braze && p.on_block == OnBlock::Unschedule {
            return Err(ConfigError::new(
                &key("on_block"),
                "Braze has no REST call that unschedules a dashboard campaign: use on_block = \"alert\", and abort_message in Connected Content (docs/integrations.md) to stop a send per recipient",
            ));
        }
        if p.requests_per_minute == Some(0) {
            return Err(ConfigError::new(
                &key("requests_per_minute"),
                "must be at least 1",
            ));
        }
        if p.revision.is_some() && p.kind != PlatformKind::Klaviyo {
            return Err(ConfigError::new(
                &key("revision"),
                "is Klaviyo's API revision only",
            ));
        }
    }
    if watch.horizon_days == 0 {
        return Err(ConfigError::new("watch.horizon_days", "must be at least 1"));
    }
    if watch.act_within_s == 0 || watch.act_within_s > watch.horizon_days * 86_400 {
        return Err(ConfigError::new(
            "watch.act_within_s",
            "must be at least 1 and within watch.horizon_days",
        ));
    }
    if watch.refetch_s == 0 {
        return Err(ConfigError::new("watch.refetch_s", "must be at least 1"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(kind: PlatformKind, key: &str) -> PlatformConfig {
        PlatformConfig {
            name: "p".into(),
            kind,
            api_key: Secret::new(key),
            base_url: None,
            on_block: OnBlock::Alert,
            requests_per_minute: None,
            revision: None,
        }
    }

    #[test]
    fn defaults_follow_each_platform() {
        let k = platform(PlatformKind::Klaviyo, "pk_x");
        assert_eq!(k.base_url(), "https://a.klaviyo.com");
        assert_eq!(k.requests_per_minute(), Some(150));
        assert_eq!(k.revision(), "2026-07-15");
        let m = platform(PlatformKind::Mailchimp, "0123abcd-us6");
        assert_eq!(m.base_url(), "https://us6.api.mailchimp.com");
        assert_eq!(m.requests_per_minute(), None);
        let mut b = platform(PlatformKind::Braze, "b");
        b.base_url = Some("https://rest.iad-01.braze.com/".into());
        assert_eq!(b.base_url(), "https://rest.iad-01.braze.com");
        assert_eq!(b.requests_per_minute(), Some(4000));
    }

    #[test]
    fn what_cannot_work_is_refused_by_its_key() {
        let watch = WatchConfig::default();
        let refused = |p: PlatformConfig| validate(&[p], &watch).unwrap_err().key;
        assert_eq!(
            refused(platform(PlatformKind::Braze, "b")),
            "platforms[0].base_url"
        );
        let mut b = platform(PlatformKind::Braze, "b");
        b.base_url = Some("https://rest.iad-01.braze.com".into());
        b.on_block = OnBlock::Unschedule;
        assert_eq!(refused(b), "platforms[0].on_block");
        assert_eq!(
            refused(platform(PlatformKind::Mailchimp, "nodatacentre")),
            "platforms[0].api_key"
        );
        let twice = [
            platform(PlatformKind::Klaviyo, "a"),
            platform(PlatformKind::Klaviyo, "b"),
        ];
        assert_eq!(
            validate(&twice, &watch).unwrap_err().key,
            "platforms[1].name"
        );
    }
}
