//! Cache-aside reads of single products.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::product_entries::{self, now_ms, Durability, ProductEntryView};
use super::read_through::SharedLoad;
use super::staleness::{self, past};
use super::{CacheContext, CacheLayer, DataSource, Fetched, SingleFlight, StaleReason};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::{Product, ProductId};
use crate::usecases::ProductError;

/// How often a reader that lost the fill lock looks for the winner's entry.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// Reads one product through the cache.
///
/// Contract: a hit MUST NOT touch MongoDB; concurrent misses of one key MUST cause one
/// MongoDB read per process (single flight) and, while the fill lock holds, one across
/// instances; a fill MUST NOT replace a newer cached version; any Redis failure or pending
/// repair MUST send the read to MongoDB. `Ok(None)` is a missing product (remembered as a
/// tombstone for the missing-TTL).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ProductCache: Interface {
    async fn get(&self, id: &ProductId) -> Result<Fetched<Option<Product>>, ProductError>;
    /// Fills the entry of `product`, just read from MongoDB, as a miss would (never over
    /// a newer cached version); for cache warming. Returns whether the cache was usable.
    async fn prime(&self, product: &Product) -> bool;
}

type Loaded = SharedLoad<(Option<Product>, DataSource)>;

/// `ProductCache` over the repository and the cache port. Built once per process.
#[derive(Component, Clone)]
#[shaku(interface = ProductCache)]
pub struct ProductReadThrough {
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
    #[shaku(force_default)]
    flights: Arc<SingleFlight<Loaded>>,
}

#[async_trait]
impl ProductCache for ProductReadThrough {
    async fn prime(&self, product: &Product) -> bool {
        if !self.context.usable() {
            return false;
        }
        let ttl = self.context.jittered(self.context.policy.product_ttl);
        product_entries::put(
            self.cache.as_ref(),
            &self.context,
            &product.id,
            product.revision,
            Some(product),
            ttl,
            Durability::BestEffort,
        )
        .await;
        true
    }

    #[tracing::instrument(name = "cache.product.get", level = "debug", skip_all)]
    async fn get(&self, id: &ProductId) -> Result<Fetched<Option<Product>>, ProductError> {
        let metrics = &self.context.metrics;
        if !self.context.usable() {
            return self.read_database(id).await;
        }
        let mut stale = None;
        match product_entries::read(self.cache.as_ref(), id).await {
            Ok(Some(entry)) => {
                let by = past(entry.expires_at_ms, now_ms());
                let swr = self.context.policy.stale_while_revalidate;
                match by {
                    None => {
                        metrics.hit(CacheLayer::Product);
                        if entry.product.is_some() {
                            self.maybe_refresh_ahead(id, entry.expires_at_ms);
                        }
                        return Ok(Fetched::from_cache(entry.product));
                    }
                    Some(by) if by < swr && self.refreshing(id) => {
                        metrics.hit(CacheLayer::Product);
                        let reason = StaleReason::Revalidating;
                        return Ok(staleness::served(entry.product, by, reason));
                    }
                    Some(by) => {
                        metrics.miss(CacheLayer::Product);
                        stale = Some((entry.product, by));
                    }
                }
            }
            Ok(None) => metrics.miss(CacheLayer::Product),
            Err(error) => {
                self.context.failed("product.get", &error);
                return self.read_database(id).await;
            }
        }
        let key = CacheKeys::product(id);
        let (loaded, joined) = self.flights.run(&key, || self.load_locked(id)).await;
        if joined {
            metrics.single_flight_join();
        }
        match (loaded, stale) {
            (Ok((product, source)), _) => Ok(Fetched::new(product, source)),
            (Err(error), Some((product, by)))
                if by < self.context.policy.stale_if_error && staleness::is_outage(&error) =>
            {
                Ok(staleness::served(product, by, StaleReason::Error))
            }
            (Err(error), _) => Err(error.into()),
        }
    }
}

/// Whether an entry is within its TTL (a stale one is what the caller is replacing).
fn fresh(entry: &ProductEntryView) -> bool {
    past(entry.expires_at_ms, now_ms()).is_none()
}

impl ProductReadThrough {
    pub fn new(
        repository: Arc<dyn ProductRepository>,
        cache: Arc<dyn RedisService>,
        context: Arc<CacheContext>,
    ) -> Self {
        Self {
            repository,
            cache,
            context,
            flights: Arc::default(),
        }
    }

    /// Whether this process is refreshing `id` in the background (started ahead of its TTL).
    fn refreshing(&self, id: &ProductId) -> bool {
        self.context.refreshes.running(&CacheKeys::product(id))
    }

    async fn read_database(
        &self,
        id: &ProductId,
    ) -> Result<Fetched<Option<Product>>, ProductError> {
        self.context.metrics.database_read(CacheLayer::Product);
        Ok(Fetched::from_database(
            self.repository.find_by_id(id).await?,
        ))
    }

    /// Loads under the cross-instance lock. The lock holder looks at the cache once more
    /// first: a caller whose miss was answered just before another flight filled the entry
    /// (it may wait a while for a busy worker) then serves that fill instead of reading
    /// MongoDB again. A reader that loses the race waits (bounded) for the winner's fill,
    /// then reads MongoDB itself rather than wait longer.
    async fn load_locked(&self, id: &ProductId) -> Loaded {
        let lock = CacheKeys::product_lock(id);
        let policy = self.context.policy;
        match self.cache.try_lock(&lock, policy.lock_ttl).await {
            Ok(Some(token)) => {
                let loaded = match product_entries::read(self.cache.as_ref(), id).await {
                    Ok(Some(entry)) if fresh(&entry) => Ok((entry.product, DataSource::Cache)),
                    _ => self.load_and_fill(id).await,
                };
                if let Err(error) = self.cache.unlock(&lock, &token).await {
                    self.context.failed("product.unlock", &error);
                }
                loaded
            }
            Ok(None) => {
                self.context.metrics.lock_wait();
                let deadline = tokio::time::Instant::now() + policy.lock_wait;
                while tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(LOCK_POLL).await;
                    if let Ok(Some(entry)) = product_entries::read(self.cache.as_ref(), id).await {
                        if fresh(&entry) {
                            return Ok((entry.product, DataSource::Cache));
                        }
                    }
                }
                self.load_and_fill(id).await
            }
            Err(error) => {
                self.context.failed("product.lock", &error);
                self.load_and_fill(id).await
            }
        }
    }

    async fn load_and_fill(&self, id: &ProductId) -> Loaded {
        self.context.metrics.database_read(CacheLayer::Product);
        let product = self.repository.find_by_id(id).await.map_err(Arc::new)?;
        let (version, ttl) = match &product {
            Some(product) => (
                product.revision,
                self.context.jittered(self.context.policy.product_ttl),
            ),
            None => (0, self.context.policy.missing_ttl),
        };
        product_entries::put(
            self.cache.as_ref(),
            &self.context,
            id,
            version,
            product.as_ref(),
            ttl,
            Durability::BestEffort,
        )
        .await;
        Ok((product, DataSource::Database))
    }

    /// One background reload when a hit is close to expiry, so hot keys never miss. Only the
    /// instance that gets the lock reloads; the others keep serving the current entry.
    fn maybe_refresh_ahead(&self, id: &ProductId, expires_at_ms: i64) {
        let policy = self.context.policy;
        let threshold = policy.product_ttl.mul_f64(policy.refresh_ahead).as_millis() as i64;
        if expires_at_ms - now_ms() > threshold {
            return;
        }
        // One refresh per product in this process, as for pages (`staleness::Refreshes`):
        // hits while it runs spawn nothing.
        let Some(turn) = self.context.refreshes.begin(&CacheKeys::product(id)) else {
            return;
        };
        let this = self.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let _turn = turn;
            let lock = CacheKeys::product_lock(&id);
            if let Ok(Some(token)) = this.cache.try_lock(&lock, policy.lock_ttl).await {
                this.context.metrics.refresh_ahead();
                let _ = this.load_and_fill(&id).await;
                let _ = this.cache.unlock(&lock, &token).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cache::CachePolicy;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{LockToken, MockProductRepository, MockRedisService};
    use crate::usecases::cache::fixtures::{cached, product_entry_expiring, tombstone};
    use crate::usecases::test_support::{product, ID};

    fn use_case(repo: MockProductRepository, cache: MockRedisService) -> ProductReadThrough {
        ProductReadThrough::new(Arc::new(repo), Arc::new(cache), Arc::default())
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
            .get(&id())
            .await
            .unwrap();
        assert_eq!(fetched.value.unwrap().version.get(), 3);
        assert_eq!(fetched.source, DataSource::Cache);
    }

    #[tokio::test]
    async fn a_cached_tombstone_is_not_found_without_a_database_read() {
        let mut cache = MockRedisService::new();
        cache
            .expect_get_versioned()
            .returning(|_| Ok(Some(tombstone(4))));
        let fetched = use_case(MockProductRepository::new(), cache)
            .get(&id())
            .await
            .unwrap();
        assert_eq!(fetched, Fetched::from_cache(None));
    }

    #[tokio::test]
    async fn a_miss_reads_once_under_the_lock_and_fills_with_the_version() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 3))));
        let mut cache = MockRedisService::new();
        // The miss, then the look the lock holder takes before reading MongoDB.
        cache
            .expect_get_versioned()
            .times(2)
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
        let fetched = use_case(repo, cache).get(&id()).await.unwrap();
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
        let fetched = use_case(repo, cache).get(&id()).await.unwrap();
        assert_eq!(fetched.value.unwrap().version.get(), 2);
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
        let use_case = ProductReadThrough::new(
            Arc::new(repo),
            Arc::new(MockRedisService::new()),
            Arc::new(CacheContext::new(policy)),
        );
        assert_eq!(
            use_case.get(&id()).await.unwrap().source,
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
        assert_eq!(
            use_case(repo, cache).get(&id()).await.unwrap(),
            Fetched::from_database(None)
        );
    }

    #[tokio::test]
    async fn a_lock_holder_serves_a_fill_that_landed_after_its_miss() {
        let mut cache = MockRedisService::new();
        let mut reads = 0;
        cache.expect_get_versioned().times(2).returning(move |_| {
            reads += 1;
            Ok((reads > 1).then(|| cached(&product(ID, 4))))
        });
        cache
            .expect_try_lock()
            .times(1)
            .returning(|_, _| Ok(Some(LockToken::new("t".into()))));
        cache.expect_unlock().times(1).returning(|_, _| Ok(true));
        let fetched = use_case(MockProductRepository::new(), cache)
            .get(&id())
            .await
            .unwrap();
        assert_eq!(fetched.source, DataSource::Cache);
        assert_eq!(fetched.value.unwrap().version.get(), 4);
    }

    #[tokio::test]
    async fn a_reader_that_loses_the_lock_serves_the_winners_fill() {
        let mut cache = MockRedisService::new();
        let mut reads = 0;
        cache.expect_get_versioned().times(2).returning(move |_| {
            reads += 1;
            Ok((reads > 1).then(|| cached(&product(ID, 8))))
        });
        cache.expect_try_lock().times(1).returning(|_, _| Ok(None));
        let products = use_case(MockProductRepository::new(), cache);
        let fetched = products.get(&id()).await.unwrap();
        assert_eq!(fetched.value.unwrap().version.get(), 8);
        assert_eq!(fetched.source, DataSource::Cache);
        assert_eq!(products.context.metrics.snapshot().lock_waits, 1);
    }

    #[tokio::test]
    async fn a_reader_that_loses_the_lock_reads_mongodb_after_the_bounded_wait() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 2))));
        let mut cache = MockRedisService::new();
        cache.expect_get_versioned().returning(|_| Ok(None));
        cache.expect_try_lock().times(1).returning(|_, _| Ok(None));
        cache
            .expect_set_if_newer()
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        let context = CacheContext::new(CachePolicy {
            lock_wait: Duration::from_millis(60),
            ..CachePolicy::default()
        });
        let products = ProductReadThrough::new(Arc::new(repo), Arc::new(cache), Arc::new(context));
        let fetched = products.get(&id()).await.unwrap();
        assert_eq!(fetched.source, DataSource::Database);
    }

    #[tokio::test]
    async fn a_hit_near_expiry_refreshes_once_in_the_background() {
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Ok(Some(product(ID, 9))));
        let mut cache = MockRedisService::new();
        // 10 s left of a 300 s TTL: inside the last 20 %.
        let expiring = product_entry_expiring(Some(&product(ID, 9)), 9, now_ms() + 10_000);
        cache
            .expect_get_versioned()
            .returning(move |_| Ok(Some(expiring.clone())));
        cache
            .expect_try_lock()
            .times(1)
            .returning(|_, _| Ok(Some(LockToken::new("t".into()))));
        let (filled, seen) = tokio::sync::oneshot::channel::<u64>();
        let filled = std::sync::Mutex::new(Some(filled));
        cache
            .expect_set_if_newer()
            .times(1)
            .returning(move |_, version, _, _| {
                if let Some(tx) = filled.lock().unwrap().take() {
                    let _ = tx.send(version);
                }
                Ok(true)
            });
        cache.expect_unlock().times(1).returning(|_, _| Ok(true));
        let products = use_case(repo, cache);
        let fetched = products.get(&id()).await.unwrap();
        assert_eq!(fetched.source, DataSource::Cache);
        let version = tokio::time::timeout(Duration::from_secs(5), seen)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(version, 9);
        assert_eq!(products.context.metrics.snapshot().refresh_aheads, 1);
    }

    #[tokio::test]
    async fn a_hit_far_from_expiry_does_not_refresh() {
        let mut cache = MockRedisService::new();
        let fresh = product_entry_expiring(Some(&product(ID, 9)), 9, now_ms() + 200_000);
        cache
            .expect_get_versioned()
            .times(1)
            .returning(move |_| Ok(Some(fresh.clone())));
        let products = use_case(MockProductRepository::new(), cache);
        products.get(&id()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(products.context.metrics.snapshot().refresh_aheads, 0);
    }

    #[tokio::test]
    async fn past_the_revalidation_window_an_outage_serves_the_entry_marked_stale() {
        let expired = now_ms() - 60_000;
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .times(1)
            .returning(|_| Err(crate::usecases::test_support::unavailable()));
        let mut cache = MockRedisService::new();
        cache.expect_get_versioned().returning(move |_| {
            Ok(Some(product_entry_expiring(
                Some(&product(ID, 3)),
                3,
                expired,
            )))
        });
        cache
            .expect_try_lock()
            .returning(|_, _| Ok(Some(LockToken::new("t".into()))));
        cache.expect_unlock().returning(|_, _| Ok(true));
        let fetched = use_case(repo, cache).get(&id()).await.unwrap();
        assert_eq!(fetched.value.unwrap().revision, 3);
        assert_eq!(
            fetched.source,
            DataSource::StaleCache(crate::usecases::cache::Staleness {
                seconds: 60,
                reason: StaleReason::Error
            })
        );
    }

    #[tokio::test]
    async fn a_fill_keeps_a_product_the_stale_span_past_its_ttl() {
        let policy = crate::domain::cache::CachePolicy::default();
        let mut repo = MockProductRepository::new();
        repo.expect_find_by_id()
            .returning(|_| Ok(Some(product(ID, 3))));
        let mut cache = MockRedisService::new();
        cache.expect_get_versioned().returning(|_| Ok(None));
        cache
            .expect_try_lock()
            .returning(|_, _| Ok(Some(LockToken::new("t".into()))));
        cache.expect_unlock().returning(|_, _| Ok(true));
        cache
            .expect_set_if_newer()
            .withf(move |_, _, value, ttl| {
                let entry: super::super::codec::ProductEntry = serde_json::from_str(value).unwrap();
                let fresh_for = entry.expires_at_ms - now_ms();
                *ttl >= policy.product_ttl.mul_f64(0.9) + policy.stale_span()
                    && fresh_for <= policy.product_ttl.mul_f64(1.1).as_millis() as i64
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        use_case(repo, cache).get(&id()).await.unwrap();
    }
}
