use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shaku::{Component, Interface};

use super::cache::{CacheState, Layer};
use crate::domain::cache::CacheKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::RedisService;

/// A stored HTTP response: only 200s are stored, with what a replay needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedResponse {
    pub content_type: String,
    pub etag: String,
    pub body: String,
}

/// The HTTP response cache's storage, keyed by the list generation so every product write
/// makes all stored responses unreachable at once.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HttpCacheUseCase: Interface {
    /// The generation to key by, or `None` when the cache must be bypassed (Redis failing,
    /// or an invalidation still waiting to be redone).
    async fn generation(&self) -> Option<i64>;
    async fn get(
        &self,
        generation: i64,
        route_key: &str,
    ) -> Result<Option<CachedResponse>, CacheError>;
    async fn put(&self, generation: i64, route_key: &str, response: &CachedResponse, ttl: Duration);
}

#[derive(Component)]
#[shaku(interface = HttpCacheUseCase)]
pub struct HttpCache {
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl HttpCache {
    pub fn new(cache: Arc<dyn RedisService>, state: Arc<CacheState>) -> Self {
        Self { cache, state }
    }
}

#[async_trait]
impl HttpCacheUseCase for HttpCache {
    async fn generation(&self) -> Option<i64> {
        if !self.state.usable() {
            return None;
        }
        let initial = chrono::Utc::now().timestamp_millis();
        match self
            .cache
            .get_or_init_counter(CacheKeys::LIST_GENERATION, initial)
            .await
        {
            Ok(generation) => Some(generation),
            Err(_) => {
                self.state.metrics.error();
                None
            }
        }
    }

    async fn get(
        &self,
        generation: i64,
        route_key: &str,
    ) -> Result<Option<CachedResponse>, CacheError> {
        let raw = self
            .cache
            .get(&CacheKeys::http(generation, route_key))
            .await
            .inspect_err(|_| self.state.metrics.error())?;
        let response = raw.and_then(|raw| serde_json::from_str(&raw).ok());
        match response {
            Some(_) => self.state.metrics.hit(Layer::Http),
            None => self.state.metrics.miss(Layer::Http),
        }
        Ok(response)
    }

    async fn put(
        &self,
        generation: i64,
        route_key: &str,
        response: &CachedResponse,
        ttl: Duration,
    ) {
        let Ok(raw) = serde_json::to_string(response) else {
            return;
        };
        let ttl = self
            .state
            .policy
            .jittered(ttl, rand::random_range(-1.0..=1.0));
        if self
            .cache
            .set(&CacheKeys::http(generation, route_key), &raw, ttl)
            .await
            .is_err()
        {
            self.state.metrics.error();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockRedisService;

    #[tokio::test]
    async fn bypasses_while_repairs_are_pending() {
        let state = Arc::new(CacheState::default());
        state.repair.enqueue(
            super::super::cache::RepairJobForTests::bump(),
            &state.metrics,
        );
        let use_case = HttpCache::new(Arc::new(MockRedisService::new()), state);
        assert_eq!(use_case.generation().await, None);
    }

    #[tokio::test]
    async fn stores_and_reads_under_the_generation() {
        let mut cache = MockRedisService::new();
        cache
            .expect_set()
            .withf(|key, _, _| key.starts_with("http:9:"))
            .times(1)
            .returning(|_, _, _| Ok(()));
        cache
            .expect_get()
            .withf(|key| key == "http:9:product:x")
            .returning(|_| {
                Ok(Some(
                    r#"{"content_type":"application/json","etag":"\"1\"","body":"{}"}"#.to_owned(),
                ))
            });
        let use_case = HttpCache::new(Arc::new(cache), Arc::default());
        let response = CachedResponse {
            content_type: "application/json".into(),
            etag: "\"1\"".into(),
            body: "{}".into(),
        };
        use_case
            .put(9, "product:x", &response, Duration::from_secs(60))
            .await;
        assert_eq!(use_case.get(9, "product:x").await.unwrap(), Some(response));
    }
}
