use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::CacheError;
use crate::domain::product::ProductId;

/// How often products are read, for cache warming.
///
/// Contract every implementation MUST keep:
/// - `record` adds each `(product, reads)` to today's counts in one call (callers sample
///   reads, weigh each sampled one by the sampling rate, and add up locally).
/// - `top` returns at most `n` products, most read first, recent days weighing more than
///   older ones, so yesterday's best-seller fades.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Popularity: Interface {
    async fn record(&self, reads: &[(ProductId, u32)]) -> Result<(), CacheError>;
    async fn top(&self, n: usize) -> Result<Vec<ProductId>, CacheError>;
}
