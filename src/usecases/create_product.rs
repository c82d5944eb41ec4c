use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, ProductCache};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::{NewProduct, Product};
use crate::usecases::ProductError;

/// Creates a product: MongoDB first, then write-through of the new product and one list
/// generation bump, all before returning, so every read path shows it at once.
#[async_trait]
pub trait CreateProductUseCase: Interface {
    async fn execute(&self, product: NewProduct) -> Result<Product, ProductError>;
}

#[derive(Component)]
#[shaku(interface = CreateProductUseCase)]
pub struct CreateProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl CreateProduct {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        state: Arc<CacheState>,
    ) -> Self {
        Self {
            repository,
            cache,
            state,
        }
    }
}

#[async_trait]
impl CreateProductUseCase for CreateProduct {
    async fn execute(&self, product: NewProduct) -> Result<Product, ProductError> {
        let created = self.repository.insert(product).await?;
        ProductCache::new(
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        )
        .write_through(&created)
        .await;
        self.state
            .bump_generation(self.cache.as_ref(), CacheKeys::LIST_GENERATION)
            .await;
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::usecases::test_support::{new_product, product, unavailable, ID};

    #[tokio::test]
    async fn writes_through_version_one_and_bumps_the_list_generation() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert()
            .withf(|p| *p == new_product())
            .times(1)
            .returning(|_| Ok(product(ID, 1)));
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .withf(|key, version, _, _| key == format!("product:{ID}") && *version == 1)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache
            .expect_get_or_init_counter()
            .times(1)
            .returning(|_, _| Ok(10));
        cache
            .expect_incr()
            .withf(|key| key == "products:generation")
            .times(1)
            .returning(|_| Ok(11));
        let state = Arc::new(CacheState::default());
        let created = CreateProduct::new(Arc::new(repo), Arc::new(cache), state.clone())
            .execute(new_product())
            .await
            .unwrap();
        assert_eq!(created.version.get(), 1);
        assert!(state.repair.is_clean());
    }

    #[tokio::test]
    async fn redis_failure_still_creates_and_queues_the_cache_writes() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert()
            .times(1)
            .returning(|_| Ok(product(ID, 1)));
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .returning(|_, _, _, _| Err(CacheError::Unavailable("down".into())));
        cache
            .expect_get_or_init_counter()
            .returning(|_, _| Err(CacheError::Unavailable("down".into())));
        let state = Arc::new(CacheState::default());
        let created = CreateProduct::new(Arc::new(repo), Arc::new(cache), state.clone())
            .execute(new_product())
            .await;
        assert!(created.is_ok());
        assert!(
            !state.repair.is_clean(),
            "reads bypass the cache until the writes land"
        );
    }

    #[tokio::test]
    async fn store_outage_is_reported_as_unavailable_and_touches_no_cache() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert().returning(|_| Err(unavailable()));
        let err = CreateProduct::new(
            Arc::new(repo),
            Arc::new(MockRedisService::new()),
            Arc::default(),
        )
        .execute(new_product())
        .await
        .unwrap_err();
        assert!(matches!(err, ProductError::Unavailable(_)));
    }
}
