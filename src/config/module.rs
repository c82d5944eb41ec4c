use std::sync::Arc;

use fred::prelude::Client;
use mongodb::Database;
use shaku::module;

use super::Settings;
use crate::infrastructure::local_rate_limiter::LocalRateLimiter;
use crate::infrastructure::mongo::{MongoProductRepository, MongoProductRepositoryParameters};
use crate::infrastructure::redis::{
    FredRedisService, FredRedisServiceParameters, RedisRateLimiter, RedisRateLimiterParameters,
};
use crate::usecases::cache::CacheState;
use crate::usecases::{
    CacheStats, CacheStatsParameters, CheckHealth, CheckRateLimit, CheckRateLimitParameters,
    CountProducts, CountProductsParameters, CreateProduct, CreateProductParameters, DeleteProduct,
    DeleteProductParameters, GetProduct, GetProductParameters, HttpCache, HttpCacheParameters,
    ListProducts, ListProductsParameters, UpdateProduct, UpdateProductParameters,
};

// The DI container: adapters behind their ports, use cases that inject them.
module! {
    pub AppModule {
        components = [
            MongoProductRepository,
            FredRedisService,
            RedisRateLimiter,
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
        ],
        providers = []
    }
}

/// Wires the adapters over the given connections; every product use case shares `state`.
pub fn build_module(
    settings: &Settings,
    database: Database,
    redis: Client,
    state: Arc<CacheState>,
) -> Arc<AppModule> {
    let module = AppModule::builder()
        .with_component_parameters::<MongoProductRepository>(MongoProductRepositoryParameters {
            database,
            timeout: settings.mongo.operation_timeout,
        })
        .with_component_parameters::<RedisRateLimiter>(RedisRateLimiterParameters {
            client: redis.clone(),
            key_prefix: settings.redis.key_prefix.clone(),
            timeout: settings.redis.command_timeout,
        })
        .with_component_parameters::<FredRedisService>(FredRedisServiceParameters {
            client: redis,
            key_prefix: settings.redis.key_prefix.clone(),
            timeout: settings.redis.command_timeout,
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
        .with_component_parameters::<CheckRateLimit>(CheckRateLimitParameters {
            fallback: Arc::new(LocalRateLimiter::default()),
            limits: settings.rate_limits,
            state,
        })
        .build();
    Arc::new(module)
}
