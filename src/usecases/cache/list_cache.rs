//! Cache-aside for lists and counts, keyed by the list generation and a hash of the
//! normalised query. A product write increments the generation: one INCR makes every cached
//! page and count unreachable, however many there are.

use std::future::Future;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::record::PageEntry;
use super::state::SharedLoad;
use super::{generation_seed, CacheState, DataSource, Fetched, Layer, SingleFlight};
use crate::domain::cache::{CacheKeys, GenerationalKey};
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest, ProductFilter, ProductSort, SortField};
use crate::usecases::ProductError;

#[derive(Clone)]
pub struct ListCache {
    repository: Arc<dyn ProductRepository>,
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

/// Canonical text of a filter: every field in a fixed order, absent ones as null, search
/// lower-cased in ASCII (the match is case-insensitive, so `Shoe` and `shoe` share entries).
fn canonical_filter(filter: &ProductFilter) -> serde_json::Value {
    serde_json::json!([
        filter.category.as_ref().map(|c| c.as_str()),
        filter
            .search
            .as_ref()
            .map(|s| s.as_str().to_ascii_lowercase()),
        filter.is_active,
        filter.min_price.map(|m| m.cents()),
        filter.max_price.map(|m| m.cents()),
    ])
}

fn digest(value: &serde_json::Value) -> String {
    let hash = Sha256::digest(value.to_string().as_bytes());
    hash.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Hash of the normalised list query: defaults are already filled in by the domain types,
/// so `?page=1&limit=10` and `?` share one entry.
pub fn list_hash(filter: &ProductFilter, sort: ProductSort, page: PageRequest) -> String {
    let field = match sort.field {
        SortField::CreatedAt => "createdAt",
        SortField::Price => "price",
        SortField::Name => "name",
    };
    digest(&serde_json::json!([
        canonical_filter(filter),
        field,
        sort.descending,
        page.page(),
        page.limit()
    ]))
}

pub fn count_hash(filter: &ProductFilter) -> String {
    digest(&canonical_filter(filter))
}

impl ListCache {
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

    /// Makes every cached page and count unreachable. Retried in the background on failure.
    pub async fn invalidate(&self) {
        self.state
            .bump_generation(self.cache.as_ref(), CacheKeys::LIST_GENERATION)
            .await;
    }

    pub async fn page(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        let load = || async {
            let (items, total) = futures_util::future::try_join(
                self.repository.list(filter, sort, page),
                self.repository.count(filter),
            )
            .await?;
            Ok(Page {
                items,
                total,
                request: page,
            })
        };
        let key = CacheKeys::list_around(&list_hash(filter, sort, page));
        self.cached(
            key,
            &self.state.page_flights,
            load,
            |p| PageEntry::from(p),
            PageEntry::into_page,
        )
        .await
    }

    pub async fn count(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError> {
        let load = || self.repository.count(filter);
        let key = CacheKeys::count_around(&count_hash(filter));
        self.cached(key, &self.state.count_flights, load, |n| *n, Some)
            .await
    }

    /// The shared cache-aside flow: generation → key → hit, or one load per key (single
    /// flight) that fills the entry with a jittered TTL.
    async fn cached<T, E, L, Fut>(
        &self,
        key: GenerationalKey,
        flights: &SingleFlight<SharedLoad<T>>,
        load: L,
        encode: impl FnOnce(&T) -> E,
        decode: impl FnOnce(E) -> Option<T>,
    ) -> Result<Fetched<T>, ProductError>
    where
        T: Clone,
        E: serde::Serialize + serde::de::DeserializeOwned,
        L: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, crate::domain::error::RepositoryError>>,
    {
        let metrics = &self.state.metrics;
        if !self.state.usable() {
            metrics.database_read(Layer::List);
            return Ok(Fetched::new(load().await?, DataSource::Database));
        }
        let initial = generation_seed();
        let lookup = self
            .cache
            .get_under_generation(CacheKeys::LIST_GENERATION, initial, &key)
            .await;
        let key = match &lookup {
            Ok((generation, _)) => key.join(*generation),
            Err(_) => String::new(),
        };
        match lookup.map(|(_, value)| value) {
            Ok(Some(raw)) => {
                if let Some(value) = serde_json::from_str(&raw).ok().and_then(decode) {
                    metrics.hit(Layer::List);
                    return Ok(Fetched::new(value, DataSource::Cache));
                }
                metrics.miss(Layer::List);
            }
            Ok(None) => metrics.miss(Layer::List),
            Err(_) => {
                metrics.error();
                metrics.database_read(Layer::List);
                return Ok(Fetched::new(load().await?, DataSource::Database));
            }
        }
        let (loaded, joined) = flights
            .run(&key, || async {
                metrics.database_read(Layer::List);
                let value = load().await.map_err(Arc::new)?;
                if let Ok(raw) = serde_json::to_string(&encode(&value)) {
                    let ttl = self
                        .state
                        .policy
                        .jittered(self.state.policy.list_ttl, rand::random_range(-1.0..=1.0));
                    if self.cache.set(&key, &raw, ttl).await.is_err() {
                        metrics.error();
                    }
                }
                Ok(value)
            })
            .await;
        if joined {
            metrics.single_flight_join();
        }
        Ok(Fetched::new(loaded?, DataSource::Database))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::SearchText;

    #[test]
    fn equivalent_queries_share_a_key_and_different_ones_do_not() {
        let shoe = |s: &str| ProductFilter {
            search: Some(SearchText::parse(s).unwrap()),
            ..ProductFilter::default()
        };
        let page = PageRequest::default();
        let sort = ProductSort::default();
        assert_eq!(
            list_hash(&shoe("Shoe"), sort, page),
            list_hash(&shoe("shoe"), sort, page)
        );
        assert_ne!(
            list_hash(&shoe("shoe"), sort, page),
            list_hash(&shoe("shoes"), sort, page)
        );
        let other_page = PageRequest::new(2, 10).unwrap();
        assert_ne!(
            list_hash(&shoe("shoe"), sort, page),
            list_hash(&shoe("shoe"), sort, other_page)
        );
        assert_eq!(count_hash(&shoe("A")), count_hash(&shoe("a")));
    }
}
