//! The one entry point from a committed write to the cache. Each event does the
//! write-through or tombstone AND every invalidation it implies, so no use case knows the key
//! scheme or has to remember "write through, then bump the generation".
//!
//! Each event's work runs through `PostCommitTasks`: the caller waits for it (so a write that
//! returns is visible on every read path of this instance), but a caller dropped mid-way does
//! not stop it. A failed Redis call is queued for repair, and reads bypass the cache until
//! the repair lands.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::generations::{self, Generation};
use super::product_entries::{self, Durability};
use super::repair::RepairJob;
use super::wishlist_cache::wishlist_generation_ttl;
use super::CacheContext;
use crate::domain::cache::CacheKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::{ProductRepository, RedisService};
use crate::domain::product::{Product, ProductId};
use crate::domain::user::UserId;

/// What happened in the system of record, as the cache needs to hear it.
///
/// Contract: each call is made after the change committed in MongoDB. When it returns, every
/// read path of this process MUST show the change or bypass the cache; the work MUST finish
/// (or be queued for repair) even if the caller is dropped.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CacheEvents: Interface {
    /// A product was created or its content updated: its entry takes the new version and
    /// every list page, count, stored HTTP response and wishlist page is retired. Returns
    /// whether every cache write landed (false: some wait in the repair queue).
    async fn product_written(&self, product: &Product) -> bool;
    /// A product was deleted: its entry becomes a tombstone above the deleted version (so
    /// no in-flight read can bring it back) and every list-like entry is retired. Returns
    /// whether every cache write landed.
    async fn product_deleted(&self, deleted: &Product) -> bool;
    /// Another instance's write to `id` may not have reached the cache: makes the cache
    /// agree with MongoDB now (the stored product written through, or a tombstone when it
    /// is gone) and retires its responses and the lists. Returns whether MongoDB answered
    /// and every cache write landed.
    async fn reconcile(&self, id: &ProductId) -> bool;
    /// `user`'s wishlist membership of `product` changed: the product's entry takes its new
    /// state and only that user's wishlist pages are retired.
    async fn wishlist_changed(&self, user: &UserId, product: &Product);
    /// An operator asked to drop every list page, count and wishlist page.
    async fn lists_invalidated(&self);
    /// An operator asked to drop every stored HTTP response: up to `RECLAIM_LIMIT` of them
    /// (and their generations) are deleted; the rest expire with their TTL. Stored
    /// responses are never stale (each product's writes retire its own), so this frees
    /// memory rather than restoring correctness. Returns how many keys were deleted.
    async fn responses_invalidated(&self) -> u64;
    /// A write to `id` failed with an outage (typically a timeout): it may or may not have
    /// committed. In the background, once MongoDB answers, the cache takes whatever is
    /// stored (write-through, or a tombstone above the cached entry) and lists are retired.
    /// Returns at once; shutdown still waits for the work.
    async fn product_uncertain(&self, id: &ProductId);
    /// An operator asked to drop every single-product entry: all are retired at once (a new
    /// epoch; tombstones keep refusing older fills), then up to `RECLAIM_LIMIT` retired live
    /// entries are deleted to free memory (the rest expire with their TTL). Returns how many
    /// were deleted; an error only if the retirement itself failed.
    async fn products_invalidated(&self) -> Result<u64, CacheError>;
}

/// `CacheEvents` over the cache port. Built once per process.
#[derive(Component)]
#[shaku(interface = CacheEvents)]
pub struct CacheWriteEffects {
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    #[shaku(inject)]
    repository: Arc<dyn ProductRepository>,
    context: Arc<CacheContext>,
}

impl CacheWriteEffects {
    pub fn new(
        cache: Arc<dyn RedisService>,
        repository: Arc<dyn ProductRepository>,
        context: Arc<CacheContext>,
    ) -> Self {
        Self {
            cache,
            repository,
            context,
        }
    }

    /// Runs `effect` over owned handles as post-commit work, unless caching is off;
    /// returns whether it queued no repair (nothing failed, or caching is off). A repair
    /// queued meanwhile by a concurrent write also reads as a failure: the answer may be
    /// pessimistic, never optimistic.
    async fn apply<F, Fut>(&self, effect: F) -> bool
    where
        F: FnOnce(Arc<dyn RedisService>, Arc<CacheContext>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        if !self.context.policy.enabled {
            return true;
        }
        let before = self.context.repair.enqueued();
        let work = effect(self.cache.clone(), self.context.clone());
        self.context.post_commit.run(work).await;
        self.context.repair.enqueued() == before
    }

    /// Up to `RECLAIM_LIMIT` keys matching `pattern`, for an invalidation to delete; none
    /// (counted as a failure of `operation`) when the scan fails: what is not deleted
    /// expires with its TTL.
    async fn reclaimable(&self, pattern: &str, operation: &'static str) -> Vec<String> {
        match self.cache.scan_keys(pattern, RECLAIM_LIMIT).await {
            Ok(keys) => keys,
            Err(error) => {
                self.context.failed(operation, &error);
                Vec::new()
            }
        }
    }
}

/// Writes `product` at its version; a failure is queued for repair.
async fn write_through(cache: &dyn RedisService, context: &CacheContext, product: &Product) {
    let ttl = context.jittered(context.policy.product_ttl);
    let version = product.revision;
    product_entries::put(
        cache,
        context,
        &product.id,
        version,
        Some(product),
        ttl,
        Durability::MustLand,
    )
    .await;
}

/// Moves a generation on; a failure is queued for repair.
async fn retire(cache: &dyn RedisService, context: &CacheContext, generation: Generation) {
    match generations::bump(cache, &generation).await {
        Ok(()) => context.metrics.invalidation(),
        Err(error) => {
            context.failed("generation.bump", &error);
            context
                .repair
                .enqueue(RepairJob::Bump(generation), &context.metrics);
        }
    }
}

#[async_trait]
impl CacheEvents for CacheWriteEffects {
    #[tracing::instrument(name = "cache.product_written", level = "debug", skip_all, fields(product = %product.id))]
    async fn product_written(&self, product: &Product) -> bool {
        let product = product.clone();
        self.apply(|cache, context| async move {
            write_through(cache.as_ref(), &context, &product).await;
            let responses = Generation::ProductResponses(product.id.clone());
            retire(cache.as_ref(), &context, responses).await;
            retire(cache.as_ref(), &context, Generation::Lists).await;
        })
        .await
    }

    #[tracing::instrument(name = "cache.product_deleted", level = "debug", skip_all, fields(product = %deleted.id))]
    async fn product_deleted(&self, deleted: &Product) -> bool {
        let deleted = deleted.clone();
        self.apply(|cache, context| async move {
            let ttl = context.policy.missing_ttl;
            let version = deleted.revision + 1;
            product_entries::put(
                cache.as_ref(),
                &context,
                &deleted.id,
                version,
                None,
                ttl,
                Durability::MustLand,
            )
            .await;
            let responses = Generation::ProductResponses(deleted.id.clone());
            retire(cache.as_ref(), &context, responses).await;
            retire(cache.as_ref(), &context, Generation::Lists).await;
        })
        .await
    }

    #[tracing::instrument(name = "cache.wishlist_changed", level = "debug", skip_all, fields(product = %product.id))]
    async fn wishlist_changed(&self, user: &UserId, product: &Product) {
        let (user, product) = (user.clone(), product.clone());
        self.apply(|cache, context| async move {
            write_through(cache.as_ref(), &context, &product).await;
            let responses = Generation::ProductResponses(product.id.clone());
            retire(cache.as_ref(), &context, responses).await;
            let ttl = wishlist_generation_ttl(context.policy.list_ttl);
            retire(cache.as_ref(), &context, Generation::Wishlist(user, ttl)).await;
        })
        .await;
    }

    #[tracing::instrument(name = "cache.lists_invalidated", level = "debug", skip_all)]
    async fn lists_invalidated(&self) {
        self.apply(|cache, context| async move {
            retire(cache.as_ref(), &context, Generation::Lists).await;
        })
        .await;
    }

    #[tracing::instrument(name = "cache.responses_invalidated", level = "debug", skip_all)]
    async fn responses_invalidated(&self) -> u64 {
        let keys = self
            .reclaimable(CacheKeys::HTTP_PATTERN, "responses.reclaim")
            .await;
        let mut deleted = 0;
        for key in keys {
            match self.cache.delete(&key).await {
                Ok(true) => deleted += 1,
                Ok(false) => {}
                Err(error) => {
                    self.context.failed("responses.reclaim", &error);
                    break;
                }
            }
        }
        deleted
    }

    #[tracing::instrument(name = "cache.products_invalidated", level = "debug", skip_all)]
    async fn products_invalidated(&self) -> Result<u64, CacheError> {
        self.cache.retire_versioned().await?;
        let keys = self
            .reclaimable(CacheKeys::PRODUCT_PATTERN, "products.reclaim")
            .await;
        let mut deleted = 0;
        for key in keys {
            match self.cache.get(&key).await {
                Ok(Some(raw)) if !product_entries::is_tombstone(&raw) => {
                    if self.cache.delete(&key).await.unwrap_or(false) {
                        deleted += 1;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.context.failed("products.reclaim", &error);
                    break;
                }
            }
        }
        Ok(deleted)
    }

    #[tracing::instrument(name = "cache.reconcile", level = "debug", skip_all, fields(product = %id))]
    async fn reconcile(&self, id: &ProductId) -> bool {
        if !self.context.policy.enabled {
            return true;
        }
        let Ok(stored) = self.repository.find_by_id(id).await else {
            return false;
        };
        let id = id.clone();
        self.apply(|cache, context| async move {
            agree(cache.as_ref(), &context, &id, stored).await;
        })
        .await
    }

    #[tracing::instrument(name = "cache.product_uncertain", level = "debug", skip_all, fields(product = %id))]
    async fn product_uncertain(&self, id: &ProductId) {
        if !self.context.policy.enabled {
            return;
        }
        let work = settle(
            self.cache.clone(),
            self.repository.clone(),
            self.context.clone(),
            id.clone(),
        );
        self.context.post_commit.detach(work);
    }
}

/// How many retired product entries one invalidation deletes at most.
const RECLAIM_LIMIT: usize = 2_000;

/// How long `product_uncertain` keeps asking MongoDB before giving up (the entry then
/// lives out its TTL, and the consistency checker compares it meanwhile).
const SETTLE_FOR: Duration = Duration::from_secs(60);

/// Re-reads after the first answer: a write stuck in a stalled server may land just after
/// MongoDB starts answering other connections again.
const RECHECKS: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// Waits until MongoDB answers for `id`, then makes the cache agree with it, and again a
/// few times after (see `RECHECKS`).
async fn settle(
    cache: Arc<dyn RedisService>,
    repository: Arc<dyn ProductRepository>,
    context: Arc<CacheContext>,
    id: ProductId,
) {
    let deadline = tokio::time::Instant::now() + SETTLE_FOR;
    let mut pause = Duration::from_millis(100);
    let mut rechecks = RECHECKS.iter();
    loop {
        match repository.find_by_id(&id).await {
            Ok(stored) => {
                agree(cache.as_ref(), &context, &id, stored).await;
                let Some(next) = rechecks.next() else { return };
                tokio::time::sleep(*next).await;
            }
            Err(_) if tokio::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(error) => {
                tracing::warn!(
                    product = %id,
                    error = %crate::domain::error::error_chain(&error),
                    "gave up settling the cache after an uncertain write"
                );
                return;
            }
        }
    }
}

/// Makes the cache hold what MongoDB holds for `id`, and retires the lists.
async fn agree(
    cache: &dyn RedisService,
    context: &CacheContext,
    id: &ProductId,
    stored: Option<Product>,
) {
    match stored {
        Some(product) => write_through(cache, context, &product).await,
        None => {
            // Gone: a tombstone above whatever the cache holds keeps it from being served.
            if let Ok(Some(entry)) = product_entries::read(cache, id).await {
                if entry.product.is_some() {
                    let version = entry.version + 1;
                    let ttl = context.policy.missing_ttl;
                    let durability = Durability::MustLand;
                    product_entries::put(cache, context, id, version, None, ttl, durability).await;
                }
            }
        }
    }
    retire(cache, context, Generation::ProductResponses(id.clone())).await;
    retire(cache, context, Generation::Lists).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cache::CachePolicy;
    use crate::domain::error::CacheError;
    use crate::domain::ports::{MockProductRepository, MockRedisService};
    use crate::usecases::test_support::{product, ID};

    fn effects(cache: MockRedisService) -> (CacheWriteEffects, Arc<CacheContext>) {
        let context = Arc::new(CacheContext::default());
        let repository = Arc::new(MockProductRepository::new());
        (
            CacheWriteEffects::new(Arc::new(cache), repository, context.clone()),
            context,
        )
    }

    /// One bump of the product's response generation, with its day-long expiry.
    fn expect_responses_retired(cache: &mut MockRedisService) {
        cache
            .expect_bump_counter()
            .withf(|key, _, ttl| {
                key == format!("http:generation:product:{ID}")
                    && *ttl == Some(Duration::from_secs(86_400))
            })
            .times(1)
            .returning(|_, _, _| Ok(4));
    }

    #[tokio::test]
    async fn a_written_product_is_stored_at_its_version_and_retires_its_responses_and_every_list() {
        let mut cache = MockRedisService::new();
        expect_responses_retired(&mut cache);

        cache
            .expect_set_if_newer()
            .withf(|key, version, value, _| {
                key == format!("product:{ID}") && *version == 3 && value.contains("Trail Shoe")
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache
            .expect_bump_counter()
            .withf(|key, _, ttl| key == "products:generation" && ttl.is_none())
            .times(1)
            .returning(|_, _, _| Ok(8));
        let (effects, context) = effects(cache);
        effects.product_written(&product(ID, 3)).await;
        assert!(context.repair.is_clean());
        assert_eq!(context.metrics.snapshot().invalidations, 2);
    }

    #[tokio::test]
    async fn a_deleted_product_leaves_a_tombstone_one_version_above() {
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .withf(|_, version, value, ttl| {
                *version == 5
                    && value.contains("\"product\":null")
                    && *ttl == Duration::from_secs(30)
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        expect_responses_retired(&mut cache);
        cache
            .expect_bump_counter()
            .withf(|key, _, _| key == "products:generation")
            .times(1)
            .returning(|_, _, _| Ok(2));
        effects(cache).0.product_deleted(&product(ID, 4)).await;
    }

    #[tokio::test]
    async fn a_wishlist_change_retires_the_products_responses_and_only_that_users_pages() {
        let user = UserId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let mut cache = MockRedisService::new();
        expect_responses_retired(&mut cache);

        cache
            .expect_set_if_newer()
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        cache
            .expect_bump_counter()
            .withf(|key, _, ttl| {
                key == "wishlist:generation:aaaaaaaaaaaaaaaaaaaaaaaa"
                    && *ttl == Some(Duration::from_secs(120))
            })
            .times(1)
            .returning(|_, _, _| Ok(2));
        effects(cache)
            .0
            .wishlist_changed(&user, &product(ID, 2))
            .await;
    }

    #[tokio::test]
    async fn failed_effects_are_queued_and_reads_bypass_the_cache_until_they_land() {
        let mut cache = MockRedisService::new();
        cache
            .expect_set_if_newer()
            .returning(|_, _, _, _| Err(CacheError::Unavailable("down".into())));
        cache
            .expect_bump_counter()
            .returning(|_, _, _| Err(CacheError::Unavailable("down".into())));
        let (effects, context) = effects(cache);
        effects.product_deleted(&product(ID, 4)).await;
        assert!(!context.usable());
        assert_eq!(
            context.metrics.snapshot().errors,
            3,
            "tombstone and two generations"
        );
    }

    #[tokio::test]
    async fn with_caching_off_nothing_reaches_redis() {
        let context = Arc::new(CacheContext::new(CachePolicy {
            enabled: false,
            ..CachePolicy::default()
        }));
        let effects = CacheWriteEffects::new(
            Arc::new(MockRedisService::new()),
            Arc::new(MockProductRepository::new()),
            context,
        );
        effects.product_written(&product(ID, 1)).await;
        effects.lists_invalidated().await;
    }
}
