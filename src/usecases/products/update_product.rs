use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::idempotency::{Keyed, KeyedRequest};
use crate::domain::ports::ProductRepository;
use crate::domain::product::{Product, ProductChanges, ProductId, Version};
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::{once_per_key, settled_on_outage, KeyedWrites, ProductError, Written};

/// Applies a partial update atomically (only if `expected` is current, when given), then
/// tells the cache of the new version before returning. With a key, once: a repeat is
/// answered with the product the first left.
#[async_trait]
pub trait UpdateProductUseCase: Interface {
    async fn execute(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<Product>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = UpdateProductUseCase)]
pub struct UpdateProduct {
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
impl UpdateProduct {
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
impl UpdateProductUseCase for UpdateProduct {
    #[tracing::instrument(name = "usecase.update_product", level = "debug", skip_all, fields(product = %id))]
    async fn execute(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<Product>, ProductError> {
        if changes.is_empty() {
            return Err(ProductError::NothingToUpdate);
        }
        let update = |receipt| self.repository.update(id, changes, expected, receipt);
        let written = once_per_key(&*self.keyed, key.as_ref(), update).await;
        let updated = match settled_on_outage(&*self.cache_events, id, written).await? {
            Written::Fresh(updated) => updated,
            Written::Replayed(product) => return Ok(Keyed::replayed(product)),
        };
        let landed = self.cache_events.product_written(&updated.product).await;
        self.journal.committed(&updated.entry, landed);
        Ok(Keyed::fresh(updated.product))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::MockProductRepository;
    use crate::domain::product::Stock;
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{journal, product, recorded, unkeyed, ID};

    fn stock_change() -> ProductChanges {
        ProductChanges {
            stock: Some(Stock::parse(3).unwrap()),
            ..ProductChanges::default()
        }
    }

    fn use_case(repo: MockProductRepository, events: MockCacheEvents) -> UpdateProduct {
        UpdateProduct::new(Arc::new(repo), Arc::new(events), journal(), unkeyed())
    }

    #[tokio::test]
    async fn empty_update_never_reaches_the_store() {
        let result = use_case(MockProductRepository::new(), MockCacheEvents::new())
            .execute(
                &ProductId::parse(ID).unwrap(),
                ProductChanges::default(),
                None,
                None,
            )
            .await;
        assert!(matches!(result, Err(ProductError::NothingToUpdate)));
    }

    #[tokio::test]
    async fn tells_the_cache_of_the_new_version() {
        let mut repo = MockProductRepository::new();
        repo.expect_update()
            .withf(|_, c, v, r| *c == stock_change() && *v == Some(Version::new(4)) && r.is_none())
            .times(1)
            .returning(|_, _, _, _| Ok(recorded(product(ID, 5))));
        let mut events = MockCacheEvents::new();
        events
            .expect_product_written()
            .withf(|p| p.version.get() == 5)
            .times(1)
            .returning(|_| true);
        let updated = use_case(repo, events)
            .execute(
                &ProductId::parse(ID).unwrap(),
                stock_change(),
                Some(Version::new(4)),
                None,
            )
            .await
            .unwrap();
        assert_eq!(updated.value.version.get(), 5);
    }

    #[tokio::test]
    async fn a_version_conflict_tells_the_cache_nothing() {
        let mut repo = MockProductRepository::new();
        repo.expect_update()
            .returning(|_, _, _, _| Err(RepositoryError::VersionConflict));
        let result = use_case(repo, MockCacheEvents::new())
            .execute(
                &ProductId::parse(ID).unwrap(),
                stock_change(),
                Some(Version::new(1)),
                None,
            )
            .await;
        assert!(matches!(result, Err(ProductError::VersionMismatch)));
    }
}
