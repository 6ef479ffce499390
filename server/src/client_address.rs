//! Which client sent a request, for the optional per-client rate limits.
//!
//! Off by default: then no request has a client address and the rate limits are keyed
//! exactly as the protocol defines them. `peer` takes the TCP peer. `x-forwarded-for`
//! trusts the header only as far as the configured proxies vouch for it: the chain
//! (header entries, then the peer) is walked from the right, trusted proxies are
//! skipped, and the first address that is not a trusted proxy is the client. A client
//! cannot forge its way past that, since every hop to its right was added by a proxy
//! we trust.
//!
//! IPv6 clients are grouped by their /64 network: one subscriber usually holds a
//! whole /64, so single addresses would give an attacker billions of fresh buckets.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Where the client address comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientAddressSource {
    /// No client address: rate limits as the protocol defines them.
    #[default]
    Off,
    /// The TCP peer of the connection.
    Peer,
    /// The rightmost `X-Forwarded-For` entry that is not one of the trusted proxies
    /// (the peer must be one of them for the header to count at all).
    ForwardedFor { trusted_proxies: Vec<IpNet> },
}

impl ClientAddressSource {
    /// The value names of `FAROE_CLIENT_IP_SOURCE`.
    pub const NAMES: &'static str = "off, peer or x-forwarded-for";

    /// Parses `FAROE_CLIENT_IP_SOURCE` together with `FAROE_TRUSTED_PROXIES`.
    pub fn parse(source: &str, trusted_proxies: &str) -> Result<Self, String> {
        match source {
            "off" => Ok(ClientAddressSource::Off),
            "peer" => Ok(ClientAddressSource::Peer),
            "x-forwarded-for" => {
                let trusted_proxies = parse_networks(trusted_proxies)?;
                if trusted_proxies.is_empty() {
                    return Err(
                        "x-forwarded-for needs FAROE_TRUSTED_PROXIES (the proxies' addresses or networks)"
                            .to_owned(),
                    );
                }
                Ok(ClientAddressSource::ForwardedFor { trusted_proxies })
            }
            other => Err(format!("{other:?} is not one of {}", Self::NAMES)),
        }
    }

    /// The value of `FAROE_CLIENT_IP_SOURCE` naming this source.
    pub fn name(&self) -> &'static str {
        match self {
            ClientAddressSource::Off => "off",
            ClientAddressSource::Peer => "peer",
            ClientAddressSource::ForwardedFor { .. } => "x-forwarded-for",
        }
    }

    /// The trusted proxies, comma-separated (empty unless `x-forwarded-for`).
    pub fn trusted_proxies(&self) -> String {
        match self {
            ClientAddressSource::ForwardedFor { trusted_proxies } => trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            _ => String::new(),
        }
    }

    /// The client of a request arriving from `peer` with `headers`, as the key its
    /// buckets use; `None` when client addresses are off.
    pub fn client_of(&self, peer: SocketAddr, headers: &HeaderMap) -> Option<String> {
        let address = match self {
            ClientAddressSource::Off => return None,
            ClientAddressSource::Peer => peer.ip(),
            ClientAddressSource::ForwardedFor { trusted_proxies } => {
                forwarded_client(peer.ip(), headers, trusted_proxies)
            }
        };
        Some(bucket_key(address))
    }
}

/// A comma-separated list of addresses or CIDR networks (`10.0.0.0/8, ::1`).
pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or CIDR network"))
        })
        .collect()
}

fn is_trusted(address: IpAddr, trusted_proxies: &[IpNet]) -> bool {
    let address = canonical(address);
    trusted_proxies
        .iter()
        .any(|network| network.contains(&address))
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted_proxies) {
        return peer;
    }
    // Every X-Forwarded-For line, in order, as one list.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("").split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        // An entry a trusted proxy wrote that is not an address: the client cannot be
        // told apart, so the proxy that saw it stands for it.
        let Ok(address) = entry.parse::<IpAddr>() else {
            return client;
        };
        client = address;
        if !is_trusted(address, trusted_proxies) {
            return client;
        }
    }
    client
}

/// The bucket key of a client: the IPv4 address, or the IPv6 /64 network.
fn bucket_key(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            format!("{}/64", Ipv6Addr::from(segments))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer(address: &str) -> SocketAddr {
        SocketAddr::new(address.parse().expect("address"), 40000)
    }

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(line).expect("header"),
            );
        }
        headers
    }

    fn forwarded(trusted: &str) -> ClientAddressSource {
        ClientAddressSource::parse("x-forwarded-for", trusted).expect("valid")
    }

    #[test]
    fn off_gives_no_client() {
        let source = ClientAddressSource::parse("off", "").expect("valid");
        assert_eq!(source.client_of(peer("1.2.3.4"), &headers(&[])), None);
    }

    #[test]
    fn peer_ignores_the_header() {
        let source = ClientAddressSource::parse("peer", "").expect("valid");
        assert_eq!(
            source.client_of(peer("1.2.3.4"), &headers(&["9.9.9.9"])),
            Some("1.2.3.4".to_owned())
        );
    }

    #[test]
    fn the_rightmost_untrusted_entry_is_the_client() {
        let source = forwarded("10.0.0.0/8");
        let client = |peer_address: &str, lines: &[&str]| {
            source.client_of(peer(peer_address), &headers(lines))
        };
        // A forged entry on the left does not help the client.
        assert_eq!(
            client("10.0.0.1", &["6.6.6.6, 1.2.3.4"]),
            Some("1.2.3.4".to_owned())
        );
        // A chain of trusted proxies, across two header lines.
        assert_eq!(
            client("10.0.0.1", &["1.2.3.4, 10.0.0.7", "10.0.0.8"]),
            Some("1.2.3.4".to_owned())
        );
        // A peer that is not a trusted proxy: its header counts for nothing.
        assert_eq!(client("5.5.5.5", &["1.2.3.4"]), Some("5.5.5.5".to_owned()));
        // No header behind a trusted proxy: the proxy itself.
        assert_eq!(client("10.0.0.1", &[]), Some("10.0.0.1".to_owned()));
        // Only trusted hops: the leftmost of them.
        assert_eq!(
            client("10.0.0.1", &["10.0.0.3, 10.0.0.2"]),
            Some("10.0.0.3".to_owned())
        );
        // A garbled entry: the proxy that wrote it stands for the client.
        assert_eq!(
            client("10.0.0.1", &["1.2.3.4, garbage"]),
            Some("10.0.0.1".to_owned())
        );
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64_network() {
        let source = ClientAddressSource::parse("peer", "").expect("valid");
        let a = source.client_of(peer("2001:db8:1:2:aaaa::1"), &headers(&[]));
        let b = source.client_of(peer("2001:db8:1:2:bbbb::9"), &headers(&[]));
        let c = source.client_of(peer("2001:db8:1:3::1"), &headers(&[]));
        assert_eq!(a, Some("2001:db8:1:2::/64".to_owned()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        // An IPv4-mapped address is its IPv4 address.
        assert_eq!(
            source.client_of(peer("::ffff:1.2.3.4"), &headers(&[])),
            Some("1.2.3.4".to_owned())
        );
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        assert!(ClientAddressSource::parse("forwarded", "")
            .expect_err("refused")
            .contains("off, peer or x-forwarded-for"));
        assert!(ClientAddressSource::parse("x-forwarded-for", "")
            .expect_err("refused")
            .contains("FAROE_TRUSTED_PROXIES"));
        assert!(ClientAddressSource::parse("x-forwarded-for", "10.0.0.0/33")
            .expect_err("refused")
            .contains("10.0.0.0/33"));
        assert_eq!(
            parse_networks(" 10.0.0.0/8 , ::1 ,").expect("valid").len(),
            2
        );
    }
}
