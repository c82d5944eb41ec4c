use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::error::CacheError;
use crate::usecases::cache::CacheEvents;

/// What an admin may drop from the cache. There are no free-form key patterns: each scope
/// names keys this service owns, under its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidationScope {
    /// Every cached single product: retired at once by a new epoch (their version floors
    /// stay, so no slow reader can bring an older state back), then live entries reclaimed.
    Products,
    /// Every cached list page, count and wishlist page (one generation bump).
    Lists,
    /// Stored single-product HTTP responses (deleted, up to a bound per call; list and
    /// count responses are answered from the list pages and go with `Lists`), and every
    /// list page as well.
    Http,
    All,
}

impl InvalidationScope {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "products" => Some(Self::Products),
            "lists" => Some(Self::Lists),
            "http" => Some(Self::Http),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// What an invalidation deleted (retired entries not deleted expire with their TTL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvalidationReport {
    pub product_keys_deleted: u64,
    pub response_keys_deleted: u64,
}

/// Drops cache entries on an admin's request.
#[async_trait]
pub trait InvalidateCacheUseCase: Interface {
    async fn execute(&self, scope: InvalidationScope) -> Result<InvalidationReport, CacheError>;
}

#[derive(Component)]
#[shaku(interface = InvalidateCacheUseCase)]
pub struct InvalidateCache {
    #[shaku(inject)]
    cache_events: Arc<dyn CacheEvents>,
}

#[async_trait]
impl InvalidateCacheUseCase for InvalidateCache {
    async fn execute(&self, scope: InvalidationScope) -> Result<InvalidationReport, CacheError> {
        let mut report = InvalidationReport::default();
        if matches!(scope, InvalidationScope::Products | InvalidationScope::All) {
            report.product_keys_deleted = self.cache_events.products_invalidated().await?;
        }
        if matches!(scope, InvalidationScope::Http | InvalidationScope::All) {
            report.response_keys_deleted = self.cache_events.responses_invalidated().await;
        }
        if matches!(
            scope,
            InvalidationScope::Lists | InvalidationScope::Http | InvalidationScope::All
        ) {
            self.cache_events.lists_invalidated().await;
        }
        Ok(report)
    }
}
