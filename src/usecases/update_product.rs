use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::product::{Product, ProductChanges, ProductId, Version};
use crate::usecases::ProductError;

/// Applies a partial update atomically; with `expected` set, only if that version is current.
#[async_trait]
pub trait UpdateProductUseCase: Interface {
    async fn execute(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
    ) -> Result<Product, ProductError>;
}

#[derive(Component)]
#[shaku(interface = UpdateProductUseCase)]
pub struct UpdateProduct {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
}

impl UpdateProduct {
    pub fn new(repository: Arc<dyn ProductRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait]
impl UpdateProductUseCase for UpdateProduct {
    async fn execute(
        &self,
        id: &ProductId,
        changes: ProductChanges,
        expected: Option<Version>,
    ) -> Result<Product, ProductError> {
        if changes.is_empty() {
            return Err(ProductError::NothingToUpdate);
        }
        Ok(self.repository.update(id, changes, expected).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::MockProductRepository;
    use crate::domain::product::Stock;
    use crate::usecases::test_support::{product, ID};

    fn stock_change() -> ProductChanges {
        ProductChanges {
            stock: Some(Stock::parse(3).unwrap()),
            ..ProductChanges::default()
        }
    }

    #[tokio::test]
    async fn empty_update_never_reaches_the_store() {
        let repo = MockProductRepository::new();
        let result = UpdateProduct::new(Arc::new(repo))
            .execute(
                &ProductId::parse(ID).unwrap(),
                ProductChanges::default(),
                None,
            )
            .await;
        assert!(matches!(result, Err(ProductError::NothingToUpdate)));
    }

    #[tokio::test]
    async fn passes_expected_version_and_maps_conflict() {
        let mut repo = MockProductRepository::new();
        repo.expect_update()
            .withf(|_, c, v| *c == stock_change() && *v == Some(Version::new(4)))
            .times(1)
            .returning(|_, _, _| Err(RepositoryError::VersionConflict));
        repo.expect_update()
            .withf(|_, _, v| v.is_none())
            .times(1)
            .returning(|_, _, _| Ok(product(ID, 5)));
        let use_case = UpdateProduct::new(Arc::new(repo));
        let id = ProductId::parse(ID).unwrap();
        let conflict = use_case
            .execute(&id, stock_change(), Some(Version::new(4)))
            .await;
        assert!(matches!(conflict, Err(ProductError::VersionMismatch)));
        let updated = use_case.execute(&id, stock_change(), None).await.unwrap();
        assert_eq!(updated.version.get(), 5);
    }
}
