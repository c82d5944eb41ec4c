/// A merchant's stock-keeping unit: what imports upsert by and shops look products up by.
/// 1–64 characters from `A–Z`, `0–9`, `-`, `_`, `.` and `/` after trimming; letters are
/// taken in either case and kept upper-case, so `ab-1` and `AB-1` are one SKU (unique
/// across the catalogue).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("must be between {min} and {max} characters after trimming")]
    Length { min: usize, max: usize },
    #[error("may hold only letters A-Z, digits, '-', '_', '.' and '/'")]
    Character,
}

impl Sku {
    pub const MIN: usize = 1;
    pub const MAX: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, SkuError> {
        let trimmed = raw.trim();
        if !(Self::MIN..=Self::MAX).contains(&trimmed.chars().count()) {
            return Err(SkuError::Length {
                min: Self::MIN,
                max: Self::MAX,
            });
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
        if !trimmed.chars().all(allowed) {
            return Err(SkuError::Character);
        }
        Ok(Self(trimmed.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_trimmed_upper_cased_and_drawn_from_a_small_set() {
        assert_eq!(Sku::parse(" ab-12/x.y_z ").unwrap().as_str(), "AB-12/X.Y_Z");
        assert_eq!(Sku::parse("ab-1"), Sku::parse("AB-1"));
        assert!(Sku::parse(&"S".repeat(64)).is_ok());
        for bad in ["", "   ", &"S".repeat(65)] {
            assert!(
                matches!(Sku::parse(bad), Err(SkuError::Length { .. })),
                "{bad:?}"
            );
        }
        for bad in ["a b", "caf\u{e9}", "x#1", "a\u{200b}b", "<x>"] {
            assert_eq!(Sku::parse(bad), Err(SkuError::Character), "{bad:?}");
        }
    }
}
