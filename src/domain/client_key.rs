//! Names for per-client records (rate-limit counters, login failures) that do not say who
//! the client is. A plain digest of an IPv4 address is reversed by hashing all 2³² of
//! them; an HMAC under a secret the store never sees is not. Every instance MUST use the
//! same secret, or each would count a client separately and limits would multiply.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The shortest secret accepted from configuration.
pub const MIN_SECRET_BYTES: usize = 16;

/// A keyed digest over client identifiers.
#[derive(Clone)]
pub struct ClientKeys {
    mac: Hmac<Sha256>,
}

impl ClientKeys {
    /// Keys under `secret` (any length; configuration enforces `MIN_SECRET_BYTES`).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            mac: Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
        }
    }

    /// Hex of the first `len` bytes (at most 32) of the HMAC-SHA-256 of `client`.
    pub fn key(&self, client: &str, len: usize) -> String {
        let mut mac = self.mac.clone();
        mac.update(client.as_bytes());
        let tag = mac.finalize().into_bytes();
        super::digest::hex(&tag[..len.min(tag.len())])
    }
}

impl fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKeys(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hmac_sha256_and_differ_from_a_plain_digest() {
        // RFC 4231, test case 2.
        let keys = ClientKeys::new(b"Jefe");
        assert_eq!(
            keys.key("what do ya want for nothing?", 32),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(keys.key("ip:203.0.113.7", 12).len(), 24);
        assert_ne!(
            keys.key("ip:203.0.113.7", 12),
            super::super::digest::sha256_hex(b"ip:203.0.113.7", 12)
        );
        assert_ne!(
            ClientKeys::new(b"another secret").key("ip:203.0.113.7", 12),
            keys.key("ip:203.0.113.7", 12)
        );
        assert_eq!(format!("{keys:?}"), "ClientKeys(..)");
    }
}
