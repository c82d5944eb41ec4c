//! Request handlers. They are generic over the DI module so this layer never names the
//! concrete adapters: `config` picks the module, handlers only ask it for use cases.

/// Declares a trait for the components one handler file resolves, with its blanket
/// implementation (defined before the `mod` lines so every handler file sees it). Each file keeps its own list, so a handler that needs one more use
/// case changes only its file; `ApiModule` is the union of the lists.
macro_rules! module_part {
    ($(#[$meta:meta])* $name:ident: $($component:ty),+ $(,)?) => {
        $(#[$meta])*
        pub trait $name: shaku::ModuleInterface $(+ shaku::HasComponent<$component>)+ {}

        impl<M> $name for M where M: shaku::ModuleInterface $(+ shaku::HasComponent<$component>)+ {}
    };
}

mod auth;
mod cache_admin;
mod events;
mod export;
mod fallback;
mod health;
mod metrics;
mod products;
mod status;
mod wishlist;

pub use auth::*;
pub use cache_admin::*;
pub use events::*;
pub use export::*;
pub use fallback::{method_not_allowed, resource, route_not_found};
pub use health::*;
pub use metrics::*;
pub use products::*;
pub use status::*;
pub use wishlist::*;

use shaku::{HasComponent, ModuleInterface};

use crate::usecases::auth::AuthenticateUseCase;
use crate::usecases::{RateLimitUseCase, ResponseStore};

/// Declares `ApiModule` as the union of the handler files' parts plus what the routes
/// and middleware resolve, with its blanket implementation, from one list.
macro_rules! api_module {
    ($(#[$meta:meta])* parts: $($part:ident),+; components: $($component:ty),+ $(,)?) => {
        $(#[$meta])*
        pub trait ApiModule: ModuleInterface $(+ $part)+ $(+ HasComponent<$component>)+ {}

        impl<M> ApiModule for M where M: ModuleInterface $(+ $part)+ $(+ HasComponent<$component>)+ {}
    };
}

api_module!(
    /// Everything the HTTP layer resolves from the DI module: any module that provides
    /// these components serves the API (the application's, or a test's).
    parts: ProductModule, ExportModule, WishlistModule, AuthModule, EventModule, HealthModule,
        MetricsModule, StatusModule, CacheAdminModule;
    components: dyn ResponseStore, dyn RateLimitUseCase, dyn AuthenticateUseCase,
);

/// The handler files' parts of the OpenAPI document (`openapi.rs` merges them).
pub fn documented_paths() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        HealthPaths::openapi(),
        MetricsPaths::openapi(),
        ProductPaths::openapi(),
        ExportPaths::openapi(),
        WishlistPaths::openapi(),
        AuthPaths::openapi(),
        CacheAdminPaths::openapi(),
        EventPaths::openapi(),
        StatusPaths::openapi(),
    ]
}
