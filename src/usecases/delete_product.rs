use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::product::ProductId;
use crate::usecases::ProductError;

/// Deletes a product; `NotFound` when there was none.
#[async_trait]
pub trait DeleteProductUseCase: Interface {
    async fn execute(&self, id: &ProductId) -> Result<(), ProductError>;
}

#[derive(Component)]
#[shaku(interface = DeleteProductUseCase)]
pub struct DeleteProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
}

impl DeleteProduct {
    pub fn new(repository: Arc<dyn ProductRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait]
impl DeleteProductUseCase for DeleteProduct {
    async fn execute(&self, id: &ProductId) -> Result<(), ProductError> {
        Ok(self.repository.delete(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::test_support::ID;

    #[tokio::test]
    async fn missing_product_is_not_found() {
        let mut repo = MockProductRepository::new();
        repo.expect_delete()
            .times(1)
            .returning(|_| Err(RepositoryError::NotFound));
        let result = DeleteProduct::new(Arc::new(repo))
            .execute(&ProductId::parse(ID).unwrap())
            .await;
        assert!(matches!(result, Err(ProductError::NotFound)));
    }
}
