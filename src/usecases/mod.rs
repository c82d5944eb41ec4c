//! One file per use case. Each is a shaku component behind its own trait, holding the ports
//! it needs as `Arc<dyn Port>`; handlers resolve them through the module.

pub mod auth;
pub mod cache;
mod cache_stats;
mod check_health;
mod check_rate_limit;
mod count_products;
mod create_product;
mod delete_product;
mod error;
pub mod events;
mod get_product;
mod invalidate_cache;
mod list_products;
mod list_wishlist;
mod rate_leases;
pub mod read_counter;
mod set_wishlist_status;
mod update_product;
pub mod warming;

pub use cache::{CachedResponse, HttpResponseStore};
pub use cache_stats::{CacheStats, CacheStatsParameters, CacheStatsReport, CacheStatsUseCase};
pub use check_health::{CheckHealth, CheckHealthUseCase, DependencyHealth, HealthReport};
pub use check_rate_limit::{
    CheckRateLimit, CheckRateLimitParameters, RateClass, RateLimitUseCase, RateLimits,
};
pub use count_products::{CountProducts, CountProductsParameters, CountProductsUseCase};
pub use create_product::{CreateProduct, CreateProductParameters, CreateProductUseCase};
pub use delete_product::{DeleteProduct, DeleteProductParameters, DeleteProductUseCase};
pub use error::ProductError;
pub use get_product::{GetProduct, GetProductParameters, GetProductUseCase};
pub use invalidate_cache::{
    InvalidateCache, InvalidateCacheParameters, InvalidateCacheUseCase, InvalidationReport,
    InvalidationScope,
};
pub use list_products::{ListProducts, ListProductsParameters, ListProductsUseCase};
pub use list_wishlist::{ListWishlist, ListWishlistParameters, ListWishlistUseCase};
pub use set_wishlist_status::{
    SetWishlistStatus, SetWishlistStatusParameters, SetWishlistStatusUseCase,
};
pub use update_product::{UpdateProduct, UpdateProductParameters, UpdateProductUseCase};

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(any(test, feature = "mock"))]
pub use count_products::MockCountProductsUseCase;
#[cfg(any(test, feature = "mock"))]
pub use list_products::MockListProductsUseCase;
