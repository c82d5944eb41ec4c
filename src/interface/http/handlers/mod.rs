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
    DeleteProductUseCase, GetProductUseCase, InvalidateCacheUseCase, ListProductsUseCase,
    ListWishlistUseCase, RateLimitUseCase, ResponseStore, SetWishlistStatusUseCase,
    UpdateProductUseCase,
};

/// Declares `ApiModule` and its blanket implementation from one list of components.
macro_rules! api_module {
    ($(#[$meta:meta])* $($component:ty),+ $(,)?) => {
        $(#[$meta])*
        pub trait ApiModule: ModuleInterface $(+ HasComponent<$component>)+ {}

        impl<M> ApiModule for M where M: ModuleInterface $(+ HasComponent<$component>)+ {}
    };
}

api_module!(
    /// Everything the HTTP layer resolves from the DI module: any module that provides
    /// these components serves the API (the application's, or a test's).
    dyn CreateProductUseCase,
    dyn GetProductUseCase,
    dyn ListProductsUseCase,
    dyn CountProductsUseCase,
    dyn UpdateProductUseCase,
    dyn DeleteProductUseCase,
    dyn CheckHealthUseCase,
    dyn CacheStatsUseCase,
    dyn ResponseStore,
    dyn RateLimitUseCase,
    dyn InvalidateCacheUseCase,
    dyn ListWishlistUseCase,
    dyn SetWishlistStatusUseCase,
    dyn AuthenticateUseCase,
    dyn LoginUseCase,
    dyn LogoutUseCase,
    dyn RegisterUserUseCase,
    dyn WatchWishlistUseCase,
);
