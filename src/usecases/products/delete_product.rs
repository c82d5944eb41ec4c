use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::idempotency::{Keyed, KeyedRequest};
use crate::domain::ports::ProductRepository;
use crate::domain::product::ProductId;
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::{once_per_key, settled_on_outage, KeyedWrites, ProductError, Written};

/// Deletes a product (restorable for the restore window) and tells the cache (a
/// tombstone, so no in-flight read can resurrect it, and every list-like entry retired);
/// `NotFound` when there was none. Wishlists keep their memberships, unlisted until a
/// restore. With a key, once: a repeat is answered as the first was.
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
        cache_events: Arc<dyn CacheEvents>,
        journal: Arc<dyn WriteJournal>,
        keyed: Arc<dyn KeyedWrites>,
    ) -> Self {
        Self {
            repository,
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
        let written = once_per_key(&*self.keyed, key.as_ref(), delete).await;
        let deleted = match settled_on_outage(&*self.cache_events, id, written).await? {
            Written::Fresh(deleted) => deleted,
            Written::Replayed(_) => return Ok(Keyed::replayed(())),
        };
        let landed = self.cache_events.product_deleted(&deleted.product).await;
        self.journal.committed(&deleted.entry, landed);
        Ok(Keyed::fresh(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{journal, product, recorded, unkeyed, ID};

    #[tokio::test]
    async fn missing_product_is_not_found() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_, _| Err(RepositoryError::NotFound));
        let result = DeleteProduct::new(
            Arc::new(repo),
            Arc::new(MockCacheEvents::new()),
            journal(),
            unkeyed(),
        )
        .execute(&ProductId::parse(ID).unwrap(), None)
        .await;
        assert!(matches!(result, Err(ProductError::NotFound)));
    }

    #[tokio::test]
    async fn tells_the_cache_of_the_deleted_version() {
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
        DeleteProduct::new(Arc::new(repo), Arc::new(events), journal(), unkeyed())
            .execute(&ProductId::parse(ID).unwrap(), None)
            .await
            .unwrap();
    }
}
