use crate::domain::text::{trimmed, Allow, TextError};

/// A product description: trimmed, NFC, 10–2000 characters; line breaks allowed, no bidi
/// overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("must be between {min} and {max} characters after trimming")]
    Length { min: usize, max: usize },
    #[error("must not contain control characters other than line breaks and tabs")]
    ControlCharacter,
    #[error("must not contain bidirectional overrides")]
    InvisibleCharacter,
}

impl Description {
    pub const MIN: usize = 10;
    pub const MAX: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, DescriptionError> {
        trimmed(raw, Self::MIN, Self::MAX, Allow::Paragraphs)
            .map(Self)
            .map_err(|e| match e {
                TextError::Length { min, max } => DescriptionError::Length { min, max },
                TextError::ControlCharacter => DescriptionError::ControlCharacter,
                TextError::InvisibleCharacter => DescriptionError::InvisibleCharacter,
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
        assert!(Description::parse("too short").is_err());
        assert!(Description::parse("ten chars!").is_ok());
        assert!(Description::parse("line one\nline two").is_ok());
        assert!(Description::parse(&"d".repeat(2001)).is_err());
    }
}
