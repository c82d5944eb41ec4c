use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use shaku::{Component, Interface};
use tokio::sync::Semaphore;

use crate::domain::ports::{ProductRepository, ProductStream};
use crate::domain::query::ProductFilter;
use crate::usecases::ProductError;

/// Exports that may stream at once per instance. Each holds a MongoDB cursor and a
/// connection for as long as its client reads, so a client that opens exports and never
/// reads must not be able to hold more.
pub const CONCURRENT_EXPORTS: usize = 2;

/// Streams every product matching a filter, in id order, straight from the system of
/// record (not the cache: an export wants what is stored, and would only evict what the
/// cache holds for readers). `Busy` while `CONCURRENT_EXPORTS` exports are streaming.
#[async_trait]
pub trait ExportProductsUseCase: Interface {
    async fn execute(&self, filter: &ProductFilter) -> Result<ProductStream, ProductError>;
}

#[derive(Component)]
#[shaku(interface = ExportProductsUseCase)]
pub struct ExportProducts {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    /// Not a parameter: each instance has its own.
    #[shaku(default = Arc::new(Semaphore::new(CONCURRENT_EXPORTS)))]
    streaming: Arc<Semaphore>,
}

#[async_trait]
impl ExportProductsUseCase for ExportProducts {
    #[tracing::instrument(name = "usecase.export_products", level = "debug", skip_all)]
    async fn execute(&self, filter: &ProductFilter) -> Result<ProductStream, ProductError> {
        let permit = self
            .streaming
            .clone()
            .try_acquire_owned()
            .map_err(|_| ProductError::Busy)?;
        let products = self.repository.export(filter).await?;
        // The permit goes with the stream: released when the export ends or its client
        // goes away.
        Ok(Box::pin(products.map(move |product| {
            let _held = &permit;
            product
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::test_support::{product, ID};

    #[tokio::test]
    async fn at_most_the_bound_streams_at_once_and_a_finished_one_frees_its_place() {
        let mut repo = MockProductRepository::new();
        repo.expect_export()
            .returning(|_| Ok(Box::pin(futures_util::stream::iter([Ok(product(ID, 1))]))));
        let export = ExportProducts {
            repository: Arc::new(repo),
            streaming: Arc::new(Semaphore::new(CONCURRENT_EXPORTS)),
        };
        let filter = ProductFilter::default();
        let mut open = Vec::new();
        for _ in 0..CONCURRENT_EXPORTS {
            open.push(export.execute(&filter).await.unwrap());
        }
        assert!(matches!(
            export.execute(&filter).await,
            Err(ProductError::Busy)
        ));
        let finished: Vec<_> = open.pop().unwrap().collect().await;
        assert_eq!(finished.len(), 1);
        assert!(
            export.execute(&filter).await.is_ok(),
            "a finished export frees its place"
        );
    }
}
