use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shaku::{Component, Interface};

use super::generations::{generation_seed, Generation};
use super::{CacheContext, CacheLayer};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::RedisService;
use crate::domain::product::ProductId;

/// A stored HTTP response: only 200s are stored, with what a replay needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub content_type: String,
    pub etag: String,
    pub body: String,
}

/// Where the HTTP response cache keeps single-product responses, keyed by that product's
/// response generation: a write to a product makes its stored responses unreachable at
/// once (O(1)), and leaves every other product's stored.
///
/// Contract: `lookup` MUST read the generation and the entry together (one round trip on a
/// single server) and MUST answer `None` whenever the cache cannot be trusted; `put` MUST
/// store under the generation the lookup returned, never a newer one, so a response built
/// from pre-write data can never be filed under a post-write generation.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ResponseStore: Interface {
    /// The product's current response generation and the response stored under it, in
    /// one round trip; `None` when the cache must be bypassed (Redis failing, caching off,
    /// or an invalidation still waiting to be redone).
    async fn lookup(&self, product: &ProductId) -> Option<(i64, Option<StoredResponse>)>;
    /// The product's current response generation alone; `None` when the cache must be
    /// bypassed. Anything built after this call and filed under the returned generation is
    /// at least that new.
    async fn generation(&self, product: &ProductId) -> Option<i64>;
    async fn put(
        &self,
        generation: i64,
        product: &ProductId,
        response: &StoredResponse,
        ttl: Duration,
    );
}

/// `ResponseStore` on the cache port. Built once per process.
#[derive(Component)]
#[shaku(interface = ResponseStore)]
pub struct GenerationalResponseStore {
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
}

#[cfg(test)]
impl GenerationalResponseStore {
    pub fn new(cache: Arc<dyn RedisService>, context: Arc<CacheContext>) -> Self {
        Self { cache, context }
    }
}

#[async_trait]
impl ResponseStore for GenerationalResponseStore {
    #[tracing::instrument(name = "cache.http.lookup", level = "debug", skip_all)]
    async fn lookup(&self, product: &ProductId) -> Option<(i64, Option<StoredResponse>)> {
        if !self.context.usable() {
            return None;
        }
        let generation = Generation::ProductResponses(product.clone());
        let key = CacheKeys::http_around(&route_key(product));
        match self
            .cache
            .get_under_generation(&generation.key(), generation_seed(), generation.ttl(), &key)
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

    async fn generation(&self, product: &ProductId) -> Option<i64> {
        let generation = Generation::ProductResponses(product.clone());
        self.context
            .current_generation(self.cache.as_ref(), &generation, "http.generation")
            .await
    }

    #[tracing::instrument(name = "cache.http.put", level = "debug", skip_all)]
    async fn put(
        &self,
        generation: i64,
        product: &ProductId,
        response: &StoredResponse,
        ttl: Duration,
    ) {
        let Ok(raw) = serde_json::to_string(response) else {
            return;
        };
        if !self.context.fits(&raw) {
            return;
        }
        let ttl = self.context.jittered(ttl);
        let key = CacheKeys::http(generation, &route_key(product));
        if let Err(error) = self.cache.set(&key, &raw, ttl).await {
            self.context.failed("http.put", &error);
        }
    }
}

fn route_key(product: &ProductId) -> String {
    format!("product:{product}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MockRedisService;

    fn product() -> ProductId {
        ProductId::parse("665f1c0e9b1e8a3d4c2b1a09").unwrap()
    }

    #[tokio::test]
    async fn bypasses_while_repairs_are_pending() {
        let context = Arc::new(CacheContext::default());
        context.repair.enqueue(
            super::super::repair::RepairJob::Bump(super::super::generations::Generation::Lists),
            &context.metrics,
        );
        let use_case = GenerationalResponseStore::new(Arc::new(MockRedisService::new()), context);
        assert_eq!(use_case.lookup(&product()).await, None);
    }

    #[tokio::test]
    async fn stores_and_reads_under_the_generation_in_one_call() {
        let stored = r#"{"content_type":"application/json","etag":"\"1\"","body":"{}"}"#;
        let mut cache = MockRedisService::new();
        cache
            .expect_set()
            .withf(|key, _, _| key == "http:9:product:665f1c0e9b1e8a3d4c2b1a09")
            .times(1)
            .returning(|_, _, _| Ok(()));
        cache
            .expect_get_under_generation()
            .withf(|counter, _, ttl, key| {
                counter == "http:generation:product:665f1c0e9b1e8a3d4c2b1a09"
                    && ttl.is_some()
                    && key.join(9) == "http:9:product:665f1c0e9b1e8a3d4c2b1a09"
            })
            .times(1)
            .returning(move |_, _, _, _| Ok((9, Some(stored.to_owned()))));
        let use_case = GenerationalResponseStore::new(Arc::new(cache), Arc::default());
        let response = StoredResponse {
            content_type: "application/json".into(),
            etag: "\"1\"".into(),
            body: "{}".into(),
        };
        use_case
            .put(9, &product(), &response, Duration::from_secs(60))
            .await;
        assert_eq!(use_case.lookup(&product()).await, Some((9, Some(response))));
    }
}
