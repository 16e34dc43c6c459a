//! Who a request comes from: the TCP peer — or, when the peer is a trusted proxy (`[limits]
//! trusted_proxies`), the address `X-Forwarded-For` names, read from the right and skipping
//! the trusted proxies on the way (the left of the header is whatever the client wrote). The
//! rate limits and the loopback-only rules of the doors without credentials all go by it, so a
//! proxy on the same host does not make every caller look local.
use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub struct Proxies(Vec<IpNet>);

impl Proxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of `req` (none without a peer address: a test request).
    pub fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        Some(self.resolve(peer, &forwarded))
    }

    /// The client behind `peer`, by the `X-Forwarded-For` values in the order they came: the
    /// rightmost address that is not a trusted proxy; an entry that is no address stops the
    /// walk at the hop before it (the nearest address we can vouch for).
    pub fn resolve(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded.iter().flat_map(|v| v.split(',')).rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = ip;
            if !self.trusted(ip) {
                return ip;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy() {
        let proxies = Proxies::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ]);
        let peer = ip("127.0.0.1");
        // The client's own claim (the left) is never believed over the hops we trust.
        assert_eq!(
            proxies.resolve(peer, &["6.6.6.6, 198.51.100.7, 10.1.2.3"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.resolve(peer, &["198.51.100.7", "10.1.2.3"]),
            ip("198.51.100.7"),
            "two headers"
        );
        assert_eq!(
            proxies.resolve(peer, &[]),
            peer,
            "no header: the proxy itself"
        );
        assert_eq!(
            proxies.resolve(peer, &["10.9.9.9"]),
            ip("10.9.9.9"),
            "all trusted: the farthest"
        );
        assert_eq!(
            proxies.resolve(peer, &["198.51.100.7, garbage, 10.1.2.3"]),
            ip("10.1.2.3")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            proxies.resolve(ip("203.0.113.9"), &["127.0.0.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            Proxies::default().resolve(peer, &["198.51.100.7"]),
            peer,
            "no proxies: the peer"
        );
    }
}
