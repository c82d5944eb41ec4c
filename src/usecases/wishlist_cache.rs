//! Cache-aside for wishlist pages, keyed by the product-list generation (product edits and
//! deletes) and the user's own wishlist generation (their membership changes).

use std::sync::Arc;

use super::cache::{generation_seed, CacheState, DataSource, Fetched, Layer, PageEntryCodec};
use crate::domain::cache::CacheKeys;
use crate::domain::ports::{RedisService, WishlistRepository};
use crate::domain::product::Product;
use crate::domain::query::{Page, PageRequest};
use crate::domain::user::UserId;
use crate::usecases::ProductError;

#[derive(Clone)]
pub(crate) struct WishlistCache {
    wishlists: Arc<dyn WishlistRepository>,
    cache: Arc<dyn RedisService>,
    state: Arc<CacheState>,
}

impl WishlistCache {
    pub fn new(
        wishlists: Arc<dyn WishlistRepository>,
        cache: Arc<dyn RedisService>,
        state: Arc<CacheState>,
    ) -> Self {
        Self {
            wishlists,
            cache,
            state,
        }
    }

    async fn generations(&self, user: &UserId) -> Option<(i64, i64)> {
        if !self.state.usable() {
            return None;
        }
        let initial = generation_seed();
        let list = self
            .cache
            .get_or_init_counter(CacheKeys::LIST_GENERATION, initial)
            .await
            .ok()?;
        let own = self
            .cache
            .get_or_init_counter(&CacheKeys::wishlist_generation(user), initial)
            .await
            .ok()?;
        Some((list, own))
    }

    /// Makes this user's cached pages unreachable, and nobody else's.
    pub async fn invalidate(&self, user: &UserId) {
        let key = CacheKeys::wishlist_generation(user);
        self.state.bump_generation(self.cache.as_ref(), &key).await;
    }

    pub async fn page(
        &self,
        user: &UserId,
        page: PageRequest,
    ) -> Result<Fetched<Page<Product>>, ProductError> {
        let metrics = &self.state.metrics;
        let Some((list, own)) = self.generations(user).await else {
            metrics.error();
            metrics.database_read(Layer::Wishlist);
            return Ok(Fetched::new(
                self.wishlists.list(user, page).await?,
                DataSource::Database,
            ));
        };
        let key = CacheKeys::wishlist(user, list, own, page.page(), page.limit());
        match self.cache.get(&key).await {
            Ok(Some(raw)) => {
                if let Some(cached) = PageEntryCodec::decode(&raw) {
                    metrics.hit(Layer::Wishlist);
                    return Ok(Fetched::new(cached, DataSource::Cache));
                }
                metrics.miss(Layer::Wishlist);
            }
            Ok(None) => metrics.miss(Layer::Wishlist),
            Err(_) => metrics.error(),
        }
        metrics.database_read(Layer::Wishlist);
        let loaded = self.wishlists.list(user, page).await?;
        if let Some(raw) = PageEntryCodec::encode(&loaded) {
            let ttl = self
                .state
                .policy
                .jittered(self.state.policy.list_ttl, rand::random_range(-1.0..=1.0));
            if self.cache.set(&key, &raw, ttl).await.is_err() {
                metrics.error();
            }
        }
        Ok(Fetched::new(loaded, DataSource::Database))
    }
}
