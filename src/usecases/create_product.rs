use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::product::{NewProduct, Product};
use crate::usecases::ProductError;

/// Creates a product in the system of record and returns it as stored.
#[async_trait]
pub trait CreateProductUseCase: Interface {
    async fn execute(&self, product: NewProduct) -> Result<Product, ProductError>;
}

#[derive(Component)]
#[shaku(interface = CreateProductUseCase)]
pub struct CreateProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
}

impl CreateProduct {
    pub fn new(repository: Arc<dyn ProductRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait]
impl CreateProductUseCase for CreateProduct {
    async fn execute(&self, product: NewProduct) -> Result<Product, ProductError> {
        Ok(self.repository.insert(product).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::test_support::{new_product, product, unavailable, ID};

    #[tokio::test]
    async fn stores_once_and_returns_the_stored_product() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert()
            .withf(|p| *p == new_product())
            .times(1)
            .returning(|_| Ok(product(ID, 1)));
        let created = CreateProduct::new(Arc::new(repo))
            .execute(new_product())
            .await
            .unwrap();
        assert_eq!(created.version.get(), 1);
    }

    #[tokio::test]
    async fn store_outage_is_reported_as_unavailable() {
        let mut repo = MockProductRepository::new();
        repo.expect_insert().returning(|_| Err(unavailable()));
        let err = CreateProduct::new(Arc::new(repo))
            .execute(new_product())
            .await
            .unwrap_err();
        assert!(matches!(err, ProductError::Unavailable(_)));
    }
}
