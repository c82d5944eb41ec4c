//! Cached answers rendered once and replayed from process memory: the near tier's share of
//! the HTTP layer. Without it a hit still decodes what Redis (or the near tier) holds,
//! builds the JSON and hashes it for the ETag on every request; here that work is done
//! once per generation.
//!
//! An answer is filed under the generation read before it was built (the list generation
//! for lists and counts, the product's response generation for a product); what it was
//! built from is at least that new, so a replay is never older than the generation it is
//! filed under, and once a write moves the generation (seen at once on the writing
//! instance, and through Redis' invalidations on the others) nothing filed under the old
//! one is reachable. No generation is read, and nothing replayed, whenever the cache is to
//! be bypassed.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use moka::sync::Cache;

use super::cached_route::CachedRoute;
use crate::usecases::cache::{CacheLayer, CacheMetrics, ListCache};

/// Where an answer is filed: the route, what identifies it on that route (the query as
/// sent, or the product id), and the generation read before it was built.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnswerSlot {
    route: CachedRoute,
    key: String,
    generation: i64,
}

impl AnswerSlot {
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

/// A rendered 200: its headers (ETag included) and body.
#[derive(Debug)]
pub struct RenderedAnswer {
    pub headers: HeaderMap,
    pub etag: String,
    pub body: Bytes,
}

/// The rendered answers of one process, shared by every worker, and the list cache that
/// says which list generation is current. A replay counts as a hit of the layer the
/// answer came from (`http` for a product, `list` for lists and counts).
pub struct RenderedAnswers {
    lists: Arc<dyn ListCache>,
    metrics: Arc<CacheMetrics>,
    answers: Cache<AnswerSlot, Arc<RenderedAnswer>, foldhash::fast::RandomState>,
}

impl RenderedAnswers {
    /// At most `max_entries` answers, each kept at most `ttl` (the near tier's bounds).
    pub fn new(
        lists: Arc<dyn ListCache>,
        metrics: Arc<CacheMetrics>,
        max_entries: u64,
        ttl: Duration,
    ) -> Self {
        Self {
            lists,
            metrics,
            answers: Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build_with_hasher(foldhash::fast::RandomState::default()),
        }
    }

    /// The slot of a list or count request under the current list generation; `None` when
    /// the list cache is to be bypassed.
    pub async fn list_slot(&self, route: CachedRoute, query: &str) -> Option<AnswerSlot> {
        let generation = self.lists.generation().await?;
        Some(AnswerSlot::new(route, query, generation))
    }

    pub fn get(&self, slot: &AnswerSlot) -> Option<Arc<RenderedAnswer>> {
        let answer = self.answers.get(slot)?;
        self.metrics.hit(match slot.route {
            CachedRoute::Product => CacheLayer::Http,
            CachedRoute::List | CachedRoute::Count => CacheLayer::List,
        });
        Some(answer)
    }

    pub fn keep(&self, slot: AnswerSlot, answer: Arc<RenderedAnswer>) {
        self.answers.insert(slot, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::cache::MockListCache;

    fn answer() -> RenderedAnswer {
        RenderedAnswer {
            headers: HeaderMap::new(),
            etag: "\"1\"".into(),
            body: Bytes::from_static(b"{}"),
        }
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
        let rendered = RenderedAnswers::new(
            lists(vec![Some(7), Some(7), Some(8)]),
            metrics.clone(),
            100,
            Duration::from_secs(60),
        );
        let slot = rendered
            .list_slot(CachedRoute::List, "page=1")
            .await
            .unwrap();
        rendered.keep(slot, Arc::new(answer()));
        let same = rendered
            .list_slot(CachedRoute::List, "page=1")
            .await
            .unwrap();
        assert!(rendered.get(&same).is_some());
        let moved = rendered
            .list_slot(CachedRoute::List, "page=1")
            .await
            .unwrap();
        assert!(
            rendered.get(&moved).is_none(),
            "a write moved the generation"
        );
    }

    #[tokio::test]
    async fn no_slot_while_the_list_cache_is_bypassed() {
        let rendered = RenderedAnswers::new(
            lists(vec![None]),
            Arc::default(),
            100,
            Duration::from_secs(60),
        );
        assert_eq!(rendered.list_slot(CachedRoute::Count, "").await, None);
    }
}
