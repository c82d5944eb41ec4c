use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::product::{NewProduct, Product};
use crate::usecases::cache::CacheEvents;
use crate::usecases::events::WriteJournal;
use crate::usecases::ProductError;

/// Creates a product: MongoDB first, then the cache hears of it (write-through and list
/// invalidation) before returning, so every read path shows it at once.
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
    cache_events: Arc<dyn CacheEvents>,
    #[shaku(inject)]
    journal: Arc<dyn WriteJournal>,
}

#[cfg(test)]
impl CreateProduct {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache_events: Arc<dyn CacheEvents>,
        journal: Arc<dyn WriteJournal>,
    ) -> Self {
        Self {
            repository,
            cache_events,
            journal,
        }
    }
}

#[async_trait]
impl CreateProductUseCase for CreateProduct {
    #[tracing::instrument(name = "usecase.create_product", level = "debug", skip_all)]
    async fn execute(&self, product: NewProduct) -> Result<Product, ProductError> {
        let created = self.repository.insert(product).await?;
        let landed = self.cache_events.product_written(&created.product).await;
        self.journal.committed(&created.entry, landed);
        Ok(created.product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::cache::MockCacheEvents;
    use crate::usecases::test_support::{journal, new_product, product, recorded, unavailable, ID};

    #[tokio::test]
    async fn stores_then_tells_the_cache_of_the_new_product() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert()
            .withf(|p| *p == new_product())
            .times(1)
            .returning(|_| Ok(recorded(product(ID, 1))));
        let mut events = MockCacheEvents::new();
        events
            .expect_product_written()
            .withf(|p| p.id.as_str() == ID && p.version.get() == 1)
            .times(1)
            .returning(|_| true);
        let created = CreateProduct::new(Arc::new(repo), Arc::new(events), journal())
            .execute(new_product())
            .await
            .unwrap();
        assert_eq!(created.version.get(), 1);
    }

    #[tokio::test]
    async fn store_outage_is_reported_as_unavailable_and_tells_the_cache_nothing() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert().returning(|_| Err(unavailable()));
        let err = CreateProduct::new(Arc::new(repo), Arc::new(MockCacheEvents::new()), journal())
            .execute(new_product())
            .await
            .unwrap_err();
        assert!(matches!(err, ProductError::Unavailable(_)));
    }
}
