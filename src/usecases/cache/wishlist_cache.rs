//! Cache-aside for wishlist pages, keyed by the product-list generation (product edits and
//! deletes) and the user's own wishlist generation (their membership changes).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::{Component, Interface};

use super::codec::{decode_page, encode_page};
use super::generations::{self, Generation};
use super::read_through::{Codec, ReadThrough, SharedLoad};
use super::{CacheContext, CacheLayer, Fetched, SingleFlight};
use crate::domain::cache::CacheKeys;
use crate::domain::error::CacheError;
use crate::domain::ports::{RedisService, WishlistRepository};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest};
use crate::domain::user::UserId;

/// Reads a user's wishlist pages through the cache.
///
/// Contract: a page MUST become unreachable when the user's memberships change or any
/// product is written; a hit MUST NOT touch MongoDB; Redis failures MUST fall back to
/// MongoDB and, with caching off, Redis MUST NOT be called.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WishlistCache: Interface {
    async fn page(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, crate::usecases::ProductError>;
}

/// How long a user's wishlist generation lives without a change. Twice the page TTL: when
/// it lapses it comes back seeded from the clock, above every value it had, so pages under
/// an old value can never be reached again.
pub(crate) fn wishlist_generation_ttl(list_ttl: Duration) -> Duration {
    list_ttl * 2
}

/// `WishlistCache` over the wishlist repository and the cache port. Built once per process.
#[derive(Component)]
#[shaku(interface = WishlistCache)]
pub struct WishlistReadThrough {
    #[shaku(inject)]
    wishlists: Arc<dyn WishlistRepository>,
    #[shaku(inject)]
    cache: Arc<dyn RedisService>,
    context: Arc<CacheContext>,
    #[shaku(force_default)]
    flights: SingleFlight<SharedLoad<Page<Product>>>,
}

impl WishlistReadThrough {
    #[cfg(test)]
    pub fn new(
        wishlists: Arc<dyn WishlistRepository>,
        cache: Arc<dyn RedisService>,
        context: Arc<CacheContext>,
    ) -> Self {
        Self {
            wishlists,
            cache,
            context,
            flights: SingleFlight::default(),
        }
    }

    async fn lookup(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<(String, Option<String>), CacheError> {
        let cache = self.cache.as_ref();
        let list = generations::current(cache, &Generation::Lists).await?;
        let ttl = wishlist_generation_ttl(self.context.policy.list_ttl);
        let own = generations::current(cache, &Generation::Wishlist(user.clone(), ttl)).await?;
        let key = CacheKeys::wishlist(user, list, own, page.page(), page.limit());
        let raw = cache.get(&key).await?;
        Ok((key, raw))
    }
}

#[async_trait]
impl WishlistCache for WishlistReadThrough {
    #[tracing::instrument(name = "cache.wishlist.page", level = "debug", skip_all)]
    async fn page(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, crate::usecases::ProductError> {
        let flow = ReadThrough {
            cache: &self.cache,
            context: &self.context,
            layer: CacheLayer::Wishlist,
            operation: "wishlist.page",
            flights: &self.flights,
            codec: Codec {
                encode: encode_page,
                decode: decode_page,
            },
            ttl: self.context.policy.list_ttl,
            admission: None,
        };
        let (wishlists, owner) = (self.wishlists.clone(), user.clone());
        flow.read(self.lookup(user, page), move || async move {
            wishlists.list(&owner, page).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cache::CachePolicy;
    use crate::domain::ports::MockRedisService;
    use crate::domain::ports::MockWishlistRepository;
    use crate::usecases::cache::fixtures::cached_page;
    use crate::usecases::cache::DataSource;
    use crate::usecases::test_support::{product, ID};

    const USER: &str = "aaaaaaaaaaaaaaaaaaaaaaaa";

    fn user() -> UserId {
        UserId::parse(USER).unwrap()
    }

    fn generations(cache: &mut MockRedisService) {
        cache
            .expect_get_or_init_counter()
            .withf(|key, _, ttl| key == "products:generation" && ttl.is_none())
            .returning(|_, _, _| Ok(7));
        cache
            .expect_get_or_init_counter()
            .withf(|key, _, ttl| {
                key == format!("wishlist:generation:{USER}")
                    && *ttl == Some(Duration::from_secs(120))
            })
            .returning(|_, _, _| Ok(3));
    }

    #[tokio::test]
    async fn a_hit_under_both_generations_never_touches_mongodb() {
        let mut cache = MockRedisService::new();
        generations(&mut cache);
        cache
            .expect_get()
            .withf(|key| key == format!("wishlist:{USER}:7:3:1:10"))
            .times(1)
            .returning(|_| Ok(Some(cached_page(vec![product(ID, 1)], 1))));
        let wishlists = WishlistReadThrough::new(
            Arc::new(MockWishlistRepository::new()),
            Arc::new(cache),
            Arc::default(),
        );
        let page = wishlists
            .page(&user(), PageRequest::default())
            .await
            .unwrap();
        assert_eq!((page.value.total, page.source), (1, DataSource::Cache));
    }

    #[tokio::test]
    async fn a_miss_reads_mongodb_once_and_fills_the_page() {
        let mut cache = MockRedisService::new();
        generations(&mut cache);
        cache.expect_get().returning(|_| Ok(None));
        cache
            .expect_set()
            .withf(|key, _, _| key == format!("wishlist:{USER}:7:3:1:10"))
            .times(1)
            .returning(|_, _, _| Ok(()));
        let mut repo = MockWishlistRepository::new();
        repo.expect_list().times(1).returning(|_, page| {
            Ok(Page {
                items: vec![product(ID, 1)],
                total: 1,
                request: page,
            })
        });
        let wishlists = WishlistReadThrough::new(Arc::new(repo), Arc::new(cache), Arc::default());
        let page = wishlists
            .page(&user(), PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.source, DataSource::Database);
    }

    #[tokio::test]
    async fn caching_off_reads_mongodb_and_counts_no_error() {
        let mut repo = MockWishlistRepository::new();
        repo.expect_list().times(1).returning(|_, page| {
            Ok(Page {
                items: vec![],
                total: 0,
                request: page,
            })
        });
        let context = Arc::new(CacheContext::new(CachePolicy {
            enabled: false,
            ..CachePolicy::default()
        }));
        let wishlists = WishlistReadThrough::new(
            Arc::new(repo),
            Arc::new(MockRedisService::new()),
            context.clone(),
        );
        wishlists
            .page(&user(), PageRequest::default())
            .await
            .unwrap();
        assert_eq!(context.metrics.snapshot().errors, 0);
        assert_eq!(context.metrics.snapshot().wishlist.database_reads, 1);
    }
}
