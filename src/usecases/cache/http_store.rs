use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shaku::{Component, Interface};

use super::generations::generation_seed;
use super::{CacheContext, CacheLayer};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::RedisService;

/// A stored HTTP response: only 200s are stored, with what a replay needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedResponse {
    pub content_type: String,
    pub etag: String,
    pub body: String,
}

/// Where the HTTP response cache keeps responses, keyed by the list generation so every
/// product write makes all stored responses unreachable at once.
///
/// Contract: `lookup` MUST read the generation and the entry together (one round trip on a
/// single server) and MUST answer `None` whenever the cache cannot be trusted; `put` MUST
/// store under the generation the lookup returned, never a newer one, so a response built
/// from pre-write data can never be filed under a post-write generation.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HttpResponseStore: Interface {
    /// The current generation and the response stored for `route_key` under it, in one
    /// round trip; `None` when the cache must be bypassed (Redis failing, caching off, or
    /// an invalidation still waiting to be redone).
    async fn lookup(&self, route_key: &str) -> Option<(i64, Option<CachedResponse>)>;
    async fn put(&self, generation: i64, route_key: &str, response: &CachedResponse, ttl: Duration);
}

/// `HttpResponseStore` on the cache port. Built once per process.
#[derive(Component)]
#[shaku(interface = HttpResponseStore)]
pub struct GenerationalHttpStore {
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
}

impl GenerationalHttpStore {
    pub fn new(cache: Arc<dyn RedisService>, context: Arc<CacheContext>) -> Self {
        Self { cache, context }
    }
}

#[async_trait]
impl HttpResponseStore for GenerationalHttpStore {
    #[tracing::instrument(name = "cache.http.lookup", level = "debug", skip_all)]
    async fn lookup(&self, route_key: &str) -> Option<(i64, Option<CachedResponse>)> {
        if !self.context.usable() {
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
                    Some(_) => self.context.metrics.hit(CacheLayer::Http),
                    None => self.context.metrics.miss(CacheLayer::Http),
                }
                Some((generation, response))
            }
            Err(error) => {
                self.context.failed("http.lookup", &error);
                None
            }
        }
    }

    #[tracing::instrument(name = "cache.http.put", level = "debug", skip_all)]
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
        if !self.context.fits(&raw) {
            return;
        }
        let ttl = self.context.jittered(ttl);
        let key = CacheKeys::http(generation, route_key);
        if let Err(error) = self.cache.set(&key, &raw, ttl).await {
            self.context.failed("http.put", &error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockRedisService;

    #[tokio::test]
    async fn bypasses_while_repairs_are_pending() {
        let context = Arc::new(CacheContext::default());
        context.repair.enqueue(
            super::super::repair::RepairJob::Bump(super::super::generations::Generation::Lists),
            &context.metrics,
        );
        let use_case = GenerationalHttpStore::new(Arc::new(MockRedisService::new()), context);
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
        let use_case = GenerationalHttpStore::new(Arc::new(cache), Arc::default());
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
