use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::error::RepositoryError;
use crate::domain::ports::{ProductRepository, WishlistRepository};
use crate::domain::product::ProductId;
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::ProductError;

/// Deletes a product, tells the cache (a tombstone, so no in-flight read can resurrect it,
/// and every list-like entry retired) and drops it from every wishlist; `NotFound` when
/// there was none.
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
    wishlists: Arc<dyn WishlistRepository>,
    #[shaku(inject)]
    cache_events: Arc<dyn CacheEvents>,
    #[shaku(inject)]
    journal: Arc<dyn WriteJournal>,
}

#[cfg(test)]
impl DeleteProduct {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        wishlists: Arc<dyn WishlistRepository>,
        cache_events: Arc<dyn CacheEvents>,
        journal: Arc<dyn WriteJournal>,
    ) -> Self {
        Self {
            repository,
            wishlists,
            cache_events,
            journal,
        }
    }
}

#[async_trait]
impl DeleteProductUseCase for DeleteProduct {
    #[tracing::instrument(name = "usecase.delete_product", level = "debug", skip_all, fields(product = %id))]
    async fn execute(&self, id: &ProductId) -> Result<(), ProductError> {
        let deleted = match self.repository.delete(id).await {
            Ok(deleted) => deleted,
            Err(error @ RepositoryError::Unavailable(_)) => {
                // Timed out or cut off: it may have committed. The cache settles in the
                // background once MongoDB answers.
                self.cache_events.product_uncertain(id).await;
                return Err(error.into());
            }
            Err(error) => return Err(error.into()),
        };
        // The cache first: it is what readers see, and it must not wait on a slow cleanup.
        let landed = self.cache_events.product_deleted(&deleted.product).await;
        self.journal.committed(&deleted.entry, landed);
        // Memberships of a deleted product are never listed (the product is gone); removing
        // them keeps the collection clean. A failure here is logged, not fatal.
        if let Err(error) = self.wishlists.remove_product(id).await {
            tracing::warn!(product = %id, error = %error, "could not remove a deleted product from wishlists");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockProductRepository, MockWishlistRepository};
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{journal, product, recorded, unavailable, ID};

    #[tokio::test]
    async fn missing_product_is_not_found() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_| Err(RepositoryError::NotFound));
        let result = DeleteProduct::new(
            Arc::new(repo),
            Arc::new(MockWishlistRepository::new()),
            Arc::new(MockCacheEvents::new()),
            journal(),
        )
        .execute(&ProductId::parse(ID).unwrap())
        .await;
        assert!(matches!(result, Err(ProductError::NotFound)));
    }

    #[tokio::test]
    async fn tells_the_cache_of_the_deleted_version_even_when_wishlist_cleanup_fails() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_| Ok(recorded(product(ID, 4))));
        let mut events = MockCacheEvents::new();
        events
            .expect_product_deleted()
            .withf(|p| p.version.get() == 4)
            .times(1)
            .returning(|_| true);
        let mut wishlists = MockWishlistRepository::new();
        wishlists
            .expect_remove_product()
            .times(1)
            .returning(|_| Err(unavailable()));
        DeleteProduct::new(
            Arc::new(repo),
            Arc::new(wishlists),
            Arc::new(events),
            journal(),
        )
        .execute(&ProductId::parse(ID).unwrap())
        .await
        .unwrap();
    }
}
