//! Shared rule for trimmed, length-bounded text fields.

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextError {
    Length { min: usize, max: usize },
    ControlCharacter,
}

/// Trims `raw` and checks its length in characters (not bytes, so non-Latin names get the
/// same limit as Latin ones). Control characters are refused unless `allow_newlines` lets
/// line breaks and tabs through (descriptions have paragraphs).
pub(super) fn trimmed(
    raw: &str,
    min: usize,
    max: usize,
    allow_newlines: bool,
) -> Result<String, TextError> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min || len > max {
        return Err(TextError::Length { min, max });
    }
    let forbidden =
        |c: char| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t'));
    if value.chars().any(forbidden) {
        return Err(TextError::ControlCharacter);
    }
    Ok(value.to_owned())
}
