use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, Fetched, ListCache};
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest, ProductFilter, ProductSort};
use crate::usecases::ProductError;

/// One page of products matching a filter, with the total that matched; cache-aside on the
/// current list generation and the normalised query.
#[async_trait]
pub trait ListProductsUseCase: Interface {
    async fn execute(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = ListProductsUseCase)]
pub struct ListProducts {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl ListProducts {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        state: Arc<CacheState>,
    ) -> Self {
        Self {
            repository,
            cache,
            state,
        }
    }
}

#[async_trait]
impl ListProductsUseCase for ListProducts {
    async fn execute(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        ListCache::new(
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        )
        .page(filter, sort, page)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::usecases::cache::DataSource;
    use crate::usecases::test_support::{cached_page, product, unavailable, ID};

    fn use_case(repo: MockProductRepository, cache: MockRedisService) -> ListProducts {
        ListProducts::new(
            Arc::new(repo),
            Arc::new(cache),
            Arc::new(CacheState::default()),
        )
    }

    async fn run(use_case: ListProducts) -> Result<Fetched<Page<Product>>, ProductError> {
        use_case
            .execute(
                &ProductFilter::default(),
                ProductSort::default(),
                PageRequest::default(),
            )
            .await
    }

    #[tokio::test]
    async fn a_hit_never_touches_the_repository() {
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .withf(|counter, _, key| {
                counter == "products:generation" && key.join(7).starts_with("products:list:7:")
            })
            .times(1)
            .returning(|_, _, _| Ok((7, Some(cached_page(vec![product(ID, 1)], 1)))));
        let fetched = run(use_case(MockProductRepository::new(), cache))
            .await
            .unwrap();
        assert_eq!((fetched.value.items.len(), fetched.value.total), (1, 1));
        assert_eq!(fetched.source, DataSource::Cache);
    }

    #[tokio::test]
    async fn a_miss_reads_once_and_fills_under_the_current_generation() {
        let mut repo = MockProductRepository::new();
        repo.expect_list()
            .times(1)
            .returning(|_, _, _| Ok(vec![product(ID, 1)]));
        repo.expect_count().times(1).returning(|_| Ok(1));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .times(1)
            .returning(|_, _, _| Ok((7, None)));
        cache
            .expect_set()
            .withf(|key, _, _| key.starts_with("products:list:7:"))
            .times(1)
            .returning(|_, _, _| Ok(()));
        let fetched = run(use_case(repo, cache)).await.unwrap();
        assert_eq!(fetched.source, DataSource::Database);
    }

    #[tokio::test]
    async fn a_redis_error_still_returns_the_repository_answer() {
        let mut repo = MockProductRepository::new();
        repo.expect_list().times(1).returning(|_, _, _| Ok(vec![]));
        repo.expect_count().times(1).returning(|_| Ok(0));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        let fetched = run(use_case(repo, cache)).await.unwrap();
        assert_eq!(fetched.source, DataSource::Database);
    }

    #[tokio::test]
    async fn a_store_failure_fails_the_list() {
        let mut repo = MockProductRepository::new();
        repo.expect_list().returning(|_, _, _| Ok(vec![]));
        repo.expect_count().returning(|_| Err(unavailable()));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .returning(|_, _, _| Ok((1, None)));
        assert!(matches!(
            run(use_case(repo, cache)).await,
            Err(ProductError::Unavailable(_))
        ));
    }
}
