//! `[limits]`: how many requests one client address may make a minute at the public doors, and
//! which peers are proxies whose `X-Forwarded-For` names the client.
use super::ConfigError;
use ipnet::IpNet;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// The survey and unsubscribe pages (a one-click unsubscribe with a valid token is never
    /// limited); 0: no limit.
    pub per_ip_per_minute: u32,
    /// `GET /v1/lookup`; 0 (the default): no limit — a send renders from a few platform
    /// addresses.
    pub lookup_per_ip_per_minute: u32,
    /// The inbound doors (events, conversions, sources, compliance); 0 (the default): no limit.
    pub events_per_ip_per_minute: u32,
    /// Proxies (CIDRs or addresses) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 120,
            lookup_per_ip_per_minute: 0,
            events_per_ip_per_minute: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

impl LimitsConfig {
    /// The trusted proxies' networks (validated at load: each parses).
    pub fn proxies(&self) -> Vec<IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| network(p).ok())
            .collect()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (i, proxy) in self.trusted_proxies.iter().enumerate() {
            network(proxy)
                .map_err(|e| ConfigError::new(&format!("limits.trusted_proxies[{i}]"), e))?;
        }
        Ok(())
    }
}

/// A CIDR (`10.0.0.0/8`, `fd00::/8`) or one address (`203.0.113.7`).
fn network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not a CIDR (10.0.0.0/8) or an address"))
}
