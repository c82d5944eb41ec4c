use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use crate::domain::ports::ProductRepository;
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest, ProductFilter, ProductSort};
use crate::usecases::ProductError;

/// One page of products matching a filter, with the total that matched.
#[async_trait]
pub trait ListProductsUseCase: Interface {
    async fn execute(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Page<Product>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = ListProductsUseCase)]
pub struct ListProducts {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
}

impl ListProducts {
    pub fn new(repository: Arc<dyn ProductRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait]
impl ListProductsUseCase for ListProducts {
    async fn execute(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Page<Product>, ProductError> {
        let (items, total) = futures_util::future::try_join(
            self.repository.list(filter, sort, page),
            self.repository.count(filter),
        )
        .await?;
        Ok(Page {
            items,
            total,
            request: page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockProductRepository;
    use crate::usecases::test_support::{product, unavailable, ID};

    #[tokio::test]
    async fn returns_items_with_total_and_page() {
        let mut repo = MockProductRepository::new();
        let page = PageRequest::new(2, 1).unwrap();
        repo.expect_list()
            .withf(move |_, _, p| *p == page)
            .times(1)
            .returning(|_, _, _| Ok(vec![product(ID, 1)]));
        repo.expect_count().times(1).returning(|_| Ok(7));
        let result = ListProducts::new(Arc::new(repo))
            .execute(&ProductFilter::default(), ProductSort::default(), page)
            .await
            .unwrap();
        assert_eq!((result.items.len(), result.total), (1, 7));
        assert_eq!(result.request, page);
    }

    #[tokio::test]
    async fn count_failure_fails_the_list() {
        let mut repo = MockProductRepository::new();
        repo.expect_list().returning(|_, _, _| Ok(vec![]));
        repo.expect_count().returning(|_| Err(unavailable()));
        let result = ListProducts::new(Arc::new(repo))
            .execute(
                &ProductFilter::default(),
                ProductSort::default(),
                PageRequest::default(),
            )
            .await;
        assert!(matches!(result, Err(ProductError::Unavailable(_))));
    }
}
