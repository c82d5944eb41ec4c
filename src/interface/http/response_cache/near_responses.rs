//! Cached responses rendered once and replayed from process memory: the near tier's share of
//! the HTTP layer. Without it a hit still decodes what Redis (or the near tier) holds,
//! builds the JSON and hashes it for the ETag on every request; here that work is done
//! once per generation.
//!
//! A response is filed under the generation read before it was built (the list generation
//! for lists and counts, the product's response generation for a product); what it was
//! built from is at least that new, so a replay is never older than the generation it is
//! filed under, and once a write moves the generation (seen at once on the writing
//! instance, and through Redis' invalidations on the others) nothing filed under the old
//! one is reachable. No generation is read, and nothing replayed, whenever the cache is to
//! be bypassed.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use moka::sync::Cache;

use super::cached_route::CachedRoute;
use crate::interface::http::encoding::{compress, Effort, Encoding};
use crate::usecases::cache::{CacheLayer, CacheMetrics, ListCache};

/// Where a response is filed: the route, what identifies it on that route (the query as
/// sent, or the product id), and the generation read before it was built.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResponseSlot {
    route: CachedRoute,
    key: String,
    generation: i64,
}

impl ResponseSlot {
    pub fn new(route: CachedRoute, key: &str, generation: i64) -> Self {
        Self {
            route,
            key: key.to_owned(),
            generation,
        }
    }

    pub fn generation(&self) -> i64 {
        self.generation
    }
}

/// A rendered 200 ready to send: its headers (ETag included) and body, and its compressed variants,
/// each made the first time a client asks for that coding and replayed from then on.
#[derive(Debug)]
pub struct ReadyResponse {
    pub headers: HeaderMap,
    pub etag: String,
    pub body: Bytes,
    variants: [OnceLock<Option<Variant>>; Encoding::PRODUCED.len()],
}

/// The response in one coding, with that variant's ETag.
#[derive(Debug)]
pub struct Variant {
    pub etag: String,
    pub body: Bytes,
}

impl ReadyResponse {
    pub fn new(headers: HeaderMap, etag: String, body: Bytes) -> Self {
        Self {
            headers,
            etag,
            body,
            variants: Default::default(),
        }
    }

    /// The response in `encoding`, compressed on first use; `None` for identity, for a body
    /// too small to gain, and when the coding would not make it smaller.
    pub fn variant(&self, encoding: Encoding) -> Option<&Variant> {
        let slot = encoding.slot()?;
        if self.body.len() < crate::interface::http::middleware::compression::MIN_BYTES {
            return None;
        }
        self.variants[slot]
            .get_or_init(|| {
                compress(encoding, &self.body, Effort::Stored).map(|body| Variant {
                    etag: encoding.tag(&self.etag),
                    body,
                })
            })
            .as_ref()
    }
}

/// The ready responses of one process, shared by every worker, and the list cache that
/// says which list generation is current. A replay counts as a hit of the layer the
/// response came from (`http` for a product, `list` for lists and counts).
pub struct NearResponses {
    lists: Arc<dyn ListCache>,
    metrics: Arc<CacheMetrics>,
    responses: Cache<ResponseSlot, Arc<ReadyResponse>, foldhash::fast::RandomState>,
}

/// How long a ready response is kept, by route.
///
/// A list or count lives the near tier's TTL, like the page it was rendered from. A product
/// lives as long as its stored copy in Redis (`HTTP_CACHE_TTL_PRODUCT_SECS`): it is filed
/// under the product's response generation, which the near tier re-reads once per
/// `NEAR_CACHE_TTL_MS` and every write moves, so keeping it longer than that re-read
/// replays nothing older, and saves reading the stored copy back from Redis every time
/// the near tier's entry would expire (one round trip per hot product and second). Read
/// back just before its stored copy expires, it outlives that copy by at most one TTL.
struct Lifetimes {
    lists: Duration,
    products: Duration,
}

impl moka::Expiry<ResponseSlot, Arc<ReadyResponse>> for Lifetimes {
    fn expire_after_create(
        &self,
        slot: &ResponseSlot,
        _: &Arc<ReadyResponse>,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(match slot.route {
            CachedRoute::Product => self.products,
            CachedRoute::List | CachedRoute::Count => self.lists,
        })
    }
}

impl NearResponses {
    /// At most `max_entries` responses (the near tier's bound); lists and counts kept at
    /// most `ttl` (the near tier's), products at most `product_ttl` (see `Lifetimes`).
    pub fn new(
        lists: Arc<dyn ListCache>,
        metrics: Arc<CacheMetrics>,
        max_entries: u64,
        ttl: Duration,
        product_ttl: Duration,
    ) -> Self {
        let lifetimes = Lifetimes {
            lists: ttl,
            products: product_ttl,
        };
        Self {
            lists,
            metrics,
            responses: Cache::builder()
                .max_capacity(max_entries)
                .expire_after(lifetimes)
                .build_with_hasher(foldhash::fast::RandomState::default()),
        }
    }

    /// The slot of a list or count request under the current list generation; `None` when
    /// the list cache is to be bypassed.
    pub async fn list_slot(&self, route: CachedRoute, query: &str) -> Option<ResponseSlot> {
        let generation = self.lists.generation().await?;
        Some(ResponseSlot::new(route, query, generation))
    }

    pub fn get(&self, slot: &ResponseSlot) -> Option<Arc<ReadyResponse>> {
        let ready = self.responses.get(slot)?;
        self.metrics.hit(match slot.route {
            CachedRoute::Product => CacheLayer::Http,
            CachedRoute::List | CachedRoute::Count => CacheLayer::List,
        });
        Some(ready)
    }

    pub fn keep(&self, slot: ResponseSlot, ready: Arc<ReadyResponse>) {
        self.responses.insert(slot, ready);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::cache::MockListCache;

    fn ready() -> ReadyResponse {
        ReadyResponse::new(HeaderMap::new(), "\"1\"".into(), Bytes::from_static(b"{}"))
    }

    fn lists(generations: Vec<Option<i64>>) -> Arc<dyn ListCache> {
        let mut lists = MockListCache::new();
        let mut generations = generations.into_iter();
        lists
            .expect_generation()
            .returning(move || generations.next().unwrap());
        Arc::new(lists)
    }

    #[tokio::test]
    async fn an_answer_is_replayed_only_under_its_generation() {
        let metrics = Arc::new(CacheMetrics::default());
        let near = NearResponses::new(
            lists(vec![Some(7), Some(7), Some(8)]),
            metrics.clone(),
            100,
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        let slot = near.list_slot(CachedRoute::List, "page=1").await.unwrap();
        near.keep(slot, Arc::new(ready()));
        let same = near.list_slot(CachedRoute::List, "page=1").await.unwrap();
        assert!(near.get(&same).is_some());
        let moved = near.list_slot(CachedRoute::List, "page=1").await.unwrap();
        assert!(near.get(&moved).is_none(), "a write moved the generation");
    }

    #[tokio::test]
    async fn a_product_outlives_the_near_tiers_ttl_under_its_generation_a_page_does_not() {
        let near = NearResponses::new(
            lists(vec![Some(7)]),
            Arc::default(),
            100,
            Duration::from_millis(20),
            Duration::from_secs(60),
        );
        let page = near.list_slot(CachedRoute::List, "page=1").await.unwrap();
        let product = ResponseSlot::new(CachedRoute::Product, "p", 3);
        near.keep(page.clone(), Arc::new(ready()));
        near.keep(product.clone(), Arc::new(ready()));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            near.get(&page).is_none(),
            "a page lives the near tier's TTL"
        );
        assert!(
            near.get(&product).is_some(),
            "a product lives its stored copy's"
        );
    }

    #[tokio::test]
    async fn no_slot_while_the_list_cache_is_bypassed() {
        let near = NearResponses::new(
            lists(vec![None]),
            Arc::default(),
            100,
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        assert_eq!(near.list_slot(CachedRoute::Count, "").await, None);
    }
}
