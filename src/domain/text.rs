//! The shared rule for trimmed, length-bounded text fields: product names, categories and
//! descriptions, and user display names.

use unicode_normalization::UnicodeNormalization;

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextError {
    Length { min: usize, max: usize },
    ControlCharacter,
    InvisibleCharacter,
}

/// Which characters a field lets through besides visible text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Allow {
    /// One line of plain text: no control, bidi or zero-width characters.
    Line,
    /// Paragraphs: line breaks and tabs, and zero-width joiners (emoji sequences); still no
    /// bidi overrides.
    Paragraphs,
}

/// Bidirectional overrides and isolates: they reorder how the text around them is shown,
/// so `"abc\u{202E}gnp.exe"` displays as something it is not.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no space: two names that look identical could differ by them.
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Trims `raw`, normalises it to NFC (so the same text typed two ways is one value), and
/// checks its length in characters (not bytes, so non-Latin text gets the same limit as
/// Latin) after both.
pub(crate) fn trimmed(
    raw: &str,
    min: usize,
    max: usize,
    allow: Allow,
) -> Result<String, TextError> {
    let value: String = raw.trim().nfc().collect();
    let len = value.chars().count();
    if len < min || len > max {
        return Err(TextError::Length { min, max });
    }
    let control = |c: char| {
        c.is_control() && !(allow == Allow::Paragraphs && matches!(c, '\n' | '\r' | '\t'))
    };
    if value.chars().any(control) {
        return Err(TextError::ControlCharacter);
    }
    let invisible = |c: char| is_bidi_control(c) || (allow == Allow::Line && is_zero_width(c));
    if value.chars().any(invisible) {
        return Err(TextError::InvisibleCharacter);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_normalised_to_nfc_before_its_length_is_checked() {
        let decomposed = "Cafe\u{0301}";
        assert_eq!(
            trimmed(decomposed, 1, 4, Allow::Line).unwrap(),
            "Caf\u{00E9}"
        );
    }

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_refused_in_a_line() {
        for raw in [
            "abc\u{202E}gnp.exe",
            "ad\u{200B}min",
            "\u{2066}x\u{2069}",
            "a\u{FEFF}b",
        ] {
            assert_eq!(
                trimmed(raw, 1, 100, Allow::Line),
                Err(TextError::InvisibleCharacter),
                "{raw:?}"
            );
        }
        let family = "family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert!(trimmed(family, 1, 100, Allow::Paragraphs).is_ok());
        assert_eq!(
            trimmed("ok\u{202E}", 1, 100, Allow::Paragraphs),
            Err(TextError::InvisibleCharacter)
        );
    }
}
