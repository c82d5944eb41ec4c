//! Request handlers. They are generic over the DI module so this layer never names the
//! concrete adapters: `config` picks the module, handlers only ask it for use cases.

mod auth;
mod cache_admin;
mod events;
mod fallback;
mod health;
mod metrics;
mod products;
mod status;
mod wishlist;

pub use auth::*;
pub use cache_admin::*;
pub use events::*;
pub use fallback::{method_not_allowed, route_not_found};
pub use health::*;
pub use metrics::*;
pub use products::*;
pub use status::*;
pub use wishlist::*;

use shaku::{HasComponent, ModuleInterface};

use crate::usecases::auth::{
    AuthenticateUseCase, LoginUseCase, LogoutUseCase, RegisterUserUseCase,
};
use crate::usecases::events::WatchWishlistUseCase;
use crate::usecases::{
    CacheStatsUseCase, CheckHealthUseCase, CountProductsUseCase, CreateProductUseCase,
    DeleteProductUseCase, GetProductUseCase, HttpResponseStore, InvalidateCacheUseCase,
    ListProductsUseCase, ListWishlistUseCase, RateLimitUseCase, SetWishlistStatusUseCase,
    UpdateProductUseCase,
};

/// Everything the HTTP layer resolves from the DI module.
pub trait ApiModule:
    ModuleInterface
    + HasComponent<dyn CreateProductUseCase>
    + HasComponent<dyn GetProductUseCase>
    + HasComponent<dyn ListProductsUseCase>
    + HasComponent<dyn CountProductsUseCase>
    + HasComponent<dyn UpdateProductUseCase>
    + HasComponent<dyn DeleteProductUseCase>
    + HasComponent<dyn CheckHealthUseCase>
    + HasComponent<dyn CacheStatsUseCase>
    + HasComponent<dyn HttpResponseStore>
    + HasComponent<dyn RateLimitUseCase>
    + HasComponent<dyn InvalidateCacheUseCase>
    + HasComponent<dyn ListWishlistUseCase>
    + HasComponent<dyn SetWishlistStatusUseCase>
    + HasComponent<dyn AuthenticateUseCase>
    + HasComponent<dyn LoginUseCase>
    + HasComponent<dyn LogoutUseCase>
    + HasComponent<dyn RegisterUserUseCase>
    + HasComponent<dyn WatchWishlistUseCase>
{
}

impl<M> ApiModule for M where
    M: ModuleInterface
        + HasComponent<dyn CreateProductUseCase>
        + HasComponent<dyn GetProductUseCase>
        + HasComponent<dyn ListProductsUseCase>
        + HasComponent<dyn CountProductsUseCase>
        + HasComponent<dyn UpdateProductUseCase>
        + HasComponent<dyn DeleteProductUseCase>
        + HasComponent<dyn CheckHealthUseCase>
        + HasComponent<dyn CacheStatsUseCase>
        + HasComponent<dyn HttpResponseStore>
        + HasComponent<dyn RateLimitUseCase>
        + HasComponent<dyn InvalidateCacheUseCase>
        + HasComponent<dyn ListWishlistUseCase>
        + HasComponent<dyn SetWishlistStatusUseCase>
        + HasComponent<dyn AuthenticateUseCase>
        + HasComponent<dyn LoginUseCase>
        + HasComponent<dyn LogoutUseCase>
        + HasComponent<dyn RegisterUserUseCase>
        + HasComponent<dyn WatchWishlistUseCase>
{
}
