//! Whom a counter or a lock is about, in the only form that reaches a Redis key.

use std::net::{IpAddr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// The SHA-256, in lower-case hex, of a normalised email or source address.
///
/// Emails and addresses are personal data, and Redis keys show up in dumps, `MONITOR` output
/// and key listings, so the only way to build a `Subject` is to hash. This is
/// pseudonymisation, not anonymisation: whoever can read Redis and holds a candidate address
/// can confirm it by hashing it too. A keyed hash would stop that, but it would need a secret
/// shared by every worker, and the keys expire within one window anyway.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// The subject for an account's email.
    ///
    /// Surrounding spaces and letter case are dropped first, so `Alice@Example.com ` cannot
    /// escape the limits of `alice@example.com`.
    pub fn email(email: &str) -> Self {
        Self::hash(email.trim().to_lowercase().as_bytes())
    }

    /// The subject for a source address.
    ///
    /// An IPv4 address counts on its own. An IPv6 address counts with every other address in
    /// its /64 network, because a single customer line is usually handed a whole /64 and could
    /// otherwise take a fresh address for every attempt. An IPv4 address written as IPv6
    /// (`::ffff:192.0.2.1`) counts as the IPv4 address it is.
    pub fn address(address: IpAddr) -> Self {
        let bucket = match address.to_canonical() {
            IpAddr::V4(address) => IpAddr::V4(address),
            IpAddr::V6(address) => {
                let network = u128::from(address) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        };
        Self::hash(bucket.to_string().as_bytes())
    }

    /// The hex digest, as it appears at the end of a key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn hash(normalised: &[u8]) -> Self {
        const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

        let digest = Sha256::digest(normalised);
        let mut hex = String::with_capacity(2 * digest.len());
        for byte in digest.iter() {
            hex.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
        Self(hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_becomes_a_sha256_hex_digest() {
        let subject = Subject::email("alice@example.com");

        // `printf 'alice@example.com' | sha256sum`
        assert_eq!(
            subject.as_str(),
            "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        );
    }

    #[test]
    fn emails_differing_only_in_case_and_spaces_are_one_subject() {
        let canonical = Subject::email("alice@example.com");

        let variant = Subject::email("  Alice@EXAMPLE.com\n");

        assert_eq!(variant, canonical);
    }

    #[test]
    fn ipv6_addresses_share_a_subject_with_their_64_network_only() {
        let first: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let same_network: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let next_network: IpAddr = "2001:db8:1:3::1".parse().unwrap();

        let subject = Subject::address(first);

        assert_eq!(Subject::address(same_network), subject);
        assert_ne!(Subject::address(next_network), subject);
    }

    #[test]
    fn an_ipv4_address_written_as_ipv6_is_the_ipv4_address() {
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let plain: IpAddr = "192.0.2.1".parse().unwrap();

        assert_eq!(Subject::address(mapped), Subject::address(plain));
        assert_ne!(
            Subject::address(plain),
            Subject::address("192.0.2.2".parse().unwrap())
        );
    }
}
