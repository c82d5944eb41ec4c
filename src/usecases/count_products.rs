use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, Fetched, ListCache};
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::query::ProductFilter;
use crate::usecases::ProductError;

/// Number of products matching a filter; cached like lists, under the list generation.
#[async_trait]
pub trait CountProductsUseCase: Interface {
    async fn execute(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError>;
}

#[derive(Component)]
#[shaku(interface = CountProductsUseCase)]
pub struct CountProducts {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl CountProducts {
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
impl CountProductsUseCase for CountProducts {
    async fn execute(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError> {
        ListCache::new(
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        )
        .count(filter)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::domain::product::Category;
    use crate::usecases::cache::DataSource;

    #[tokio::test]
    async fn a_miss_counts_once_and_the_next_call_hits() {
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
        let stored = Arc::new(std::sync::Mutex::new(None::<String>));
        let mut cache = MockRedisService::new();
        let read = stored.clone();
        cache
            .expect_get_under_generation()
            .returning(move |_, _, _| Ok((3, read.lock().unwrap().clone())));
        let write = stored.clone();
        cache.expect_set().times(1).returning(move |key, value, _| {
            assert!(key.starts_with("products:count:3:"));
            *write.lock().unwrap() = Some(value.to_owned());
            Ok(())
        });
        let use_case = CountProducts::new(
            Arc::new(repo),
            Arc::new(cache),
            Arc::new(CacheState::default()),
        );
        let first = use_case.execute(&filter).await.unwrap();
        assert_eq!((first.value, first.source), (4, DataSource::Database));
        let second = use_case.execute(&filter).await.unwrap();
        assert_eq!((second.value, second.source), (4, DataSource::Cache));
    }
}
