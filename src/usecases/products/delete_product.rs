use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::idempotency::{Keyed, KeyedRequest};
use crate::domain::ports::{ProductRepository, WishlistRepository};
use crate::domain::product::ProductId;
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::{once_per_key, KeyedWrites, ProductError, Written};

/// Deletes a product, tells the cache (a tombstone, so no in-flight read can resurrect it,
/// and every list-like entry retired) and drops it from every wishlist; `NotFound` when
/// there was none. With a key, once: a repeat is answered as the first was.
#[async_trait]
pub trait DeleteProductUseCase: Interface {
    async fn execute(
        &self,
        id: &ProductId,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<()>, ProductError>;
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
    #[shaku(inject)]
    keyed: Arc<dyn KeyedWrites>,
}

#[cfg(test)]
impl DeleteProduct {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        wishlists: Arc<dyn WishlistRepository>,
        cache_events: Arc<dyn CacheEvents>,
        journal: Arc<dyn WriteJournal>,
        keyed: Arc<dyn KeyedWrites>,
    ) -> Self {
        Self {
            repository,
            wishlists,
            cache_events,
            journal,
            keyed,
        }
    }
}

#[async_trait]
impl DeleteProductUseCase for DeleteProduct {
    #[tracing::instrument(name = "usecase.delete_product", level = "debug", skip_all, fields(product = %id))]
    async fn execute(
        &self,
        id: &ProductId,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<()>, ProductError> {
        let delete = |receipt| self.repository.delete(id, receipt);
        let deleted = match once_per_key(&*self.keyed, key.as_ref(), delete).await {
            Ok(Written::Fresh(deleted)) => deleted,
            Ok(Written::Replayed(_)) => return Ok(Keyed::replayed(())),
            Err(error @ ProductError::Unavailable(_)) => {
                // Timed out or cut off: it may have committed. The cache settles in the
                // background once MongoDB answers.
                self.cache_events.product_uncertain(id).await;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        // The cache first: it is what readers see, and it must not wait on a slow cleanup.
        let landed = self.cache_events.product_deleted(&deleted.product).await;
        self.journal.committed(&deleted.entry, landed);
        // Memberships of a deleted product are never listed (the product is gone); removing
        // them keeps the collection clean. A failure here is logged, not fatal.
        if let Err(error) = self.wishlists.remove_product(id).await {
            tracing::warn!(product = %id, error = %error, "could not remove a deleted product from wishlists");
        }
        Ok(Keyed::fresh(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockProductRepository, MockWishlistRepository};
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{journal, product, recorded, unavailable, unkeyed, ID};

    #[tokio::test]
    async fn missing_product_is_not_found() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_, _| Err(RepositoryError::NotFound));
        let result = DeleteProduct::new(
            Arc::new(repo),
            Arc::new(MockWishlistRepository::new()),
            Arc::new(MockCacheEvents::new()),
            journal(),
            unkeyed(),
        )
        .execute(&ProductId::parse(ID).unwrap(), None)
        .await;
        assert!(matches!(result, Err(ProductError::NotFound)));
    }

    #[tokio::test]
    async fn tells_the_cache_of_the_deleted_version_even_when_wishlist_cleanup_fails() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_, _| Ok(recorded(product(ID, 4))));
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
            unkeyed(),
        )
        .execute(&ProductId::parse(ID).unwrap(), None)
        .await
        .unwrap();
    }
}
