use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, ProductCache};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::{Product, ProductChanges, ProductId, Version};
use crate::usecases::ProductError;

/// Applies a partial update atomically (only if `expected` is current, when given), then
/// writes the new version through and bumps the list generation before returning.
#[async_trait]
pub trait UpdateProductUseCase: Interface {
    async fn execute(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
    ) -> Result<Product, ProductError>;
}

#[derive(Component)]
#[shaku(interface = UpdateProductUseCase)]
pub struct UpdateProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl UpdateProduct {
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
impl UpdateProductUseCase for UpdateProduct {
    async fn execute(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
    ) -> Result<Product, ProductError> {
        if changes.is_empty() {
            return Err(ProductError::NothingToUpdate);
        }
        let updated = self.repository.update(id, changes, expected).await?;
        ProductCache::new(
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        )
        .write_through(&updated)
        .await;
        self.state
            .bump_generation(self.cache.as_ref(), CacheKeys::LIST_GENERATION)
            .await;
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::domain::product::Stock;
    use crate::usecases::test_support::{product, ID};

    fn stock_change() -> ProductChanges {
        ProductChanges {
            stock: Some(Stock::parse(3).unwrap()),
            ..ProductChanges::default()
        }
    }

    fn use_case(repo: MockProductRepository, cache: MockRedisService) -> UpdateProduct {
        UpdateProduct::new(Arc::new(repo), Arc::new(cache), Arc::default())
    }

    #[tokio::test]
    async fn empty_update_never_reaches_the_store() {
        let result = use_case(MockProductRepository::new(), MockRedisService::new())
            .execute(
                &ProductId::parse(ID).unwrap(),
                ProductChanges::default(),
                None,
            )
            .await;
        assert!(matches!(result, Err(ProductError::NothingToUpdate)));
    }

    #[tokio::test]
    async fn writes_the_new_version_through_and_bumps_the_generation() {
        let mut repo = MockProductRepository::new();
        repo.expect_update()
            .withf(|_, c, v| *c == stock_change() && *v == Some(Version::new(4)))
            .times(1)
            .returning(|_, _, _| Ok(product(ID, 5)));
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .withf(|_, version, _, _| *version == 5)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache
            .expect_get_or_init_counter()
            .times(1)
            .returning(|_, _| Ok(1));
        cache.expect_incr().times(1).returning(|_| Ok(2));
        let updated = use_case(repo, cache)
            .execute(
                &ProductId::parse(ID).unwrap(),
                stock_change(),
                Some(Version::new(4)),
            )
            .await
            .unwrap();
        assert_eq!(updated.version.get(), 5);
    }

    #[tokio::test]
    async fn a_version_conflict_changes_no_cache_entry() {
        let mut repo = MockProductRepository::new();
        repo.expect_update()
            .returning(|_, _, _| Err(RepositoryError::VersionConflict));
        let result = use_case(repo, MockRedisService::new())
            .execute(
                &ProductId::parse(ID).unwrap(),
                stock_change(),
                Some(Version::new(1)),
            )
            .await;
        assert!(matches!(result, Err(ProductError::VersionMismatch)));
    }
}
