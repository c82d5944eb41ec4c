use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::product::{Product, ProductId};
use crate::usecases::ProductError;

/// Reads one product by id; `NotFound` when there is none.
#[async_trait]
pub trait GetProductUseCase: Interface {
    async fn execute(&self, id: &ProductId) -> Result<Product, ProductError>;
}

#[derive(Component)]
#[shaku(interface = GetProductUseCase)]
pub struct GetProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
}

impl GetProduct {
    pub fn new(repository: Arc<dyn ProductRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait]
impl GetProductUseCase for GetProduct {
    async fn execute(&self, id: &ProductId) -> Result<Product, ProductError> {
        self.repository
            .find_by_id(id)
            .await?
            .ok_or(ProductError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::test_support::{product, ID};

    #[tokio::test]
    async fn found_and_missing() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 3))));
        repo.expect_find_by_id().times(1).returning(|_| Ok(None));
        let use_case = GetProduct::new(Arc::new(repo));
        let id = ProductId::parse(ID).unwrap();
        assert_eq!(use_case.execute(&id).await.unwrap().version.get(), 3);
        assert!(matches!(
            use_case.execute(&id).await,
            Err(ProductError::NotFound)
        ));
    }
}
