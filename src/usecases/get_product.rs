use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::cache::{CacheState, Fetched, ProductCache};
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::{Product, ProductId};
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
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl GetProduct {
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
impl GetProductUseCase for GetProduct {
    async fn execute(&self, id: &ProductId) -> Result<Fetched<Product>, ProductError> {
        let products = ProductCache::new(
            self.repository.clone(),
            self.cache.clone(),
            self.state.clone(),
        );
        let fetched = products.get(id).await?;
        let product = fetched.value.ok_or(ProductError::NotFound)?;
        Ok(Fetched::new(product, fetched.source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{LockToken, MockProductRepository, MockRedisService};
    use crate::usecases::cache::DataSource;
    use crate::usecases::test_support::{cached, product, tombstone, ID};

    fn use_case(repo: MockProductRepository, cache: MockRedisService) -> GetProduct {
        GetProduct::new(
            Arc::new(repo),
            Arc::new(cache),
            Arc::new(CacheState::default()),
        )
    }

    fn id() -> ProductId {
        ProductId::parse(ID).unwrap()
    }

    #[tokio::test]
    async fn a_hit_never_touches_the_repository() {
        let mut cache = MockRedisService::new();
        cache
            .expect_get_versioned()
            .times(1)
            .returning(|_| Ok(Some(cached(&product(ID, 3)))));
        let fetched = use_case(MockProductRepository::new(), cache)
            .execute(&id())
            .await
            .unwrap();
        assert_eq!(fetched.value.version.get(), 3);
        assert_eq!(fetched.source, DataSource::Cache);
    }

    #[tokio::test]
    async fn a_cached_tombstone_is_not_found_without_a_database_read() {
        let mut cache = MockRedisService::new();
        cache
            .expect_get_versioned()
            .returning(|_| Ok(Some(tombstone(4))));
        let result = use_case(MockProductRepository::new(), cache)
            .execute(&id())
            .await;
        assert!(matches!(result, Err(ProductError::NotFound)));
    }

    #[tokio::test]
    async fn a_miss_reads_once_under_the_lock_and_fills_with_the_version() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 3))));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_versioned()
            .times(1)
            .returning(|_| Ok(None));
        cache
            .expect_try_lock()
            .times(1)
            .returning(|_, _| Ok(Some(LockToken::new("t".into()))));
        cache
            .expect_set_if_newer()
            .withf(|key, version, _, _| key == format!("product:{ID}") && *version == 3)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache
            .expect_unlock()
            .withf(|_, t| t.as_str() == "t")
            .times(1)
            .returning(|_, _| Ok(true));
        let fetched = use_case(repo, cache).execute(&id()).await.unwrap();
        assert_eq!(fetched.source, DataSource::Database);
    }

    #[tokio::test]
    async fn a_redis_error_still_returns_the_repository_answer() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 2))));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_versioned()
            .returning(|_| Err(CacheError::Unavailable("down".into())));
        let fetched = use_case(repo, cache).execute(&id()).await.unwrap();
        assert_eq!(fetched.value.version.get(), 2);
        assert_eq!(fetched.source, DataSource::Database);
    }

    #[tokio::test]
    async fn with_caching_disabled_reads_go_to_the_repository_and_redis_is_untouched() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 2))));
        let policy = crate::domain::cache::CachePolicy {
            enabled: false,
            ..Default::default()
        };
        let use_case = GetProduct::new(
            Arc::new(repo),
            Arc::new(MockRedisService::new()),
            Arc::new(CacheState::new(policy)),
        );
        assert_eq!(
            use_case.execute(&id()).await.unwrap().source,
            DataSource::Database
        );
    }

    #[tokio::test]
    async fn a_missing_product_is_remembered_as_missing() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id().times(1).returning(|_| Ok(None));
        let mut cache = MockRedisService::new();
        cache.expect_get_versioned().returning(|_| Ok(None));
        cache
            .expect_try_lock()
            .returning(|_, _| Ok(Some(LockToken::new("t".into()))));
        cache
            .expect_set_if_newer()
            .withf(|_, version, _, _| *version == 0)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache.expect_unlock().returning(|_, _| Ok(true));
        assert!(matches!(
            use_case(repo, cache).execute(&id()).await,
            Err(ProductError::NotFound)
        ));
    }
}
