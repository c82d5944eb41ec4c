use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, ProductCache};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService, WishlistRepository};
use crate::domain::product::ProductId;
use crate::usecases::ProductError;

/// Deletes a product, replaces its cache entry with a tombstone (so no in-flight read can
/// resurrect it), drops it from every wishlist and bumps the list generation (which also
/// retires every cached wishlist page); `NotFound` when there was none.
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
    #[shaku(inject)]
    wishlists: Arc<dyn WishlistRepository>,
    state: Arc<CacheState>,
}

impl DeleteProduct {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        wishlists: Arc<dyn WishlistRepository>,
        state: Arc<CacheState>,
    ) -> Self {
        Self {
            repository,
            cache,
            wishlists,
            state,
        }
    }
}

#[async_trait]
impl DeleteProductUseCase for DeleteProduct {
    async fn execute(&self, id: &ProductId) -> Result<(), ProductError> {
        let deleted = self.repository.delete(id).await?;
        // Memberships of a deleted product are never listed (the product is gone); removing
        // them keeps the collection clean. A failure here is logged, not fatal.
        if let Err(error) = self.wishlists.remove_product(id).await {
            tracing::warn!(product = %id, error = %error, "could not remove a deleted product from wishlists");
        }
        ProductCache::new(
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        )
        .tombstone(&deleted)
        .await;
        self.state
            .bump_generation(self.cache.as_ref(), CacheKeys::LIST_GENERATION)
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockProductRepository, MockRedisService, MockWishlistRepository};
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
            Arc::new(MockWishlistRepository::new()),
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
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_remove_product()
            .times(1)
            .returning(|_| Ok(3));
        DeleteProduct::new(
            Arc::new(repo),
            Arc::new(cache),
            Arc::new(wishlists),
            Arc::default(),
        )
        .execute(&ProductId::parse(ID).unwrap())
        .await
        .unwrap();
    }
}
