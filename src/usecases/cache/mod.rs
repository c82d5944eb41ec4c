//! The caching machinery the product use cases share: entry encoding, metrics, single
//! flight, the repair queue for failed invalidations, and the cache-aside / write-through
//! logic itself. Everything talks to Redis only through the `RedisService` port.

mod consistency;
mod list_cache;
mod metrics;
mod product_cache;
mod record;
mod repair;
mod single_flight;
mod state;

pub use consistency::{check_once, run_consistency_checker, ConsistencyReport};
pub use list_cache::{count_hash, list_hash, ListCache};
pub use metrics::{CacheMetrics, CacheMetricsSnapshot, Layer, LayerSnapshot};
pub use product_cache::ProductCache;
pub use repair::{run_repair_worker, CacheRepair};
pub use single_flight::SingleFlight;
pub(crate) use state::generation_seed;
pub use state::CacheState;

/// Where a response's data came from, reported to clients as `X-Data-Source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSource {
    Cache,
    Database,
}

impl DataSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cache => "cache",
            Self::Database => "database",
        }
    }
}

/// A value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub value: T,
    pub source: DataSource,
}

impl<T> Fetched<T> {
    pub fn new(value: T, source: DataSource) -> Self {
        Self { value, source }
    }
}

/// List pages as cache text, for the wishlist cache.
pub(crate) struct PageEntryCodec;

impl PageEntryCodec {
    pub(crate) fn encode(
        page: &crate::domain::query::Page<crate::domain::product::Product>,
    ) -> Option<String> {
        serde_json::to_string(&record::PageEntry::from(page)).ok()
    }

    pub(crate) fn decode(
        raw: &str,
    ) -> Option<crate::domain::query::Page<crate::domain::product::Product>> {
        serde_json::from_str::<record::PageEntry>(raw)
            .ok()?
            .into_page()
    }
}

#[cfg(test)]
pub(crate) struct RepairJobForTests;

#[cfg(test)]
impl RepairJobForTests {
    pub(crate) fn bump() -> repair::RepairJob {
        repair::RepairJob::Bump(crate::domain::cache::CacheKeys::LIST_GENERATION.to_owned())
    }
}

#[cfg(test)]
pub(crate) mod record_for_tests {
    use super::record::{PageEntry, ProductEntry, ProductRecord};
    use crate::domain::product::Product;
    use crate::domain::query::{Page, PageRequest};

    pub fn product_entry(product: Option<&Product>) -> String {
        let entry = ProductEntry {
            expires_at_ms: i64::MAX / 2,
            product: product.map(ProductRecord::from),
        };
        serde_json::to_string(&entry).unwrap()
    }

    pub fn page_entry(items: Vec<Product>, total: u64) -> String {
        let page = Page {
            items,
            total,
            request: PageRequest::default(),
        };
        serde_json::to_string(&PageEntry::from(&page)).unwrap()
    }
}
