//! The use cases, by feature. Each use case is a shaku component behind its own trait,
//! holding the ports it needs as `Arc<dyn Port>`; handlers resolve them through the module.
//! Everything a caller needs is re-exported here, so moving a file inside a feature
//! changes no import outside it.
//!
//! - `products/`: catalogue CRUD, list and count; `wishlist/`: a shopper's wishlist;
//! - `auth/`: accounts and sessions; `rate_limit/`: rate limits and quota leases;
//! - `cache/`: the caching machinery the use cases share (its `mod.rs` has the map);
//! - `events/`: the outbox relay, the stream feed and the shopper filter;
//! - `warming/`: the cache warmer and the read counts that choose what it warms;
//! - `operations/`: health, cache statistics and invalidation.

pub mod auth;
pub mod cache;
pub mod events;
mod operations;
mod products;
mod rate_limit;
pub mod warming;
mod wishlist;

pub use cache::{ResponseStore, StoredResponse};
pub use operations::{
    CacheStats, CacheStatsParameters, CacheStatsReport, CacheStatsUseCase, CheckHealth,
    CheckHealthUseCase, DependencyHealth, HealthReport, InvalidateCache, InvalidateCacheParameters,
    InvalidateCacheUseCase, InvalidationReport, InvalidationScope,
};
pub use products::{
    CountProducts, CountProductsParameters, CountProductsUseCase, CreateProduct,
    CreateProductParameters, CreateProductUseCase, DeleteProduct, DeleteProductParameters,
    DeleteProductUseCase, GetProduct, GetProductParameters, GetProductUseCase, ListProducts,
    ListProductsParameters, ListProductsUseCase, ProductError, UpdateProduct,
    UpdateProductParameters, UpdateProductUseCase,
};
pub use rate_limit::{
    CheckRateLimit, CheckRateLimitParameters, RateClass, RateLimitUseCase, RateLimits,
};
pub use warming::read_counter;
pub use wishlist::{
    ListWishlist, ListWishlistParameters, ListWishlistUseCase, SetWishlistStatus,
    SetWishlistStatusParameters, SetWishlistStatusUseCase,
};

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(any(test, feature = "mock"))]
pub use products::{MockCountProductsUseCase, MockListProductsUseCase};
