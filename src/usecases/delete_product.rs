use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, ListCache, ProductCache};
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::ProductId;
use crate::usecases::ProductError;

/// Deletes a product, replaces its cache entry with a tombstone (so no in-flight read can
/// resurrect it) and bumps the list generation; `NotFound` when there was none.
#[async_trait]
pub trait DeleteProductUseCase: Interface {
    async fn execute(&self, id: &ProductId) -> Result<(), ProductError>;
}

#[derive(Component)]
#[shaku(interface = DeleteProductUseCase)]
pub struct DeleteProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl DeleteProduct {
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
impl DeleteProductUseCase for DeleteProduct {
    async fn execute(&self, id: &ProductId) -> Result<(), ProductError> {
        let deleted = self.repository.delete(id).await?;
        let (repository, cache, state) = (
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        );
        ProductCache::new(repository.clone(), cache.clone(), state.clone())
            .tombstone(&deleted)
            .await;
        ListCache::new(repository, cache, state).invalidate().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::usecases::test_support::{product, ID};

    #[tokio::test]
    async fn missing_product_is_not_found() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_| Err(RepositoryError::NotFound));
        let result = DeleteProduct::new(
            Arc::new(repo),
            Arc::new(MockRedisService::new()),
            Arc::default(),
        )
        .execute(&ProductId::parse(ID).unwrap())
        .await;
        assert!(matches!(result, Err(ProductError::NotFound)));
    }

    #[tokio::test]
    async fn leaves_a_tombstone_above_the_deleted_version() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_| Ok(product(ID, 4)));
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .withf(|_, version, value, _| *version == 5 && value.contains("\"product\":null"))
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache.expect_get_or_init_counter().returning(|_, _| Ok(1));
        cache.expect_incr().times(1).returning(|_| Ok(2));
        DeleteProduct::new(Arc::new(repo), Arc::new(cache), Arc::default())
            .execute(&ProductId::parse(ID).unwrap())
            .await
            .unwrap();
    }
}
