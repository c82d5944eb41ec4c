//! The caching machinery of the product use cases. Everything talks to Redis only through
//! the `RedisService` port. One idea per file:
//!
//! | file | what it holds |
//! | --- | --- |
//! | `context` | what every cache component shares: policy, metrics, failure log, repair queue, post-commit runner |
//! | `product_cache` | cache-aside reads of one product (single flight, fill lock, refresh-ahead) |
//! | `list_cache` | list pages and counts under the list generation |
//! | `wishlist_cache` | wishlist pages under the list and the user's generation |
//! | `response_store` | stored single-product HTTP responses under that product's response generation (for the response-cache middleware) |
//! | `read_through` | the one read-through flow behind lists, counts and wishlists |
//! | `staleness` | entries past their TTL served while one refresh runs, or while MongoDB cannot be read |
//! | `admission` | which list and count pages are stored (fill budget, doorkeeper) |
//! | `write_effects` | the one entry point from a committed write to the cache (`CacheEvents`) |
//! | `product_entries` | versioned product entries: decode, read, compare-and-set write |
//! | `generations` | generation counters (O(1) invalidation) |
//! | `codec` | how products, pages and counts are stored as text |
//! | `single_flight` | one load per key among concurrent callers |
//! | `post_commit` | post-commit work that survives a cancelled request |
//! | `repair` | failed cache writes, redone in the background |
//! | `consistency` | the background checker comparing cached products with MongoDB |
//! | `metrics`, `failure_log` | counters, and rate-limited logging of failures |
//! | `near_metrics` | counters of the in-process near tier (kept by its adapter) |
//!
//! Dependencies between these files only point down this list's "uses" order: nothing
//! below `context` imports a component, and `repair` imports only `generations`.

mod admission;
mod codec;
mod consistency;
mod context;
mod failure_log;
mod fetched;
mod generations;
mod list_cache;
mod metrics;
mod near_metrics;
mod post_commit;
mod product_cache;
mod product_entries;
mod read_through;
mod repair;
mod response_store;
mod single_flight;
mod staleness;
mod wishlist_cache;
mod write_effects;

pub use admission::FillAdmission;
pub use consistency::{check_once, run_consistency_checker, ConsistencyReport};
pub use context::CacheContext;
pub use failure_log::CacheFailureLog;
pub use fetched::{DataSource, Fetched, StaleReason, Staleness};
pub use list_cache::{
    count_hash, list_hash, ListCache, ListReadThrough, ListReadThroughParameters,
};
pub use metrics::{CacheLayer, CacheMetrics, CacheMetricsSnapshot, LayerSnapshot};
pub use near_metrics::{NearSnapshot, NearTierCounters};
pub use post_commit::PostCommitTasks;
pub use product_cache::{ProductCache, ProductReadThrough, ProductReadThroughParameters};
pub use repair::{run_repair_worker, CacheRepair};
pub use response_store::{
    GenerationalResponseStore, GenerationalResponseStoreParameters, ResponseStore, StoredResponse,
};
pub use single_flight::SingleFlight;
pub use staleness::Refreshes;
pub use wishlist_cache::{WishlistCache, WishlistReadThrough, WishlistReadThroughParameters};
pub use write_effects::{CacheEvents, CacheWriteEffects, CacheWriteEffectsParameters};

#[cfg(any(test, feature = "mock"))]
pub use list_cache::MockListCache;
#[cfg(any(test, feature = "mock"))]
pub use product_cache::MockProductCache;
#[cfg(any(test, feature = "mock"))]
pub use response_store::MockResponseStore;
#[cfg(any(test, feature = "mock"))]
pub use wishlist_cache::MockWishlistCache;
#[cfg(any(test, feature = "mock"))]
pub use write_effects::MockCacheEvents;

#[cfg(test)]
pub(crate) use codec::fixtures;
