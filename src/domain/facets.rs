//! Facets: how the products that match a filter spread over categories, price ranges and
//! stock, the counts a shop front shows beside its filters.

use crate::domain::product::Money;

/// Where price buckets start, ascending, in cents; the first bucket starts at 0 and the
/// last has no upper bound. Configured with `FACET_PRICE_EDGES`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PriceEdges(Vec<i64>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to 20 increasing prices above 0, comma-separated (like 10,25,50,100)")]
pub struct PriceEdgesError;

impl PriceEdges {
    pub const MAX: usize = 20;

    pub fn parse(raw: &str) -> Result<Self, PriceEdgesError> {
        let edges = raw
            .split(',')
            .map(|edge| Money::parse(edge.trim()).map(Money::cents))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| PriceEdgesError)?;
        let increasing = edges.windows(2).all(|pair| pair[0] < pair[1]);
        if edges.is_empty() || edges.len() > Self::MAX || !increasing || edges[0] <= 0 {
            return Err(PriceEdgesError);
        }
        Ok(Self(edges))
    }

    /// The cents where buckets start after the first (which starts at 0).
    pub fn cents(&self) -> &[i64] {
        &self.0
    }
}

impl Default for PriceEdges {
    fn default() -> Self {
        Self(vec![1_000, 2_500, 5_000, 10_000, 25_000, 50_000])
    }
}

/// How many matching products cost from `min_cents` (inclusive) up to `max_cents`
/// (exclusive; `None`: no upper bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceBucket {
    pub min_cents: i64,
    pub max_cents: Option<i64>,
    pub count: u64,
}

/// The facets of one filter. Categories are in name order, with a count above 0 each;
/// every price bucket is present, in order, empty ones with 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facets {
    pub total: u64,
    pub categories: Vec<(String, u64)>,
    pub prices: Vec<PriceBucket>,
    pub in_stock: u64,
    pub out_of_stock: u64,
}

impl PriceEdges {
    /// Every bucket, counted from `counts` (bucket start in cents → count; starts not in
    /// it counted 0).
    pub fn buckets(&self, counts: &[(i64, u64)]) -> Vec<PriceBucket> {
        let starts = std::iter::once(0).chain(self.0.iter().copied());
        let ends = self
            .0
            .iter()
            .copied()
            .map(Some)
            .chain(std::iter::once(None));
        starts
            .zip(ends)
            .map(|(min_cents, max_cents)| PriceBucket {
                min_cents,
                max_cents,
                count: counts
                    .iter()
                    .find(|(start, _)| *start == min_cents)
                    .map_or(0, |(_, count)| *count),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_increasing_positive_prices() {
        assert_eq!(
            PriceEdges::parse("10, 25.5,100").unwrap().cents(),
            [1_000, 2_550, 10_000]
        );
        for bad in ["", "0,10", "10,10", "20,10", "x", "-5", "1.001"] {
            assert!(PriceEdges::parse(bad).is_err(), "{bad}");
        }
        let many = (1..=21)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(PriceEdges::parse(&many).is_err());
    }

    #[test]
    fn every_bucket_is_listed_in_order_empty_ones_with_zero() {
        let edges = PriceEdges::parse("10,20").unwrap();
        let buckets = edges.buckets(&[(2_000, 4), (0, 1)]);
        let shape: Vec<_> = buckets
            .iter()
            .map(|b| (b.min_cents, b.max_cents, b.count))
            .collect();
        assert_eq!(
            shape,
            [
                (0, Some(1_000), 1),
                (1_000, Some(2_000), 0),
                (2_000, None, 4)
            ]
        );
    }
}
