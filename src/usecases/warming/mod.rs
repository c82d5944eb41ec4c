//! Cache warming: after a deploy or a Redis flush, fill what the first readers will ask
//! for (the most-read products, the default first list page and the total count) before
//! they ask. Products are read from MongoDB in batches and filled through the same rule
//! as any fill (never over a newer entry); the page and count go through their ordinary
//! read-through, so admission and generations apply as usual. A warmed product's HTTP
//! response is stored too (rendered by the HTTP layer's own `ProductRenderer`), so its first GET
//! is answered without running the handler.

pub mod read_counter;

use std::sync::Arc;
use std::time::Duration;

use crate::domain::ports::{Popularity, ProductRepository};
use crate::domain::product::Product;
use crate::domain::query::{PageRequest, ProductFilter, ProductSort};
use crate::usecases::cache::{DataSource, ProductCache, ResponseStore, StoredResponse};
use crate::usecases::{CountProductsUseCase, ListProductsUseCase};

/// When and how much to warm, and how reads are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmSettings {
    /// Warm at start-up (`CACHE_WARM_ON_START`).
    pub on_start: bool,
    /// Most-read products warmed (`CACHE_WARM_TOP_N`).
    pub top_n: usize,
    /// Longest readiness waits for start-up warming (`CACHE_WARM_TIMEOUT_MS`); warming
    /// goes on in the background past it.
    pub readiness_bound: Duration,
    /// One product read in this many is counted, weighing as many (`POPULARITY_SAMPLE_ONE_IN`);
    /// counts are added up locally and sent to Redis once a second (`ReadCounter`).
    pub sample_one_in: u32,
}

impl Default for WarmSettings {
    fn default() -> Self {
        Self {
            on_start: true,
            top_n: 100,
            readiness_bound: Duration::from_secs(5),
            sample_one_in: 10,
        }
    }
}

/// Products read from MongoDB per query.
pub const WARM_BATCH: usize = 100;

/// How far warming got, reported after each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WarmProgress {
    /// Products filled so far, out of `planned`.
    pub products: usize,
    pub planned: usize,
    /// List pages and counts filled.
    pub pages: usize,
    /// MongoDB queries made.
    pub queries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WarmError {
    #[error("the read counts could not be read from Redis")]
    Popularity(#[source] crate::domain::error::CacheError),
    #[error("MongoDB could not be read")]
    Database(#[source] crate::domain::error::RepositoryError),
    #[error("the first page or count could not be read")]
    Page(#[source] crate::usecases::ProductError),
    #[error("the cache is not usable (Redis failing or caching off)")]
    CacheUnusable,
}

/// Renders a product's 200 answer as the response cache stores it. Implemented by the HTTP
/// layer, whose product handler MUST answer with exactly what `render` returns: warming
/// stores that ahead of the first read, and a read served from it must not differ from one
/// the handler made.
pub trait ProductRenderer: Send + Sync {
    fn render(&self, product: &Product) -> StoredResponse;
}

/// How warmed products' HTTP responses are stored: the store, the HTTP layer's renderer
/// and the responses' TTL.
pub struct ResponseWarming {
    pub store: Arc<dyn ResponseStore>,
    pub renderer: Arc<dyn ProductRenderer>,
    pub ttl: Duration,
}

pub struct CacheWarmer {
    pub popularity: Arc<dyn Popularity>,
    pub repository: Arc<dyn ProductRepository>,
    pub products: Arc<dyn ProductCache>,
    pub lists: Arc<dyn ListProductsUseCase>,
    pub counts: Arc<dyn CountProductsUseCase>,
    pub responses: Option<ResponseWarming>,
}

impl CacheWarmer {
    /// Warms the top `top_n` products, then the default first page and count, calling
    /// `progress` after each step.
    pub async fn warm(
        &self,
        top_n: usize,
        progress: &(dyn Fn(WarmProgress) + Send + Sync),
    ) -> Result<WarmProgress, WarmError> {
        let top = self
            .popularity
            .top(top_n)
            .await
            .map_err(WarmError::Popularity)?;
        let mut done = WarmProgress {
            planned: top.len(),
            ..WarmProgress::default()
        };
        progress(done);
        for batch in top.chunks(WARM_BATCH) {
            // Each response generation is read before MongoDB: a write landing in between
            // moves the generation on and leaves what we store unreachable, as the
            // response cache itself does.
            let mut generations = Vec::new();
            if let Some(responses) = &self.responses {
                for id in batch {
                    generations.push(responses.store.generation(id).await);
                }
            }
            let found = self
                .repository
                .find_many(batch)
                .await
                .map_err(WarmError::Database)?;
            done.queries += 1;
            for product in &found {
                if !self.products.prime(product).await {
                    return Err(WarmError::CacheUnusable);
                }
                let Some(responses) = &self.responses else {
                    continue;
                };
                let at = batch.iter().position(|id| *id == product.id);
                if let Some(Some(generation)) = at.and_then(|at| generations.get(at)) {
                    let response = responses.renderer.render(product);
                    responses
                        .store
                        .put(*generation, &product.id, &response, responses.ttl)
                        .await;
                }
            }
            done.products += found.len();
            progress(done);
        }
        let page = self
            .lists
            .execute(
                &ProductFilter::default(),
                ProductSort::default(),
                PageRequest::default(),
            )
            .await
            .map_err(WarmError::Page)?;
        done.queries += usize::from(page.source == DataSource::Database);
        done.pages += 1;
        let count = self
            .counts
            .execute(&ProductFilter::default())
            .await
            .map_err(WarmError::Page)?;
        done.queries += usize::from(count.source == DataSource::Database);
        done.pages += 1;
        progress(done);
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::{MockPopularity, MockProductRepository};
    use crate::domain::product::ProductId;
    use crate::domain::query::Page;
    use crate::usecases::cache::{Fetched, MockProductCache};
    use crate::usecases::test_support::product;
    use crate::usecases::{MockCountProductsUseCase, MockListProductsUseCase};

    fn id(n: usize) -> String {
        format!("{n:024x}")
    }

    #[tokio::test]
    async fn warms_the_top_products_in_batches_then_the_first_page_and_count() {
        let mut popularity = MockPopularity::new();
        popularity
            .expect_top()
            .returning(|n| Ok((0..n).map(|i| ProductId::parse(&id(i)).unwrap()).collect()));
        let mut repository = MockProductRepository::new();
        repository
            .expect_find_many()
            .times(3)
            .returning(|ids| Ok(ids.iter().map(|i| product(i.as_str(), 1)).collect()));
        let mut products = MockProductCache::new();
        products.expect_prime().times(250).returning(|_| true);
        let mut lists = MockListProductsUseCase::new();
        lists.expect_execute().times(1).returning(|_, _, page| {
            Ok(Fetched {
                value: Page {
                    items: Vec::new(),
                    total: 0,
                    request: page,
                },
                source: DataSource::Database,
            })
        });
        let mut counts = MockCountProductsUseCase::new();
        counts.expect_execute().times(1).returning(|_| {
            Ok(Fetched {
                value: 0,
                source: DataSource::Cache,
            })
        });
        let warmer = CacheWarmer {
            popularity: Arc::new(popularity),
            repository: Arc::new(repository),
            products: Arc::new(products),
            lists: Arc::new(lists),
            counts: Arc::new(counts),
            responses: None,
        };
        let steps = std::sync::Mutex::new(Vec::new());
        let done = warmer
            .warm(250, &|p| steps.lock().unwrap().push(p.products))
            .await
            .unwrap();
        assert_eq!((done.products, done.pages, done.queries), (250, 2, 4));
        assert_eq!(*steps.lock().unwrap(), [0, 100, 200, 250, 250]);
    }
}
