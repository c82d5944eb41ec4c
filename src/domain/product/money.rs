use std::fmt;

/// A price, kept exact as a whole number of cents (never a float), 0 to 1,000,000.00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal number")]
    NotANumber,
    #[error("must be between 0 and 1000000")]
    OutOfRange,
    #[error("must have at most 2 decimal places")]
    TooPrecise,
}

impl Money {
    pub const MAX_CENTS: i64 = 100_000_000;

    /// Parses the decimal text of a JSON number (`89.9`, `1e3`, `100.0`) exactly, without
    /// passing through a float, so `0.1 + 0.2` style drift can never reach a stored price.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let decimal = Decimal::parse(raw).ok_or(MoneyError::NotANumber)?;
        if decimal.negative && decimal.digits.bytes().any(|b| b != b'0') {
            return Err(MoneyError::OutOfRange);
        }
        let cents = decimal.to_cents()?;
        if cents > Self::MAX_CENTS {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Self(cents))
    }

    /// Builds a price from cents read back from the store.
    pub fn from_cents(cents: i64) -> Result<Self, MoneyError> {
        if (0..=Self::MAX_CENTS).contains(&cents) {
            Ok(Self(cents))
        } else {
            Err(MoneyError::OutOfRange)
        }
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// The value as a JSON-friendly float; exact to the cent for every representable price
    /// because each such value has a shortest decimal form of at most two decimals.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A decimal number as `digits × 10^exponent`, sign kept apart.
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Decimal {
    fn parse(raw: &str) -> Option<Self> {
        let (negative, rest) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return None;
        }
        if exponent.unsigned_abs() > 1_000 {
            return None;
        }
        let digits = format!("{int_part}{frac_part}");
        let exponent = exponent - frac_part.len() as i64;
        Some(Self {
            negative,
            digits,
            exponent,
        })
    }

    fn to_cents(&self) -> Result<i64, MoneyError> {
        let significant = self.digits.trim_start_matches('0');
        let trailing_zeros = significant.len() - significant.trim_end_matches('0').len();
        let significant = significant.trim_end_matches('0');
        if significant.is_empty() {
            return Ok(0);
        }
        // value = significant × 10^(exponent + trailing_zeros); cents shift it by two.
        let shift = self.exponent + trailing_zeros as i64 + 2;
        if shift < 0 {
            return Err(MoneyError::TooPrecise);
        }
        if significant.len() as i64 + shift > 12 {
            return Err(MoneyError::OutOfRange);
        }
        let base: i64 = significant.parse().map_err(|_| MoneyError::OutOfRange)?;
        Ok(base * 10_i64.pow(shift as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exact_values() {
        assert_eq!(Money::parse("89.9").unwrap().cents(), 8990);
        assert_eq!(Money::parse("0").unwrap().cents(), 0);
        assert_eq!(Money::parse("-0").unwrap().cents(), 0);
        assert_eq!(Money::parse("100.0").unwrap().cents(), 10000);
        assert_eq!(Money::parse("1e3").unwrap().cents(), 100_000);
        assert_eq!(Money::parse("1.5E-1").unwrap().cents(), 15);
        assert_eq!(Money::parse("1000000").unwrap().cents(), Money::MAX_CENTS);
        assert_eq!(Money::parse("0.010").unwrap().cents(), 1);
    }

    #[test]
    fn rejects_bad_values() {
        assert_eq!(Money::parse("1.005"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("1e-3"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("-0.01"), Err(MoneyError::OutOfRange));
        assert_eq!(Money::parse("1000000.01"), Err(MoneyError::OutOfRange));
        assert_eq!(Money::parse("1e300"), Err(MoneyError::OutOfRange));
        assert_eq!(Money::parse("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse(".5"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse(""), Err(MoneyError::NotANumber));
        assert_eq!(
            Money::parse("1e-9223372036854775808"),
            Err(MoneyError::NotANumber)
        );
        assert_eq!(
            Money::parse("19.999999999999999999"),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(Money::parse("1e-400"), Err(MoneyError::TooPrecise));
    }

    proptest! {
        #[test]
        fn every_cent_value_round_trips_through_text(cents in 0..=Money::MAX_CENTS) {
            let text = format!("{}.{:02}", cents / 100, cents % 100);
            prop_assert_eq!(Money::parse(&text).unwrap().cents(), cents);
        }

        #[test]
        fn every_cent_value_round_trips_through_a_json_float(cents in 0..=Money::MAX_CENTS) {
            let as_json = serde_json::to_string(&Money::from_cents(cents).unwrap().as_f64()).unwrap();
            prop_assert_eq!(Money::parse(&as_json).unwrap().cents(), cents);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Money::parse(&s);
        }
    }
}
