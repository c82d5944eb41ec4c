use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shaku::{Component, Interface};

use super::cache::{generation_seed, CacheState, Layer};
use crate::domain::cache::CacheKeys;
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
    /// The current generation and the response stored for `route_key` under it, in one
    /// round trip; `None` when the cache must be bypassed (Redis failing, caching off, or
    /// an invalidation still waiting to be redone).
    async fn lookup(&self, route_key: &str) -> Option<(i64, Option<CachedResponse>)>;
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
    async fn lookup(&self, route_key: &str) -> Option<(i64, Option<CachedResponse>)> {
        if !self.state.usable() {
            return None;
        }
        let initial = generation_seed();
        let key = CacheKeys::http_around(route_key);
        match self
            .cache
            .get_under_generation(CacheKeys::LIST_GENERATION, initial, &key)
            .await
        {
            Ok((generation, raw)) => {
                let response = raw.and_then(|raw| serde_json::from_str(&raw).ok());
                match response {
                    Some(_) => self.state.metrics.hit(Layer::Http),
                    None => self.state.metrics.miss(Layer::Http),
                }
                Some((generation, response))
            }
            Err(_) => {
                self.state.metrics.error();
                None
            }
        }
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
        assert_eq!(use_case.lookup("product:x").await, None);
    }

    #[tokio::test]
    async fn stores_and_reads_under_the_generation_in_one_call() {
        let stored = r#"{"content_type":"application/json","etag":"\"1\"","body":"{}"}"#;
        let mut cache = MockRedisService::new();
        cache
            .expect_set()
            .withf(|key, _, _| key == "http:9:product:x")
            .times(1)
            .returning(|_, _, _| Ok(()));
        cache
            .expect_get_under_generation()
            .withf(|counter, _, key| {
                counter == "products:generation" && key.join(9) == "http:9:product:x"
            })
            .times(1)
            .returning(move |_, _, _| Ok((9, Some(stored.to_owned()))));
        let use_case = HttpCache::new(Arc::new(cache), Arc::default());
        let response = CachedResponse {
            content_type: "application/json".into(),
            etag: "\"1\"".into(),
            body: "{}".into(),
        };
        use_case
            .put(9, "product:x", &response, Duration::from_secs(60))
            .await;
        assert_eq!(
            use_case.lookup("product:x").await,
            Some((9, Some(response)))
        );
    }
}
