//! The one hex-digest helper: SHA-256 of some bytes, as lowercase hex, optionally cut to
//! its first `bytes` bytes. Used wherever a value must become a key or tag without being
//! stored as itself (session tokens, client addresses, normalised queries, bodies).

use sha2::{Digest, Sha256};

/// Lowercase hex of `bytes`. A table lookup per nibble: it runs on every rate-limited
/// request (client keys), where formatting byte by byte showed in profiles.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Hex of the first `len` bytes (at most 32) of the SHA-256 of `data`.
pub fn sha256_hex(data: &[u8], len: usize) -> String {
    let hash = Sha256::digest(data);
    hex(&hash[..len.min(hash.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digests_are_lowercase_and_cut() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        let full = sha256_hex(b"abc", 32);
        assert_eq!(full.len(), 64);
        assert!(full.starts_with("ba7816bf"));
        assert_eq!(sha256_hex(b"abc", 12), full[..24]);
    }
}
