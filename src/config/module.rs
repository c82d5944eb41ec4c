use std::sync::Arc;

use fred::prelude::Client;
use mongodb::Database;
use shaku::module;

use super::Settings;
use crate::infrastructure::local_rate_limiter::LocalRateLimiter;
use crate::infrastructure::mongo::{
    MongoProductRepository, MongoProductRepositoryParameters, MongoUserRepository,
    MongoUserRepositoryParameters, MongoWishlistRepository, MongoWishlistRepositoryParameters,
};
use crate::infrastructure::password::Argon2Hasher;
use crate::infrastructure::redis::{
    FredRedisService, FredRedisServiceParameters, RedisRateLimiter, RedisRateLimiterParameters,
    RedisSessionStore, RedisSessionStoreParameters,
};
use crate::usecases::auth::{
    Authenticate, AuthenticateParameters, Login, LoginParameters, Logout, RegisterUser,
    SessionFallback,
};
use crate::usecases::cache::CacheState;
use crate::usecases::{
    CacheStats, CacheStatsParameters, CheckHealth, CheckRateLimit, CheckRateLimitParameters,
    CountProducts, CountProductsParameters, CreateProduct, CreateProductParameters, DeleteProduct,
    DeleteProductParameters, GetProduct, GetProductParameters, HttpCache, HttpCacheParameters,
    InvalidateCache, InvalidateCacheParameters, ListProducts, ListProductsParameters, ListWishlist,
    ListWishlistParameters, SetWishlistStatus, SetWishlistStatusParameters, UpdateProduct,
    UpdateProductParameters,
};

// The DI container: adapters behind their ports, use cases that inject them.
module! {
    pub AppModule {
        components = [
            MongoProductRepository,
            MongoUserRepository,
            MongoWishlistRepository,
            FredRedisService,
            RedisRateLimiter,
            RedisSessionStore,
            Argon2Hasher,
            CreateProduct,
            GetProduct,
            ListProducts,
            CountProducts,
            UpdateProduct,
            DeleteProduct,
            CheckHealth,
            CacheStats,
            CheckRateLimit,
            HttpCache,
            InvalidateCache,
            SetWishlistStatus,
            ListWishlist,
            RegisterUser,
            Login,
            Logout,
            Authenticate,
        ],
        providers = []
    }
}

/// Wires the adapters over the given connections; every cache-using use case shares `state`.
pub fn build_module(
    settings: &Settings,
    database: Database,
    redis: Client,
    state: Arc<CacheState>,
) -> Arc<AppModule> {
    let mongo_timeout = settings.mongo.operation_timeout;
    let redis_timeout = settings.redis.command_timeout;
    let prefix = settings.redis.key_prefix.clone();
    let fallback = Arc::new(SessionFallback::default());
    let module = AppModule::builder()
        .with_component_parameters::<MongoProductRepository>(MongoProductRepositoryParameters {
            database: database.clone(),
            timeout: mongo_timeout,
        })
        .with_component_parameters::<MongoUserRepository>(MongoUserRepositoryParameters {
            database: database.clone(),
            timeout: mongo_timeout,
        })
        .with_component_parameters::<MongoWishlistRepository>(MongoWishlistRepositoryParameters {
            database,
            timeout: mongo_timeout,
        })
        .with_component_parameters::<RedisRateLimiter>(RedisRateLimiterParameters {
            client: redis.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<RedisSessionStore>(RedisSessionStoreParameters {
            client: redis.clone(),
            key_prefix: prefix.clone(),
            timeout: redis_timeout,
        })
        .with_component_parameters::<FredRedisService>(FredRedisServiceParameters {
            client: redis,
            key_prefix: prefix,
            timeout: redis_timeout,
        })
        .with_component_parameters::<GetProduct>(GetProductParameters {
            state: state.clone(),
        })
        .with_component_parameters::<ListProducts>(ListProductsParameters {
            state: state.clone(),
        })
        .with_component_parameters::<CountProducts>(CountProductsParameters {
            state: state.clone(),
        })
        .with_component_parameters::<CreateProduct>(CreateProductParameters {
            state: state.clone(),
        })
        .with_component_parameters::<UpdateProduct>(UpdateProductParameters {
            state: state.clone(),
        })
        .with_component_parameters::<DeleteProduct>(DeleteProductParameters {
            state: state.clone(),
        })
        .with_component_parameters::<CacheStats>(CacheStatsParameters {
            state: state.clone(),
        })
        .with_component_parameters::<HttpCache>(HttpCacheParameters {
            state: state.clone(),
        })
        .with_component_parameters::<InvalidateCache>(InvalidateCacheParameters {
            state: state.clone(),
        })
        .with_component_parameters::<SetWishlistStatus>(SetWishlistStatusParameters {
            state: state.clone(),
        })
        .with_component_parameters::<ListWishlist>(ListWishlistParameters {
            state: state.clone(),
        })
        .with_component_parameters::<Login>(LoginParameters {
            policy: settings.sessions,
            fallback: fallback.clone(),
            decoy: Default::default(),
        })
        .with_component_parameters::<Authenticate>(AuthenticateParameters {
            policy: settings.sessions,
            fallback,
        })
        .with_component_parameters::<CheckRateLimit>(CheckRateLimitParameters {
            fallback: Arc::new(LocalRateLimiter::default()),
            limits: settings.rate_limits,
            state,
        })
        .build();
    Arc::new(module)
}
