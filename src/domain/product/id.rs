use std::fmt;

/// A product id: 24 hexadecimal digits (a MongoDB ObjectId), kept in lower case so one
/// product has exactly one spelling in URLs and cache keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a 24-character hexadecimal id")]
pub struct ProductIdError;

impl ProductId {
    pub fn parse(raw: &str) -> Result<Self, ProductIdError> {
        if raw.len() == 24 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(ProductIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_case() {
        let id = ProductId::parse("665F1C0E9B1E8A3D4C2B1A09").unwrap();
        assert_eq!(id.as_str(), "665f1c0e9b1e8a3d4c2b1a09");
    }

    proptest! {
        #[test]
        fn only_24_hex_digits_parse(s in "\\PC{0,30}") {
            let ok = s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit());
            prop_assert_eq!(ProductId::parse(&s).is_ok(), ok);
        }
    }
}
