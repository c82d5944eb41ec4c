/// Units in stock: an integer from 0 to 1,000,000. An update sets it; it is not a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer between 0 and {max}", max = Stock::MAX)]
pub struct StockError;

impl Stock {
    pub const MAX: u32 = 1_000_000;

    pub fn parse(raw: i64) -> Result<Self, StockError> {
        u32::try_from(raw)
            .ok()
            .filter(|v| *v <= Self::MAX)
            .map(Self)
            .ok_or(StockError)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(Stock::parse(-1).is_err());
        assert_eq!(Stock::parse(0).unwrap().get(), 0);
        assert_eq!(Stock::parse(1_000_000).unwrap().get(), 1_000_000);
        assert!(Stock::parse(1_000_001).is_err());
        assert!(Stock::parse(i64::MAX).is_err());
    }
}
