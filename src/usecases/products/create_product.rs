use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::idempotency::{Keyed, KeyedRequest};
use crate::domain::ports::ProductRepository;
use crate::domain::product::{NewProduct, Product};
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::{once_per_key, KeyedWrites, ProductError, Written};

/// Creates a product: MongoDB first, then the cache hears of it (write-through and list
/// invalidation) before returning, so every read path shows it at once. With a key, once:
/// a repeat is answered with the product the first made.
#[async_trait]
pub trait CreateProductUseCase: Interface {
    async fn execute(
        &self,
        product: NewProduct,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<Product>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = CreateProductUseCase)]
pub struct CreateProduct {
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
impl CreateProduct {
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
impl CreateProductUseCase for CreateProduct {
    #[tracing::instrument(name = "usecase.create_product", level = "debug", skip_all)]
    async fn execute(
        &self,
        product: NewProduct,
        key: Option<KeyedRequest>,
    ) -> Result<Keyed<Product>, ProductError> {
        let insert = |receipt| self.repository.insert(product, receipt);
        let created = match once_per_key(&*self.keyed, key.as_ref(), insert).await? {
            Written::Replayed(product) => return Ok(Keyed::replayed(product)),
            Written::Fresh(created) => created,
        };
        let landed = self.cache_events.product_written(&created.product).await;
        self.journal.committed(&created.entry, landed);
        Ok(Keyed::fresh(created.product))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{
        journal, new_product, product, recorded, unavailable, unkeyed, ID,
    };

    #[tokio::test]
    async fn stores_then_tells_the_cache_of_the_new_product() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert()
            .withf(|p, receipt| *p == new_product() && receipt.is_none())
            .times(1)
            .returning(|_, _| Ok(recorded(product(ID, 1))));
        let mut events = MockCacheEvents::new();
        events
            .expect_product_written()
            .withf(|p| p.id.as_str() == ID && p.version.get() == 1)
            .times(1)
            .returning(|_| true);
        let created = CreateProduct::new(Arc::new(repo), Arc::new(events), journal(), unkeyed())
            .execute(new_product(), None)
            .await
            .unwrap();
        assert_eq!(created.value.version.get(), 1);
        assert!(!created.replayed);
    }

    #[tokio::test]
    async fn store_outage_is_reported_as_unavailable_and_tells_the_cache_nothing() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert().returning(|_, _| Err(unavailable()));
        let events = Arc::new(MockCacheEvents::new());
        let err = CreateProduct::new(Arc::new(repo), events, journal(), unkeyed())
            .execute(new_product(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, ProductError::Unavailable(_)));
    }
}
