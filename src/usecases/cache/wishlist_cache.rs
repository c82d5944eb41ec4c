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
    #[tracing::instrument(name = "cache.wishlist.page", skip_all)]
    async fn page(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, crate::usecases::ProductError> {
        let flow = ReadThrough {
            cache: self.cache.as_ref(),
            context: &self.context,
            layer: CacheLayer::Wishlist,
            operation: "wishlist.page",
            flights: &self.flights,
            codec: Codec {
                encode: encode_page,
                decode: decode_page,
            },
            ttl: self.context.policy.list_ttl,
        };
        flow.read(self.lookup(user, page), || self.wishlists.list(user, page))
            .await
    }
}
