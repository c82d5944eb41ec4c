use async_trait::async_trait;
use shaku::Interface;

use crate::domain::error::CacheError;
use crate::domain::product::ProductId;

/// How often products are read, for cache warming.
///
/// Contract every implementation MUST keep:
/// - `record` adds `weight` reads of `product` to today's count in one cheap call (callers
///   sample reads and weigh each sampled one by the sampling rate).
/// - `top` returns at most `n` products, most read first, recent days weighing more than
///   older ones, so yesterday's best-seller fades.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Popularity: Interface {
    async fn record(&self, product: &ProductId, weight: u32) -> Result<(), CacheError>;
    async fn top(&self, n: usize) -> Result<Vec<ProductId>, CacheError>;
}
