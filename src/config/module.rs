use std::sync::Arc;

use fred::prelude::Client;
use mongodb::Database;
use shaku::module;

use super::Settings;
use crate::infrastructure::mongo::{MongoProductRepository, MongoProductRepositoryParameters};
use crate::infrastructure::redis::{FredRedisService, FredRedisServiceParameters};
use crate::usecases::{
    CheckHealth, CountProducts, CreateProduct, DeleteProduct, GetProduct, ListProducts,
    UpdateProduct,
};

// The DI container: adapters behind their ports, use cases that inject them.
module! {
    pub AppModule {
        components = [
            MongoProductRepository,
            FredRedisService,
            CreateProduct,
            GetProduct,
            ListProducts,
            CountProducts,
            UpdateProduct,
            DeleteProduct,
            CheckHealth,
        ],
        providers = []
    }
}

/// Wires the adapters over the given connections.
pub fn build_module(settings: &Settings, database: Database, redis: Client) -> Arc<AppModule> {
    let module = AppModule::builder()
        .with_component_parameters::<MongoProductRepository>(MongoProductRepositoryParameters {
            database,
            timeout: settings.mongo.operation_timeout,
        })
        .with_component_parameters::<FredRedisService>(FredRedisServiceParameters {
            client: redis,
            key_prefix: settings.redis.key_prefix.clone(),
            timeout: settings.redis.command_timeout,
        })
        .build();
    Arc::new(module)
}
