//! Whose request it is, behind a balancer: the per-address rate limits and the security log key
//! on the client's address, and a balancer in front of the gateways makes every request its own.
//! Balancers listed in `TRUSTED_PROXIES` say whom they forward for in `X-Forwarded-For`, each
//! appending the address it was reached from; the client is the rightmost address there that
//! is not a trusted balancer. Anything left of it was written by the client itself and is not
//! believed, so a client cannot pass for another by sending the header; a request from an
//! address that is not trusted is that address's, whatever its headers say.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client of a request that came from `peer`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Every X-Forwarded-For line in order, as one list (a proxy may add a line of its own).
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // Not an address: what the last trusted hop reported stands.
            None => break,
        }
    }
    client
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port (`1.2.3.4:5678`,
/// `[::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn client(peer: &str, forwarded: &[&str], trusted: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for line in forwarded {
            headers.append("x-forwarded-for", line.parse().unwrap());
        }
        let trusted: Vec<IpNet> = trusted.iter().map(|n| n.parse().unwrap()).collect();
        resolve(peer.parse().unwrap(), &headers, &trusted).to_string()
    }

    #[test]
    fn the_client_is_the_rightmost_address_no_trusted_balancer_wrote() {
        // Straight from a client: the header is the client's own words.
        assert_eq!(
            client("198.51.100.4", &["203.0.113.9"], &["10.0.0.0/8"]),
            "198.51.100.4"
        );
        // Through nginx at 10.0.0.2.
        assert_eq!(
            client("10.0.0.2", &["198.51.100.4"], &["10.0.0.0/8"]),
            "198.51.100.4"
        );
        // A client that sent its own header through nginx: its claim is left of its address.
        assert_eq!(
            client("10.0.0.2", &["203.0.113.9, 198.51.100.4"], &["10.0.0.0/8"]),
            "198.51.100.4"
        );
        // Two balancers, one line each.
        assert_eq!(
            client("10.0.0.2", &["198.51.100.4", "10.0.0.7"], &["10.0.0.0/8"]),
            "198.51.100.4"
        );
        // Ports and IPv6.
        assert_eq!(
            client("10.0.0.2", &["[2001:db8::5]:4711"], &["10.0.0.2/32"]),
            "2001:db8::5"
        );
        assert_eq!(client("::1", &["198.51.100.4:80"], &["::1/128"]), "198.51.100.4");
    }

    #[test]
    fn without_a_usable_header_the_balancer_is_the_client() {
        assert_eq!(client("10.0.0.2", &[], &["10.0.0.0/8"]), "10.0.0.2");
        assert_eq!(client("10.0.0.2", &["unknown"], &["10.0.0.0/8"]), "10.0.0.2");
        // Garbage left of a real address does not undo it.
        assert_eq!(
            client("10.0.0.2", &["junk, 198.51.100.4"], &["10.0.0.0/8"]),
            "198.51.100.4"
        );
        // Only trusted hops: the leftmost one reported is the furthest known.
        assert_eq!(
            client("10.0.0.2", &["10.0.0.9, 10.0.0.7"], &["10.0.0.0/8"]),
            "10.0.0.9"
        );
    }
}
