//! Links of an email that are fetched to see that they lead somewhere: which hosts may be asked
//! (`[promises] check_links_hosts`), which addresses are internal, and what a link answered.
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use url::{Host, Url};

/// Redirects followed for one link, at most; one more is a link that leads nowhere.
pub const MAX_REDIRECTS: usize = 5;

/// The hosts whose links may be fetched: a name or an IP, with a port (`127.0.0.1:8080`) or
/// without one (then only the scheme's own port, 80 or 443). Nothing else is ever fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkHosts {
    entries: Vec<(Host<String>, Option<u16>)>,
}

impl LinkHosts {
    /// Reads the entries; an error names the index of the first one that is not a host with an
    /// optional port.
    pub fn new(entries: &[String]) -> Result<Self, (usize, String)> {
        let mut out = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let bad = |why: &str| (i, format!("{entry:?}: {why}"));
            if entry.is_empty() || entry.contains(['/', '@', '?', '#']) || entry.contains("://") {
                return Err(bad(
                    "a host name or IP, with an optional :port (no scheme, no path)",
                ));
            }
            let url = Url::parse(&format!("http://{entry}")).map_err(|e| bad(&e.to_string()))?;
            let host = url.host().ok_or_else(|| bad("no host"))?.to_owned();
            // `Url` drops a port equal to the scheme's default: keep what was written.
            let port = match entry.rsplit_once(':') {
                Some((_, p)) if !entry.ends_with(']') => Some(
                    p.parse::<u16>()
                        .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
                ),
                _ => None,
            };
            out.push((host, port));
        }
        Ok(Self { entries: out })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `url` is an http(s) URL of a listed host and port.
    pub fn allows(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return false;
        };
        let default = if url.scheme() == "https" { 443 } else { 80 };
        self.entries
            .iter()
            .any(|(h, p)| same_host(h, &host) && p.map_or(port == default, |p| p == port))
    }
}

fn same_host(listed: &Host<String>, host: &Host<&str>) -> bool {
    match (listed, host) {
        (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
        (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
        (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
        _ => false,
    }
}

/// An address a link from a submitted email must not reach by way of a name: loopback,
/// private, link-local, shared (CGNAT), unspecified, broadcast, multicast, documentation, and
/// their IPv6 kin (unique local, link-local, IPv4-mapped internal ones).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// One answer on the way: the URL asked and the status it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub url: String,
    pub status: u16,
}

/// Why a link was not fetched (or not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// A redirect to a host (or port, or scheme) that is not listed.
    UnlistedHost,
    /// A listed name resolved to an internal address.
    InternalAddress,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnlistedHost => "unlisted_host",
            Refusal::InternalAddress => "internal_address",
        }
    }
}

/// What fetching a link came to (a link that did not answer in time is no answer at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAnswer {
    /// The last answer, every hop before it in `hops` (the last hop is this answer).
    Answered { hops: Vec<Hop> },
    /// More than `MAX_REDIRECTS` redirects (a loop, most often).
    TooManyRedirects { hops: Vec<Hop> },
    /// Not fetched, or not followed past `hops`: why, and what was refused.
    Refused {
        reason: Refusal,
        detail: String,
        hops: Vec<Hop>,
    },
}

impl LinkAnswer {
    pub fn hops(&self) -> &[Hop] {
        match self {
            LinkAnswer::Answered { hops }
            | LinkAnswer::TooManyRedirects { hops }
            | LinkAnswer::Refused { hops, .. } => hops,
        }
    }

    /// The status of the last answer, if any.
    pub fn status(&self) -> Option<u16> {
        self.hops().last().map(|h| h.status)
    }

    /// A link that leads nowhere: a final 4xx or 5xx, or too many redirects.
    pub fn is_broken(&self) -> bool {
        match self {
            LinkAnswer::Answered { .. } => self.status().is_some_and(|s| s >= 400),
            LinkAnswer::TooManyRedirects { .. } => true,
            LinkAnswer::Refused { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> LinkHosts {
        LinkHosts::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn allows(h: &LinkHosts, url: &str) -> bool {
        h.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn hosts_match_by_name_ip_and_port() {
        let h = hosts(&["Rent.Example.com", "127.0.0.1:8081", "[::1]:9000"]);
        assert!(allows(&h, "https://rent.example.COM/branches/loc-101"));
        assert!(allows(&h, "http://rent.example.com:80/x"));
        assert!(
            !allows(&h, "https://rent.example.com:8443/x"),
            "another port"
        );
        assert!(allows(&h, "http://127.0.0.1:8081/ok"));
        assert!(
            !allows(&h, "http://127.0.0.1:8082/ok"),
            "another port of a listed IP"
        );
        assert!(!allows(&h, "http://127.0.0.2:8081/ok"));
        assert!(!allows(&h, "http://localhost:8081/ok"));
        assert!(allows(&h, "http://[::1]:9000/"));
        assert!(!allows(&h, "ftp://rent.example.com/"));
        assert!(!allows(&h, "https://evil.example.com/"));
    }

    #[test]
    fn bad_entries_are_named_by_index() {
        let bad = |e: &str| LinkHosts::new(&["ok.example.com".into(), e.into()]).unwrap_err();
        assert_eq!(bad("https://x.example.com").0, 1);
        assert_eq!(bad("x.example.com/path").0, 1);
        assert_eq!(bad("x.example.com:http").0, 1);
        assert_eq!(bad("").0, 1);
    }

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
