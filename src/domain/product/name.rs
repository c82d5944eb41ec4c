use std::fmt;

use crate::domain::text::{trimmed, Allow, TextError};

/// A product name: trimmed, NFC, 3–100 characters, no control, bidi or zero-width characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductNameError {
    #[error("must be between {min} and {max} characters after trimming")]
    Length { min: usize, max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must not contain bidirectional overrides or zero-width characters")]
    InvisibleCharacter,
}

impl ProductName {
    pub const MIN: usize = 3;
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ProductNameError> {
        trimmed(raw, Self::MIN, Self::MAX, Allow::Line)
            .map(Self)
            .map_err(|e| match e {
                TextError::Length { min, max } => ProductNameError::Length { min, max },
                TextError::ControlCharacter => ProductNameError::ControlCharacter,
                TextError::InvisibleCharacter => ProductNameError::InvisibleCharacter,
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_and_accepts_bounds() {
        assert_eq!(ProductName::parse("  abc  ").unwrap().as_str(), "abc");
        assert!(ProductName::parse(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn rejects_short_long_and_control() {
        assert!(ProductName::parse(" ab ").is_err());
        assert!(ProductName::parse(&"x".repeat(101)).is_err());
        assert_eq!(
            ProductName::parse("ab\u{0}c"),
            Err(ProductNameError::ControlCharacter)
        );
    }

    proptest! {
        #[test]
        fn accepted_iff_trimmed_char_count_in_range(s in "\\PC{0,120}") {
            // `\PC` has no format characters (bidi, zero-width); the count is of the NFC form.
            let len = unicode_normalization::UnicodeNormalization::nfc(s.trim()).count();
            prop_assert_eq!(ProductName::parse(&s).is_ok(), (3..=100).contains(&len));
        }
    }
}
