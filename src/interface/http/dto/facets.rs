use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::facets::Facets;
use crate::domain::product::Money;

/// How the products matching a filter spread: by category, by price bucket, by stock.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FacetsResponse {
    /// Products that match the filter (the sum of every facet's counts).
    pub total: u64,
    /// Categories with at least one matching product, in name order.
    pub categories: Vec<CategoryCount>,
    /// Every price bucket (`FACET_PRICE_EDGES`), in order, empty ones included.
    pub prices: Vec<PriceBucketCount>,
    pub stock: StockCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    pub category: String,
    pub count: u64,
}

/// Products priced from `min` (inclusive) below `max` (`null`: no upper bound).
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceBucketCount {
    pub min: f64,
    pub max: Option<f64>,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockCounts {
    pub in_stock: u64,
    pub out_of_stock: u64,
}

fn price(cents: i64) -> f64 {
    Money::from_cents(cents).map_or(cents as f64 / 100.0, Money::as_f64)
}

impl From<Facets> for FacetsResponse {
    fn from(facets: Facets) -> Self {
        Self {
            total: facets.total,
            categories: facets
                .categories
                .into_iter()
                .map(|(category, count)| CategoryCount { category, count })
                .collect(),
            prices: facets
                .prices
                .into_iter()
                .map(|bucket| PriceBucketCount {
                    min: price(bucket.min_cents),
                    max: bucket.max_cents.map(price),
                    count: bucket.count,
                })
                .collect(),
            stock: StockCounts {
                in_stock: facets.in_stock,
                out_of_stock: facets.out_of_stock,
            },
        }
    }
}
