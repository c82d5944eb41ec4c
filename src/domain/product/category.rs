use crate::domain::text::{trimmed, Allow, TextError};

/// A product category: trimmed, 1–50 characters, matched exactly by list filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("must be between {min} and {max} characters after trimming")]
    Length { min: usize, max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must not contain bidirectional overrides or zero-width characters")]
    InvisibleCharacter,
}

impl Category {
    pub const MIN: usize = 1;
    pub const MAX: usize = 50;

    pub fn parse(raw: &str) -> Result<Self, CategoryError> {
        trimmed(raw, Self::MIN, Self::MAX, Allow::Line)
            .map(Self)
            .map_err(|e| match e {
                TextError::Length { min, max } => CategoryError::Length { min, max },
                TextError::ControlCharacter => CategoryError::ControlCharacter,
                TextError::InvisibleCharacter => CategoryError::InvisibleCharacter,
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(Category::parse("   ").is_err());
        assert_eq!(Category::parse(" shoes ").unwrap().as_str(), "shoes");
        assert!(Category::parse(&"c".repeat(51)).is_err());
    }
}
