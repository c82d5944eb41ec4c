//! Page cursors as clients see them: opaque, tamper-evident text.
//!
//! A cursor is a position in one sorted, filtered list (`domain::keyset`), the side of it
//! to read, and a fingerprint of the list's filter and sort, signed with a secret every
//! instance shares (kept in MongoDB like the client-key secret), so a cursor issued by one
//! instance reads the same on another. A cursor that was altered, truncated or made up
//! fails its signature and is a 400 naming `cursor`; one used with another filter or sort
//! is a 400 too, rather than a page of some other list.
//!
//! Format: `base64url(payload) "." base64url(first 16 bytes of HMAC-SHA-256(payload))`,
//! the payload a small JSON array. Its shape is not part of the API.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::domain::keyset::{Direction, Keyset, Position, SortValue};
use crate::domain::product::ProductId;
use crate::domain::query::{ProductFilter, ProductSort, SortField};
use crate::usecases::cache::count_hash;

const TAG_BYTES: usize = 16;
/// Longer than any cursor this service issues (a 200-character name is the longest part).
const MAX_LEN: usize = 1_500;
const VERSION: u64 = 1;

/// Why a cursor was refused; each is a 400 naming `cursor`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("is not a cursor this service issued (altered, truncated or made up)")]
    Invalid,
    #[error("was issued for another filter or sort; send it with the query it came with")]
    OtherQuery,
}

/// Signs and reads cursors under the deployment's shared secret.
#[derive(Clone)]
pub struct CursorCodec {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

fn sort_fingerprint(filter: &ProductFilter, sort: ProductSort) -> String {
    let field = match sort.field {
        SortField::CreatedAt => "c",
        SortField::Price => "p",
        SortField::Name => "n",
        SortField::Relevance => "r",
    };
    let order = if sort.descending { "-" } else { "+" };
    format!("{field}{order}{}", count_hash(filter))
}

impl CursorCodec {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            mac: Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
        }
    }

    fn tag(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(payload);
        mac.finalize().into_bytes()[..TAG_BYTES].to_vec()
    }

    /// The cursor of `keyset` (its limit is not kept: the query says it) in the list that
    /// `filter` and `sort` describe.
    pub fn encode(&self, keyset: &Keyset, filter: &ProductFilter, sort: ProductSort) -> String {
        let value = keyset.position.value.as_json();
        let before = keyset.direction == Direction::Before;
        let payload = json!([
            VERSION,
            sort_fingerprint(filter, sort),
            before,
            value,
            keyset.position.id.as_str()
        ])
        .to_string();
        let tag = self.tag(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The keyset `raw` stands for, `limit` items long, if this service issued it for the
    /// list that `filter` and `sort` describe.
    pub fn decode(
        &self,
        raw: &str,
        filter: &ProductFilter,
        sort: ProductSort,
        limit: u32,
    ) -> Result<Keyset, CursorError> {
        if raw.len() > MAX_LEN {
            return Err(CursorError::Invalid);
        }
        let (payload, tag) = raw.split_once('.').ok_or(CursorError::Invalid)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| CursorError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| CursorError::Invalid)?;
        if tag.len() != TAG_BYTES {
            return Err(CursorError::Invalid);
        }
        let mut mac = self.mac.clone();
        mac.update(&payload);
        mac.verify_truncated_left(&tag)
            .map_err(|_| CursorError::Invalid)?;
        let fields: Vec<Value> =
            serde_json::from_slice(&payload).map_err(|_| CursorError::Invalid)?;
        let [version, fingerprint, before, value, id] = fields.as_slice() else {
            return Err(CursorError::Invalid);
        };
        if version.as_u64() != Some(VERSION) {
            return Err(CursorError::Invalid);
        }
        if fingerprint.as_str() != Some(sort_fingerprint(filter, sort).as_str()) {
            return Err(CursorError::OtherQuery);
        }
        let value = match sort.field {
            SortField::CreatedAt => value.as_i64().map(SortValue::CreatedAt),
            SortField::Price => value.as_i64().map(SortValue::PriceCents),
            SortField::Name => value.as_str().map(|name| SortValue::Name(name.to_owned())),
            SortField::Relevance => None,
        }
        .ok_or(CursorError::Invalid)?;
        let id = id
            .as_str()
            .and_then(|id| ProductId::parse(id).ok())
            .ok_or(CursorError::Invalid)?;
        let direction = match before.as_bool() {
            Some(true) => Direction::Before,
            Some(false) => Direction::After,
            None => return Err(CursorError::Invalid),
        };
        Ok(Keyset {
            position: Position { value, id },
            direction,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::product::Category;

    fn keyset() -> Keyset {
        Keyset {
            position: Position {
                value: SortValue::PriceCents(1_999),
                id: ProductId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap(),
            },
            direction: Direction::After,
            limit: 10,
        }
    }

    fn by_price() -> ProductSort {
        ProductSort::parse("price").unwrap()
    }

    #[test]
    fn a_cursor_reads_back_as_issued_under_the_same_secret() {
        let filter = ProductFilter::default();
        let raw = CursorCodec::new(b"s").encode(&keyset(), &filter, by_price());
        let again = CursorCodec::new(b"s").decode(&raw, &filter, by_price(), 10);
        assert_eq!(again, Ok(keyset()));
        assert!(raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
    }

    #[test]
    fn an_altered_truncated_foreign_or_made_up_cursor_is_invalid() {
        let filter = ProductFilter::default();
        let codec = CursorCodec::new(b"s");
        let raw = codec.encode(&keyset(), &filter, by_price());
        let (payload, tag) = raw.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap())
                .unwrap()
                .replace("1999", "1"),
        );
        for bad in [
            format!("{forged_payload}.{tag}"),
            raw[..raw.len() - 2].to_owned(),
            format!("{payload}."),
            "x".to_owned(),
            String::new(),
            "a.b.c".to_owned(),
            "%%%.###".to_owned(),
            "A".repeat(5_000),
        ] {
            assert_eq!(
                codec.decode(&bad, &filter, by_price(), 10),
                Err(CursorError::Invalid),
                "{bad}"
            );
        }
        let other_secret = CursorCodec::new(b"t").decode(&raw, &filter, by_price(), 10);
        assert_eq!(other_secret, Err(CursorError::Invalid));
    }

    #[test]
    fn a_cursor_belongs_to_its_filter_and_sort() {
        let codec = CursorCodec::new(b"s");
        let raw = codec.encode(&keyset(), &ProductFilter::default(), by_price());
        let footwear = ProductFilter {
            category: Some(Category::parse("footwear").unwrap()),
            ..ProductFilter::default()
        };
        assert_eq!(
            codec.decode(&raw, &footwear, by_price(), 10),
            Err(CursorError::OtherQuery)
        );
        let descending = ProductSort::parse("-price").unwrap();
        assert_eq!(
            codec.decode(&raw, &ProductFilter::default(), descending, 10),
            Err(CursorError::OtherQuery)
        );
    }
}
