//! A JSON number kept as the exact text the client sent. Without it serde_json reads a
//! decimal through `f64` (`19.999999999999999999` becomes 20, `1e-400` becomes 0); prices
//! are parsed from this text into exact cents instead, so no float ever touches them.

use serde::de::{Error, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberText(String);

impl NumberText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a non-number JSON value is, for the error message.
fn unexpected(text: &str) -> Unexpected<'_> {
    match text.as_bytes().first() {
        Some(b'"') => Unexpected::Other("string"),
        Some(b't') => Unexpected::Bool(true),
        Some(b'f') => Unexpected::Bool(false),
        Some(b'n') => Unexpected::Unit,
        Some(b'[') => Unexpected::Seq,
        Some(b'{') => Unexpected::Map,
        _ => Unexpected::Other("value"),
    }
}

impl<'de> Deserialize<'de> for NumberText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(D::Error::invalid_type(unexpected(text), &"a number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_exact_text_of_numbers_and_refuses_anything_else() {
        let n: NumberText = serde_json::from_str("19.999999999999999999").unwrap();
        assert_eq!(n.as_str(), "19.999999999999999999");
        let n: NumberText = serde_json::from_str("1e-400").unwrap();
        assert_eq!(n.as_str(), "1e-400");
        let error = serde_json::from_str::<NumberText>(r#""12""#).unwrap_err();
        assert!(error.to_string().contains("expected a number"), "{error}");
    }
}
