//! Cache-aside for product lists and counts, keyed by the list generation and a hash of the
//! normalised query. A product write increments the generation: one call makes every cached
//! page and count unreachable, however many there are. What is stored is bounded by the
//! admission rule (`admission`) and the entry size cap (`CacheContext::fits`).

use std::sync::Arc;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::admission::FillAdmission;
use super::codec::{
    decode_count, decode_facets, decode_page, decode_seek, encode_count, encode_facets,
    encode_page, encode_seek, Seek,
};
use super::generations::{generation_seed, Generation};
use super::read_through::{Codec, ReadThrough, SharedLoad};
use super::{CacheContext, CacheLayer, Fetched, SingleFlight};
use crate::domain::cache::{CacheKeys, GenerationalKey};
use crate::domain::error::CacheError;
use crate::domain::facets::{Facets, PriceEdges};
use crate::domain::keyset::{Direction, Keyset, ListPage};
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest, ProductFilter, ProductSort, SortField};
use crate::domain::search::SearchTerms;
use crate::usecases::ProductError;

/// Reads product list pages and counts through the cache.
///
/// Contract: equivalent queries (same filter, sort and page after defaults) MUST share one
/// entry; a hit MUST NOT touch MongoDB; every entry MUST become unreachable when the list
/// generation moves (any product write); Redis failures MUST fall back to MongoDB.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ListCache: Interface {
    async fn page(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError>;
    /// `keyset.limit` items on one side of a position (see `domain::keyset`), cached like
    /// numbered pages under the list generation.
    async fn keyset_page(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        keyset: &Keyset,
    ) -> Result<Fetched<ListPage>, ProductError>;
    async fn count(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError>;
    /// The facets of `filter` with buckets starting at `edges`, cached like counts.
    async fn facets(
        &self,
        filter: &ProductFilter,
        edges: &PriceEdges,
    ) -> Result<Fetched<Facets>, ProductError>;
    /// The current list generation, `None` when the cache must be bypassed. Anything
    /// derived from a page read after this call and filed under the returned generation
    /// is at least as new as that generation, so it MUST NOT be served once the
    /// generation has moved.
    async fn generation(&self) -> Option<i64>;
}

/// `ListCache` over the repository and the cache port. Built once per process.
#[derive(Component)]
#[shaku(interface = ListCache)]
pub struct ListReadThrough {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
    /// Built from `context`'s policy; bounds how many pages are stored.
    admission: Arc<FillAdmission>,
    #[shaku(force_default)]
    page_flights: SingleFlight<SharedLoad<Page<Product>>>,
    #[shaku(force_default)]
    seek_flights: SingleFlight<SharedLoad<Seek>>,
    #[shaku(force_default)]
    count_flights: SingleFlight<SharedLoad<u64>>,
    #[shaku(force_default)]
    facet_flights: SingleFlight<SharedLoad<Facets>>,
}

/// Canonical text of a filter: every field in a fixed order, absent ones as null, search
/// as the terms it searches for (folded, so `CAFÉ` and `cafe` share entries).
fn canonical_filter(filter: &ProductFilter) -> serde_json::Value {
    serde_json::json!([
        filter.category.as_ref().map(|c| c.as_str()),
        filter
            .search
            .as_ref()
            .map(|s| SearchTerms::of(s).map(|terms| (terms.complete, terms.prefix))),
        filter.is_active,
        filter.min_price.map(|m| m.cents()),
        filter.max_price.map(|m| m.cents()),
        filter.sku.as_ref().map(|s| s.as_str()),
    ])
}

fn digest(value: &serde_json::Value) -> String {
    crate::domain::digest::sha256_hex(value.to_string().as_bytes(), 16)
}

/// Hash of the normalised list query: defaults are already filled in by the domain types,
/// so `?page=1&limit=10` and `?` share one entry.
pub fn list_hash(filter: &ProductFilter, sort: ProductSort, page: PageRequest) -> String {
    digest(&serde_json::json!([
        canonical_filter(filter),
        sort_name(sort.field),
        sort.descending,
        page.page(),
        page.limit()
    ]))
}

/// Hash of a keyset query: the filter, the sort, the position and the limit.
pub fn keyset_hash(filter: &ProductFilter, sort: ProductSort, keyset: &Keyset) -> String {
    let value = keyset.position.value.as_json();
    digest(&serde_json::json!([
        canonical_filter(filter),
        sort_name(sort.field),
        sort.descending,
        "keyset",
        value,
        keyset.position.id.as_str(),
        keyset.direction == Direction::Before,
        keyset.limit
    ]))
}

fn sort_name(field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "createdAt",
        SortField::Price => "price",
        SortField::Name => "name",
        SortField::Relevance => "relevance",
    }
}

/// Hash of a facets query: the filter and the bucket edges (a deployment that changes them
/// reads none of the old entries).
pub fn facets_hash(filter: &ProductFilter, edges: &PriceEdges) -> String {
    digest(&serde_json::json!([
        canonical_filter(filter),
        "facets",
        edges.cents()
    ]))
}

pub fn count_hash(filter: &ProductFilter) -> String {
    digest(&canonical_filter(filter))
}

impl ListReadThrough {
    #[cfg(test)]
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        context: Arc<CacheContext>,
    ) -> Self {
        Self {
            repository,
            cache,
            admission: Arc::new(FillAdmission::new(context.policy.list_window())),
            context,
            page_flights: SingleFlight::default(),
            seek_flights: SingleFlight::default(),
            count_flights: SingleFlight::default(),
            facet_flights: SingleFlight::default(),
        }
    }

    /// The read-through flow of one family of list entries (`operation` names it in logs),
    /// under the list TTL and the admission rule, `shape` being the query's identity.
    fn flow<'a, T>(
        &'a self,
        operation: &'static str,
        flights: &'a SingleFlight<SharedLoad<T>>,
        codec: Codec<T>,
        shape: &'a str,
    ) -> ReadThrough<'a, T> {
        ReadThrough {
            cache: &self.cache,
            context: &self.context,
            layer: CacheLayer::List,
            operation,
            flights,
            codec,
            ttl: self.context.policy.list_ttl,
            admission: Some((&self.admission, shape)),
        }
    }

    /// The list generation and the entry under it, in one round trip.
    async fn lookup(&self, key: GenerationalKey) -> Result<(String, Option<String>), CacheError> {
        let (generation, raw) = self
            .cache
            .get_under_generation(CacheKeys::LIST_GENERATION, generation_seed(), None, &key)
            .await?;
        Ok((key.join(generation), raw))
    }
}

#[async_trait]
impl ListCache for ListReadThrough {
    #[tracing::instrument(name = "cache.list.page", level = "debug", skip_all)]
    async fn page(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        let shape = list_hash(filter, sort, page);
        let codec = Codec {
            encode: encode_page,
            decode: decode_page,
        };
        let flow = self.flow("list.page", &self.page_flights, codec, &shape);
        let key = CacheKeys::list_around(&shape);
        let (repository, filter) = (self.repository.clone(), filter.clone());
        flow.read(self.lookup(key), move || async move {
            let (items, total) = futures_util::future::try_join(
                repository.list(&filter, sort, page),
                repository.count(&filter),
            )
            .await?;
            Ok(Page {
                items,
                total,
                request: page,
            })
        })
        .await
    }

    #[tracing::instrument(name = "cache.list.keyset_page", level = "debug", skip_all)]
    async fn keyset_page(
        &self,
        filter: &ProductFilter,
        sort: ProductSort,
        keyset: &Keyset,
    ) -> Result<Fetched<ListPage>, ProductError> {
        let shape = keyset_hash(filter, sort, keyset);
        let codec = Codec {
            encode: encode_seek,
            decode: decode_seek,
        };
        let flow = self.flow("list.keyset_page", &self.seek_flights, codec, &shape);
        let key = CacheKeys::list_around(&shape);
        let (repository, filter, seek) = (self.repository.clone(), filter.clone(), keyset.clone());
        let fetched = flow
            .read(self.lookup(key), move || async move {
                let items = repository.list_keyset(&filter, sort, &seek).await?;
                Ok(Seek { items })
            })
            .await?;
        Ok(Fetched::new(
            ListPage::keyset(fetched.value.items, keyset.clone()),
            fetched.source,
        ))
    }

    #[tracing::instrument(name = "cache.list.facets", level = "debug", skip_all)]
    async fn facets(
        &self,
        filter: &ProductFilter,
        edges: &PriceEdges,
    ) -> Result<Fetched<Facets>, ProductError> {
        let shape = facets_hash(filter, edges);
        let codec = Codec {
            encode: encode_facets,
            decode: decode_facets,
        };
        let flow = self.flow("list.facets", &self.facet_flights, codec, &shape);
        let key = CacheKeys::list_around(&shape);
        let (repository, filter, edges) = (self.repository.clone(), filter.clone(), edges.clone());
        flow.read(self.lookup(key), move || async move {
            repository.facets(&filter, &edges).await
        })
        .await
    }

    #[tracing::instrument(name = "cache.list.count", level = "debug", skip_all)]
    async fn count(&self, filter: &ProductFilter) -> Result<Fetched<u64>, ProductError> {
        let shape = format!("count:{}", count_hash(filter));
        let codec = Codec {
            encode: encode_count,
            decode: decode_count,
        };
        let flow = self.flow("list.count", &self.count_flights, codec, &shape);
        let key = CacheKeys::count_around(&count_hash(filter));
        let (repository, filter) = (self.repository.clone(), filter.clone());
        flow.read(self.lookup(key), move || async move {
            repository.count(&filter).await
        })
        .await
    }

    async fn generation(&self) -> Option<i64> {
        self.context
            .current_generation(self.cache.as_ref(), &Generation::Lists, "list.generation")
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cache::CachePolicy;
    use crate::domain::error::CacheError;
    use crate::domain::error::RepositoryError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::domain::product::Category;
    use crate::domain::query::SearchText;
    use crate::usecases::cache::fixtures::cached_page;
    use crate::usecases::cache::{DataSource, StaleReason, Staleness};
    use crate::usecases::test_support::{product, unavailable, ID};

    fn use_case(repo: MockProductRepository, cache: MockRedisService) -> ListReadThrough {
        ListReadThrough::new(Arc::new(repo), Arc::new(cache), Arc::default())
    }

    async fn run(use_case: ListReadThrough) -> Result<Fetched<Page<Product>>, ProductError> {
        use_case
            .page(
                &ProductFilter::default(),
                ProductSort::default(),
                PageRequest::default(),
            )
            .await
    }

    #[tokio::test]
    async fn a_hit_never_touches_the_repository() {
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .withf(|counter, _, _, key| {
                counter == "products:generation" && key.join(7).starts_with("products:list:7:")
            })
            .times(1)
            .returning(|_, _, _, _| Ok((7, Some(cached_page(vec![product(ID, 1)], 1)))));
        let fetched = run(use_case(MockProductRepository::new(), cache))
            .await
            .unwrap();
        assert_eq!((fetched.value.items.len(), fetched.value.total), (1, 1));
        assert_eq!(fetched.source, DataSource::Cache);
    }

    #[tokio::test]
    async fn a_miss_reads_once_and_fills_under_the_current_generation() {
        let mut repo = MockProductRepository::new();
        repo.expect_list()
            .times(1)
            .returning(|_, _, _| Ok(vec![product(ID, 1)]));
        repo.expect_count().times(1).returning(|_| Ok(1));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .times(1)
            .returning(|_, _, _, _| Ok((7, None)));
        cache
            .expect_spend_budget()
            .times(1)
            .returning(|_, _, _| Ok(true));
        cache
            .expect_set()
            .withf(|key, _, _| key.starts_with("products:list:7:"))
            .times(1)
            .returning(|_, _, _| Ok(()));
        let fetched = run(use_case(repo, cache)).await.unwrap();
        assert_eq!(fetched.source, DataSource::Database);
    }

    #[tokio::test]
    async fn a_page_refused_by_admission_or_too_large_is_served_but_not_stored() {
        let mut repo = MockProductRepository::new();
        repo.expect_list()
            .times(1)
            .returning(|_, _, _| Ok(vec![product(ID, 1)]));
        repo.expect_count().times(1).returning(|_| Ok(1));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .times(1)
            .returning(|_, _, _, _| Ok((7, None)));
        cache
            .expect_spend_budget()
            .times(1)
            .returning(|_, _, _| Ok(false));
        cache.expect_set().never();
        let refused = run(use_case(repo, cache)).await.unwrap();
        assert_eq!(refused.value.items.len(), 1);
        let tiny = CacheContext::new(crate::domain::cache::CachePolicy {
            max_entry_bytes: 16,
            ..Default::default()
        });
        let mut repo = MockProductRepository::new();
        repo.expect_list()
            .returning(|_, _, _| Ok(vec![product(ID, 1)]));
        repo.expect_count().returning(|_| Ok(1));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .returning(|_, _, _, _| Ok((7, None)));
        cache.expect_set().never();
        let lists = ListReadThrough::new(Arc::new(repo), Arc::new(cache), Arc::new(tiny));
        run(lists).await.unwrap();
    }

    #[tokio::test]
    async fn a_redis_error_still_returns_the_repository_answer() {
        let mut repo = MockProductRepository::new();
        repo.expect_list().times(1).returning(|_, _, _| Ok(vec![]));
        repo.expect_count().times(1).returning(|_| Ok(0));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .returning(|_, _, _, _| Err(CacheError::Unavailable("down".into())));
        let fetched = run(use_case(repo, cache)).await.unwrap();
        assert_eq!(fetched.source, DataSource::DatabaseWithoutCache);
    }

    #[tokio::test]
    async fn a_store_failure_fails_the_list() {
        let mut repo = MockProductRepository::new();
        repo.expect_list().returning(|_, _, _| Ok(vec![]));
        repo.expect_count().returning(|_| Err(unavailable()));
        let mut cache = MockRedisService::new();
        cache
            .expect_get_under_generation()
            .returning(|_, _, _, _| Ok((1, None)));
        assert!(matches!(
            run(use_case(repo, cache)).await,
            Err(ProductError::Unavailable(_))
        ));
    }

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
            .returning(move |_, _, _, _| Ok((3, read.lock().unwrap().clone())));
        cache
            .expect_spend_budget()
            .times(1)
            .returning(|_, _, _| Ok(true));
        let write = stored.clone();
        cache.expect_set().times(1).returning(move |key, value, _| {
            assert!(key.starts_with("products:count:3:"));
            *write.lock().unwrap() = Some(value.to_owned());
            Ok(())
        });
        let use_case = ListReadThrough::new(Arc::new(repo), Arc::new(cache), Arc::default());
        let first = use_case.count(&filter).await.unwrap();
        assert_eq!((first.value, first.source), (4, DataSource::Database));
        let second = use_case.count(&filter).await.unwrap();
        assert_eq!((second.value, second.source), (4, DataSource::Cache));
    }

    #[tokio::test]
    async fn with_caching_disabled_redis_is_never_called() {
        let mut repo = MockProductRepository::new();
        repo.expect_count().times(1).returning(|_| Ok(2));
        let context = CacheContext::new(crate::domain::cache::CachePolicy {
            enabled: false,
            ..Default::default()
        });
        let lists = ListReadThrough::new(
            Arc::new(repo),
            Arc::new(MockRedisService::new()),
            Arc::new(context),
        );
        let counted = lists.count(&ProductFilter::default()).await.unwrap();
        assert_eq!(
            (counted.value, counted.source),
            (2, DataSource::DatabaseWithoutCache)
        );
        assert_eq!(lists.context.metrics.snapshot().errors, 0);
    }

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

    /// A stored page whose TTL ended `ago_ms` milliseconds ago.
    fn expired_page(ago_ms: i64) -> String {
        let until = crate::usecases::cache::product_entries::now_ms() - ago_ms;
        crate::usecases::cache::staleness::wrap(until, &cached_page(vec![product(ID, 1)], 1))
    }

    fn stale_lookup(cache: &mut MockRedisService, ago_ms: i64) {
        cache
            .expect_get_under_generation()
            .returning(move |_, _, _, _| Ok((7, Some(expired_page(ago_ms)))));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hit_near_its_ttl_starts_one_refresh_and_past_the_ttl_is_served_while_it_runs() {
        let mut repo = MockProductRepository::new();
        repo.expect_list().times(1).returning(|_, _, _| {
            std::thread::sleep(std::time::Duration::from_millis(800));
            Ok(vec![product(ID, 2)])
        });
        repo.expect_count().times(1).returning(|_| Ok(1));
        let mut cache = MockRedisService::new();
        let lookups = std::sync::atomic::AtomicUsize::new(0);
        cache
            .expect_get_under_generation()
            .returning(move |_, _, _, _| {
                // First within the last fifth of its TTL, then past it.
                let first = lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
                Ok((7, Some(expired_page(if first { -100 } else { 50 }))))
            });
        cache
            .expect_set()
            .withf(|key, value, ttl| {
                key.starts_with("products:list:7:")
                    && value.starts_with('~')
                    && *ttl > CachePolicy::default().stale_if_error
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let lists = Arc::new(use_case(repo, cache));
        let fresh = run_shared(&lists).await.unwrap();
        assert_eq!(fresh.source, DataSource::Cache);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for _ in 0..3 {
            let fetched = run_shared(&lists).await.unwrap();
            assert_eq!(fetched.value.items[0].revision, 1, "the stored page");
            assert!(matches!(
                fetched.source,
                DataSource::StaleCache(Staleness {
                    reason: StaleReason::Revalidating,
                    ..
                })
            ));
        }
        // The one refresh lands (the mocks count it when dropped).
        tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    }

    #[tokio::test]
    async fn without_a_refresh_running_an_expired_page_is_a_miss_and_only_an_outage_serves_it() {
        for (ago_ms, outage, served) in [
            (1_000, true, true),
            (60_000, true, true),
            (60_000, false, false),
            (400_000, true, false),
        ] {
            let mut repo = MockProductRepository::new();
            repo.expect_list().times(1).returning(move |_, _, _| {
                Err(if outage {
                    unavailable()
                } else {
                    RepositoryError::Unexpected("corrupt".into())
                })
            });
            repo.expect_count().returning(|_| Ok(1));
            let mut cache = MockRedisService::new();
            stale_lookup(&mut cache, ago_ms);
            cache.expect_set().never();
            let result = run(use_case(repo, cache)).await;
            match result {
                Ok(fetched) if served => assert_eq!(
                    fetched.source,
                    DataSource::StaleCache(Staleness {
                        reason: StaleReason::Error,
                        seconds: (ago_ms / 1_000) as u64
                    })
                ),
                other => assert!(!served && other.is_err(), "{ago_ms} {outage}: {other:?}"),
            }
        }
    }

    async fn run_shared(
        lists: &Arc<ListReadThrough>,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        lists
            .page(
                &ProductFilter::default(),
                ProductSort::default(),
                PageRequest::default(),
            )
            .await
    }
}
