use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::query::ProductFilter;
use crate::usecases::ProductError;

/// Number of products matching a filter.
#[async_trait]
pub trait CountProductsUseCase: Interface {
    async fn execute(&self, filter: &ProductFilter) -> Result<u64, ProductError>;
}

#[derive(Component)]
#[shaku(interface = CountProductsUseCase)]
pub struct CountProducts {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
}

impl CountProducts {
    pub fn new(repository: Arc<dyn ProductRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait]
impl CountProductsUseCase for CountProducts {
    async fn execute(&self, filter: &ProductFilter) -> Result<u64, ProductError> {
        Ok(self.repository.count(filter).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::domain::product::Category;

    #[tokio::test]
    async fn passes_the_filter_through() {
        let filter = ProductFilter {
            category: Some(Category::parse("footwear").unwrap()),
            ..ProductFilter::default()
        };
        let expected = filter.clone();
        let mut repo = MockProductRepository::new();
        repo.expect_count()
            .withf(move |f| *f == expected)
            .times(1)
            .returning(|_| Ok(4));
        let count = CountProducts::new(Arc::new(repo))
            .execute(&filter)
            .await
            .unwrap();
        assert_eq!(count, 4);
    }
}
