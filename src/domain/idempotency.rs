//! Idempotency keys: a client that sends a write with an `Idempotency-Key` can send it
//! again (after a timeout, a dropped connection, a 503) and get the first answer instead of
//! a second write. The write stores a `Receipt` in its own transaction, so a receipt
//! exists exactly when the write committed; a repeat finds it and is answered from it.

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::digest::sha256_hex;
use super::product::Product;

/// Longest key a client may send.
pub const MAX_KEY_LEN: usize = 255;

/// A client's name for one write: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be 1 to {MAX_KEY_LEN} visible ASCII characters")]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidIdempotencyKey> {
        let visible = |byte: u8| byte.is_ascii_graphic();
        if raw.is_empty() || raw.len() > MAX_KEY_LEN || !raw.bytes().all(visible) {
            return Err(InvalidIdempotencyKey);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One request made with a key: where its receipt lives (per account and key, so two
/// accounts never share one) and a fingerprint of what it asked, which a repeat must
/// match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    receipt_id: String,
    fingerprint: String,
}

impl KeyedRequest {
    /// `parts` are what makes two requests the same request: method, path, the
    /// preconditions and the body, in a fixed order.
    pub fn new(account: &str, key: &IdempotencyKey, parts: &[&[u8]]) -> Self {
        Self {
            receipt_id: sha256_hex(&joined(&[account.as_bytes(), key.0.as_bytes()]), 16),
            fingerprint: sha256_hex(&joined(parts), 16),
        }
    }

    pub fn receipt_id(&self) -> &str {
        &self.receipt_id
    }

    /// The receipt a write of this request stores, kept until `now + ttl`.
    pub fn receipt(&self, now: DateTime<Utc>, ttl: chrono::Duration) -> Receipt {
        Receipt {
            id: self.receipt_id.clone(),
            fingerprint: self.fingerprint.clone(),
            expires_at: now + ttl,
        }
    }

    /// The answer a stored receipt gives this request: the product its write left, or
    /// `KeyReused` when the key was first used for another request.
    pub fn replay(&self, stored: StoredReceipt) -> Result<Product, KeyReused> {
        self.check(&stored.fingerprint).map(|()| stored.product)
    }

    fn check(&self, stored_fingerprint: &str) -> Result<(), KeyReused> {
        if stored_fingerprint == self.fingerprint {
            Ok(())
        } else {
            Err(KeyReused)
        }
    }
}

/// The key was first used with another method, path or body.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("this Idempotency-Key was used for a different request")]
pub struct KeyReused;

/// Length-prefixed concatenation, so no two different part lists join the same way.
fn joined(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// What a keyed write stores in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: String,
    pub fingerprint: String,
    pub expires_at: DateTime<Utc>,
}

/// A receipt as stored: the fingerprint of the request that wrote it and the product as
/// that write left it (for a delete, as it was just before).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReceipt {
    pub fingerprint: String,
    pub product: Product,
}

/// A write's outcome for its caller: done now, or the answer of the earlier write its key
/// names, replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyed<T> {
    pub value: T,
    pub replayed: bool,
}

impl<T> Keyed<T> {
    pub fn fresh(value: T) -> Self {
        Self {
            value,
            replayed: false,
        }
    }

    pub fn replayed(value: T) -> Self {
        Self {
            value,
            replayed: true,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Keyed<U> {
        Keyed {
            value: f(self.value),
            replayed: self.replayed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> IdempotencyKey {
        IdempotencyKey::parse(raw).unwrap()
    }

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(MAX_KEY_LEN)).is_ok());
        assert!(IdempotencyKey::parse("3f1c-!~").is_ok());
        for bad in [
            "",
            " ",
            "a b",
            "caf\u{e9}",
            "tab\t",
            &"k".repeat(MAX_KEY_LEN + 1),
        ] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(InvalidIdempotencyKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn receipts_are_per_account_and_key() {
        let parts: &[&[u8]] = &[b"POST", b"/api/products", b"{}"];
        let a = KeyedRequest::new("user-a", &key("k1"), parts);
        assert_eq!(a, KeyedRequest::new("user-a", &key("k1"), parts));
        assert_ne!(
            a.receipt_id(),
            KeyedRequest::new("user-b", &key("k1"), parts).receipt_id()
        );
        assert_ne!(
            a.receipt_id(),
            KeyedRequest::new("user-a", &key("k2"), parts).receipt_id()
        );
        // The boundary between account and key is part of the id.
        assert_ne!(
            KeyedRequest::new("ab", &key("c"), parts).receipt_id(),
            KeyedRequest::new("a", &key("bc"), parts).receipt_id()
        );
    }

    #[test]
    fn a_repeat_must_ask_the_same_thing() {
        let first = KeyedRequest::new("u", &key("k"), &[b"POST", b"/p", b"{\"a\":1}"]);
        let other_body = KeyedRequest::new("u", &key("k"), &[b"POST", b"/p", b"{\"a\":2}"]);
        let other_method = KeyedRequest::new("u", &key("k"), &[b"PUT", b"/p", b"{\"a\":1}"]);
        let receipt = first.receipt(Utc::now(), chrono::Duration::hours(1));
        assert_eq!(receipt.id, other_body.receipt_id());
        assert_eq!(first.check(&receipt.fingerprint), Ok(()));
        assert_eq!(other_body.check(&receipt.fingerprint), Err(KeyReused));
        assert_eq!(other_method.check(&receipt.fingerprint), Err(KeyReused));
    }
}
