use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::product::{Product, ProductId};
use crate::usecases::cache::{Fetched, ProductCache};
use crate::usecases::ProductError;

/// Reads one product, cache-aside: a hit never touches MongoDB; a miss reads it once (per
/// key, across concurrent callers and instances) and fills the cache; a missing id is
/// remembered briefly so repeated misses do not reach MongoDB either.
#[async_trait]
pub trait GetProductUseCase: Interface {
    async fn execute(&self, id: &ProductId) -> Result<Fetched<Product>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = GetProductUseCase)]
pub struct GetProduct {
    #[shaku(inject)]
    products: Arc<dyn ProductCache>,
}

#[async_trait]
impl GetProductUseCase for GetProduct {
    #[tracing::instrument(name = "usecase.get_product", level = "debug", skip_all, fields(product = %id))]
    async fn execute(&self, id: &ProductId) -> Result<Fetched<Product>, ProductError> {
        let fetched = self.products.get(id).await?;
        let product = fetched.value.ok_or(ProductError::NotFound)?;
        Ok(Fetched::new(product, fetched.source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::cache::{DataSource, MockProductCache};
    use crate::usecases::test_support::{product, ID};

    #[tokio::test]
    async fn a_missing_product_is_not_found_and_a_present_one_keeps_its_source() {
        let mut products = MockProductCache::new();
        products
            .expect_get()
            .times(1)
            .returning(|_| Ok(Fetched::from_cache(None)));
        products
            .expect_get()
            .times(1)
            .returning(|_| Ok(Fetched::from_database(Some(product(ID, 3)))));
        let use_case = GetProduct {
            products: Arc::new(products),
        };
        let id = ProductId::parse(ID).unwrap();
        assert!(matches!(
            use_case.execute(&id).await,
            Err(ProductError::NotFound)
        ));
        let found = use_case.execute(&id).await.unwrap();
        assert_eq!(
            (found.value.version.get(), found.source),
            (3, DataSource::Database)
        );
    }
}
