//! Who the client is, by network address, for rate limits. Behind proxies the peer is the
//! proxy, and `X-Forwarded-For` lists the hops: each proxy appends the address it got the
//! request from, so only the entries added by proxies we run can be believed. Everything
//! left of them was written by the client and may be forged.
//!
//! The rule: the header is read only when the peer itself is a trusted proxy; then the
//! client is the rightmost address in it that is not a trusted proxy. IPv6 clients are
//! grouped by their /64, the block one subscriber usually holds.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use ipnet::IpNet;

/// How client addresses are found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddressPolicy {
    /// Proxies whose `X-Forwarded-For` entries are believed; empty: the header is ignored.
    pub trusted_proxies: Vec<IpNet>,
}

impl ClientAddressPolicy {
    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client's address as a rate-limit key part (`IPv4` whole, IPv6 as its /64).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<String> {
        let peer = peer?;
        let client = if self.trusted(peer) {
            self.rightmost_untrusted(headers).unwrap_or(peer)
        } else {
            peer
        };
        Some(group(client))
    }

    /// The client of `req` as `client` finds it, or `unknown` when the peer address is
    /// not known (no socket address, as in some tests): one key every such client shares.
    pub fn of(&self, req: &HttpRequest) -> String {
        self.client(req.peer_addr().map(|a| a.ip()), req.headers())
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// Walks `X-Forwarded-For` (all of its lines, in order) from the right: trusted hops
    /// are skipped; the first other address is the client. An entry that is not an
    /// address ends the walk (it was not written by a proxy of ours), as does a header
    /// made only of trusted hops; then the last trusted hop seen is the client.
    fn rightmost_untrusted(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut last_trusted = None;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusted(ip) => last_trusted = Some(ip),
                Some(ip) => return Some(ip),
                None => break,
            }
        }
        last_trusted
    }
}

/// An address as proxies write it: bare, or with a port (`1.2.3.4:80`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    None
}

fn group(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn policy(nets: &[&str]) -> ClientAddressPolicy {
        ClientAddressPolicy {
            trusted_proxies: nets.iter().map(|n| n.parse().unwrap()).collect(),
        }
    }

    const LB: &str = "10.0.0.5";

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client_and_forged_entries_are_ignored() {
        let p = policy(&["10.0.0.0/8"]);
        let peer = Some(LB.parse().unwrap());
        let forged = headers(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(p.client(peer, &forged).as_deref(), Some("203.0.113.7"));
        let through_two = headers(&["1.1.1.1", "203.0.113.7, 10.0.0.9"]);
        assert_eq!(p.client(peer, &through_two).as_deref(), Some("203.0.113.7"));
        let with_port = headers(&["[2001:db8:1:2:3::9]:443"]);
        assert_eq!(
            p.client(peer, &with_port).as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            p.client(peer, &headers(&["junk, 10.0.0.9"])).as_deref(),
            Some("10.0.0.9")
        );
        assert_eq!(p.client(peer, &HeaderMap::new()).as_deref(), Some(LB));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let p = policy(&["10.0.0.0/8"]);
        let peer = Some("198.51.100.4".parse().unwrap());
        assert_eq!(
            p.client(peer, &headers(&["203.0.113.7"])).as_deref(),
            Some("198.51.100.4")
        );
        let nobody = ClientAddressPolicy::default();
        assert_eq!(
            nobody
                .client(Some(LB.parse().unwrap()), &headers(&["203.0.113.7"]))
                .as_deref(),
            Some(LB)
        );
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        let p = ClientAddressPolicy::default();
        let a = p.client(
            Some("2001:db8:aa:bb:1::1".parse().unwrap()),
            &HeaderMap::new(),
        );
        let b = p.client(
            Some("2001:db8:aa:bb:ffff::2".parse().unwrap()),
            &HeaderMap::new(),
        );
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("2001:db8:aa:bb::/64"));
    }
}
